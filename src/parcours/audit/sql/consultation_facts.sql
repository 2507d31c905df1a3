-- One row per consultation of the period with the agent's usual hours and every legitimate context
-- tested. Inputs: located (consultations_located.sql), context_segments (context_segments.sql: at
-- most one segment of the pair holds a given instant, so the join keeps one row per consultation),
-- agent_hours (one envelope per agent and weekday), agent_hours_basis, public_holidays.
SELECT
  l.event_id, l.ts, l.local_date, l.dow, l.minute, l.agent_id, l.de_id,
  l.action, l.known_agent, l.known_file,
  ph.local_date IS NOT NULL AS is_holiday,
  -- Usual hours are one envelope per weekday (a lunch-time view is not unusual); a weekday without
  -- a row is not a usual working day for this agent.
  (
    ph.local_date IS NOT NULL OR h.agent_id IS NULL
    OR l.minute < h.start_minute OR l.minute >= h.end_minute
  ) AS off_hours,
  coalesce(ab.basis, 'default') AS hours_basis,
  l.e_referent,
  coalesce(s.by_appointment, false) AS e_appointment,
  coalesce(s.by_call, false) AS e_call,
  coalesce(s.by_call_homonym, false) AS e_call_homonym,
  coalesce(s.by_task, false) AS e_task,
  l.e_purpose,
  l.e_agency,
  l.e_manager
FROM located l
LEFT JOIN context_segments s
  ON s.agent_id = l.agent_id AND s.de_id = l.de_id
  AND l.ts >= s.seg_start AND (s.seg_end IS NULL OR l.ts < s.seg_end)
LEFT JOIN agent_hours h ON h.agent_id = l.agent_id AND h.dow = l.dow
LEFT JOIN agent_hours_basis ab ON ab.agent_id = l.agent_id
LEFT JOIN public_holidays ph ON ph.local_date = l.local_date
