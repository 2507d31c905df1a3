"""DuckDB-dialect SQL to Spark SQL: sqlglot for the portable part, the function map for the rest.

The pipeline's templates are written and tested on DuckDB. On Spark each statement is translated by
sqlglot (as Splink does for its own SQL), except the function map's fragments: those are already
Spark SQL, and sqlglot would read them as DuckDB (`datediff(b, a)` has another signature there).
So the Spark engine's function map returns opaque placeholders, the statement is translated, then
each placeholder is replaced by its Spark fragment, whose arguments are translated on their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlglot
from sqlglot.errors import SqlglotError

from parcours.audit.engines.functions import Fn, FunctionMap, function_map

_PLACEHOLDER = re.compile(r"__pfn_(\d+)__")


class SparkTranslator:
    """Translate statements for one Spark engine; owns the placeholders its function map hands out."""

    def __init__(self) -> None:
        self._spark = function_map("spark").functions
        self._calls: list[tuple[str, tuple[object, ...]]] = []
        self.functions = FunctionMap("spark", {n: self._deferred(n) for n in self._spark})

    def _deferred(self, name: str) -> Fn:
        def call(*args: object) -> str:
            self._calls.append((name, args))
            return f"__pfn_{len(self._calls) - 1}__"

        return call

    def translate(self, sql: str) -> str:
        """The Spark SQL of one DuckDB-dialect statement (raises sqlglot's ParseError)."""
        statements = sqlglot.transpile(sql, read="duckdb", write="spark")
        if len(statements) != 1:
            raise SqlglotError(f"expected one statement, got {len(statements)}")
        return self._splice(statements[0])

    def _splice(self, sql: str) -> str:
        # Fragments may nest (`isodow(local_ts(ts))`): substitute until none is left.
        while _PLACEHOLDER.search(sql):
            sql = _PLACEHOLDER.sub(lambda m: self._fragment(int(m.group(1))), sql)
        return sql

    def _fragment(self, index: int) -> str:
        name, args = self._calls[index]
        fn: Callable[..., str] = self._spark[name]
        return fn(*(self._argument(a) for a in args))

    @staticmethod
    def _argument(arg: object) -> str:
        if not isinstance(arg, str):
            return str(arg)
        # An argument is a DuckDB expression (a quoted column, a literal, another placeholder).
        return sqlglot.parse_one(arg, read="duckdb").sql(dialect="spark")
