-- Quality of the consultations the campaign uses, read from `facts` (one row per consultation):
-- references the reference files do not know (other regions, national platforms) are kept and
-- counted, like unknown actions and duplicates.
SELECT
  count(*) AS in_period,
  sum(CASE WHEN NOT known_agent THEN 1 ELSE 0 END) AS unknown_agent_rows,
  count(DISTINCT CASE WHEN NOT known_agent THEN agent_id END) AS unknown_agents,
  sum(CASE WHEN NOT known_file THEN 1 ELSE 0 END) AS unknown_file_rows,
  count(DISTINCT CASE WHEN NOT known_file THEN de_id END) AS unknown_files,
  sum(CASE WHEN action IS NULL OR action NOT IN ('view', 'edit', 'print', 'export') THEN 1 ELSE 0 END)
    AS unknown_action_rows,
  -- Distinct 64-bit hashes (facts keeps the hash, not the id): a quarter of the memory on 200M
  -- rows. Equal hashes (a repeated id, or rarely a collision) are recounted exactly by
  -- duplicate_event_ids.sql.
  count(*) - count(DISTINCT event_hash) AS duplicate_event_ids
FROM facts
