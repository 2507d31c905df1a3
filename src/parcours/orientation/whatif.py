"""What-if: re-run past interviews under a draft rule set and show how orientations would move.

The baseline is what was actually proposed (the stored proposals), or another chart for synthetic
columns. Both sides are evaluated with the column evaluator, so a month of a region (or a million
rows in the benchmark) takes well under a second of rule evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from parcours.config import get_settings
from parcours.orientation.chart import STAGES, Chart
from parcours.orientation.library import RuleLibrary, default_library
from parcours.orientation.models import OrientationInterview, OrientationProposal
from parcours.orientation.vectorised import Codes, encode_columns, evaluate_columns


@dataclass(frozen=True)
class StageMovement:
    stage: str
    before: dict[str, int]  # outcome -> count under the baseline
    after: dict[str, int]  # outcome -> count under the draft
    moves: dict[tuple[str, str], int]  # (baseline, draft) -> count, only where they differ

    @property
    def moved(self) -> int:
        return sum(self.moves.values())


@dataclass(frozen=True)
class WhatIfResult:
    draft_version: str
    baseline: str
    at: date
    interviews: int
    stages: dict[str, StageMovement]

    def to_json(self) -> dict[str, Any]:
        return {
            "draft_version": self.draft_version,
            "baseline": self.baseline,
            "at": self.at.isoformat(),
            "interviews": self.interviews,
            "stages": {
                s.stage: {
                    "moved": s.moved,
                    "before": s.before,
                    "after": s.after,
                    "moves": [
                        {"from": a, "to": b, "count": n} for (a, b), n in sorted(s.moves.items())
                    ],
                }
                for s in self.stages.values()
            },
        }


def movement(stage: str, names: tuple[str, ...], before: Codes, after: Codes) -> StageMovement:
    k = len(names)
    pairs = np.bincount(before.astype(np.int64) * k + after, minlength=k * k).reshape(k, k)
    return StageMovement(
        stage=stage,
        before={names[i]: int(pairs[i].sum()) for i in range(k) if pairs[i].sum()},
        after={names[j]: int(pairs[:, j].sum()) for j in range(k) if pairs[:, j].sum()},
        moves={
            (names[i], names[j]): int(pairs[i, j])
            for i in range(k)
            for j in range(k)
            if i != j and pairs[i, j]
        },
    )


def compare_columns(
    columns: dict[str, Codes],
    departments: npt.NDArray[np.str_],
    *,
    at: date,
    draft: Chart,
    library: RuleLibrary,
    baseline: Chart | None = None,
    baseline_codes: dict[str, Codes] | None = None,
) -> WhatIfResult:
    """Outcomes under `draft` against `baseline_codes` (e.g. stored proposals) or `baseline`."""
    if baseline_codes is None:
        baseline = baseline or library.chart_at(at)
        baseline_codes = evaluate_columns(
            columns, departments, at=at, library=library, chart=baseline
        )
    after = evaluate_columns(columns, departments, at=at, library=library, chart=draft)
    outcomes = library.context.outcomes
    return WhatIfResult(
        draft_version=draft.version,
        baseline=baseline.version if baseline is not None else "stored proposals",
        at=at,
        interviews=len(departments),
        stages={s: movement(s, outcomes[s], baseline_codes[s], after[s]) for s in STAGES},
    )


def previous_month(today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    last = first - timedelta(days=1)
    return last.replace(day=1), last


def whatif_interviews(
    session: Session,
    *,
    start: date,
    end: date,
    draft: Chart,
    library: RuleLibrary | None = None,
    at: date | None = None,
) -> WhatIfResult:
    """Re-run the interviews completed in [start, end] (local dates) under `draft`; parameters
    are read on `at` (default: the draft's effective date, when it would apply)."""
    library = library or default_library()
    tz = ZoneInfo(get_settings().timezone)
    lo = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    rows = session.execute(
        select(
            OrientationInterview.answers,
            OrientationInterview.department_code,
            OrientationProposal.path,
            OrientationProposal.organisation,
            OrientationProposal.modality,
        )
        .join(
            OrientationProposal,
            OrientationProposal.interview_id == OrientationInterview.interview_id,
        )
        .where(OrientationInterview.completed_at >= lo, OrientationInterview.completed_at < hi)
    ).all()
    outcomes = library.context.outcomes
    # Completed interviews store their answers validated and complete (hidden ones filled).
    records = [r.answers for r in rows]
    columns = encode_columns(library, records)
    departments = np.array([r.department_code for r in rows], dtype=np.str_)
    stored = {
        stage: np.array([outcomes[stage].index(getattr(r, stage)) for r in rows], dtype=np.int16)
        for stage in STAGES
    }
    return compare_columns(
        columns,
        departments,
        at=at or draft.effective_from,
        draft=draft,
        library=library,
        baseline_codes=stored,
    )
