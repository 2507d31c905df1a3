SELECT DISTINCT agent_id, de_id
FROM fact_targets
WHERE target_kind IN ({% for k in p.target_kinds %}'{{ k }}'{{ ", " if not loop.last }}{% endfor %})
