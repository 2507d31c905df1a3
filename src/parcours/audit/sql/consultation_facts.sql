-- One row per consultation of the period with the agent's usual hours and every legitimate context
-- tested. Inputs: located (consultations_located.sql),
-- in_appointments, in_calls, in_tasks, agent_hours (one envelope per agent and weekday),
-- agent_hours_basis, public_holidays, js_name_keys, calls_named.
WITH appointment_hits AS (
  SELECT DISTINCT l.event_id
  FROM located l
  JOIN in_appointments ap ON ap.agent_id = l.agent_id AND ap.de_id = l.de_id
  WHERE l.ts >= ap.starts_at - INTERVAL {{ p.appointment_days_before }} DAY
    AND l.ts <= ap.starts_at + INTERVAL {{ p.appointment_days_after }} DAY
),
call_hits AS (
  SELECT DISTINCT l.event_id
  FROM located l
  JOIN in_calls ca ON ca.agent_id = l.agent_id AND ca.de_id = l.de_id
  WHERE l.ts >= ca.started_at - INTERVAL {{ p.call_minutes_before }} MINUTE
    AND l.ts <= coalesce(ca.ended_at, ca.started_at) + INTERVAL {{ p.call_minutes_after }} MINUTE
),
-- The telephony may surface a homonym's file: a call matched to file X explains the agent opening
-- file Y of the same name (searching for the right person), and opening X itself.
call_homonym_hits AS (
  SELECT DISTINCT l.event_id
  FROM located l
  JOIN calls_named ca ON ca.agent_id = l.agent_id AND ca.name_key = l.name_key
  WHERE ca.de_id <> l.de_id
    AND l.ts >= ca.started_at - INTERVAL {{ p.call_minutes_before }} MINUTE
    AND l.ts <= coalesce(ca.ended_at, ca.started_at) + INTERVAL {{ p.call_minutes_after }} MINUTE
),
task_hits AS (
  SELECT DISTINCT l.event_id
  FROM located l
  JOIN in_tasks t ON t.agent_id = l.agent_id AND t.de_id = l.de_id
  WHERE l.ts >= t.created_at - INTERVAL {{ p.task_days_before }} DAY
    AND (t.closed_at IS NULL OR l.ts <= t.closed_at + INTERVAL {{ p.task_days_after }} DAY)
)
SELECT
  l.event_id, l.ts, l.local_ts, l.local_date, l.dow, l.minute, l.agent_id, l.de_id,
  l.application, l.action, l.known_agent, l.known_file,
  ph.local_date IS NOT NULL AS is_holiday,
  -- Usual hours are one envelope per weekday (a lunch-time view is not unusual); a weekday without
  -- a row is not a usual working day for this agent.
  (
    ph.local_date IS NOT NULL OR h.agent_id IS NULL
    OR l.minute < h.start_minute OR l.minute >= h.end_minute
  ) AS off_hours,
  coalesce(ab.basis, 'default') AS hours_basis,
  l.e_referent,
  aph.event_id IS NOT NULL AS e_appointment,
  ch.event_id IS NOT NULL AS e_call,
  chh.event_id IS NOT NULL AS e_call_homonym,
  th.event_id IS NOT NULL AS e_task,
  l.e_purpose,
  l.e_agency,
  l.e_manager
FROM located l
LEFT JOIN appointment_hits aph ON aph.event_id = l.event_id
LEFT JOIN call_hits ch ON ch.event_id = l.event_id
LEFT JOIN call_homonym_hits chh ON chh.event_id = l.event_id
LEFT JOIN task_hits th ON th.event_id = l.event_id
LEFT JOIN agent_hours h ON h.agent_id = l.agent_id AND h.dow = l.dow
LEFT JOIN agent_hours_basis ab ON ab.agent_id = l.agent_id
LEFT JOIN public_holidays ph ON ph.local_date = l.local_date
