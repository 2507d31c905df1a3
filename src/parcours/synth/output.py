"""Writing the interchange files (the contract of `docs/formats.md`: exact names, exact columns)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

CONTRACT: dict[str, tuple[str, ...]] = {
    "establishments": ("establishment_id", "name", "kind", "region_code"),
    "agencies": ("agency_id", "name", "establishment_id", "department_code", "msa_experiment"),
    "agents": (
        "agent_id", "last_name", "birth_name", "first_names", "birth_date", "sex", "establishment_id",
        "agency_id", "job", "hired_on", "left_on", "work_pattern",
    ),
    "job_seekers": (
        "de_id", "last_name", "birth_name", "first_names", "birth_date", "sex", "department_code",
        "commune_code", "agency_id", "referent_agent_id", "registered_on", "deregistered_on",
    ),
    "protected_persons": (
        "person_id", "category", "last_name", "birth_name", "first_names", "birth_date", "sex",
        "department_code", "valid_from", "valid_to",
    ),
    "appointments": ("appointment_id", "de_id", "agent_id", "starts_at", "kind", "status"),
    "calls": ("call_id", "de_id", "agent_id", "started_at", "ended_at"),
    "tasks": ("task_id", "de_id", "agent_id", "created_at", "closed_at", "kind"),
    "consultations": ("event_id", "ts", "agent_id", "de_id", "application", "action"),
}  # fmt: skip
TRUTH_COLUMNS: tuple[str, ...] = ("agent_id", "de_id", "kind")
# How each misuse pair was planned (diagnostics: where the hard cases are); not part of the truth.
TRUTH_PLAN_COLUMNS: tuple[str, ...] = (
    "agent_id", "de_id", "kind", "same_agency", "single_view", "timing", "forced_action", "episodes",
)  # fmt: skip
# Tables written through Arrow hold ids, timestamps and enumerations only (see `stringify`).
_CSV_OPTIONS = pacsv.WriteOptions(include_header=True, quoting_style="none")


def write_rows(path: Path, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    n = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(row)
            n += 1
    return n


class CsvAppender:
    """Appends Arrow tables to one CSV file, with the header once."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.path = path
        self.columns = tuple(columns)
        self.rows = 0
        self._writer: pacsv.CSVWriter | None = None
        self._sink = pa.OSFile(str(path), "wb")

    def write(self, table: pa.Table) -> None:
        if tuple(table.column_names) != self.columns:
            raise ValueError(f"{self.path.name}: columns {table.column_names} != {self.columns}")
        table = stringify(table)
        if self._writer is None:
            self._writer = pacsv.CSVWriter(self._sink, table.schema, write_options=_CSV_OPTIONS)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        if self._writer is None:
            self._sink.write(",".join(self.columns).encode() + b"\n")
        else:
            self._writer.close()
        self._sink.close()


def stringify(table: pa.Table) -> pa.Table:
    """Every column as text, timestamps in ISO 8601 with a T (naive = Europe/Paris, or UTC with Z).

    Arrow's cast renders `YYYY-MM-DD HH:MM:SS[Z]`; replacing the one space is ten times faster than
    strftime. Columns written this way hold ids, timestamps and enumerations only, never a comma, a
    quote or a line break (ids are alphanumeric by construction, see `ids.py`), so none is quoted.
    """
    columns = []
    for column in table.columns:
        text = column.cast(pa.string())
        if pa.types.is_timestamp(column.type):
            text = pc.replace_substring(text, " ", "T", max_replacements=1)
        columns.append(text)
    return pa.table(columns, names=table.column_names)


def write_parquet_part(folder: Path, index: int, table: pa.Table) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"part-{index:05d}.parquet"
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(path)
    return path


def local_timestamps(seconds: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Naive local (Europe/Paris) timestamps from local seconds."""
    return pa.array(seconds.astype("datetime64[s]"), type=pa.timestamp("s"), mask=null)


def utc_timestamps(seconds: np.ndarray, timezone: str = "Europe/Paris") -> pa.Array:
    """UTC timestamps from local wall-clock seconds (the telephony exports UTC)."""
    local = pa.array(seconds.astype("datetime64[s]"), type=pa.timestamp("s"))
    # As the importer reads naive times (docs/formats.md): a repeated hour is standard time, a
    # skipped one moves to the end of the gap (Arrow cannot shift by the gap; calls never fall there).
    aware = pc.assume_timezone(local, timezone, ambiguous="latest", nonexistent="latest")
    return aware.cast(pa.timestamp("s", tz="UTC"))


def dates(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"), type=pa.date32(), mask=null)
