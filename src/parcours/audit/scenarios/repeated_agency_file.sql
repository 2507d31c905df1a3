-- Files of the agent's own agency opened on several distinct days with no strong context over the
-- whole period and never with the manager's context (supervising the agency is a standing reason
-- to come back to its files). Unexplained consultations may be mixed in: unexplained_access then
-- selects the pair too, with its own, stricter ladder.
SELECT agent_id, de_id
FROM facts
GROUP BY agent_id, de_id
HAVING max(strength) < 2
  AND max(CASE WHEN e_agency THEN 1 ELSE 0 END) = 1
  AND max(CASE WHEN e_manager THEN 1 ELSE 0 END) = 0
  AND count(DISTINCT local_date) >= {{ p.min_days }}
