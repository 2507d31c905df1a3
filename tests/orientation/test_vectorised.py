"""The column evaluator agrees with the scalar one on any answers, dates and départements."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from parcours.orientation.evaluator import evaluate
from parcours.orientation.library import default_library
from parcours.orientation.vectorised import encode_columns, evaluate_columns

LIBRARY = default_library()
LEVELS = st.sampled_from(["none", "medium", "strong"])


@st.composite
def answer_sets(draw: st.DrawFn) -> dict[str, Any]:
    form = LIBRARY.form
    raw: dict[str, Any] = {}
    for q in form.questions:
        if q.type.kind == "choice":
            raw[q.id] = draw(st.sampled_from(q.type.choices))
        elif q.type.kind == "boolean":
            raw[q.id] = draw(st.booleans())
        elif q.type.kind == "integer":
            raw[q.id] = draw(st.integers(q.spec.min or 0, min(q.spec.max or 99, 60)))
        else:
            raw[q.id] = "x"
    return form.validate(raw)


@settings(max_examples=40, deadline=None)
@given(
    batch=st.lists(answer_sets(), min_size=1, max_size=25),
    departments=st.lists(st.sampled_from(["11", "31", "46", "82"]), min_size=25, max_size=25),
    at=st.sampled_from([date(2025, 2, 1), date(2025, 4, 1), date(2025, 9, 1), date(2026, 1, 1)]),
)
def test_columns_match_scalar(
    batch: list[dict[str, Any]], departments: list[str], at: date
) -> None:
    deps = np.array(departments[: len(batch)])
    columns = encode_columns(LIBRARY, batch)
    result = evaluate_columns(columns, deps, at=at, library=LIBRARY)
    outcomes = LIBRARY.context.outcomes
    for i, answers in enumerate(batch):
        proposal = evaluate(answers, at=at, department=str(deps[i]), library=LIBRARY)
        assert outcomes["path"][result["path"][i]] == proposal.path
        assert outcomes["organisation"][result["organisation"][i]] == proposal.organisation
        assert outcomes["modality"][result["modality"][i]] == proposal.modality
