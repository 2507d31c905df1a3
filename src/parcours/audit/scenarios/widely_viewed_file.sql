-- Files that many agents opened with no professional context tied to them, and those agents: each
-- pair (agent, file) whose every consultation of the period is untraced, on a file that at least
-- `min_viewers` such agents opened in the period, or `min_burst_viewers` within `burst_days`
-- consecutive days (a person in the news draws the curious at once; ordinary files that many agents
-- open without a reason over a quarter are opened over weeks). Untraced: no context at all
-- (strength 0), or only a 3949 call that the telephony matched to no file - it explains looking a
-- caller up, not which file is the caller's, so it does not tie the agent to a file that many others
-- open without a reason. The untraced consultations are a small part of the log: the pairs and the
-- candidate files are found there, and only the few candidate files are checked for a traced look
-- by the same agent before the viewers are counted again.
WITH u AS (
  SELECT DISTINCT agent_id, de_id, local_date
  FROM facts
  WHERE strength = 0 OR (strength = 1 AND NOT e_agency AND NOT e_manager)
),
candidates AS (
  SELECT de_id
  FROM u
  GROUP BY de_id
  HAVING count(DISTINCT agent_id) >= {{ [p.min_viewers, p.min_burst_viewers] | min }}
),
traced AS (
  SELECT DISTINCT f.agent_id, f.de_id
  FROM facts f
  JOIN candidates c ON c.de_id = f.de_id
  WHERE f.strength = 2 OR f.e_agency OR f.e_manager
),
untraced AS (
  SELECT u.agent_id, u.de_id, u.local_date
  FROM u
  JOIN candidates c ON c.de_id = u.de_id
  LEFT JOIN traced t ON t.agent_id = u.agent_id AND t.de_id = u.de_id
  WHERE t.agent_id IS NULL
),
wide AS (
  SELECT de_id
  FROM untraced
  GROUP BY de_id
  HAVING count(DISTINCT agent_id) >= {{ p.min_viewers }}
),
-- Windows of `burst_days` days, each starting on a day an untraced viewer opened the file.
bursts AS (
  SELECT s.de_id, s.local_date AS first_day
  FROM (SELECT DISTINCT de_id, local_date FROM untraced) s
  JOIN untraced x
    ON x.de_id = s.de_id
    AND {{ days_between('s.local_date', 'x.local_date') }} BETWEEN 0 AND {{ p.burst_days - 1 }}
  GROUP BY s.de_id, s.local_date
  HAVING count(DISTINCT x.agent_id) >= {{ p.min_burst_viewers }}
)
SELECT x.agent_id, x.de_id
FROM untraced x
JOIN wide w ON w.de_id = x.de_id
UNION
SELECT x.agent_id, x.de_id
FROM untraced x
JOIN bursts b
  ON b.de_id = x.de_id
  AND {{ days_between('b.first_day', 'x.local_date') }} BETWEEN 0 AND {{ p.burst_days - 1 }}
