SELECT agent_id, de_id
FROM facts
WHERE off_hours
GROUP BY agent_id, de_id
HAVING count(*) >= {{ p.min_off_hours_consultations }}
