"""Retention of the consultation log (CNIL: 6 to 12 months; up to 3 years for documented investigations).

Purging removes whole day partitions older than the retention period. Rows that an open control holds
(the consultations of its agent × file) are first copied to the legal-hold area, which is kept until the
control is closed and the investigation period has passed: a purge never deletes what an open control holds.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from parcours.consultlog.store import placement_lock


@dataclass(frozen=True)
class PurgeSummary:
    days_purged: int
    rows_purged: int
    rows_held: int


def hold_root(log_root: Path) -> Path:
    return log_root.parent / "legal_hold"


def purge_log(
    log_root: Path, *, cutoff: date, held_pairs: Iterable[tuple[str, str]], dry_run: bool = False
) -> PurgeSummary:
    """Delete day partitions strictly before `cutoff`, keeping the rows of `held_pairs` in the legal hold."""
    keys = set(held_pairs)
    if not log_root.exists():
        return PurgeSummary(days_purged=0, rows_purged=0, rows_held=0)
    with placement_lock(log_root, exclusive=True):
        return _purge_days(log_root, cutoff=cutoff, keys=keys, dry_run=dry_run)


def _purge_days(
    log_root: Path, *, cutoff: date, keys: set[tuple[str, str]], dry_run: bool
) -> PurgeSummary:
    days = rows = kept = 0
    for folder in sorted(log_root.glob("day=*")):
        day = date.fromisoformat(folder.name.removeprefix("day="))
        if day >= cutoff:
            continue
        files = sorted(folder.glob("*.parquet"))
        table = pq.read_table(files) if files else None
        if table is not None and table.num_rows:
            rows += table.num_rows
            if keys:
                pair = pc.binary_join_element_wise(table["agent_id"], table["de_id"], "\x1f")
                wanted = pa.array([f"{a}\x1f{d}" for a, d in keys])
                hit = table.filter(pc.is_in(pair, value_set=wanted))
                if hit.num_rows:
                    kept += hit.num_rows
                    if not dry_run:
                        target = hold_root(log_root) / folder.name
                        target.mkdir(parents=True, exist_ok=True)
                        tmp = target / ".held.parquet.tmp"
                        pq.write_table(hit, tmp, compression="zstd")
                        tmp.replace(
                            target / f"held-{len(list(target.glob('held-*.parquet')))}.parquet"
                        )
        days += 1
        if not dry_run:
            shutil.rmtree(folder)
    return PurgeSummary(days_purged=days, rows_purged=rows - kept, rows_held=kept)
