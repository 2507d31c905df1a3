-- One row per consultation of the period with the agent's usual hours and every legitimate context
-- tested. Inputs: located (consultations_located.sql), agent_hours (one envelope per agent and
-- weekday), agent_hours_basis, public_holidays, and the contexts in one of two formulations of the
-- same tests (the scenario cases and the engine comparison hold them equal), chosen by
-- `p.per_pair` (explain/contexts.py says which engine uses which and why):
-- - per pair: pair_contexts (pair_contexts.sql), the windows of each agent x file as a list, the log
--   joined once on the pair;
-- - per kind: in_appointments, in_calls, in_tasks, js_name_keys, calls_named, probed one kind at a
--   time into one small table of (row, kind) hits, so that the 20M-row log is probed once instead of
--   once per kind of context. Hits are keyed on the row's DuckDB `rowid` in `located`, not on the
--   event id: grouping and joining back on a 64-bit integer spills far less (national quarter: 527 ->
--   216 s for this step), and repeated event ids stay separate consultations.
{% macro found(kind, name) -%}
{% if p.per_pair %}{{ in_window('pc.windows', kind, 'l.ts') }}{% else %}coalesce(fl.{{ name }}, 0) = 1{% endif %}
{%- endmacro %}
{% if not p.per_pair %}
WITH hits AS (
  SELECT l.rowid AS rid, 1 AS kind
  FROM located l
  JOIN in_appointments ap ON ap.agent_id = l.agent_id AND ap.de_id = l.de_id
  WHERE l.ts >= ap.starts_at - INTERVAL {{ p.appointment_days_before }} DAY
    AND l.ts <= ap.starts_at + INTERVAL {{ p.appointment_days_after }} DAY
  UNION ALL
  SELECT l.rowid AS rid, 2 AS kind
  FROM located l
  JOIN in_calls ca ON ca.agent_id = l.agent_id AND ca.de_id = l.de_id
  WHERE l.ts >= ca.started_at - INTERVAL {{ p.call_minutes_before }} MINUTE
    AND l.ts <= coalesce(ca.ended_at, ca.started_at) + INTERVAL {{ p.call_minutes_after }} MINUTE
  UNION ALL
  -- The telephony may surface a homonym's file: a call matched to file X explains the agent
  -- opening file Y of the same name (searching for the right person).
  SELECT l.rowid AS rid, 3 AS kind
  FROM located l
  JOIN js_name_keys nk ON nk.de_id = l.de_id
  JOIN calls_named ca ON ca.agent_id = l.agent_id AND ca.name_key = nk.name_key
  WHERE ca.de_id <> l.de_id
    AND l.ts >= ca.started_at - INTERVAL {{ p.call_minutes_before }} MINUTE
    AND l.ts <= coalesce(ca.ended_at, ca.started_at) + INTERVAL {{ p.call_minutes_after }} MINUTE
  UNION ALL
  SELECT l.rowid AS rid, 4 AS kind
  FROM located l
  JOIN in_tasks t ON t.agent_id = l.agent_id AND t.de_id = l.de_id
  WHERE l.ts >= t.created_at - INTERVAL {{ p.task_days_before }} DAY
    AND (t.closed_at IS NULL OR l.ts <= t.closed_at + INTERVAL {{ p.task_days_after }} DAY)
),
flags AS (
  SELECT
    rid,
    max(CASE WHEN kind = 1 THEN 1 ELSE 0 END) AS appointment,
    max(CASE WHEN kind = 2 THEN 1 ELSE 0 END) AS call,
    max(CASE WHEN kind = 3 THEN 1 ELSE 0 END) AS call_homonym,
    max(CASE WHEN kind = 4 THEN 1 ELSE 0 END) AS task
  FROM hits
  GROUP BY rid
)
{% endif %}
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
  {{ found(1, 'appointment') }} AS e_appointment,
  {{ found(2, 'call') }} AS e_call,
  {{ found(3, 'call_homonym') }} AS e_call_homonym,
  {{ found(4, 'task') }} AS e_task,
  l.e_purpose,
  l.e_agency,
  l.e_manager
FROM located l
{% if p.per_pair -%}
LEFT JOIN pair_contexts pc ON pc.agent_id = l.agent_id AND pc.de_id = l.de_id
{% else -%}
LEFT JOIN flags fl ON fl.rid = l.rowid
{% endif -%}
LEFT JOIN agent_hours h ON h.agent_id = l.agent_id AND h.dow = l.dow
LEFT JOIN agent_hours_basis ab ON ab.agent_id = l.agent_id
LEFT JOIN public_holidays ph ON ph.local_date = l.local_date
