"""docs/orientation.md documents every export column, reason code and web route."""

from __future__ import annotations

import re
from pathlib import Path

from parcours.orientation.deviation import MATRIX_COLUMNS, REASON_COLUMNS, SCHEMA
from parcours.orientation.service import change_reasons
from parcours.web.routes.orientation import router

DOC = (Path(__file__).resolve().parents[2] / "docs" / "orientation.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    return DOC.split(title, 1)[1].split("\n\n`", 1)[0]


def test_every_export_column_is_documented() -> None:
    assert SCHEMA in DOC
    matrix = _section("`deviation_matrix.csv` —")
    assert re.findall(r"^\| `(\w+)` \|", matrix, re.M) == list(MATRIX_COLUMNS)
    reasons = _section("`deviation_reasons.csv` —")
    assert re.findall(r"^\| `(\w+)` \|", reasons, re.M) == list(REASON_COLUMNS)


def test_every_change_reason_is_documented() -> None:
    for code in change_reasons():
        assert f"`{code}`" in DOC, code


def test_every_route_is_documented() -> None:
    for route in router.routes:
        path = getattr(route, "path", "")
        short = path.replace("{interview_id}", "{id}")
        tail = short.removeprefix("/orientation/entretiens/")
        last = path.rsplit("/", 1)[1]
        documented = short in DOC or f".../{tail}" in DOC or f"`{last}`" in DOC
        assert documented, f"{path} is missing from docs/orientation.md"
