-- The consultations of the period with what the reference files say about the agent and the file
-- (referent, agency, management, declared purpose). A view, read once by consultation_facts.sql.
-- Inputs: period_consultations (consultations_period.sql), in_agents, file_refs (the job seekers'
-- file, read once: contexts.build_file_refs), in_agencies.
SELECT
  b.event_id, b.ts, b.agent_id, b.de_id, b.action,
  b.local_date, b.dow, b.minute, js.name_key,
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
FROM period_consultations b
LEFT JOIN in_agents a ON a.agent_id = b.agent_id
LEFT JOIN file_refs js ON js.de_id = b.de_id
LEFT JOIN in_agencies ag ON ag.agency_id = js.agency_id
