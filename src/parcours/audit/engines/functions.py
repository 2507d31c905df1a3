"""The small per-engine function map used by the portable SQL templates.

Templates are Jinja: `{{ local_ts('c.ts') }}`, `{{ p.window_hours }}`. Only what really differs between
DuckDB and Spark SQL lives here; everything else is plain SQL both understand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jinja2

Fn = Callable[..., str]

# Interpretation of naive local timestamps, and of the hours an agent keeps.
LOCAL_TZ = "Europe/Paris"


def _duckdb_functions() -> dict[str, Fn]:
    return {
        # UTC instant -> Paris wall-clock timestamp (no zone).
        "local_ts": lambda col: f"timezone('{LOCAL_TZ}', {col})",
        # ISO weekday: Monday = 1 .. Sunday = 7.
        "isodow": lambda col: f"isodow({col})",
        "minute_of_day": lambda col: f"(hour({col}) * 60 + minute({col}))",
        "to_date": lambda col: f"CAST({col} AS DATE)",
        "seconds_between": lambda a, b: f"(epoch({b}) - epoch({a}))",
        "days_between": lambda a, b: f"datediff('day', {a}, {b})",
        "add_days": lambda col, n: f"({col} + INTERVAL ({n}) DAY)",
        "quantile": lambda col, q: f"quantile_cont({col}, {q})",
        "normalize_name": lambda col: (
            f"trim(regexp_replace(upper(strip_accents(coalesce({col}, ''))), '[^A-Z]+', ' ', 'g'))"
        ),
        "first_token": lambda col: f"split_part({col}, ' ', 1)",
        "string_agg_distinct": lambda col: f"string_agg(DISTINCT {col}, ',' ORDER BY {col})",
        "greatest": lambda *cols: f"greatest({', '.join(cols)})",
    }


def _spark_functions() -> dict[str, Fn]:
    # Kept here so the Spark backend (issue 9) starts from a complete map; exercised when it lands.
    return {
        "local_ts": lambda col: f"from_utc_timestamp({col}, '{LOCAL_TZ}')",
        "isodow": lambda col: f"((dayofweek({col}) + 5) % 7 + 1)",
        "minute_of_day": lambda col: f"(hour({col}) * 60 + minute({col}))",
        "to_date": lambda col: f"to_date({col})",
        "seconds_between": lambda a, b: f"(unix_timestamp({b}) - unix_timestamp({a}))",
        "days_between": lambda a, b: f"datediff({b}, {a})",
        "add_days": lambda col, n: f"date_add({col}, {n})",
        "quantile": lambda col, q: f"percentile({col}, {q})",
        "normalize_name": lambda col: (
            "trim(regexp_replace(upper(translate(coalesce("
            + col
            + ", ''), 'àâäáãçéèêëíìîïñóòôöõúùûüýÿÀÂÄÁÃÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝ', "
            "'aaaaaceeeeiiiinooooouuuuyyAAAAACEEEEIIIINOOOOOUUUUY')), '[^A-Z]+', ' '))"
        ),
        "first_token": lambda col: f"split({col}, ' ')[0]",
        "string_agg_distinct": lambda col: f"array_join(array_sort(collect_set({col})), ',')",
        "greatest": lambda *cols: f"greatest({', '.join(cols)})",
    }


@dataclass
class FunctionMap:
    engine: str
    functions: dict[str, Fn]
    _env: jinja2.Environment = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # StrictUndefined: a misspelt parameter in a scenario is an error, never an empty string.
        self._env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)

    def render(self, template: str, params: Mapping[str, Any]) -> str:
        return self._env.from_string(template).render(**self.functions, p=params)


def function_map(engine: str) -> FunctionMap:
    if engine == "duckdb":
        return FunctionMap("duckdb", _duckdb_functions())
    if engine == "spark":
        return FunctionMap("spark", _spark_functions())
    raise KeyError(engine)
