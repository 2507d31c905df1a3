-- Off-hours consultations without a strong context (a referent finishing their files in the
-- evening has one). The naive baseline knows no context: there every consultation counts.
SELECT agent_id, de_id
FROM facts
WHERE off_hours AND strength < 2
GROUP BY agent_id, de_id
HAVING count(*) >= {{ p.min_off_hours_consultations }}
