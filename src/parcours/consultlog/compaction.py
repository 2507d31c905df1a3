"""Compaction of the consultation log: the many small files of a settled day become one file.

Imports and detection in flow write one Parquet file per batch and day (about one a second in flow),
which a quarter's campaign would have to list and open. A day is compacted only when it is settled:
older than `min_age_days`, and holding no file of an import batch that has not finished nor of the
buffer flush in progress (their redo rewrites or removes files by name). Under the placement lock,
the day's rows are written once into a sibling folder, which is swapped with the day's folder in one
atomic step (Linux `renameat2(RENAME_EXCHANGE)`): a reader lists either the old files or the new one,
never both and never neither. A reader that listed the old files and opens them after the swap fails
loudly (the files are gone), so the watcher compacts between its own campaigns; a campaign run by
hand at that moment is simply run again. Without an atomic exchange the day is left as it is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from parcours.consultlog.schema import ARROW_SCHEMA
from parcours.consultlog.store import batch_of, placement_lock

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
# Under this many files a day is left alone: merging would save nothing worth a rewrite.
MIN_FILES = 4


def exchange(a: Path, b: Path) -> None:
    """Swap two paths atomically (Linux ≥ 3.15, glibc ≥ 2.28); OSError when not supported."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        raise OSError("renameat2 absent de la bibliothèque C")
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(a))


@dataclass
class CompactionSummary:
    days_compacted: int = 0
    files_before: int = 0
    files_after: int = 0
    rows: int = 0
    days_unsettled: list[str] = field(default_factory=list)
    refused: str | None = None  # why nothing was done (no atomic exchange here)


def compact_log(
    root: Path,
    *,
    today: date,
    unsettled: Callable[[], Iterable[str]],
    min_age_days: int = 2,
) -> CompactionSummary:
    """`unsettled()` names the batches whose files must stay as they are (read under the lock)."""
    summary = CompactionSummary()
    if not root.exists():
        return summary
    with placement_lock(root, exclusive=True):
        batches = set(unsettled())
        cutoff = today - timedelta(days=min_age_days)
        for folder in sorted(root.glob("day=*")):
            day = folder.name.removeprefix("day=")
            if date.fromisoformat(day) > cutoff:
                continue
            files = sorted(folder.glob("*.parquet"))
            if len(files) < MIN_FILES:
                continue
            if any(batch_of(f) in batches for f in files):
                summary.days_unsettled.append(day)
                continue
            if any(set(pq.read_schema(f).names) - _KNOWN for f in files):
                summary.days_unsettled.append(f"{day} (colonnes inconnues)")  # never dropped
                continue
            try:
                rows = _compact_day(root, folder, files)
            except OSError as exc:
                summary.refused = f"échange atomique impossible ({exc}) : journal laissé tel quel"
                return summary
            summary.days_compacted += 1
            summary.files_before += len(files)
            summary.files_after += 1
            summary.rows += rows
    return summary


def _compact_day(root: Path, folder: Path, files: list[Path]) -> int:
    staging = root / f".compact-{folder.name}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    # Named after its content's files: compacting the same files again gives the same name.
    name = hashlib.sha256("\n".join(f.name for f in files).encode()).hexdigest()[:24]
    tmp = staging / f".compact-{name}.parquet.tmp"
    rows = 0
    # One file at a time (memory stays that of one file), each brought to the stored columns: files
    # of other writers or older versions may lack a column or mark one non-null.
    with pq.ParquetWriter(tmp, _STORED, compression="zstd") as writer:
        for f in files:
            part = _as_stored(pq.read_table(f))
            writer.write_table(part)
            rows += part.num_rows
    if pq.ParquetFile(tmp).metadata.num_rows != rows:
        raise OSError("relecture du fichier compacté incohérente")
    os.replace(tmp, staging / f"compact-{name}.parquet")
    try:
        exchange(staging, folder)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(staging)  # now the old small files
    return rows


# The stored columns, all nullable: what every file of a day can be read as.
_STORED = pa.schema([pa.field(f.name, f.type) for f in ARROW_SCHEMA])
# Columns a day's files may hold (`day` is the partition's own, written by DuckDB's COPY).
_KNOWN = {*_STORED.names, "day"}


def _as_stored(table: pa.Table) -> pa.Table:
    columns = [
        table[f.name].cast(f.type)
        if f.name in table.column_names
        else pa.nulls(table.num_rows, f.type)
        for f in _STORED
    ]
    return pa.Table.from_arrays(columns, schema=_STORED)
