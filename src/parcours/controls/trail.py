"""Watch the watchers: an append-only, hash-chained trail of who did what to which object.

Each entry's hash covers its own content and the previous entry's hash, so modifying, deleting or
reordering rows breaks the chain and `verify` reports where. Deleting the most recent rows leaves a
valid shorter chain: to catch that, keep the head (`head()`) somewhere else (a report, the CSV export,
a monitoring system) and pass it to `verify(known_head=...)`.

The CSV export is for people (the national team opens it in a spreadsheet) and for re-verification:
its text cells are neutralised against formula injection (`parcours.csvsafe`: a login or a value typed
as `=HYPERLINK(...)` gets a quote in front), and `read_csv` undoes exactly that before `verify_entries`
recomputes the chain, so the exported file verifies on its own (`parcours trail verify --csv FILE`).

Generic: the alert application records views, assignments and status changes; the web shell records the
trail's own exports; any domain may append its actions.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from parcours.csvsafe import SafeWriter, UnsafeCell, restore
from parcours.db import Base

GENESIS = "0" * 64
CSV_COLUMNS = (
    "seq",
    "ts",
    "actor",
    "action",
    "object_type",
    "object_id",
    "details",
    "prev_hash",
    "hash",
)


class TrailEntry(Base):
    __tablename__ = "trail_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120), index=True)
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(120))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


@dataclass(frozen=True)
class TrailHead:
    seq: int
    hash: str


@dataclass(frozen=True)
class Problem:
    seq: int | None
    reason: str

    def __str__(self) -> str:
        return f"entrée {self.seq} : {self.reason}" if self.seq is not None else self.reason


def canonical_json(details: dict[str, Any]) -> str:
    return json.dumps(
        details, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )


def _ts_text(ts: datetime) -> str:
    # Microsecond UTC text: identical whether the database returns aware or naive (SQLite) values.
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compute_hash(
    *,
    seq: int,
    ts: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    details: str,
    prev_hash: str,
) -> str:
    payload = "\x1f".join(
        [str(seq), _ts_text(ts), actor, action, object_type, object_id, details, prev_hash]
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _entry_hash(e: TrailEntry) -> str:
    return compute_hash(
        seq=e.seq,
        ts=e.ts,
        actor=e.actor,
        action=e.action,
        object_type=e.object_type,
        object_id=e.object_id,
        details=e.details,
        prev_hash=e.prev_hash,
    )


def _lock(session: Session) -> None:
    """Serialise appends: on PostgreSQL a transaction-scoped advisory lock; SQLite has one writer."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7461736)"))  # arbitrary fixed key


def head(session: Session) -> TrailHead | None:
    last = session.scalars(select(TrailEntry).order_by(TrailEntry.seq.desc()).limit(1)).first()
    return TrailHead(seq=last.seq, hash=last.hash) if last else None


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> TrailEntry:
    """Append one entry in the caller's transaction (it commits or rolls back with the action it
    records). The primary key on `seq` makes a forked chain impossible: a lost race is retried."""
    _lock(session)
    for _attempt in range(5):
        last = head(session)
        seq = last.seq + 1 if last else 1
        entry = TrailEntry(
            seq=seq,
            ts=(now or datetime.now(UTC)).astimezone(UTC),
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            details=canonical_json(details or {}),
            prev_hash=last.hash if last else GENESIS,
        )
        entry.hash = _entry_hash(entry)
        try:
            with session.begin_nested():
                session.add(entry)
            return entry
        except IntegrityError:
            continue
    raise RuntimeError("could not append to the trail after 5 attempts")


def verify(session: Session, *, known_head: TrailHead | None = None) -> list[Problem]:
    """Every break of the chain, in order; an empty list means the trail is intact."""
    entries = session.scalars(select(TrailEntry).order_by(TrailEntry.seq)).all()
    return verify_entries(entries, known_head=known_head)


def verify_entries(
    entries: Sequence[TrailEntry], *, known_head: TrailHead | None = None
) -> list[Problem]:
    problems: list[Problem] = []
    prev_hash = GENESIS
    expected_seq = 1
    for e in entries:
        if e.seq != expected_seq:
            problems.append(
                Problem(e.seq, f"numéro attendu {expected_seq} (entrée supprimée ou déplacée)")
            )
        if e.prev_hash != prev_hash:
            problems.append(Problem(e.seq, "ne suit pas l'entrée précédente (chaînage rompu)"))
        if _entry_hash(e) != e.hash:
            problems.append(Problem(e.seq, "contenu modifié (empreinte invalide)"))
        prev_hash = e.hash
        expected_seq = e.seq + 1
    if known_head is not None:
        by_seq = {e.seq: e for e in entries}
        kept = by_seq.get(known_head.seq)
        if kept is None:
            problems.append(
                Problem(known_head.seq, "entrée connue absente (fin du journal tronquée)")
            )
        elif kept.hash != known_head.hash:
            problems.append(Problem(known_head.seq, "diffère de l'empreinte connue"))
    return problems


def entries(
    session: Session,
    *,
    limit: int = 200,
    before_seq: int | None = None,
    object_type: str | None = None,
    actor: str | None = None,
) -> Sequence[TrailEntry]:
    """Newest first, for the national team's page."""
    query = select(TrailEntry).order_by(TrailEntry.seq.desc()).limit(limit)
    if before_seq is not None:
        query = query.where(TrailEntry.seq < before_seq)
    if object_type:
        query = query.where(TrailEntry.object_type == object_type)
    if actor:
        query = query.where(TrailEntry.actor == actor)
    return session.scalars(query).all()


def export_csv(session: Session) -> str:
    """The whole trail as CSV (UTF-8, CRLF line ends, one row per entry, oldest first), hashes
    included so that the export itself can be re-verified elsewhere (`read_csv`)."""
    buf = io.StringIO()
    write_csv(buf, session.scalars(select(TrailEntry).order_by(TrailEntry.seq)))
    return buf.getvalue()


def write_csv(out: io.TextIOBase | io.StringIO, rows: Iterable[TrailEntry]) -> None:
    w = SafeWriter(out)
    w.writerow(CSV_COLUMNS)
    for e in rows:
        w.writerow(
            [
                e.seq,
                _ts_text(e.ts),
                e.actor,
                e.action,
                e.object_type,
                e.object_id,
                e.details,
                e.prev_hash,
                e.hash,
            ]
        )


def read_csv(text: str) -> tuple[list[TrailEntry], list[Problem]]:
    """The entries of an export (`export_csv`), its cells restored as they were stored, and what
    could not be read (a row that is not one entry, a cell the export cannot have written); pass the
    entries to `verify_entries` to check the chain. Read the file with `newline=""`: a value may
    hold line breaks."""
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows, None)
    if header is None or tuple(header) != CSV_COLUMNS:
        return [], [Problem(None, f"en-tête attendu : {','.join(CSV_COLUMNS)}")]
    found: list[TrailEntry] = []
    problems: list[Problem] = []
    for row in rows:
        where = f"ligne {rows.line_num}"
        if len(row) != len(CSV_COLUMNS):
            problems.append(
                Problem(None, f"{where} : {len(row)} cellules, {len(CSV_COLUMNS)} attendues")
            )
            continue
        try:
            cells = dict(zip(CSV_COLUMNS, (restore(c) for c in row), strict=True))
        except UnsafeCell as exc:
            problems.append(Problem(None, f"{where} : {exc}"))
            continue
        try:
            seq = int(cells["seq"])
            ts = datetime.strptime(cells["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        except ValueError:
            problems.append(Problem(None, f"{where} : numéro ou horodatage illisible"))
            continue
        found.append(
            TrailEntry(
                seq=seq,
                ts=ts,
                actor=cells["actor"],
                action=cells["action"],
                object_type=cells["object_type"],
                object_id=cells["object_id"],
                details=cells["details"],
                prev_hash=cells["prev_hash"],
                hash=cells["hash"],
            )
        )
    return found, problems
