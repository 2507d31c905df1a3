-- One row per consultation of the period with the agent's usual hours and every legitimate context
-- tested. Inputs: located (consultations_located.sql), pair_contexts (pair_contexts.sql),
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
  {{ in_window('pc.windows', 1, 'l.ts') }} AS e_appointment,
  {{ in_window('pc.windows', 2, 'l.ts') }} AS e_call,
  {{ in_window('pc.windows', 3, 'l.ts') }} AS e_call_homonym,
  {{ in_window('pc.windows', 4, 'l.ts') }} AS e_task,
  l.e_purpose,
  l.e_agency,
  l.e_manager
FROM located l
LEFT JOIN pair_contexts pc ON pc.agent_id = l.agent_id AND pc.de_id = l.de_id
LEFT JOIN agent_hours h ON h.agent_id = l.agent_id AND h.dow = l.dow
LEFT JOIN agent_hours_basis ab ON ab.agent_id = l.agent_id
LEFT JOIN public_holidays ph ON ph.local_date = l.local_date
