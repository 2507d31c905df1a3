-- Files that many agents opened with no professional context at all, and those agents: each pair
-- (agent, file) whose every consultation of the period is untraced (strength 0), on a file that at
-- least `min_viewers` such agents opened. The untraced consultations are a small part of the log:
-- the pairs and the candidate files are found there, and only the few candidate files are checked
-- for a traced look by the same agent before the viewers are counted again.
WITH u AS (
  SELECT DISTINCT agent_id, de_id
  FROM facts
  WHERE strength = 0
),
candidates AS (
  SELECT de_id
  FROM u
  GROUP BY de_id
  HAVING count(*) >= {{ p.min_viewers }}
),
traced AS (
  SELECT DISTINCT f.agent_id, f.de_id
  FROM facts f
  JOIN candidates c ON c.de_id = f.de_id
  WHERE f.strength > 0
),
untraced AS (
  SELECT u.agent_id, u.de_id
  FROM u
  JOIN candidates c ON c.de_id = u.de_id
  LEFT JOIN traced t ON t.agent_id = u.agent_id AND t.de_id = u.de_id
  WHERE t.agent_id IS NULL
),
wide AS (
  SELECT de_id
  FROM untraced
  GROUP BY de_id
  HAVING count(*) >= {{ p.min_viewers }}
)
SELECT x.agent_id, x.de_id
FROM untraced x
JOIN wide w ON w.de_id = x.de_id
