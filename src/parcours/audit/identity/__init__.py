"""Identity resolution: recognise agents, ex-agents and protected persons behind job-seeker files.

Public interface (used by the detection engine):
- `resolve_identities(con, *, job_seekers, agents, protected_persons, threshold=0.5) -> str`
- `match_pair(left: PersonRecord, right: PersonRecord) -> float`
"""

from parcours.audit.identity.resolve import (
    DEFAULT_THRESHOLD,
    OUTPUT_TABLE,
    PersonRecord,
    match_pair,
    resolve_identities,
)

__all__ = ["DEFAULT_THRESHOLD", "OUTPUT_TABLE", "PersonRecord", "match_pair", "resolve_identities"]
