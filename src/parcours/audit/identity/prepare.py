"""Turn interchange tables (job seekers, agents, protected persons) into comparable records, in DuckDB.

One output row per surname variant of a person (usage name, birth name), carrying the comparison
columns of `normalise.NameColumns`. Names are standardised by the Python functions of `normalise`,
applied once per DISTINCT raw value and joined back: a region has far fewer distinct names than
people, and one implementation serves the single-pair, evaluation and bulk paths alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


def _register_lookup(
    con: duckdb.DuckDBPyConnection,
    name: str,
    values: Sequence[str],
    fn: Callable[[str], tuple[Any, ...] | None],
    schema: pa.Schema,
) -> None:
    """Build a lookup table `name(raw, ...)` from the Python standardisation of each distinct value.

    `fn` returns the fields after `raw`, in the schema's order, or None for an unusable value.
    """
    kept = [(raw, *fields) for raw in values if (fields := fn(raw)) is not None]
    # Transposed in one pass: a national file has millions of distinct given-name strings.
    columns = list(zip(*kept, strict=True)) if kept else [() for _ in schema]
    arrow = pa.table(
        {f.name: pa.array(column, f.type) for f, column in zip(schema, columns, strict=True)},
        schema=schema,
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


def prepare_records(con: duckdb.DuckDBPyConnection, sources: list[Source], output: str) -> int:
    """Create table `output` with the comparable records of every source; returns its row count."""
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
    )
    _register_lookup(
        con,
        f"{output}__given",
        _distinct(con, f"SELECT DISTINCT first_names FROM {src}"),
        parse_given_names,
        _GIVEN_SCHEMA,
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
