"""Retention of the consultation log (CNIL: 6 to 12 months; up to 3 years for documented investigations).

Purging removes whole day partitions older than the retention period. Rows of the held pairs (agent × file:
those an open control holds, and those of a proven misuse during its investigation period) are first copied
to the legal-hold area: a purge never deletes what a held pair needs. The same purge applies the retention to
the legal hold: a copy older than the cutoff whose pair is no longer held is deleted. Copying is idempotent: an
event already in a day's hold is not copied again (a purge killed between the copy and the day's deletion).
Which pairs are held is decided by the controls (`parcours.controls.retention`); this module only applies it
to the files.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from parcours.consultlog.store import placement_lock

_HELD_FILE = re.compile(r"held-(\d+)\.parquet")


@dataclass(frozen=True)
class PurgeSummary:
    days_purged: int
    rows_purged: int
    rows_held: int
    # Legal-hold copies deleted because their pair is no longer held (and the day folders left empty).
    hold_rows_purged: int = 0
    hold_days_purged: int = 0


def hold_root(log_root: Path) -> Path:
    return log_root.parent / "legal_hold"


def purge_log(
    log_root: Path, *, cutoff: date, held_pairs: Iterable[tuple[str, str]], dry_run: bool = False
) -> PurgeSummary:
    """Delete day partitions strictly before `cutoff`, keeping the rows of `held_pairs` in the legal hold,
    and delete the legal-hold copies before `cutoff` whose pair is not in `held_pairs` any more."""
    keys = set(held_pairs)
    if not log_root.exists() and not hold_root(log_root).exists():
        return PurgeSummary(days_purged=0, rows_purged=0, rows_held=0)
    with placement_lock(log_root, exclusive=True):
        # Released copies first: the rows copied below belong to held pairs and would be kept anyway.
        hold_rows, hold_days = _release_hold(
            hold_root(log_root), cutoff=cutoff, keys=keys, dry_run=dry_run
        )
        summary = _purge_days(log_root, cutoff=cutoff, keys=keys, dry_run=dry_run)
    return PurgeSummary(
        days_purged=summary.days_purged,
        rows_purged=summary.rows_purged,
        rows_held=summary.rows_held,
        hold_rows_purged=hold_rows,
        hold_days_purged=hold_days,
    )


def _day_folders(root: Path, cutoff: date) -> list[tuple[date, Path]]:
    folders = ((date.fromisoformat(f.name.removeprefix("day=")), f) for f in root.glob("day=*"))
    return sorted((day, f) for day, f in folders if day < cutoff)


def _held_mask(table: pa.Table, keys: set[tuple[str, str]]) -> pa.ChunkedArray:
    pair = pc.binary_join_element_wise(table["agent_id"], table["de_id"], "\x1f")
    wanted = pa.array([f"{a}\x1f{d}" for a, d in keys], type=pa.string())
    return pc.fill_null(pc.is_in(pair, value_set=wanted), False)


def _purge_days(
    log_root: Path, *, cutoff: date, keys: set[tuple[str, str]], dry_run: bool
) -> PurgeSummary:
    days = rows = kept = 0
    for _, folder in _day_folders(log_root, cutoff):
        files = sorted(folder.glob("*.parquet"))
        table = pq.read_table(files) if files else None
        if table is not None and table.num_rows:
            rows += table.num_rows
            if keys:
                hit = table.filter(_held_mask(table, keys))
                if hit.num_rows:
                    # Counted as held even when an interrupted purge copied them already: it
                    # reported nothing, so each row is counted once in the trail.
                    kept += hit.num_rows
                    if not dry_run:
                        _copy_to_hold(hit, hold_root(log_root) / folder.name)
        days += 1
        if not dry_run:
            shutil.rmtree(folder)
    return PurgeSummary(days_purged=days, rows_purged=rows - kept, rows_held=kept)


def _copy_to_hold(rows: pa.Table, target: Path) -> None:
    """Add a day's held rows to its legal-hold folder, as one new whole file, skipping the events the
    folder holds already: a purge killed after the copy and before deleting the day leaves the day
    in the log, and the next purge would otherwise copy the same rows again."""
    target.mkdir(parents=True, exist_ok=True)
    present = sorted(target.glob("held-*.parquet"))
    if present:
        ids = pq.read_table(present, columns=["event_id"])["event_id"].combine_chunks()
        already = pc.fill_null(pc.is_in(rows["event_id"], value_set=ids), False)
        rows = rows.filter(pc.invert(already))
    if not rows.num_rows:
        return
    tmp = target / ".held.parquet.tmp"
    pq.write_table(rows, tmp, compression="zstd")
    tmp.replace(target / f"held-{_next_index(target)}.parquet")


def _next_index(folder: Path) -> int:
    # After the hold has been partly released the numbers have gaps: the next one follows the
    # highest, so that a new copy never replaces a kept one.
    found = (_HELD_FILE.fullmatch(f.name) for f in folder.glob("held-*.parquet"))
    return max((int(m[1]) for m in found if m), default=-1) + 1


def _release_hold(
    root: Path, *, cutoff: date, keys: set[tuple[str, str]], dry_run: bool
) -> tuple[int, int]:
    """Delete the legal-hold rows before `cutoff` whose pair is not held: (rows deleted, folders emptied).

    Each file is rewritten in place (written aside, then renamed over it) or removed, so that a purge
    interrupted half-way leaves only whole files, each with its rows or without the released ones."""
    if not root.exists():
        return 0, 0
    released = emptied = 0
    for _, folder in _day_folders(root, cutoff):
        files = sorted(folder.glob("held-*.parquet"))
        remaining = 0
        for path in files:
            table = pq.read_table(path)
            keep = table.filter(_held_mask(table, keys)) if keys else table.slice(0, 0)
            released += table.num_rows - keep.num_rows
            remaining += keep.num_rows
            if dry_run or keep.num_rows == table.num_rows:
                continue
            if keep.num_rows:
                tmp = folder / ".held.parquet.tmp"
                pq.write_table(keep, tmp, compression="zstd")
                tmp.replace(path)
            else:
                path.unlink()
        if not remaining:
            emptied += 1
            if not dry_run:
                shutil.rmtree(folder)
    return released, emptied
