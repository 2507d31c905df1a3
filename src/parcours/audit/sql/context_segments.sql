-- The legitimate contexts of each agent x key as disjoint time segments, each counting the windows
-- of every kind that hold it: a consultation is explained by a kind when its time falls in a
-- segment of its pair that holds a window of that kind.
-- `p.by`:
-- - 'file': key = the file (de_id); kinds appointment, call, back-office task;
-- - 'name': key = the name key of the called file (file_refs); kind call. A consultation of file
--   Y is explained by a call about a homonym when more of the agent's calls hold its time on Y's
--   name key than on Y itself: the telephony surfaced a file of the same name, and the agent looked
--   for the right person. Counting on the name key keeps this linear in the calls; listing every
--   homonym of every called file made 32M windows on the national quarter.
-- The windows of one pair may overlap; a sweep over their edges (+1 where a window opens, -1 just
-- after it closes, per kind) cuts the pair's timeline where the counts change, so each instant
-- lies in at most one segment, and the log is joined once on the pair and the segment's bounds,
-- with no grouping of hits and no join back (consultation_facts.sql).
-- Windows include both bounds; timestamps have microsecond precision on every engine, so a
-- window's closing edge is its end plus one microsecond. A window whose end precedes its start
-- explains nothing, as in a direct comparison, and is left out (its -1 would cancel another).
-- - 'day': key = the agent's local day; kind call_unidentified: the calls the telephony matched to
--   no file, when the agent looks the caller up (a window across midnight is keyed on both days).
-- Inputs: in_appointments, in_calls, in_tasks, file_refs (contexts.build_file_refs).
{% set key = {'file': 'de_id', 'name': 'name_key', 'day': 'local_date'}[p.by] %}
{% set kinds = {'file': ['appointment', 'call', 'task'], 'name': ['call'], 'day': ['call_unidentified']}[p.by] %}
{% set u_lo = '(started_at - INTERVAL ' ~ p.unidentified_call_minutes_before ~ ' MINUTE)' %}
{% set u_hi = '(coalesce(ended_at, started_at) + INTERVAL ' ~ p.unidentified_call_minutes_after ~ ' MINUTE)' %}
WITH windows AS (
{% if p.by == 'file' %}
  SELECT agent_id, de_id, 'appointment' AS kind,
         starts_at - INTERVAL {{ p.appointment_days_before }} DAY AS lo,
         starts_at + INTERVAL {{ p.appointment_days_after }} DAY AS hi
  FROM in_appointments
  UNION ALL
  SELECT agent_id, de_id, 'call' AS kind,
         started_at - INTERVAL {{ p.call_minutes_before }} MINUTE AS lo,
         coalesce(ended_at, started_at) + INTERVAL {{ p.call_minutes_after }} MINUTE AS hi
  FROM in_calls
  UNION ALL
  -- An open task (closed_at NULL) explains everything after its creation: it never closes. A
  -- closing time given but unreadable is not an open task: it is taken as the creation time.
  SELECT agent_id, de_id, 'task' AS kind,
         created_at - INTERVAL {{ p.task_days_before }} DAY AS lo,
         CASE WHEN closed_at IS NULL AND closed_at_given THEN created_at ELSE closed_at END
           + INTERVAL {{ p.task_days_after }} DAY AS hi
  FROM in_tasks
{% elif p.by == 'day' %}
  SELECT agent_id, {{ to_date(local_ts(u_lo)) }} AS local_date, 'call_unidentified' AS kind,
         {{ u_lo }} AS lo, {{ u_hi }} AS hi
  FROM in_calls
  WHERE de_id IS NULL
  UNION ALL
  SELECT agent_id, {{ to_date(local_ts(u_hi)) }} AS local_date, 'call_unidentified' AS kind,
         {{ u_lo }} AS lo, {{ u_hi }} AS hi
  FROM in_calls
  WHERE de_id IS NULL AND {{ to_date(local_ts(u_hi)) }} <> {{ to_date(local_ts(u_lo)) }}
{% else %}
  SELECT c.agent_id, k.name_key, 'call' AS kind,
         c.started_at - INTERVAL {{ p.call_minutes_before }} MINUTE AS lo,
         coalesce(c.ended_at, c.started_at) + INTERVAL {{ p.call_minutes_after }} MINUTE AS hi
  FROM in_calls c
  JOIN file_refs k ON k.de_id = c.de_id
{% endif %}
),
valid AS (
  SELECT * FROM windows
  WHERE agent_id IS NOT NULL AND {{ key }} IS NOT NULL AND lo IS NOT NULL
    AND (hi IS NULL OR hi >= lo)
),
edges AS (
  SELECT agent_id, {{ key }}, kind, lo AS edge_at, 1 AS delta FROM valid
  UNION ALL
  SELECT agent_id, {{ key }}, kind, hi + INTERVAL 1 MICROSECOND AS edge_at, -1 AS delta
  FROM valid WHERE hi IS NOT NULL
),
points AS (
  SELECT
    agent_id, {{ key }}, edge_at,
    {% for k in kinds %}sum(CASE WHEN kind = '{{ k }}' THEN delta ELSE 0 END) AS d_{{ k }}{{ ',' if not loop.last }}
    {% endfor %}
  FROM edges
  GROUP BY agent_id, {{ key }}, edge_at
),
segments AS (
  SELECT
    agent_id, {{ key }},
    edge_at AS seg_start,
    lead(edge_at) OVER (PARTITION BY agent_id, {{ key }} ORDER BY edge_at) AS seg_end,
    {% for k in kinds %}CAST(sum(d_{{ k }}) OVER running AS INTEGER) AS n_{{ k }}{{ ',' if not loop.last }}
    {% endfor %}
  FROM points
  WINDOW running AS (
    PARTITION BY agent_id, {{ key }} ORDER BY edge_at ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  )
)
-- Segments that no window holds are left out: the join finds nothing for them.
SELECT * FROM segments
WHERE {% for k in kinds %}n_{{ k }} > 0{{ ' OR ' if not loop.last }}{% endfor %}
