"""The national deviation report: the algorithm's proposal against the counsellor's decision.

Two stable exports, documented in docs/orientation.md (change the schema id on any change):
- the matrix: one row per (département, agency, ISO week, rule version, proposed outcome,
  decided outcome) with the number of decisions;
- the reasons: one row per (département, agency, ISO week, reason) with the number of changes.
The JSON carries both, the totals and the top reasons. Only aggregates: no person appears.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from parcours.orientation.reports import initial_decisions, iso_week
from parcours.orientation.service import change_reasons

SCHEMA = "parcours.orientation.deviation/1"
MATRIX_COLUMNS: tuple[str, ...] = (
    "period_start",
    "period_end",
    "department",
    "agency_id",
    "iso_week",
    "rule_version",
    "proposed_organisation",
    "decided_organisation",
    "proposed_path",
    "decided_path",
    "proposed_modality",
    "decided_modality",
    "decisions",
)
REASON_COLUMNS: tuple[str, ...] = (
    "period_start",
    "period_end",
    "department",
    "agency_id",
    "iso_week",
    "change_reason",
    "change_reason_label",
    "changes",
)


@dataclass(frozen=True)
class TopReason:
    code: str
    label: str
    changes: int
    share: float  # of all changed decisions


@dataclass(frozen=True)
class DeviationReport:
    start: date
    end: date
    matrix: dict[tuple[str, ...], int]  # key = MATRIX_COLUMNS[2:-1]
    reasons: dict[tuple[str, ...], int]  # key = (department, agency, week, reason)
    decisions: int
    changed: int

    @property
    def changed_share(self) -> float:
        return self.changed / self.decisions if self.decisions else 0.0

    def top_reasons(self, limit: int = 5) -> list[TopReason]:
        totals: Counter[str] = Counter()
        for key, count in self.reasons.items():
            totals[key[3]] += count
        labels = change_reasons()
        ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [
            TopReason(code, labels.get(code, code), n, n / self.changed if self.changed else 0.0)
            for code, n in ranked
        ]

    def matrix_rows(self) -> list[dict[str, Any]]:
        period = (self.start.isoformat(), self.end.isoformat())
        return [
            dict(zip(MATRIX_COLUMNS, (*period, *key, count), strict=True))
            for key, count in sorted(self.matrix.items())
        ]

    def reason_rows(self) -> list[dict[str, Any]]:
        period = (self.start.isoformat(), self.end.isoformat())
        labels = change_reasons()
        return [
            dict(
                zip(
                    REASON_COLUMNS,
                    (*period, *key, labels.get(key[3], key[3]), count),
                    strict=True,
                )
            )
            for key, count in sorted(self.reasons.items())
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "totals": {
                "decisions": self.decisions,
                "changed": self.changed,
                "changed_share": round(self.changed_share, 4),
            },
            "top_reasons": [
                {"code": r.code, "label": r.label, "changes": r.changes, "share": round(r.share, 4)}
                for r in self.top_reasons()
            ],
            "matrix": self.matrix_rows(),
            "reasons": self.reason_rows(),
        }


def deviation_report(
    session: Session, *, start: date, end: date, agencies: Collection[str] | None = None
) -> DeviationReport:
    matrix: Counter[tuple[str, ...]] = Counter()
    reasons: Counter[tuple[str, ...]] = Counter()
    decisions = changed = 0
    for d in initial_decisions(session, start=start, end=end, agencies=agencies):
        week = iso_week(d.decided_at)
        matrix[
            (
                d.department,
                d.agency,
                week,
                d.rule_version,
                d.proposed_organisation,
                d.organisation,
                d.proposed_path,
                d.path,
                d.proposed_modality,
                d.modality,
            )
        ] += 1
        decisions += 1
        if d.changed:
            changed += 1
            reasons[(d.department, d.agency, week, d.change_reason or "")] += 1
    return DeviationReport(start, end, dict(matrix), dict(reasons), decisions, changed)


def to_csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """UTF-8 text, comma-separated, one header line, LF line ends, rows in key order."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
