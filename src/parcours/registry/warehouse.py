"""Where the analytics engines (DuckDB, Spark) find the reference data: one Parquet file per table.

`parcours import` rewrites these snapshots from the database after each import, with the contract's
column names; dates as DATE, timestamps as UTC TIMESTAMPTZ, booleans as BOOLEAN. The consultation log
lives beside them (`parcours.consultlog.store.ConsultLog`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from parcours.config import Settings, get_settings

REFERENCE_TABLES: tuple[str, ...] = (
    "establishments",
    "agencies",
    "agents",
    "job_seekers",
    "protected_persons",
    "appointments",
    "calls",
    "tasks",
)


@dataclass(frozen=True)
class Warehouse:
    root: Path
    log_root: Path

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Warehouse:
        s = settings or get_settings()
        return cls(root=s.warehouse_dir, log_root=s.log_dir)

    def table_path(self, table: str) -> Path:
        if table not in REFERENCE_TABLES:
            raise KeyError(table)
        return self.root / f"{table}.parquet"

    def consultations_glob(self) -> str:
        return str(self.log_root / "day=*" / "*.parquet")
