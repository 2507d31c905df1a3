-- Quality of the consultations the campaign uses, read from `facts` (one row per consultation):
-- references the reference files do not know (other regions, national platforms) are kept and
-- counted, like unknown actions and duplicates.
-- Repeated event ids: rows beyond the first per 64-bit hash (facts keeps the hash, not the id), as
-- a group-by, which spills to disk; a count(DISTINCT) over 200M hashes holds them all in memory and
-- ran out of it nationally. Equal hashes (a repeated id, or rarely a collision) are recounted
-- exactly by duplicate_event_ids.sql.
WITH repeated AS (
  SELECT count(*) - 1 AS extra FROM facts GROUP BY event_hash HAVING count(*) > 1
)
SELECT
  count(*) AS in_period,
  sum(CASE WHEN NOT known_agent THEN 1 ELSE 0 END) AS unknown_agent_rows,
  count(DISTINCT CASE WHEN NOT known_agent THEN agent_id END) AS unknown_agents,
  sum(CASE WHEN NOT known_file THEN 1 ELSE 0 END) AS unknown_file_rows,
  count(DISTINCT CASE WHEN NOT known_file THEN de_id END) AS unknown_files,
  sum(CASE WHEN NOT known_action THEN 1 ELSE 0 END) AS unknown_action_rows,
  (SELECT coalesce(sum(extra), 0) FROM repeated) AS duplicate_event_ids
FROM facts
