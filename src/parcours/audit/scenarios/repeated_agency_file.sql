-- Files of the agent's own agency opened on several distinct days with no strong context over the
-- whole period and never with the manager's context (supervising the agency is a standing reason
-- to come back to its files). Unexplained consultations may be mixed in: unexplained_access then
-- selects the pair too, with its own, stricter ladder.
-- The distinct days are counted on the consultations without a strong context only (a small part
-- of the log), and the few pairs that reach the threshold are then checked for a strong one.
WITH c AS (
  SELECT agent_id, de_id
  FROM facts
  WHERE strength < 2
  GROUP BY agent_id, de_id
  HAVING max(CASE WHEN e_agency THEN 1 ELSE 0 END) = 1
    AND max(CASE WHEN e_manager THEN 1 ELSE 0 END) = 0
    AND count(DISTINCT local_date) >= {{ p.min_days }}
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
