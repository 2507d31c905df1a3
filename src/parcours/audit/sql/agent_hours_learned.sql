-- Usual hours learned from each agent's own history: per weekday, robust quantiles of the first and
-- last consultation minute of each active day. Inputs: active_days (per agent and local date: first
-- and last minute, from period_consultations), period_weekdays.
WITH per_agent AS (
  SELECT agent_id, count(*) AS active_days FROM active_days GROUP BY agent_id
),
per_weekday AS (
  SELECT
    agent_id, dow, count(*) AS days_worked,
    {{ quantile('first_minute', p.start_quantile) }} AS start_q,
    {{ quantile('last_minute', p.end_quantile) }} AS end_q
  FROM active_days
  GROUP BY agent_id, dow
)
SELECT
  w.agent_id, w.dow,
  CAST(greatest(0, floor(w.start_q) - {{ p.margin_minutes }}) AS INTEGER) AS start_minute,
  CAST(least(1440, ceil(w.end_q) + {{ p.margin_minutes }} + 1) AS INTEGER) AS end_minute
FROM per_weekday w
JOIN per_agent pa ON pa.agent_id = w.agent_id
JOIN period_weekdays pw ON pw.dow = w.dow
WHERE pa.active_days >= {{ p.min_active_days }}
  AND w.days_worked >= {{ p.min_days_per_weekday }}
  AND w.days_worked >= {{ p.min_share_of_weeks }} * pw.occurrences
