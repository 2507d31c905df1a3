-- Features of every situation (agent x file over the period) at least one scenario selected.
-- Counts marked "not strong" only consider consultations without a strong professional context:
-- repetition of explained work is not a risk.
WITH cand AS (
  SELECT agent_id, de_id, {{ string_agg_distinct('scenario_id') }} AS scenarios
  FROM scenario_hits
  GROUP BY agent_id, de_id
),
agg AS (
  SELECT
    f.agent_id, f.de_id,
    count(*) AS consultations,
    count(DISTINCT f.local_date) AS days,
    min(f.ts) AS first_seen,
    max(f.ts) AS last_seen,
    min(f.strength) AS min_strength,
    max(f.strength) AS max_strength,
    sum(CASE WHEN f.strength = 0 THEN 1 ELSE 0 END) AS unexplained,
    sum(CASE WHEN f.strength = 1 THEN 1 ELSE 0 END) AS weak_only,
    sum(CASE WHEN f.strength = 2 THEN 1 ELSE 0 END) AS strong,
    sum(CASE WHEN f.strength < 2 THEN 1 ELSE 0 END) AS not_strong,
    count(DISTINCT CASE WHEN f.strength < 2 THEN f.local_date END) AS days_not_strong,
    -- Off-hours risk leaves out the looks made while the agent was demonstrably at work
    -- (off_hours_at_work.sql); they are counted apart so that the reasons can say so.
    sum(CASE WHEN f.off_hours AND f.strength < 2 AND aw.agent_id IS NULL THEN 1 ELSE 0 END)
      AS off_hours_not_strong,
    count(DISTINCT CASE WHEN f.off_hours AND f.strength < 2 AND aw.agent_id IS NULL THEN f.local_date END)
      AS off_hours_days_not_strong,
    sum(CASE WHEN f.off_hours AND f.strength < 2 AND aw.agent_id IS NOT NULL THEN 1 ELSE 0 END)
      AS off_hours_at_work,
    sum(CASE WHEN f.off_hours THEN 1 ELSE 0 END) AS off_hours,
    sum(CASE WHEN f.print_export AND f.strength < 2 THEN 1 ELSE 0 END)
      AS print_export_not_strong,
    count(DISTINCT CASE WHEN f.print_export AND f.strength < 2 THEN f.local_date END)
      AS print_export_days_not_strong,
    max(CASE WHEN f.e_referent THEN 1 ELSE 0 END) AS x_referent,
    max(CASE WHEN f.e_appointment THEN 1 ELSE 0 END) AS x_appointment,
    max(CASE WHEN f.e_call THEN 1 ELSE 0 END) AS x_call,
    max(CASE WHEN f.e_call_homonym THEN 1 ELSE 0 END) AS x_call_homonym,
    max(CASE WHEN f.e_call_unidentified THEN 1 ELSE 0 END) AS x_call_unidentified,
    max(CASE WHEN f.e_task THEN 1 ELSE 0 END) AS x_task,
    max(CASE WHEN f.e_purpose THEN 1 ELSE 0 END) AS x_purpose,
    max(CASE WHEN f.e_agency THEN 1 ELSE 0 END) AS x_agency,
    max(CASE WHEN f.e_manager THEN 1 ELSE 0 END) AS x_manager,
    max(CASE WHEN f.known_file THEN 1 ELSE 0 END) AS known_file
  FROM facts f
  JOIN cand c ON c.agent_id = f.agent_id AND c.de_id = f.de_id
  LEFT JOIN off_hours_at_work aw ON aw.agent_id = f.agent_id AND aw.ts = f.ts
  GROUP BY f.agent_id, f.de_id
),
targets AS (
  SELECT agent_id, de_id, target_kind, target_id, match_probability, category FROM (
    SELECT
      t.*,
      row_number() OVER (
        PARTITION BY t.agent_id, t.de_id
        ORDER BY t.match_probability DESC, t.target_kind, t.target_id
      ) AS rn
    FROM (
      SELECT agent_id, de_id, target_kind, target_id, category, max(match_probability) AS match_probability
      FROM fact_targets
      GROUP BY agent_id, de_id, target_kind, target_id, category
    ) t
  ) r
  WHERE rn = 1
)
SELECT
  a.*, c.scenarios,
  t.target_kind, t.target_id, t.match_probability, t.category,
  coalesce(hb.basis, 'default') AS hours_basis,
  ag.establishment_id, ag.agency_id,
  -- The file is a colleague's whose agency is the agent's own: someone they work with.
  CASE WHEN tg.agency_id = ag.agency_id THEN 1 ELSE 0 END AS target_same_agency,
  coalesce(au.untraced_files, 0) AS agent_untraced_files,
  coalesce(au.untraced_sensitive_files, 0) AS agent_untraced_sensitive_files,
  coalesce(au.untraced_outside_files, 0) AS agent_untraced_outside_files,
  coalesce(ah.off_hours_files, 0) AS agent_off_hours_files,
  coalesce(ah.agency_return_files, 0) AS agent_agency_return_files,
  rg.region_untraced_files, rg.region_untraced_sensitive_files,
  -- The file lies outside the agent's territory: their agency's département is not the file's.
  CASE WHEN {{ outside_territory('agc.department_code', 'js.department_code') }} THEN 1 ELSE 0 END
    AS outside_territory
FROM agg a
JOIN cand c ON c.agent_id = a.agent_id AND c.de_id = a.de_id
LEFT JOIN targets t ON t.agent_id = a.agent_id AND t.de_id = a.de_id
LEFT JOIN in_agents ag ON ag.agent_id = a.agent_id
LEFT JOIN in_agents tg ON tg.agent_id = t.target_id AND t.target_kind = 'colleague'
LEFT JOIN agent_hours_basis hb ON hb.agent_id = a.agent_id
LEFT JOIN in_agencies agc ON agc.agency_id = ag.agency_id
LEFT JOIN in_job_seekers js ON js.de_id = a.de_id
LEFT JOIN agent_untraced au ON au.agent_id = a.agent_id
LEFT JOIN agent_habits ah ON ah.agent_id = a.agent_id
CROSS JOIN (
  SELECT
    coalesce(sum(untraced_files), 0) AS region_untraced_files,
    coalesce(sum(untraced_sensitive_files), 0) AS region_untraced_sensitive_files
  FROM agent_untraced
) rg
