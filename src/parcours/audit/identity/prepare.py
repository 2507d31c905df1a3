"""Turn interchange tables (job seekers, agents, protected persons) into comparable records, in DuckDB.

One output row per surname variant of a person (usage name, birth name), carrying the comparison
columns of `normalise.NameColumns`. Names are standardised by the Python functions of `normalise`,
applied once per DISTINCT raw value and joined back: a region has far fewer distinct names than
people, and one implementation serves the single-pair, evaluation and bulk paths alike.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import duckdb
import pyarrow as pa

from parcours.audit.identity.normalise import (
    normalise_department,
    normalise_sex,
    parse_given_names,
    parse_surname,
)

# Columns of a prepared record, in the order every prepared table has them.
RECORD_COLUMNS: tuple[str, ...] = (
    "unique_id",
    "person_key",
    "kind",
    "surname_compact",
    "surname_tokens",
    "first_name",
    "first_names",
    "first_names_compact",
    "given_tokens",
    "given_parts",
    "name_prefixes",
    "birth_date",
    "sex",
    "department",
)


@dataclass(frozen=True)
class Source:
    """Where to read people: a table or view, its id column and how to tell their kind.

    `kind_sql` is an SQL expression over the source row ('job_seeker', or for agents a CASE on
    left_on); `department_sql` names the département column, or NULL when the source has none.
    """

    table: str
    id_column: str
    kind_sql: str
    department_sql: str = "NULL"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _distinct(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    return [row[0] for row in con.execute(sql).fetchall() if row[0] is not None]


# Below this many distinct values the standardisation runs in this process alone: starting a worker
# process (about half a second with its imports) costs more than it saves.
PARALLEL_MIN_VALUES = 200_000


def _standardised(
    values: Sequence[str], fn: Callable[[str], tuple[Any, ...] | None], schema: pa.Schema
) -> pa.Table:
    """The Arrow table `raw, fields...` of the values `fn` can read (None: unusable, left out)."""
    kept = [(raw, *fields) for raw in values if (fields := fn(raw)) is not None]
    # Transposed in one pass: a national file has millions of distinct given-name strings.
    columns = list(zip(*kept, strict=True)) if kept else [() for _ in schema]
    return pa.table(
        {f.name: pa.array(column, f.type) for f, column in zip(schema, columns, strict=True)},
        schema=schema,
    )


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _standardised_in_parallel(
    values: Sequence[str],
    fn: Callable[[str], tuple[Any, ...] | None],
    schema: pa.Schema,
    processes: int,
) -> pa.Table:
    """The same table, the values shared between this process and `processes` - 1 spawned workers
    (this process alone below two processes or `PARALLEL_MIN_VALUES` values).

    The standardisation is pure Python (one core) while DuckDB waits: a national file's 2.6M
    distinct given-name lists took 30 s. Workers are spawned, never forked: the caller may hold
    DuckDB's threads or a web server's. `fn` must be a module-level function (sent by name).
    """
    n = processes
    if n < 2 or len(values) < PARALLEL_MIN_VALUES:
        return _standardised(values, fn, schema)
    size = -(-len(values) // n)
    chunks = [values[i : i + size] for i in range(0, len(values), size)]
    try:
        with ProcessPoolExecutor(len(chunks) - 1, mp_context=get_context("spawn")) as pool:
            others = [pool.submit(_standardised, chunk, fn, schema) for chunk in chunks[1:]]
            first = _standardised(chunks[0], fn, schema)
            return pa.concat_tables([first, *(f.result() for f in others)])
    except BrokenProcessPool:
        # A spawned worker re-imports the caller's main module, which some hosts cannot give
        # (a script read from standard input): the same table, on one core.
        return _standardised(values, fn, schema)


def _register_lookup(
    con: duckdb.DuckDBPyConnection,
    name: str,
    values: Sequence[str],
    fn: Callable[[str], tuple[Any, ...] | None],
    schema: pa.Schema,
    *,
    processes: int = 1,
) -> None:
    """Build a lookup table `name(raw, ...)` from the Python standardisation of each distinct value.

    `fn` returns the fields after `raw`, in the schema's order, or None for an unusable value;
    `processes` > 1 spreads large lists over that many processes (`fn` then goes by name).
    """
    arrow = (
        _standardised_in_parallel(values, fn, schema, processes)
        if processes > 1
        else _standardised(values, fn, schema)
    )
    con.register(f"{name}_arrow", arrow)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
    con.unregister(f"{name}_arrow")


_SURNAME_SCHEMA = pa.schema(
    [("raw", pa.string()), ("compact", pa.string()), ("tokens", pa.list_(pa.string()))]
)
_GIVEN_SCHEMA = pa.schema(
    [
        ("raw", pa.string()),
        ("first_name", pa.string()),
        ("first_names", pa.list_(pa.string())),
        ("first_names_compact", pa.string()),
        ("given_tokens", pa.list_(pa.string())),
        ("given_parts", pa.list_(pa.string())),
        ("name_prefixes", pa.string()),
    ]
)
_CODE_SCHEMA = pa.schema([("raw", pa.string()), ("code", pa.string())])


def _code_fields(fn: Callable[[str | None], str | None]) -> Callable[[str], tuple[str] | None]:
    def fields(raw: str) -> tuple[str] | None:
        code = fn(raw)
        return None if code is None else (code,)

    return fields


def prepare_records(
    con: duckdb.DuckDBPyConnection,
    sources: list[Source],
    output: str,
    *,
    processes: int | None = None,
) -> int:
    """Create table `output` with the comparable records of every source; returns its row count.

    `processes`: how many processes may standardise the names (the caller's parallelism budget,
    e.g. the engine's thread setting); defaults to the usable cores.
    """
    processes = processes if processes is not None else usable_cores()
    people = " UNION ALL ".join(
        f"""SELECT CAST({_quote(s.id_column)} AS VARCHAR) AS person_id, {s.kind_sql} AS kind,
                   CAST(last_name AS VARCHAR) AS last_name, CAST(birth_name AS VARCHAR) AS birth_name,
                   CAST(first_names AS VARCHAR) AS first_names,
                   coalesce(CAST(TRY_CAST(birth_date AS DATE) AS VARCHAR),
                            CAST(birth_date AS VARCHAR)) AS birth_date,
                   CAST(sex AS VARCHAR) AS sex, CAST({s.department_sql} AS VARCHAR) AS department
            FROM {s.table}"""
        for s in sources
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {output}__people AS {people}")
    src = f"{output}__people"
    _register_lookup(
        con,
        f"{output}__surnames",
        _distinct(con, f"SELECT last_name FROM {src} UNION SELECT birth_name FROM {src}"),
        parse_surname,
        _SURNAME_SCHEMA,
        processes=processes,
    )
    _register_lookup(
        con,
        f"{output}__given",
        _distinct(con, f"SELECT DISTINCT first_names FROM {src}"),
        parse_given_names,
        _GIVEN_SCHEMA,
        processes=processes,
    )
    _register_lookup(
        con,
        f"{output}__sexes",
        _distinct(con, f"SELECT DISTINCT sex FROM {src}"),
        _code_fields(normalise_sex),
        _CODE_SCHEMA,
    )
    _register_lookup(
        con,
        f"{output}__departments",
        _distinct(con, f"SELECT DISTINCT department FROM {src}"),
        _code_fields(normalise_department),
        _CODE_SCHEMA,
    )
    # One record per distinct surname (usage, birth). A person with no usable surname still gets
    # one record, compared on the rest; an empty usage name beside a birth name gives none.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {output} AS
        WITH variants AS (
            SELECT p.*, u.compact, u.tokens, 0 AS variant FROM {src} p
            LEFT JOIN {output}__surnames u ON u.raw = p.last_name
            LEFT JOIN {output}__surnames b ON b.raw = p.birth_name
            WHERE u.compact IS NOT NULL OR b.compact IS NULL
            UNION ALL
            SELECT p.*, b.compact, b.tokens, 1 AS variant FROM {src} p
            JOIN {output}__surnames b ON b.raw = p.birth_name
            LEFT JOIN {output}__surnames u ON u.raw = p.last_name
            WHERE u.compact IS DISTINCT FROM b.compact
        )
        SELECT v.kind || ':' || v.person_id || '#' || v.variant AS unique_id,
               v.kind || ':' || v.person_id AS person_key,
               v.kind,
               v.compact AS surname_compact,
               v.tokens AS surname_tokens,
               g.first_name, g.first_names, g.first_names_compact, g.given_tokens, g.given_parts,
               g.name_prefixes,
               v.birth_date,
               s.code AS sex,
               d.code AS department
        FROM variants v
        LEFT JOIN {output}__given g ON g.raw = v.first_names
        LEFT JOIN {output}__sexes s ON s.raw = v.sex
        LEFT JOIN {output}__departments d ON d.raw = v.department
        """
    )
    for suffix in ("__people", "__surnames", "__given", "__sexes", "__departments"):
        con.execute(f"DROP TABLE IF EXISTS {output}{suffix}")
    rows = con.execute(f"SELECT count(*) FROM {output}").fetchall()
    return int(rows[0][0])
