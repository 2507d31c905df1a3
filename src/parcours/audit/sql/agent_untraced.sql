-- Per agent: the distinct known files they opened with no professional context at all over the
-- period, and how many of those were sensitive (a colleague, an ex-colleague, the agent's own
-- former file, a protected person) on the day of such a look. Scoring compares the sensitive share
-- with the region's: an agent whose untraced looks land on sensitive files far more often than
-- everybody else's is browsing them (sensitive_floor.browsing in weights.yaml).
WITH untraced AS (
  SELECT agent_id, count(DISTINCT de_id) AS untraced_files
  FROM facts
  WHERE strength = 0 AND known_file
  GROUP BY agent_id
),
sensitive AS (
  SELECT agent_id, count(DISTINCT de_id) AS untraced_sensitive_files
  FROM fact_targets
  WHERE strength = 0
  GROUP BY agent_id
)
SELECT
  u.agent_id, u.untraced_files,
  coalesce(s.untraced_sensitive_files, 0) AS untraced_sensitive_files
FROM untraced u
LEFT JOIN sensitive s ON s.agent_id = u.agent_id
