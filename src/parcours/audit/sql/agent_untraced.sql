-- Per agent: the distinct known files they opened with no professional context at all over the
-- period, how many of those were sensitive (a colleague, an ex-colleague, the agent's own former
-- file, a protected person) on the day of such a look, and how many lay outside the agent's
-- territory (another département than their agency's). Scoring compares the sensitive share with
-- the region's (an agent browsing sensitive files, sensitive_floor.browsing in weights.yaml), and
-- tells an agent whose work takes them to other départements' files without a trace from one for
-- whom such a look is unusual (sensitive_floor.unusual_territory).
WITH untraced AS (
  SELECT
    f.agent_id,
    count(DISTINCT f.de_id) AS untraced_files,
    count(DISTINCT CASE WHEN {{ outside_territory('agc.department_code', 'js.department_code') }}
      THEN f.de_id END) AS untraced_outside_files
  FROM facts f
  JOIN in_job_seekers js ON js.de_id = f.de_id
  LEFT JOIN in_agents ag ON ag.agent_id = f.agent_id
  LEFT JOIN in_agencies agc ON agc.agency_id = ag.agency_id
  WHERE f.strength = 0 AND f.known_file
  GROUP BY f.agent_id
),
sensitive AS (
  SELECT agent_id, count(DISTINCT de_id) AS untraced_sensitive_files
  FROM fact_targets
  WHERE strength = 0
  GROUP BY agent_id
)
SELECT
  u.agent_id, u.untraced_files, u.untraced_outside_files,
  coalesce(s.untraced_sensitive_files, 0) AS untraced_sensitive_files
FROM untraced u
LEFT JOIN sensitive s ON s.agent_id = u.agent_id
