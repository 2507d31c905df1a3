-- Input quality over the whole consultation source: nothing is dropped silently, every row that
-- the campaign does not use is counted under the reason why.
SELECT
  count(*) AS rows_read,
  sum(CASE WHEN NOT ts_given THEN 1 ELSE 0 END) AS missing_timestamp,
  sum(CASE WHEN ts_given AND ts IS NULL THEN 1 ELSE 0 END) AS invalid_timestamp,
  sum(CASE WHEN ts < TIMESTAMPTZ '{{ p.plausible_from_utc }}'
            OR ts >= TIMESTAMPTZ '{{ p.plausible_to_utc }}' THEN 1 ELSE 0 END) AS timestamp_out_of_range,
  sum(CASE WHEN ts >= TIMESTAMPTZ '{{ p.plausible_from_utc }}'
            AND ts < TIMESTAMPTZ '{{ p.start_utc }}' THEN 1 ELSE 0 END) AS before_period,
  sum(CASE WHEN ts >= TIMESTAMPTZ '{{ p.end_utc }}'
            AND ts < TIMESTAMPTZ '{{ p.plausible_to_utc }}' THEN 1 ELSE 0 END) AS after_period,
  -- The period as `consultations_period.sql` reads it: within the plausible bounds too, so that a
  -- row counted as out of range is never also used.
  sum(CASE WHEN ts >= TIMESTAMPTZ '{{ p.period_from_utc }}' AND ts < TIMESTAMPTZ '{{ p.period_to_utc }}'
            AND (agent_id IS NULL OR de_id IS NULL) THEN 1 ELSE 0 END) AS missing_agent_or_file
FROM in_consultations
