"""The orientation chart over columns: one numpy pass per rule, for the what-if and the benchmark.

The same compiled conditions as the scalar evaluator run on arrays (see `conditions.py`); each
stage becomes `np.select` over its rules in order, which keeps "first matching rule wins". Rows
are grouped by département because parameters and programmes may differ between départements.
Outcomes come back as integer codes indexing the vocabulary (`library.context.outcomes[stage]`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from parcours.orientation.chart import STAGES, Chart
from parcours.orientation.evaluator import ParamResolver
from parcours.orientation.library import DERIVED_COUNTS, RuleLibrary

Codes = npt.NDArray[np.int16]


class ColumnEnv:
    def __init__(self, values: dict[str, Any], params: ParamResolver) -> None:
        self.values = values
        self._params = params

    def param(self, name: str) -> Any:
        return self._params.value(name)

    def programme_open(self, programme: str) -> bool:
        return self._params.programme_open(programme)


def encode_columns(library: RuleLibrary, records: Sequence[Mapping[str, Any]]) -> dict[str, Codes]:
    """Column arrays of encoded answers (and derived counts) from validated answer dicts."""
    columns: dict[str, Codes] = {}
    for q in library.form.questions:
        if q.type.kind != "text":
            columns[q.id] = np.fromiter(
                (q.type.encode(r[q.id]) for r in records), dtype=np.int16, count=len(records)
            )
    return add_derived_counts(library, columns)


def add_derived_counts(library: RuleLibrary, columns: dict[str, Codes]) -> dict[str, Codes]:
    strong_code = library.form.question(library.form.difficulty_fields[0]).type.encode("strong")
    medium_code = library.form.question(library.form.difficulty_fields[0]).type.encode("medium")
    levels = [columns[f] for f in library.form.difficulty_fields]
    strong, medium = DERIVED_COUNTS
    columns[strong] = np.sum([lv == strong_code for lv in levels], axis=0, dtype=np.int16)
    columns[medium] = np.sum([lv == medium_code for lv in levels], axis=0, dtype=np.int16)
    return columns


def evaluate_columns(
    columns: Mapping[str, Codes],
    departments: npt.NDArray[np.str_],
    *,
    at: date,
    library: RuleLibrary,
    chart: Chart | None = None,
) -> dict[str, Codes]:
    """Path, organisation and modality codes for every row, under `chart` (default: in force)."""
    chart = chart or library.chart_at(at)
    n = len(departments)
    out = {stage: np.zeros(n, dtype=np.int16) for stage in STAGES}
    codes_of = {stage: list(library.context.outcomes[stage]) for stage in STAGES}
    groups, inverse = np.unique(departments, return_inverse=True)
    for g, department in enumerate(groups):
        rows = np.flatnonzero(inverse == g)
        values: dict[str, Any] = {name: col[rows] for name, col in columns.items()}
        env = ColumnEnv(values, ParamResolver(library, chart, at=at, department=str(department)))
        for stage in STAGES:
            rules = chart.stages[stage]
            masks = [
                np.broadcast_to(np.asarray(r.condition.evaluate(env), dtype=np.bool_), rows.shape)
                for r in rules[:-1]
                if r.condition is not None
            ]
            choices = np.array([codes_of[stage].index(r.outcome) for r in rules], dtype=np.int16)
            select: Any = np.select  # numpy's stubs reject a list of masks with scalar choices
            result: Codes = np.asarray(select(masks, choices[:-1], default=choices[-1]), np.int16)
            values[stage] = result
            out[stage][rows] = result
    return out
