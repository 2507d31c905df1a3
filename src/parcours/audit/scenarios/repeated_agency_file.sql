-- Files of the agent's own agency opened on several distinct days with no strong context over the
-- whole period and never with the manager's context (supervising the agency is a standing reason
-- to come back to its files). Unexplained consultations may be mixed in: unexplained_access then
-- selects the pair too, with its own, stricter ladder.
-- The distinct days are counted on the consultations without a strong context only (a small part
-- of the log), and the few pairs that reach the threshold are then checked for a strong one. The
-- agency and manager flags come from the reference files (the agent's agency, their job, the
-- file's agency), so they hold for every consultation of a pair: filtering rows on them before
-- grouping selects the same pairs and leaves the managers' many looks out of the count.
WITH c AS (
  SELECT agent_id, de_id
  FROM facts
  WHERE strength < 2 AND e_agency AND NOT e_manager
  GROUP BY agent_id, de_id
  HAVING count(DISTINCT local_date) >= {{ p.min_days }}
),
strong AS (
  SELECT DISTINCT f.agent_id, f.de_id
  FROM facts f
  JOIN c ON c.agent_id = f.agent_id AND c.de_id = f.de_id
  WHERE f.strength = 2
)
SELECT c.agent_id, c.de_id
FROM c
LEFT JOIN strong s ON s.agent_id = c.agent_id AND s.de_id = c.de_id
WHERE s.agent_id IS NULL
