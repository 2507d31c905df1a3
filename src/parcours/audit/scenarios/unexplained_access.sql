-- Unexplained consultations with at least one aggravating circumstance among the consultations
-- without a strong context: several distinct days, off-hours, a print or an export, or a file
-- outside the agent's territory. A lone look at a file of one's territory, in working hours, is
-- the ordinary unexplained remainder: it counts in the explanation figures, not as a situation.
WITH u AS (
  SELECT
    agent_id, de_id,
    count(DISTINCT local_date) AS days,
    max(CASE WHEN off_hours OR action IN ('print', 'export') THEN 1 ELSE 0 END) AS aggravated
  FROM facts
  WHERE strength < 2
  GROUP BY agent_id, de_id
  HAVING sum(CASE WHEN strength = 0 THEN 1 ELSE 0 END) >= {{ p.min_unexplained_consultations }}
)
SELECT u.agent_id, u.de_id
FROM u
LEFT JOIN in_agents ag ON ag.agent_id = u.agent_id
LEFT JOIN in_agencies agc ON agc.agency_id = ag.agency_id
LEFT JOIN in_job_seekers js ON js.de_id = u.de_id
WHERE u.days >= {{ p.min_days }}
  OR u.aggravated = 1
  OR {{ outside_territory('agc.department_code', 'js.department_code') }}
