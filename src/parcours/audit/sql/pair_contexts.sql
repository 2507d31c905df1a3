-- The legitimate contexts of each agent x file pair, as one list of time windows per pair: a
-- consultation is explained by a context when its time falls in one of the pair's windows of that
-- kind. Kinds: 1 appointment, 2 call, 3 call about a homonym, 4 back-office task.
-- Grouping the contexts by pair first lets the log be joined once, on the pair, instead of once per
-- kind of context and then again on each consultation's id.
-- Inputs: in_appointments, in_calls, in_tasks, js_name_keys (contexts.build_name_keys).
WITH windows AS (
  SELECT agent_id, de_id, 1 AS kind,
         starts_at - INTERVAL {{ p.appointment_days_before }} DAY AS lo,
         starts_at + INTERVAL {{ p.appointment_days_after }} DAY AS hi
  FROM in_appointments
  UNION ALL
  SELECT agent_id, de_id, 2 AS kind,
         started_at - INTERVAL {{ p.call_minutes_before }} MINUTE AS lo,
         coalesce(ended_at, started_at) + INTERVAL {{ p.call_minutes_after }} MINUTE AS hi
  FROM in_calls
  UNION ALL
  -- The telephony may surface a homonym's file: a call matched to file X explains the agent
  -- opening file Y of the same name (searching for the right person).
  SELECT c.agent_id, h.de_id, 3 AS kind,
         c.started_at - INTERVAL {{ p.call_minutes_before }} MINUTE AS lo,
         coalesce(c.ended_at, c.started_at) + INTERVAL {{ p.call_minutes_after }} MINUTE AS hi
  FROM in_calls c
  JOIN js_name_keys k ON k.de_id = c.de_id
  JOIN js_name_keys h ON h.name_key = k.name_key AND h.de_id <> c.de_id
  UNION ALL
  -- An open task (closed_at NULL) explains everything after its creation: hi stays NULL.
  SELECT agent_id, de_id, 4 AS kind,
         created_at - INTERVAL {{ p.task_days_before }} DAY AS lo,
         closed_at + INTERVAL {{ p.task_days_after }} DAY AS hi
  FROM in_tasks
)
SELECT agent_id, de_id, {{ window_list('kind', 'lo', 'hi') }} AS windows
FROM windows
WHERE agent_id IS NOT NULL AND de_id IS NOT NULL
GROUP BY agent_id, de_id
