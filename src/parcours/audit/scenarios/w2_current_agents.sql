SELECT DISTINCT agent_id, de_id
FROM fact_targets
WHERE target_kind = 'colleague'
