-- One row per consultation of the period with the agent's usual hours and every legitimate context
-- tested. Inputs: located (consultations_located.sql); file_segments, name_segments and
-- day_segments (context_segments.sql by file, by name key and by the agent's local day: at most one
-- segment of a key holds a given instant, so the joins keep one row per consultation); agent_hours (one envelope
-- per agent and weekday), public_holidays.
-- Only what later steps read is kept: the table holds every consultation of the period, and each
-- column costs its width 20M times on a region (200M nationally, where the table spills to disk).
-- The weekday, minute and holiday only serve `off_hours`; the hours' basis is per agent
-- (situations.sql reads it from agent_hours_basis); the action is kept as the two facts read
-- later (a print or export; an action the contract knows), not as a string on every row.
SELECT
  -- The event id's 64-bit hash, not the id: 8 bytes instead of a string on every row of the
  -- table (the repeated-id count needs only the hash; duplicate_event_ids.sql rereads the ids).
  {{ hash64('l.event_id') }} AS event_hash,
  l.ts, l.local_date, l.agent_id, l.de_id,
  -- the contract's actions and those that take the data out (registry/contract.py)
  coalesce(l.action IN ({% for a in p.extracting_actions %}'{{ a }}'{{ ', ' if not loop.last }}{% endfor %}), false)
    AS print_export,
  coalesce(l.action IN ({% for a in p.actions %}'{{ a }}'{{ ', ' if not loop.last }}{% endfor %}), false)
    AS known_action,
  l.known_agent, l.known_file,
  -- Usual hours are one envelope per weekday (a lunch-time view is not unusual); a weekday without
  -- a row is not a usual working day for this agent.
  (
    ph.local_date IS NOT NULL OR h.agent_id IS NULL
    OR l.minute < h.start_minute OR l.minute >= h.end_minute
  ) AS off_hours,
  l.e_referent,
  coalesce(s.n_appointment, 0) > 0 AS e_appointment,
  coalesce(s.n_call, 0) > 0 AS e_call,
  -- more of the agent's calls hold this instant on the file's name than on the file itself
  coalesce(ns.n_call, 0) > coalesce(s.n_call, 0) AS e_call_homonym,
  -- the agent was on a call that the telephony matched to no file: looking the caller up
  coalesce(ds.n_call_unidentified, 0) > 0 AS e_call_unidentified,
  coalesce(s.n_task, 0) > 0 AS e_task,
  l.e_purpose,
  l.e_agency,
  l.e_manager
FROM located l
LEFT JOIN file_segments s
  ON s.agent_id = l.agent_id AND s.de_id = l.de_id
  AND l.ts >= s.seg_start AND (s.seg_end IS NULL OR l.ts < s.seg_end)
LEFT JOIN name_segments ns
  ON ns.agent_id = l.agent_id AND ns.name_key = l.name_key
  AND l.ts >= ns.seg_start AND (ns.seg_end IS NULL OR l.ts < ns.seg_end)
LEFT JOIN day_segments ds
  ON ds.agent_id = l.agent_id AND ds.local_date = l.local_date
  AND l.ts >= ds.seg_start AND (ds.seg_end IS NULL OR l.ts < ds.seg_end)
LEFT JOIN agent_hours h ON h.agent_id = l.agent_id AND h.dow = l.dow
LEFT JOIN public_holidays ph ON ph.local_date = l.local_date
