"""Where a campaign reads its data, normalised into the same typed views whatever the source.

Three sources: the deployment's warehouse snapshots + consultation log, an interchange directory
(CSV/Parquet files as written by `parcours synth` or an external tool), or in-memory tables (the
scenario cases). Each registers `in_<table>` views with the contract's columns and types:
text, DATE, and timestamps as UTC instants (naive input timestamps mean Europe/Paris).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyarrow as pa

from parcours.audit.engines.base import AnalyticsEngine
from parcours.audit.input_report import EMPTY_EFFECT
from parcours.consultlog.store import ConsultLog
from parcours.errors import InvalidInput, Issue
from parcours.registry.contract import separator_issue
from parcours.registry.warehouse import Warehouse

Kind = Literal["text", "date", "ts", "bool"]

# The interchange contract's columns that detection reads, with the type it needs. `purpose` is not
# in the contract file (it is what the application itself logs); it is NULL for imported rows. The
# log's `application` is left out: no step reads it (a CSV log is staged column by column; the time
# it saves is within the runs' spread, docs/detection-measurements.md).
TABLES: dict[str, dict[str, Kind]] = {
    "establishments": {
        "establishment_id": "text",
        "name": "text",
        "kind": "text",
        "region_code": "text",
    },
    "agencies": {
        "agency_id": "text",
        "name": "text",
        "establishment_id": "text",
        "department_code": "text",
        "msa_experiment": "bool",
    },
    "agents": {
        "agent_id": "text",
        "last_name": "text",
        "birth_name": "text",
        "first_names": "text",
        "birth_date": "date",
        "sex": "text",
        "establishment_id": "text",
        "agency_id": "text",
        "job": "text",
        "hired_on": "date",
        "left_on": "date",
        "work_pattern": "text",
    },
    "job_seekers": {
        "de_id": "text",
        "last_name": "text",
        "birth_name": "text",
        "first_names": "text",
        "birth_date": "date",
        "sex": "text",
        "department_code": "text",
        "commune_code": "text",
        "agency_id": "text",
        "referent_agent_id": "text",
        "registered_on": "date",
        "deregistered_on": "date",
    },
    "protected_persons": {
        "person_id": "text",
        "category": "text",
        "last_name": "text",
        "birth_name": "text",
        "first_names": "text",
        "birth_date": "date",
        "sex": "text",
        "department_code": "text",
        "valid_from": "date",
        "valid_to": "date",
    },
    "appointments": {
        "appointment_id": "text",
        "de_id": "text",
        "agent_id": "text",
        "starts_at": "ts",
        "kind": "text",
        "status": "text",
    },
    "calls": {
        "call_id": "text",
        "de_id": "text",
        "agent_id": "text",
        "started_at": "ts",
        "ended_at": "ts",
    },
    "tasks": {
        "task_id": "text",
        "de_id": "text",
        "agent_id": "text",
        "created_at": "ts",
        "closed_at": "ts",
        "kind": "text",
    },
    "consultations": {
        "event_id": "text",
        "ts": "ts",
        "agent_id": "text",
        "de_id": "text",
        "action": "text",
        "purpose": "text",
    },
}

REQUIRED_TABLES = ("agents", "job_seekers", "consultations")

# The reference tables and their id. The campaign joins them to every consultation, so an id listed
# twice would count each of its consultations twice: `in_<table>` keeps one row per id
# (`check_reference_tables`) and the repeats are counted in the run report.
KEYS: dict[str, str] = {
    "establishments": "establishment_id",
    "agencies": "agency_id",
    "agents": "agent_id",
    "job_seekers": "de_id",
    "protected_persons": "person_id",
}
# Without these columns a file's rows are of no use: a file lacking one is refused, named, rather
# than read as if every value were missing (a semicolon-separated export reads as one column).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    **{table: (key,) for table, key in KEYS.items()},
    "appointments": ("de_id", "agent_id", "starts_at"),
    "calls": ("de_id", "agent_id", "started_at"),
    "tasks": ("de_id", "agent_id", "created_at"),
    "consultations": ("event_id", "ts", "agent_id", "de_id"),
}


def _is_text(source_type: str | None) -> bool:
    return source_type in {"VARCHAR", "TEXT", "STRING"}


def _with_seconds(v: str) -> str:
    """`2024-04-01T07:05+00:00` -> `2024-04-01T07:05:00+00:00`: Spark casts an offset without seconds
    to NULL (DuckDB does not); in portable SQL so that both engines read the same instant."""
    return (
        f"CASE WHEN substr({v}, 17, 1) IN ('Z', '+', '-') "
        f"THEN concat(substr({v}, 1, 16), ':00', substr({v}, 17)) ELSE {v} END"
    )


def _cast(engine: AnalyticsEngine, col: str, kind: Kind, source_type: str | None) -> str:
    """Expression turning a raw column into its normalised type; missing columns become NULL."""
    if source_type is None:
        return {
            "text": "CAST(NULL AS VARCHAR)",
            "date": "CAST(NULL AS DATE)",
            "ts": "CAST(NULL AS TIMESTAMPTZ)",
            "bool": "CAST(NULL AS BOOLEAN)",
        }[kind]
    q = f'"{col}"'
    text = _is_text(source_type)
    if kind == "text":
        if not text:
            return f"CAST({q} AS VARCHAR)"
        # Only a value with a space at either end is trimmed: the others are kept as they are,
        # sparing the copy TRIM makes of every string (20M log rows: 2.15 -> 1.22 s per scan).
        # The same on both engines (DuckDB's TRIM alone would also strip other Unicode spaces).
        return (
            f"CASE WHEN {q} LIKE ' %' OR {q} LIKE '% ' THEN NULLIF(TRIM({q}), '') "
            f"ELSE NULLIF({q}, '') END"
        )
    if kind == "date":
        return f"TRY_CAST(NULLIF(TRIM({q}), '') AS DATE)" if text else f"CAST({q} AS DATE)"
    if kind == "bool":
        return (
            f"CASE lower(TRIM({q})) WHEN 'true' THEN true WHEN 'false' THEN false END"
            if text
            else f"CAST({q} AS BOOLEAN)"
        )
    # Timestamps: with an offset (e.g. telephony's `Z`) they are instants; naive ones are Paris time.
    if source_type.startswith("TIMESTAMP WITH TIME ZONE"):
        return q
    to_utc = engine.functions.functions["utc_from_local"]
    if source_type.startswith("TIMESTAMP"):
        return to_utc(q)
    v = f"NULLIF(TRIM({q}), '')"
    # The forms the contract allows, as `parcours import` reads them: a date, a time with minutes,
    # then optionally an offset (Z, +HH:MM, +HHMM, +HH) of at most 14 hours. Anything else (a bare
    # date, an offset of 25 hours) is unreadable: counted, not guessed.
    form = (
        "^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?"
        "(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?$"
    )
    # Past the date, a sign or a Z can only be an offset (one pattern match per row, not two).
    offset = f"({v} LIKE '%Z' OR substr({v}, 12) LIKE '%+%' OR substr({v}, 12) LIKE '%-%')"
    return (
        f"CASE WHEN NOT regexp_matches({v}, '{form}') THEN NULL "
        f"WHEN {offset} THEN TRY_CAST({_with_seconds(v)} AS TIMESTAMPTZ) "
        f"ELSE {to_utc(f'TRY_CAST({v} AS TIMESTAMP)')} END"
    )


def _given(types: Mapping[str, str], col: str) -> str:
    """Whether the raw row holds a value in `col` at all (readable or not)."""
    if col not in types:
        return "false"
    return f"NULLIF(TRIM({col}), '') IS NOT NULL" if _is_text(types[col]) else f"{col} IS NOT NULL"


def _register_checks(
    engine: AnalyticsEngine, table: str, raw_relation: str | None, types: Mapping[str, str]
) -> None:
    """View `in_<table>_checks`: one row with what the run report says about a reference file, read
    in one pass over the file as it is: its rows, its repeated ids (rows beyond the first per id)
    and, per date, instant or boolean column, the values given as text that do not read as their
    type (they are NULL in `in_<table>`)."""
    counts = [f"count(*) AS {table}__rows"]
    if table in KEYS:
        key = _cast(engine, KEYS[table], "text", types.get(KEYS[table]))
        counts.append(f"count({key}) - count(DISTINCT {key}) AS {table}__repeats")
    for col, kind in TABLES[table].items():
        if kind != "text" and _is_text(types.get(col)):
            cast = _cast(engine, col, kind, types[col])
            counts.append(
                f"sum(CASE WHEN {_given(types, col)} AND ({cast}) IS NULL THEN 1 ELSE 0 END) "
                f"AS {table}__{col}"
            )
    if raw_relation is None:
        engine.create_view(f"in_{table}_checks", f"SELECT 0 AS {table}__rows")
    else:
        engine.create_view(f"in_{table}_checks", f"SELECT {', '.join(counts)} FROM {raw_relation}")


@dataclass(frozen=True)
class ReferenceChecks:
    repeated_ids: dict[str, int]  # `duplicate_<id>s` -> rows beyond the first per id
    unreadable_values: dict[str, int]  # `table.column` -> values that could not be read
    empty_files: list[str]  # tables the detection reads that have no row (file absent or empty)


def check_reference_tables(engine: AnalyticsEngine) -> ReferenceChecks:
    """Read every reference file once for the run report and, where an id is listed more than once,
    make `in_<table>` keep one row per id: the first in the order of its columns, so that the
    choice depends neither on the file's order nor on the engine (the one-row view is only
    installed where a repeat exists)."""
    views = ", ".join(f"in_{t}_checks" for t in TABLES if t != "consultations")
    row = engine.fetch_dicts(f"SELECT * FROM {views}")[0]
    repeats = {t: int(row.get(f"{t}__repeats") or 0) for t in KEYS}
    for table, n in repeats.items():
        if n:
            columns = ", ".join(TABLES[table])
            order = ", ".join(f"{c} NULLS LAST" for c in TABLES[table])
            engine.create_view(
                f"in_{table}",
                f"SELECT {columns} FROM (SELECT {columns}, row_number() OVER "
                f"(PARTITION BY {KEYS[table]} ORDER BY {order}) AS id_rank "
                f"FROM in_{table}_rows) r WHERE id_rank = 1",
            )
    unreadable = {
        k.replace("__", "."): int(v)
        for k, v in row.items()
        if v and not k.endswith(("__repeats", "__rows"))
    }
    return ReferenceChecks(
        repeated_ids={f"duplicate_{KEYS[t]}s": n for t, n in repeats.items()},
        unreadable_values=unreadable,
        empty_files=[t for t in EMPTY_EFFECT if not row[f"{t}__rows"]],
    )


def register_normalised(
    engine: AnalyticsEngine,
    table: str,
    raw_relation: str | None,
    types: Mapping[str, str] | None = None,
) -> None:
    """Create view `in_<table>` over a raw relation (or an empty one when the file is absent).

    Consultations also get `ts_given`: whether the raw row had a timestamp at all, so that rows whose
    timestamp could not be parsed are counted and reported, never silently lost.
    """
    spec = TABLES[table]
    if types is None:  # the caller may have read them already (InterchangeDirSource)
        types = engine.column_types(raw_relation) if raw_relation is not None else {}
    cols = [f"{_cast(engine, c, k, types.get(c))} AS {c}" for c, k in spec.items()]
    if table == "consultations":
        cols.append(f"{_given(types, 'ts')} AS ts_given")
    if table == "tasks":
        # An unreadable closing time must not leave the task open (explaining every later look).
        cols.append(f"{_given(types, 'closed_at')} AS closed_at_given")
    if table != "consultations":
        _register_checks(engine, table, raw_relation, types)
    select = ", ".join(cols)
    name = f"in_{table}_rows" if table in KEYS else f"in_{table}"
    if raw_relation is None:
        engine.create_view(name, f"SELECT {select} WHERE false")
    else:
        engine.create_view(name, f"SELECT {select} FROM {raw_relation}")
    if table in KEYS:
        engine.create_view(f"in_{table}", f"SELECT * FROM {name}")


class InputSource(ABC):
    @abstractmethod
    def register(self, engine: AnalyticsEngine) -> None:
        """Create every `in_<table>` view."""

    @abstractmethod
    def describe(self) -> str: ...


@dataclass(frozen=True)
class InterchangeDirSource(InputSource):
    """A directory of contract files: `<table>.csv` or `.parquet`; consultations also a folder.

    `root` is a local directory or, for a cluster engine, a storage URI (`hdfs://...`,
    `s3a://bucket/prefix`): the files are found and read by the engine itself.
    """

    root: Path | str

    def describe(self) -> str:
        return f"interchange:{self.root}"

    @property
    def is_remote(self) -> bool:
        return "://" in str(self.root)

    def _path(self, name: str) -> str:
        return f"{str(self.root).rstrip('/')}/{name}"

    def locate(self, engine: AnalyticsEngine, table: str) -> tuple[str, str] | None:
        """The file or glob holding `table` and its format, as the engine lists the input."""
        for fmt in ("parquet", "csv"):
            f = self._path(f"{table}.{fmt}")
            if engine.list_files(f):
                return f, fmt
        below = engine.list_files(self._path(table))
        for fmt in ("parquet", "csv"):
            if any(name.endswith(f".{fmt}") for name in below):
                return self._path(f"{table}/**/*.{fmt}"), fmt
        return None

    def register(self, engine: AnalyticsEngine) -> None:
        if not self.is_remote and not Path(self.root).is_dir():
            raise InvalidInput(
                [Issue(str(self.root), None, None, "le dossier d'entrée n'existe pas")]
            )
        found = {t: self.locate(engine, t) for t in TABLES}
        missing = [t for t in REQUIRED_TABLES if found[t] is None]
        if missing:
            raise InvalidInput(
                [
                    Issue(self._path(f"{t}.csv"), None, None, "fichier obligatoire absent")
                    for t in missing
                ]
            )
        raws: dict[str, tuple[str | None, dict[str, str]]] = {}
        issues: list[Issue] = []
        for table, where in found.items():
            raws[table] = (None, {})
            if where is None:
                continue
            header = self._csv_header_issue(table, where)
            if header is not None:
                issues.append(header)
                continue
            raw = engine.read_files(where[0], file_format=where[1])
            types = engine.column_types(raw)
            raws[table] = (raw, types)
            issues += [
                Issue(where[0], 1, col, "colonne obligatoire absente de l'en-tête")
                for col in REQUIRED_COLUMNS[table]
                if col not in types
            ]
        if issues:
            raise InvalidInput(issues)
        for table, (relation, types) in raws.items():
            register_normalised(engine, table, relation, types)
            where = found[table]
            if table == "consultations" and where is not None and where[1] == "csv":
                engine.stage(f"in_{table}")

    def _csv_header_issue(self, table: str, where: tuple[str, str]) -> Issue | None:
        """A local CSV file whose header is not comma-separated (a French spreadsheet's export uses
        semicolons): named, with the separator found, before the engine tries to parse it."""
        if where[1] != "csv" or self.is_remote:
            return None
        first = Path(where[0])
        if not first.is_file():
            first = next(iter(sorted((Path(self.root) / table).rglob("*.csv"))), first)
        try:
            with first.open(encoding="utf-8-sig", errors="replace") as fh:
                header = fh.readline()
        except OSError:
            return None
        reason = separator_issue(header)
        return None if reason is None else Issue(str(first), 1, None, reason)


@dataclass(frozen=True)
class WarehouseSource(InputSource):
    """The deployment: warehouse snapshots written by `parcours import` and the consultation log."""

    warehouse: Warehouse

    def describe(self) -> str:
        return f"warehouse:{self.warehouse.root}"

    def register(self, engine: AnalyticsEngine) -> None:
        log = ConsultLog(self.warehouse.log_root)
        missing = [
            t
            for t in REQUIRED_TABLES
            if t != "consultations" and not self.warehouse.table_path(t).is_file()
        ]
        if missing:
            raise InvalidInput(
                [
                    Issue(
                        str(self.warehouse.table_path(t)),
                        None,
                        None,
                        "instantané absent : lancer `parcours import`",
                    )
                    for t in missing
                ]
            )
        for table in TABLES:
            if table == "consultations":
                raw = (
                    None if log.is_empty() else engine.read_files(log.glob(), file_format="parquet")
                )
                register_normalised(engine, table, raw)
                continue
            path = self.warehouse.table_path(table)
            raw = engine.read_files(str(path), file_format="parquet") if path.is_file() else None
            register_normalised(engine, table, raw)


@dataclass(frozen=True)
class TableSource(InputSource):
    """In-memory rows (scenario cases, tests): missing tables are empty, missing columns NULL."""

    tables: Mapping[str, pa.Table]

    def describe(self) -> str:
        return "tables:" + ",".join(sorted(self.tables))

    def register(self, engine: AnalyticsEngine) -> None:
        unknown = set(self.tables) - set(TABLES) - {"identity_matches"}
        if unknown:
            raise InvalidInput(f"unknown input tables: {sorted(unknown)}")
        for table in TABLES:
            if table in self.tables:
                engine.register_arrow(f"raw_{table}", self.tables[table])
                register_normalised(engine, table, f"raw_{table}")
            else:
                register_normalised(engine, table, None)
