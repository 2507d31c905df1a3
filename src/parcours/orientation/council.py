"""The works council's view of orientations: initial decisions per département and complete month,
by organisation and by whether the counsellor changed the proposal, with no group under the
threshold, not even by difference.

What protects the figures:
- Only complete months (ended before today, Europe/Paris): a month still filling in, read on two
  days, would give the few decisions of the day in between by difference.
- A row's total under the threshold hides the whole row.
- Inside a published row, the parts of a partition (the organisations; changed or not) add up to
  the total, so a hidden part could be found again from the others. Every part of 1 to
  threshold - 1 decisions is hidden, then the smallest others until at least two parts are hidden
  and the hidden ones together count at least the threshold (their sum, total minus the rest, is
  itself a group). A zero is shown: it designates nobody.
- No total across rows is shown (a column total would tie the rows and need suppression across
  them too); the change reasons (some are about health) are never shown.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from parcours.config import get_settings
from parcours.orientation.library import RuleLibrary, default_library
from parcours.orientation.reports import initial_decisions

# Months shown by default: the last twelve complete ones.
DEFAULT_MONTHS = 12


def hidden_parts(total: int, parts: Mapping[str, int], threshold: int) -> set[str]:
    """Which parts of a published `total` (>= threshold) to hide so that no group of 1 to
    threshold - 1 decisions can be read, directly or as total minus the shown parts."""
    hidden = {name for name, n in parts.items() if 0 < n < threshold}
    while hidden and (len(hidden) == 1 or sum(parts[h] for h in hidden) < threshold):
        shown = sorted(
            ((n, name) for name, n in parts.items() if name not in hidden and n > 0),
        )
        if not shown:  # cannot happen while total >= threshold; hide everything rather than leak
            return set(parts)
        hidden.add(shown[0][1])
    return hidden


@dataclass(frozen=True)
class CouncilRow:
    """One département x month. None: hidden (a group under the threshold, or its complement)."""

    department: str
    month: str  # YYYY-MM
    total: int | None
    organisations: dict[str, int | None]
    changed: int | None
    unchanged: int | None

    @property
    def hidden(self) -> bool:
        return self.total is None


@dataclass(frozen=True)
class CouncilTable:
    start: date
    end: date
    threshold: int
    organisations: tuple[str, ...]
    rows: list[CouncilRow]


def complete_months(today: date, months: int = DEFAULT_MONTHS) -> tuple[date, date]:
    """The first day of the earliest and the last day of the latest of the `months` complete
    months before `today`'s."""
    end = today.replace(day=1) - timedelta(days=1)
    first = end.replace(day=1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, end


def council_table(
    session: Session,
    *,
    today: date,
    threshold: int,
    agencies: Collection[str] | None = None,
    months: int = DEFAULT_MONTHS,
    library: RuleLibrary | None = None,
) -> CouncilTable:
    """Initial decisions of the `months` complete months before `today`, in `agencies` (None:
    all), per département and month, suppressed for the works council."""
    library = library or default_library()
    start, end = complete_months(today, months)
    organisations = tuple(library.vocabulary.organisations)
    by_org: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    changed: Counter[tuple[str, str]] = Counter()
    tz = ZoneInfo(get_settings().timezone)
    for d in initial_decisions(session, start=start, end=end, agencies=agencies):
        key = (d.department, d.decided_at.astimezone(tz).strftime("%Y-%m"))
        by_org[key][d.organisation] += 1
        changed[key] += d.changed
    rows = []
    for key in sorted(by_org):
        counts = by_org[key]
        total = sum(counts.values())
        if total < threshold:
            rows.append(CouncilRow(key[0], key[1], None, dict.fromkeys(organisations), None, None))
            continue
        parts = {o: counts.get(o, 0) for o in organisations}
        # an organisation outside today's vocabulary (an older chart's) still counts in the total
        parts |= {o: n for o, n in counts.items() if o not in parts}
        hide = hidden_parts(total, parts, threshold)
        split = {"changed": changed[key], "unchanged": total - changed[key]}
        hide_split = hidden_parts(total, split, threshold)
        rows.append(
            CouncilRow(
                department=key[0],
                month=key[1],
                total=total,
                organisations={o: None if o in hide else parts[o] for o in parts},
                changed=None if "changed" in hide_split else split["changed"],
                unchanged=None if "unchanged" in hide_split else split["unchanged"],
            )
        )
    extra = sorted({o for r in rows for o in r.organisations} - set(organisations))
    return CouncilTable(start, end, threshold, organisations + tuple(extra), rows)
