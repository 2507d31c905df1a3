-- Unexplained consultations of a file on several distinct days or outside the agent's usual hours,
-- among the consultations without a strong context. A lone look in working hours is the ordinary
-- unexplained remainder, even with a print or at a file of another département (pooled regional
-- work leaves such looks by the thousand): it counts in the explanation figures, and those two
-- circumstances only aggravate a situation selected here (scoring/weights.yaml).
SELECT agent_id, de_id
FROM facts
WHERE strength < 2
GROUP BY agent_id, de_id
HAVING sum(CASE WHEN strength = 0 THEN 1 ELSE 0 END) >= {{ p.min_unexplained_consultations }}
  AND (
    count(DISTINCT local_date) >= {{ p.min_days }}
    OR max(CASE WHEN off_hours THEN 1 ELSE 0 END) = 1
  )
