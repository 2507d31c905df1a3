"""Vega-Lite chart specs kept as data files (`charts/<name>.vl.json`); pages fill in the data values."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

CHARTS_DIR = Path(__file__).parent / "charts"


@cache
def _template(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (CHARTS_DIR / f"{name}.vl.json").read_text(encoding="utf-8")
    )
    return loaded


def chart_spec(name: str, values: list[dict[str, Any]]) -> dict[str, Any]:
    spec = copy.deepcopy(_template(name))
    spec["data"] = {"values": values}
    return spec
