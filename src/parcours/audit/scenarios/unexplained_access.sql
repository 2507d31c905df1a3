SELECT agent_id, de_id
FROM facts
WHERE strength = 0
GROUP BY agent_id, de_id
HAVING count(*) >= {{ p.min_unexplained_consultations }}
