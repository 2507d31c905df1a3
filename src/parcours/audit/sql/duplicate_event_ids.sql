-- Exact count of repeated event ids, among the rows whose id hash is not unique (located_report.sql
-- counts distinct hashes; this runs only when some hash repeats).
WITH repeated AS (
  SELECT {{ hash64('event_id') }} AS h FROM facts GROUP BY {{ hash64('event_id') }} HAVING count(*) > 1
)
SELECT count(*) - count(DISTINCT event_id) AS duplicate_event_ids
FROM facts
WHERE {{ hash64('event_id') }} IN (SELECT h FROM repeated)
