-- Consultations of sensitive files, with the kind of target AT THE DATE of the consultation:
-- the consulting agent's own former job-seeker file, a colleague in post, an ex-colleague (left
-- before that day), a protected person (elected or candidate) within the validity dates.
-- Before an agent's hiring their file is an ordinary job seeker's file.
SELECT * FROM (
  SELECT
    f.agent_id, f.de_id, f.local_date, f.strength,
    m.target_id, m.match_probability,
    pp.category,
    CASE
      WHEN m.target_kind IN ('agent', 'ex_agent') AND m.target_id = f.agent_id THEN 'own_file'
      WHEN m.target_kind IN ('agent', 'ex_agent') AND ta.left_on IS NOT NULL
           AND ta.left_on <= f.local_date THEN 'ex_colleague'
      WHEN m.target_kind IN ('agent', 'ex_agent')
           AND (ta.hired_on IS NULL OR ta.hired_on <= f.local_date) THEN 'colleague'
      WHEN m.target_kind = 'protected'
           AND (pp.valid_from IS NULL OR pp.valid_from <= f.local_date)
           AND (pp.valid_to IS NULL OR f.local_date <= pp.valid_to) THEN 'protected'
    END AS target_kind
  FROM facts f
  JOIN identity_matches m ON m.de_id = f.de_id
  LEFT JOIN in_agents ta ON ta.agent_id = m.target_id AND m.target_kind IN ('agent', 'ex_agent')
  LEFT JOIN in_protected_persons pp ON pp.person_id = m.target_id AND m.target_kind = 'protected'
  WHERE m.match_probability >= {{ p.min_match_probability }}
) t
WHERE target_kind IS NOT NULL
