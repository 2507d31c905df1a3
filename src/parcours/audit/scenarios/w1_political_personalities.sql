SELECT DISTINCT agent_id, de_id
FROM fact_targets
WHERE target_kind = 'protected'
  AND category IN ({% for c in p.categories %}'{{ c }}'{{ ", " if not loop.last }}{% endfor %})
