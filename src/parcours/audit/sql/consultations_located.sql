-- The consultations of the period with their local time and what the reference files say about the
-- agent and the file (referent, agency, management, declared purpose).
-- Inputs: in_consultations, in_agents, in_job_seekers, in_agencies.
WITH base AS (
  SELECT
    c.event_id, c.ts, c.agent_id, c.de_id, c.action, c.purpose,
    {{ local_ts('c.ts') }} AS local_ts
  FROM in_consultations c
  WHERE c.ts >= TIMESTAMPTZ '{{ p.start_utc }}' AND c.ts < TIMESTAMPTZ '{{ p.end_utc }}'
    -- rows without an agent or a file cannot form a situation: counted in the input report
    AND c.agent_id IS NOT NULL AND c.de_id IS NOT NULL
)
SELECT
  b.event_id, b.ts, b.agent_id, b.de_id, b.action,
  {{ to_date('b.local_ts') }} AS local_date,
  {{ isodow('b.local_ts') }} AS dow,
  {{ minute_of_day('b.local_ts') }} AS minute,
  a.agent_id IS NOT NULL AS known_agent,
  js.de_id IS NOT NULL AS known_file,
  coalesce(js.referent_agent_id = b.agent_id, false) AS e_referent,
  coalesce(a.agency_id = js.agency_id, false) AS e_agency,
  coalesce(
    a.job = 'manager' AND (
      a.agency_id = js.agency_id
      OR (a.agency_id IS NULL AND ag.establishment_id = a.establishment_id)
    ),
    false
  ) AS e_manager,
  (b.purpose IS NOT NULL) AS e_purpose
FROM base b
LEFT JOIN in_agents a ON a.agent_id = b.agent_id
LEFT JOIN in_job_seekers js ON js.de_id = b.de_id
LEFT JOIN in_agencies ag ON ag.agency_id = js.agency_id
