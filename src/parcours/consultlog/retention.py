"""Retention of the consultation log (CNIL: 6 to 12 months; up to 3 years for documented investigations).

Purging removes whole day partitions older than the retention period. Rows of the held pairs (agent × file:
those an open control holds, and those of a proven misuse during its investigation period) are first copied
to the legal-hold area: a purge never deletes what a held pair needs. The same purge applies the retention to
the legal hold: a copy older than the cutoff whose pair is no longer held is deleted. Copying is idempotent: an
event already in a day's hold is not copied again (a purge killed between the copy and the day's deletion).
Which pairs are held is decided by the controls (`parcours.controls.retention`); this module only applies it
to the files.

The same purge applies the retention to the copies of consultations kept beside the log (`archives`: the
files the flow processed or refused, the import rejects): a file last written before the cutoff is deleted.

Deleting personal data is traced, every row in exactly one committed trail entry, wherever a purge is killed:
the trail is the commit point. A run moves what it deletes into its tombstones (`log/.purging/<run id>/`, on
the same filesystem: each move is atomic), has its counts recorded under its run id and committed, and only
then deletes them. A run that finds tombstones of an earlier one deletes them when the trail has that run's
entry (they were counted); otherwise that run never committed, and this one takes them over: counted, held rows
copied, deleted with its own. All of it under the log's exclusive lock, the commit included, so that no run
takes over the tombstones of a run about to commit.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from parcours.consultlog.store import placement_lock

_HELD_FILE = re.compile(r"held-(\d+)\.parquet")
# The kinds of tombstones, one folder each in a run's: log day folders, legal-hold files,
# legal-hold day folders left empty, and archived files.
_LOG, _HOLD, _EMPTIED, _ARCHIVE = "log", "hold", "emptied", "archive"


@dataclass(frozen=True)
class PurgeSummary:
    days_purged: int
    rows_purged: int
    rows_held: int
    # Legal-hold copies deleted because their pair is no longer held (and the day folders left empty).
    hold_rows_purged: int = 0
    hold_days_purged: int = 0
    # Of the rows counted above, those an interrupted purge had already moved aside untraced.
    rows_adopted: int = 0
    # Files of the archives (`purge_log(archives=...)`) deleted, those taken over included.
    archive_files_purged: int = 0


# `record(summary, run_id)` appends the run's trail entry and commits; `traced(run_ids)` returns
# those of the given runs that have a committed entry.
Record = Callable[[PurgeSummary, str], None]
Traced = Callable[[list[str]], Collection[str]]


def hold_root(log_root: Path) -> Path:
    return log_root.parent / "legal_hold"


def tombstones_root(log_root: Path) -> Path:
    return log_root.parent / ".purging"


def purge_log(
    log_root: Path,
    *,
    cutoff: date,
    held_pairs: Iterable[tuple[str, str]],
    dry_run: bool = False,
    record: Record | None = None,
    traced: Traced | None = None,
    archives: Sequence[Path] = (),
) -> PurgeSummary:
    """Delete day partitions strictly before `cutoff`, keeping the rows of `held_pairs` in the legal hold,
    and delete the legal-hold copies before `cutoff` whose pair is not in `held_pairs` any more.

    `record` is called once the deletions are ready and before anything is deleted for good (never on a
    dry run). Without `record` and `traced` (tools and tests that keep no trail) the return value is the
    only count, and every earlier run's tombstones are taken over. `archives` are folders of copies of
    consultations (processed inbox files, import rejects): their files last written before `cutoff`
    are deleted (the folders' own subfolders are left alone)."""
    keys = set(held_pairs)
    run_id = uuid.uuid4().hex
    graves = tombstones_root(log_root)
    if not any(p.exists() for p in (log_root, hold_root(log_root), graves, *archives)):
        summary = PurgeSummary(days_purged=0, rows_purged=0, rows_held=0)
        if record is not None and not dry_run:
            record(summary, run_id)
        return summary
    with placement_lock(log_root, exclusive=True):
        grave = None if dry_run else graves / run_id
        left = _leftovers(graves, traced=traced, into=grave)
        # Released copies first: the rows copied below belong to held pairs and would be kept anyway.
        hold_rows, hold_days, hold_adopted = _release_hold(
            hold_root(log_root), cutoff=cutoff, keys=keys, left=left, grave=grave
        )
        days, rows, kept, adopted = _purge_days(
            log_root, cutoff=cutoff, keys=keys, adopted=left.log_days, grave=grave
        )
        archived = _purge_archives(archives, cutoff=cutoff, adopted=left.archive_files, grave=grave)
        summary = PurgeSummary(
            days_purged=days,
            rows_purged=rows - kept,
            rows_held=kept,
            hold_rows_purged=hold_rows,
            hold_days_purged=hold_days,
            rows_adopted=adopted + hold_adopted,
            archive_files_purged=archived,
        )
        if grave is not None:
            if record is not None:
                record(summary, run_id)
            if grave.exists():
                shutil.rmtree(grave)
    return summary


@dataclass
class _Leftovers:
    """The tombstones of earlier runs that never committed, by kind."""

    log_days: list[Path] = field(default_factory=list)
    hold_files: list[Path] = field(default_factory=list)
    emptied: list[Path] = field(default_factory=list)
    archive_files: list[Path] = field(default_factory=list)


def _leftovers(graves: Path, *, traced: Traced | None, into: Path | None) -> _Leftovers:
    """Delete the tombstones of the traced runs (counted already) and take over those of the others:
    moved into this run's (`into`), left where they are by a dry run."""
    left = _Leftovers()
    runs = sorted(d for d in graves.iterdir() if d.is_dir()) if graves.exists() else []
    if not runs:
        return left
    done = set(traced([r.name for r in runs])) if traced is not None else set()
    for run in runs:
        if run.name not in done:
            for kind, found in (
                (_LOG, left.log_days),
                (_HOLD, left.hold_files),
                (_EMPTIED, left.emptied),
                (_ARCHIVE, left.archive_files),
            ):
                for entry in sorted((run / kind).glob("*")):
                    found.append(entry if into is None else _bury(entry, into / kind / entry.name))
        if into is not None:
            shutil.rmtree(run)  # counted already, or its tombstones moved into this run's
    return left


def _bury(path: Path, tombstone: Path) -> Path:
    tombstone.parent.mkdir(parents=True, exist_ok=True)
    os.rename(path, tombstone)
    return tombstone


def _tombstone_name(day: str, suffix: str = "") -> str:
    # Unique: the same day may be buried again (a late import) and taken over beside the first one.
    return f"{day}~{uuid.uuid4().hex[:12]}{suffix}"


def _day_of(tombstone: Path) -> str:
    return tombstone.name.split("~", 1)[0]


def _day_folders(root: Path, cutoff: date) -> list[tuple[date, Path]]:
    folders = ((date.fromisoformat(f.name.removeprefix("day=")), f) for f in root.glob("day=*"))
    return sorted((day, f) for day, f in folders if day < cutoff)


def _held_mask(table: pa.Table, keys: set[tuple[str, str]]) -> pa.ChunkedArray:
    pair = pc.binary_join_element_wise(table["agent_id"], table["de_id"], "\x1f")
    wanted = pa.array([f"{a}\x1f{d}" for a, d in keys], type=pa.string())
    return pc.fill_null(pc.is_in(pair, value_set=wanted), False)


def _kept(table: pa.Table, keys: set[tuple[str, str]]) -> pa.Table:
    return table.filter(_held_mask(table, keys)) if keys else table.slice(0, 0)


def _ids(tables: Iterable[pa.Table]) -> set[str]:
    return {i for t in tables for i in t["event_id"].to_pylist()}


def _purge_days(
    log_root: Path,
    *,
    cutoff: date,
    keys: set[tuple[str, str]],
    adopted: Sequence[Path],
    grave: Path | None,
) -> tuple[int, int, int, int]:
    """Copy the held rows of the days before `cutoff` (and of the days taken over) to the legal hold, and
    bury the days: (days, rows, rows held, rows taken over)."""
    days: set[str] = set()
    rows = kept = taken = 0
    sources = [(_day_of(t), t, True) for t in adopted]
    sources += [(f.name, f, False) for _, f in _day_folders(log_root, cutoff)]
    for day, folder, was_taken in sources:
        files = sorted(folder.glob("*.parquet"))
        table = pq.read_table(files) if files else None
        if table is not None and table.num_rows:
            rows += table.num_rows
            taken += table.num_rows if was_taken else 0
            hit = _kept(table, keys)
            if hit.num_rows:
                # Counted as held even when an interrupted purge copied them already: it
                # reported nothing, so each row is counted once in the trail.
                kept += hit.num_rows
                if grave is not None:
                    _copy_to_hold(hit, hold_root(log_root) / day)
        days.add(day)
        if grave is not None and not was_taken:
            _bury(folder, grave / _LOG / _tombstone_name(day))
    return len(days), rows, kept, taken


def _purge_archives(
    folders: Sequence[Path], *, cutoff: date, adopted: Sequence[Path], grave: Path | None
) -> int:
    """Bury the archived files last written before `cutoff` (midnight UTC: a file's time says when it
    was received, not in which Paris day): the count, those taken over included."""
    limit = datetime.combine(cutoff, time.min, tzinfo=UTC).timestamp()
    count = len(adopted)
    for folder in folders:
        for f in sorted(folder.iterdir()) if folder.is_dir() else []:
            if f.is_file() and f.stat().st_mtime < limit:
                count += 1
                if grave is not None:
                    _bury(f, grave / _ARCHIVE / f"{uuid.uuid4().hex[:12]}~{f.name}")
    return count


def _copy_to_hold(rows: pa.Table, target: Path, *, name: str | None = None) -> None:
    """Add a day's held rows to its legal-hold folder, as one new whole file (named `name` when it is
    free), skipping the events the folder holds already: a purge killed after the copy and before
    burying the day leaves the day in the log, and the next purge would otherwise copy the same rows
    again; kept rows written back after a release may be there already too."""
    present = sorted(target.glob("held-*.parquet"))
    if present:
        ids = pq.read_table(present, columns=["event_id"])["event_id"].combine_chunks()
        already = pc.fill_null(pc.is_in(rows["event_id"], value_set=ids), False)
        rows = rows.filter(pc.invert(already))
    if not rows.num_rows:
        return
    target.mkdir(parents=True, exist_ok=True)
    if name is None or (target / name).exists():
        name = f"held-{_next_index(target)}.parquet"
    tmp = target / ".held.parquet.tmp"
    pq.write_table(rows, tmp, compression="zstd")
    tmp.replace(target / name)


def _next_index(folder: Path) -> int:
    # After the hold has been partly released the numbers have gaps: the next one follows the
    # highest, so that a new copy never replaces a kept one.
    found = (_HELD_FILE.fullmatch(f.name) for f in folder.glob("held-*.parquet"))
    return max((int(m[1]) for m in found if m), default=-1) + 1


def _release_hold(
    root: Path,
    *,
    cutoff: date,
    keys: set[tuple[str, str]],
    left: _Leftovers,
    grave: Path | None,
) -> tuple[int, int, int]:
    """Delete the legal-hold rows before `cutoff` whose pair is not held, and finish the releases of the
    runs taken over: (rows deleted, day folders emptied, rows of those already moved aside untraced).

    A file with rows to release is buried, then its kept rows are written back under its name. Rows are
    counted by event: an interrupted run may have written back a copy of what it buried."""
    taken: dict[str, list[Path]] = {}
    for f in left.hold_files:
        taken.setdefault(_day_of(f), []).append(f)
    due = {f.name for _, f in _day_folders(root, cutoff)}
    emptied = {_day_of(e) for e in left.emptied}
    released = already_gone = 0
    for day in sorted(due | taken.keys()):
        folder = root / day
        present = {p: pq.read_table(p) for p in sorted(folder.glob("held-*.parquet"))}
        # A copy within the retention stays, held or not; so does a file with nothing to release.
        kept = {p: _kept(t, keys) for p, t in present.items()} if day in due else {}
        changed = [p for p, k in kept.items() if k.num_rows < present[p].num_rows]
        staying = [t for p, t in present.items() if p not in changed]
        buried = [pq.read_table(f) for f in taken.get(day, [])]
        buried_kept = [_kept(t, keys) for t in buried]
        gone = [*buried, *(present[p] for p in changed)]
        kept_ids = _ids([*buried_kept, *(kept[p] for p in changed)])
        if gone:
            deleted = _ids(gone) - kept_ids - _ids(staying)
            released += len(deleted)
            already_gone += len(deleted - _ids(present.values()))
        if grave is not None:
            for p in changed:
                _bury(p, grave / _HOLD / _tombstone_name(day, ".parquet"))
                _copy_to_hold(kept[p], folder, name=p.name)
            for k in buried_kept:
                _copy_to_hold(k, folder)
        if folder.exists() and not staying and not kept_ids:
            # A folder that held no rows (a copy killed before writing its file) is cleared away
            # but not counted: no held copy was deleted with it.
            if present or buried:
                emptied.add(day)
            if grave is not None:
                _bury(folder, grave / _EMPTIED / _tombstone_name(day))
    return released, len(emptied), already_gone
