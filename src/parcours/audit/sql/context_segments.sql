-- The legitimate contexts of each agent x file pair as disjoint time segments, each saying which
-- kinds of context cover it: a consultation is explained by a kind when its time falls in a
-- segment of its pair that the kind covers. Kinds: appointment, call, call about a homonym,
-- back-office task.
-- The windows of one pair may overlap; a sweep over their edges (+1 where a window opens, -1 just
-- after it closes, per kind) cuts the pair's timeline where the set of open kinds changes, so each
-- instant lies in at most one segment. The log is then joined once, on the pair and the segment's
-- bounds, with no grouping of hits and no join back (consultation_facts.sql).
-- Windows include both bounds; timestamps have microsecond precision on every engine, so a
-- window's closing edge is its end plus one microsecond. A window whose end precedes its start
-- explains nothing, as in a direct comparison, and is left out (its -1 would cancel another).
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
  -- An open task (closed_at NULL) explains everything after its creation: it never closes.
  SELECT agent_id, de_id, 4 AS kind,
         created_at - INTERVAL {{ p.task_days_before }} DAY AS lo,
         closed_at + INTERVAL {{ p.task_days_after }} DAY AS hi
  FROM in_tasks
),
valid AS (
  SELECT * FROM windows
  WHERE agent_id IS NOT NULL AND de_id IS NOT NULL AND lo IS NOT NULL
    AND (hi IS NULL OR hi >= lo)
),
edges AS (
  SELECT agent_id, de_id, kind, lo AS edge_at, 1 AS delta FROM valid
  UNION ALL
  SELECT agent_id, de_id, kind, hi + INTERVAL 1 MICROSECOND AS edge_at, -1 AS delta
  FROM valid WHERE hi IS NOT NULL
),
points AS (
  SELECT
    agent_id, de_id, edge_at,
    sum(CASE WHEN kind = 1 THEN delta ELSE 0 END) AS d_appointment,
    sum(CASE WHEN kind = 2 THEN delta ELSE 0 END) AS d_call,
    sum(CASE WHEN kind = 3 THEN delta ELSE 0 END) AS d_call_homonym,
    sum(CASE WHEN kind = 4 THEN delta ELSE 0 END) AS d_task
  FROM edges
  GROUP BY agent_id, de_id, edge_at
),
segments AS (
  SELECT
    agent_id, de_id,
    edge_at AS seg_start,
    lead(edge_at) OVER (PARTITION BY agent_id, de_id ORDER BY edge_at) AS seg_end,
    (sum(d_appointment) OVER running) > 0 AS by_appointment,
    (sum(d_call) OVER running) > 0 AS by_call,
    (sum(d_call_homonym) OVER running) > 0 AS by_call_homonym,
    (sum(d_task) OVER running) > 0 AS by_task
  FROM points
  WINDOW running AS (
    PARTITION BY agent_id, de_id ORDER BY edge_at ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  )
)
-- Segments that no context covers are left out: the join finds nothing for them.
SELECT * FROM segments
WHERE by_appointment OR by_call OR by_call_homonym OR by_task
