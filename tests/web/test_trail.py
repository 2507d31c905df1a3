"""The watchers' trail: the chain holds, and every kind of tampering is found (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import threading

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from parcours.controls import trail
from parcours.db import session_scope


def _fill(engine: Engine, n: int = 5) -> None:
    with session_scope(engine) as s:
        for i in range(n):
            trail.append(
                s,
                actor=f"user{i % 2}",
                action="view",
                object_type="alert",
                object_id=str(i),
                details={"i": i, "é": "accentué"},
            )


def _drop_guards(engine: Engine) -> None:
    """What a tamperer with schema rights does first: remove the append-only triggers."""
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            c.execute(text("DROP TRIGGER trail_entries_no_update ON trail_entries"))
        else:
            c.execute(text("DROP TRIGGER trail_entries_no_update"))
            c.execute(text("DROP TRIGGER trail_entries_no_delete"))


def _problems(engine: Engine, **kw: object) -> list[trail.Problem]:
    with Session(engine) as s:
        return trail.verify(s, **kw)  # type: ignore[arg-type]


def test_intact_chain_verifies(engine: Engine) -> None:
    _fill(engine)
    assert _problems(engine) == []
    with Session(engine) as s:
        head = trail.head(s)
    assert head is not None and head.seq == 5
    assert _problems(engine, known_head=head) == []


def test_modified_row_is_found(engine: Engine) -> None:
    _fill(engine)
    _drop_guards(engine)
    with engine.begin() as c:
        c.execute(text("UPDATE trail_entries SET actor = 'someone-else' WHERE seq = 3"))
    problems = _problems(engine)
    assert [p.seq for p in problems] == [3]
    assert "modifié" in problems[0].reason


def test_modified_details_are_found(engine: Engine) -> None:
    _fill(engine)
    _drop_guards(engine)
    with engine.begin() as c:
        c.execute(text("UPDATE trail_entries SET details = '{}' WHERE seq = 1"))
    assert [p.seq for p in _problems(engine)] == [1]


def test_deleted_row_is_found(engine: Engine) -> None:
    _fill(engine)
    _drop_guards(engine)
    with engine.begin() as c:
        c.execute(text("DELETE FROM trail_entries WHERE seq = 2"))
    problems = _problems(engine)
    assert {p.seq for p in problems} == {3}
    assert any("supprimée" in p.reason for p in problems)


def test_truncated_tail_is_found_with_a_known_head(engine: Engine) -> None:
    _fill(engine)
    _drop_guards(engine)
    with Session(engine) as s:
        head = trail.head(s)
    with engine.begin() as c:
        c.execute(text("DELETE FROM trail_entries WHERE seq >= 4"))
    assert _problems(engine) == []  # a shorter chain is still a chain...
    assert _problems(engine, known_head=head)  # ...which the head kept elsewhere exposes


def test_reordered_rows_are_found(engine: Engine) -> None:
    _fill(engine)
    _drop_guards(engine)
    # Swap the contents of entries 2 and 4 (a reorder that keeps the numbering).
    with engine.begin() as c:
        rows = {
            r.seq: r for r in c.execute(text("SELECT * FROM trail_entries WHERE seq IN (2, 4)"))
        }
        for seq, other in ((2, 4), (4, 2)):
            r = rows[other]
            c.execute(
                text(
                    "UPDATE trail_entries SET actor=:a, action=:b, object_id=:o, details=:d, "
                    "prev_hash=:p, hash=:h WHERE seq=:s"
                ),
                {
                    "a": r.actor,
                    "b": r.action,
                    "o": r.object_id,
                    "d": r.details,
                    "p": r.prev_hash,
                    "h": f"tmp{seq}" if seq == 2 else r.hash,
                    "s": seq,
                },
            )
        c.execute(text("UPDATE trail_entries SET hash=:h WHERE seq=2"), {"h": rows[4].hash})
    problems = _problems(engine)
    assert {p.seq for p in problems} >= {2, 4}


def test_rehashed_forgery_breaks_the_next_link(engine: Engine) -> None:
    """A forger who recomputes the hash of the row they changed still breaks the following row."""
    _fill(engine)
    _drop_guards(engine)
    with Session(engine) as s:
        e = s.get(trail.TrailEntry, 3)
        assert e is not None
        e.actor = "forger"
        e.hash = trail.compute_hash(
            seq=e.seq,
            ts=e.ts,
            actor=e.actor,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            details=e.details,
            prev_hash=e.prev_hash,
        )
        s.commit()
    assert [p.seq for p in _problems(engine)] == [4]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE trail_entries SET actor = 'x' WHERE seq = 1",
        "DELETE FROM trail_entries WHERE seq = 1",
    ],
)
def test_database_refuses_updates_and_deletes(engine: Engine, statement: str) -> None:
    _fill(engine, 2)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as c:
        c.execute(text(statement))
    assert _problems(engine) == []


def test_csv_export_carries_the_chain(engine: Engine) -> None:
    _fill(engine, 3)
    with Session(engine) as s:
        body = trail.export_csv(s)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["seq"] for r in rows] == ["1", "2", "3"]
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    assert rows[0]["prev_hash"] == trail.GENESIS
    assert '"é":"accentué"' in rows[0]["details"]


def test_concurrent_appends_never_fork_the_chain(engine: Engine) -> None:
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for i in range(10):
                with session_scope(engine) as s:
                    trail.append(
                        s, actor=f"w{k}", action="view", object_type="alert", object_id=str(i)
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with Session(engine) as s:
        assert trail.head(s).seq == 40  # type: ignore[union-attr]
    assert _problems(engine) == []
