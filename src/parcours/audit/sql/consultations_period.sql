-- The consultations of the period with their local (Paris) time: what the usual hours are learned
-- from and what `located` adds the reference files to. A view: each reader scans the log once.
-- Input: in_consultations.
SELECT
  c.event_id, c.ts, c.agent_id, c.de_id, c.action, c.purpose,
  {{ to_date(local_ts('c.ts')) }} AS local_date,
  {{ isodow(local_ts('c.ts')) }} AS dow,
  {{ minute_of_day(local_ts('c.ts')) }} AS minute
FROM in_consultations c
-- The period within the plausible bounds (an implausible time is counted apart and never used).
WHERE c.ts >= TIMESTAMPTZ '{{ p.period_from_utc }}' AND c.ts < TIMESTAMPTZ '{{ p.period_to_utc }}'
  -- rows without an agent or a file cannot form a situation: counted in the input report
  AND c.agent_id IS NOT NULL AND c.de_id IS NOT NULL
