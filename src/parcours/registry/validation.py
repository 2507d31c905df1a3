"""Row validation of contract files, as DuckDB SQL so that it runs vectorised on any file size.

Every field arrives as text (CSV, or Parquet cast to VARCHAR). Each column yields checks (a SQL
condition true when the value is wrong, and a French message); the importer gathers every failing
check of a row into one reason (collect-all), and converts valid values with `typed_expression`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import duckdb.func

from parcours.registry.contract import Column, ColumnType, FileSpec
from parcours.registry.work_pattern import work_pattern_error

# Years 1900-2199: placeholders such as 0001-01-01 or 9999-12-31 are refused, not stored as dates
# that Python (year 0, 1 BC once converted to UTC) or a day after them cannot represent.
_YEAR = r"(19|2[01])\d{2}"
DATE_RE = _YEAR + r"-\d{2}-\d{2}"
# ISO 8601 date-time, 'T' or space, seconds and fraction optional, then an optional offset of at
# most 14 hours (the widest in use: +14:00 itself, not +14:30) with minutes under 60.
_OFFSET = r"(Z|[+-]((0\d|1[0-3])(:?[0-5]\d)?|14(:?00)?))"
TIMESTAMP_RE = _YEAR + r"-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?" + _OFFSET + "?"
_TZ_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-/]*")
WORK_PATTERN_UDF = "parcours_work_pattern_error"


@dataclass(frozen=True)
class Check:
    column: str
    failing: str  # SQL condition, true when the value is wrong
    message: (
        str  # SQL text expression, the reason (French: it is shown to the people who fix files)
    )


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def is_empty(v: str) -> str:
    return f"({v} IS NULL OR {v} = '')"


def _shown(v: str) -> str:
    """The offending value, cut short so that a huge field does not flood the rejects file."""
    return f"'« ' || left({v}, 60) || ' »'"


def timestamp_expression(v: str, timezone: str) -> str:
    """Text → TIMESTAMPTZ (UTC): an explicit offset wins; a naive value is local time in `timezone`.

    DuckDB resolves the zone name itself (no ICU needed); an ambiguous autumn hour takes standard time.
    """
    if not _TZ_NAME.fullmatch(timezone):
        raise ValueError(f"invalid time zone name {timezone!r}")
    # Past the date (character 11 on), a sign or a Z can only be an offset; cheaper than a regex,
    # and exact for every value the TIMESTAMP_RE check accepts.
    tail = f"substr({v}, 11)"
    has_offset = f"(strpos({tail}, '+') > 0 OR strpos({tail}, '-') > 0 OR suffix({v}, 'Z'))"
    return (
        f"CASE WHEN {has_offset} "
        f"THEN TRY_CAST({v} AS TIMESTAMPTZ) "
        f"ELSE TRY_CAST({v} || ' {timezone}' AS TIMESTAMPTZ) END"
    )


def typed_expression(column: Column, *, timezone: str, source: str | None = None) -> str:
    """SQL turning the text field into its stored type (NULL when empty)."""
    v = source or quote_ident(column.name)
    if column.empty_means:
        v = f"COALESCE(NULLIF({v}, ''), {quote_ident(column.empty_means)})"
    match column.type:
        case ColumnType.DATE:
            return f"TRY_CAST(NULLIF({v}, '') AS DATE)"
        case ColumnType.TIMESTAMP:
            return timestamp_expression(f"NULLIF({v}, '')", timezone)
        case ColumnType.BOOLEAN:
            return f"CASE {v} WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END"
        case _:
            return f"NULLIF({v}, '')"


def column_checks(column: Column, *, timezone: str, typed_prefix: str | None = None) -> list[Check]:
    """`typed_prefix`: the row already holds the typed value as `<prefix><name>`; reuse it."""
    v = quote_ident(column.name)
    parsed_ts = (
        quote_ident(typed_prefix + column.name)
        if typed_prefix and not column.empty_means
        else f"({timestamp_expression(v, timezone)})"
    )
    name = column.name
    filled = f"NOT {is_empty(v)}"
    checks: list[Check] = []
    if column.required:
        checks.append(Check(name, is_empty(v), literal("valeur obligatoire manquante")))
    if column.max_length is not None:
        checks.append(
            Check(
                name,
                f"length({v}) > {column.max_length}",
                f"'trop long (' || length({v}) || ' caractères, maximum {column.max_length})'",
            )
        )
    if column.type is ColumnType.TEXT:
        # PostgreSQL text cannot hold a NUL: refuse the row here rather than fail the whole load.
        checks.append(
            Check(
                name,
                f"strpos({v}, chr(0)) > 0",
                literal("caractère nul (octet 0x00) interdit dans le texte"),
            )
        )
    if column.identifier:
        # The first and last characters' codes: a space, a tab, a line end or a control character
        # (codes up to 32): about 1 s per 20M rows over three id columns on this 2-core machine.
        checks.append(
            Check(
                name,
                f"{filled} AND (ascii({v}) <= 32 OR ascii(right({v}, 1)) <= 32)",
                f"'identifiant ' || {_shown(v)} || ' : espace ou caractère de contrôle au début "
                "ou à la fin'",
            )
        )
    match column.type:
        case ColumnType.TEXT if column.pattern:
            hint = column.pattern_hint or column.pattern
            checks.append(
                Check(
                    name,
                    f"{filled} AND NOT regexp_full_match({v}, {literal(column.pattern)})",
                    f"'valeur ' || {_shown(v)} || {literal(' : attendu ' + hint)}",
                )
            )
        case ColumnType.DATE:
            checks.append(
                Check(
                    name,
                    f"{filled} AND (NOT regexp_full_match({v}, {literal(DATE_RE)}) "
                    f"OR TRY_CAST({v} AS DATE) IS NULL)",
                    f"'date invalide ' || {_shown(v)} || ' (attendu AAAA-MM-JJ, de 1900 à 2199)'",
                )
            )
        case ColumnType.TIMESTAMP:
            checks.append(
                Check(
                    name,
                    f"{filled} AND (NOT regexp_full_match({v}, {literal(TIMESTAMP_RE)}) "
                    f"OR {parsed_ts} IS NULL)",
                    f"'horodatage invalide ' || {_shown(v)} || "
                    "' (attendu ISO 8601 de 1900 à 2199, ex. 2024-04-02T09:15:00+02:00 ou "
                    "2024-04-02 09:15)'",
                )
            )
        case ColumnType.BOOLEAN:
            checks.append(
                Check(
                    name,
                    f"{filled} AND {v} NOT IN ('true', 'false')",
                    f"'booléen invalide ' || {_shown(v)} || ' (attendu true|false)'",
                )
            )
        case ColumnType.ENUM:
            allowed = ", ".join(literal(x) for x in column.values)
            checks.append(
                Check(
                    name,
                    f"{filled} AND {v} NOT IN ({allowed})",
                    f"'valeur ' || {_shown(v)} || {literal(' inconnue (attendu ' + '|'.join(column.values) + ')')}",
                )
            )
        case ColumnType.WORK_PATTERN:
            checks.append(
                Check(
                    name,
                    f"{filled} AND {WORK_PATTERN_UDF}({v}) IS NOT NULL",
                    f"'motif horaire invalide : ' || {WORK_PATTERN_UDF}({v})",
                )
            )
        case _:
            pass
    return checks


def reference_checks(spec: FileSpec, known_ids: Mapping[str, str]) -> list[Check]:
    """Strict references: the id must exist in `known_ids[target]`, a relation with one column `id`."""
    checks: list[Check] = []
    for ref in spec.references:
        if not ref.strict:
            continue
        v = quote_ident(ref.column)
        checks.append(
            Check(
                ref.column,
                f"NOT {is_empty(v)} AND {v} NOT IN (SELECT id FROM {known_ids[ref.target]})",
                f"'référence inconnue : ' || {_shown(v)} || {literal(' absent de ' + ref.target)}",
            )
        )
    return checks


def file_checks(
    spec: FileSpec,
    *,
    timezone: str,
    known_ids: Mapping[str, str] | None = None,
    typed_prefix: str | None = None,
) -> list[Check]:
    checks = [
        c
        for col in spec.columns
        for c in column_checks(col, timezone=timezone, typed_prefix=typed_prefix)
    ]
    if known_ids is not None:
        checks += reference_checks(spec, known_ids)
    return checks


def reason_expression(checks: Sequence[Check]) -> str:
    """NULL when every check passes, else 'column: message; column: message'."""
    parts = ", ".join(
        f"CASE WHEN {c.failing} THEN {literal(c.column + ' : ')} || {c.message} END" for c in checks
    )
    return f"NULLIF(concat_ws('; ', {parts}), '')" if checks else "CAST(NULL AS VARCHAR)"


def bad_columns_expression(checks: Sequence[Check]) -> str:
    columns: dict[str, list[str]] = {}
    for c in checks:
        columns.setdefault(c.column, []).append(c.failing)
    parts = ", ".join(
        f"CASE WHEN {' OR '.join(f'({f})' for f in conds)} THEN {literal(col)} END"
        for col, conds in columns.items()
    )
    return f"NULLIF(concat_ws(',', {parts}), '')" if columns else "CAST(NULL AS VARCHAR)"


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """The work-pattern grammar is checked by its Python parser (agents files are small)."""
    con.create_function(
        WORK_PATTERN_UDF,
        work_pattern_error,
        [duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("VARCHAR"),
        null_handling=duckdb.func.SPECIAL,
        side_effects=False,
    )


def validate_values(
    spec: FileSpec, column: str, values: Sequence[str | None], *, timezone: str = "Europe/Paris"
) -> list[str | None]:
    """The reason each value of one column is refused (None = accepted); for tests and tooling.

    Other columns are left empty, so only this column's own checks are reported.
    """
    col = spec.column(column)
    con = _scratch_connection()
    con.execute(f"CREATE OR REPLACE TEMP TABLE t (i BIGINT, {quote_ident(column)} VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
    checks = column_checks(col, timezone=timezone)
    rows = con.execute(f"SELECT {reason_expression(checks)} FROM t ORDER BY i").fetchall()
    return [r[0] for r in rows]


_local = threading.local()


def _scratch_connection() -> duckdb.DuckDBPyConnection:
    """One small in-memory DuckDB per thread (opening one costs more than validating a value)."""
    con: duckdb.DuckDBPyConnection | None = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect()
        register_functions(con)
        _local.con = con
    return con
