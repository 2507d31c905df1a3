"""The pipeline's SQL templates (`audit/sql/*.sql`), read once."""

from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).with_name("sql")


@cache
def sql_file(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
