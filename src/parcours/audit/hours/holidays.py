"""French public holidays of the period (the `holidays` package, never a hand-kept list)."""

from __future__ import annotations

from datetime import date

import holidays
import pyarrow as pa

from parcours.audit.engines.base import AnalyticsEngine


def register_public_holidays(engine: AnalyticsEngine, *, start: date, end: date) -> int:
    """Create `public_holidays(local_date, name)` for mainland France; returns the count."""
    fr = holidays.country_holidays("FR", years=range(start.year, end.year + 1))
    days = sorted(d for d in fr if start <= d <= end)
    engine.register_arrow(
        "public_holidays",
        pa.table({"local_date": pa.array(days, pa.date32()), "name": [str(fr[d]) for d in days]}),
    )
    return len(days)
