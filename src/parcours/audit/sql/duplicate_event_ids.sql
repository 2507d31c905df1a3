-- Exact count of repeated event ids, among the rows whose id hash is not unique (located_report.sql
-- counts distinct hashes; this runs only when some hash repeats). `facts` keeps only the hashes:
-- the ids are read again from the period's log, which holds the same rows.
WITH repeated AS (
  SELECT event_hash AS h FROM facts GROUP BY event_hash HAVING count(*) > 1
)
SELECT count(*) - count(DISTINCT event_id) AS duplicate_event_ids
FROM period_consultations
WHERE {{ hash64('event_id') }} IN (SELECT h FROM repeated)
