-- Per agent, how many distinct files carry two patterns that are signals on one file but a way of
-- working when the agent leaves them on many (weights.yaml, off_hours and own_agency_repetition):
-- - ordinary files (never sensitive for this agent) looked at outside the agent's usual days and
--   hours without a strong context, leaving out the looks made while demonstrably at work
--   (off_hours_at_work.sql): evening sessions that the declared or learned hours miss;
-- - files of the agent's own agency returned to on several days without ever a strong context
--   (the {{ p.own_agency_scenario }} scenario's selection): a reception desk, a covered portfolio.
-- Both sides read the few off-hours rows of `facts` and the scenario hits, never the whole log.
WITH off AS (
  SELECT f.agent_id, count(DISTINCT f.de_id) AS off_hours_files
  FROM facts f
  LEFT JOIN off_hours_at_work aw ON aw.agent_id = f.agent_id AND aw.ts = f.ts
  LEFT JOIN (SELECT DISTINCT agent_id, de_id FROM fact_targets) t
    ON t.agent_id = f.agent_id AND t.de_id = f.de_id
  WHERE f.off_hours AND f.strength < 2 AND f.known_file
    AND aw.agent_id IS NULL AND t.agent_id IS NULL
  GROUP BY f.agent_id
),
returns AS (
  SELECT agent_id, count(DISTINCT de_id) AS agency_return_files
  FROM scenario_hits
  WHERE scenario_id = '{{ p.own_agency_scenario }}'
  GROUP BY agent_id
)
SELECT
  coalesce(o.agent_id, r.agent_id) AS agent_id,
  coalesce(o.off_hours_files, 0) AS off_hours_files,
  coalesce(r.agency_return_files, 0) AS agency_return_files
FROM off o
FULL OUTER JOIN returns r ON r.agent_id = o.agent_id
