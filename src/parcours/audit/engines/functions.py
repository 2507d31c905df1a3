"""The small per-engine function map used by the portable SQL templates.

Templates are Jinja: `{{ local_ts('c.ts') }}`, `{{ p.window_hours }}`. Only what really differs between
DuckDB and Spark SQL lives here; everything else is plain SQL both understand — except the few domain
predicates that several templates share (`_shared_predicates`), written once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

Fn = Callable[..., str]

# Interpretation of naive local timestamps, and of the hours an agent keeps.
LOCAL_TZ = "Europe/Paris"


def summer_time_intervals(
    first_year: int, last_year: int
) -> tuple[list[tuple[datetime, datetime, int]], int]:
    """UTC intervals [from, to) in which Paris is ahead of its standard offset, with the extra
    minutes, and the standard offset in minutes; read from the tz database, not a hand-written rule."""
    tz = ZoneInfo(LOCAL_TZ)
    t = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)

    def offset(x: datetime) -> int:
        off = x.astimezone(tz).utcoffset()
        return int(off.total_seconds() // 60) if off is not None else 0

    standard = offset(datetime(first_year, 1, 15, tzinfo=UTC))
    out: list[tuple[datetime, datetime, int]] = []
    current: tuple[datetime, int] | None = None
    while t < end:
        off = offset(t)
        if off != standard and current is None:
            # Refine the switch to the hour: transitions happen on the hour in this zone.
            h = t - timedelta(days=1)
            while offset(h) == standard:
                h += timedelta(hours=1)
            current = (h, off)
        elif off == standard and current is not None:
            h = t - timedelta(days=1)
            while offset(h) != standard:
                h += timedelta(hours=1)
            out.append((current[0], h, current[1]))
            current = None
        t += timedelta(days=1)
    if current is not None:
        out.append((current[0], end, current[1]))
    return [(a, b, o - standard) for a, b, o in out], standard


def _offset_case(
    col: str, intervals: list[tuple[datetime, datetime, int]], standard: int, *, local: bool
) -> str:
    """Microseconds between UTC and Paris wall-clock for `col` (an instant, or a naive local time)."""
    if not intervals:
        return str(standard * 60_000_000)
    branches = []
    for a, b, extra in intervals:
        if local:
            # Wall-clock bounds, read as the interchange contract says (docs/formats.md) and as
            # `parcours import` does: a time in the skipped spring hour is shifted forward by the
            # gap (standard offset), one in the repeated autumn hour is standard time.
            lo = (a + timedelta(minutes=standard + extra)).strftime("%Y-%m-%d %H:%M:%S")
            hi = (b + timedelta(minutes=standard)).strftime("%Y-%m-%d %H:%M:%S")
            cond = f"{col} >= TIMESTAMP '{lo}' AND {col} < TIMESTAMP '{hi}'"
        else:
            lo, hi = a.strftime("%Y-%m-%d %H:%M:%S+00"), b.strftime("%Y-%m-%d %H:%M:%S+00")
            cond = f"{col} >= TIMESTAMPTZ '{lo}' AND {col} < TIMESTAMPTZ '{hi}'"
        branches.append(f"WHEN {cond} THEN {(standard + extra) * 60_000_000}")
    return f"(CASE {' '.join(branches)} ELSE {standard * 60_000_000} END)"


def duckdb_local_time_functions(start: date, end: date) -> dict[str, Fn]:
    """Paris local time by plain arithmetic on epoch microseconds.

    ICU time-zone conversions cost about a second per million rows; the offsets of the few years
    around the period, taken from the tz database, turn the conversion into a comparison and an
    addition (15 to 60 times faster). Instants outside those years are outside the period anyway.
    """
    intervals, standard = summer_time_intervals(start.year - 1, end.year + 1)
    return {
        # UTC instant -> Paris wall-clock timestamp (no zone).
        "local_ts": lambda col: (
            f"make_timestamp(epoch_us({col}) + {_offset_case(col, intervals, standard, local=False)})"
        ),
        # Paris wall-clock timestamp (no zone) -> UTC instant.
        "utc_from_local": lambda col: (
            f"to_timestamp((epoch_us({col}) - {_offset_case(col, intervals, standard, local=True)}) / 1000000.0)"
        ),
    }


def _shared_predicates() -> dict[str, Fn]:
    """Domain predicates written once for every template (the same SQL on both engines)."""
    return {
        # The file lies outside the agent's territory: the département of the agent's agency is
        # known, the file's too, and they differ.
        "outside_territory": lambda agent_dept, file_dept: (
            f"({agent_dept} IS NOT NULL AND {file_dept} IS NOT NULL AND {agent_dept} <> {file_dept})"
        ),
    }


def _duckdb_functions() -> dict[str, Fn]:
    return {
        # UTC instant -> Paris wall-clock timestamp (no zone). Replaced for a campaign's period by
        # the faster `duckdb_local_time_functions`.
        "local_ts": lambda col: f"timezone('{LOCAL_TZ}', {col})",
        "utc_from_local": lambda col: f"timezone('{LOCAL_TZ}', {col})",
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
        "hash64": lambda col: f"hash({col})",
    }


def _spark_functions() -> dict[str, Fn]:
    # Kept here so the Spark backend (issue 9) starts from a complete map; exercised when it lands.
    return {
        "local_ts": lambda col: f"from_utc_timestamp({col}, '{LOCAL_TZ}')",
        "utc_from_local": lambda col: f"to_utc_timestamp({col}, '{LOCAL_TZ}')",
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
        "hash64": lambda col: f"xxhash64({col})",
    }


@dataclass
class FunctionMap:
    engine: str
    functions: dict[str, Fn]
    _env: jinja2.Environment = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # StrictUndefined: a misspelt parameter in a scenario is an error, never an empty string.
        self._env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)

    def for_period(self, start: date, end: date) -> None:
        """Specialise the local-time functions to the years around a campaign's period."""
        if self.engine == "duckdb":
            self.functions.update(duckdb_local_time_functions(start, end))

    def render(self, template: str, params: Mapping[str, Any]) -> str:
        return self._env.from_string(template).render(**self.functions, p=params)


def function_map(engine: str) -> FunctionMap:
    if engine == "duckdb":
        return FunctionMap("duckdb", _duckdb_functions() | _shared_predicates())
    if engine == "spark":
        return FunctionMap("spark", _spark_functions() | _shared_predicates())
    raise KeyError(engine)
