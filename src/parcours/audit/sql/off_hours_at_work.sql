-- Off-hours consultations without a strong context made while the agent was demonstrably at work:
-- within {{ p.at_work_minutes }} minutes of one of their own strongly explained consultations (an
-- appointment, a call, a task, a file they are the referent of). Outside usual hours is then not
-- unusual for that moment, so these do not count as off-hours in the risk. Both sides are the few
-- off-hours rows of `facts`, never the whole log.
-- Keyed on the agent and the instant: every look of theirs at that instant is in the same case.
SELECT DISTINCT w.agent_id, w.ts
FROM (
  SELECT agent_id, ts FROM facts WHERE off_hours AND strength < 2
) w
JOIN (
  SELECT agent_id, ts FROM facts WHERE off_hours AND strength = 2
) s ON s.agent_id = w.agent_id
WHERE s.ts >= w.ts - INTERVAL {{ p.at_work_minutes }} MINUTE
  AND s.ts <= w.ts + INTERVAL {{ p.at_work_minutes }} MINUTE
