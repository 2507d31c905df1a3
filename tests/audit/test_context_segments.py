"""The context segments (context_segments.sql) give each consultation exactly the contexts whose
window holds its time, as testing every window directly would: overlapping and touching windows,
inclusive bounds to the microsecond, open tasks, inverted windows, homonyms' calls."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pyarrow as pa

from parcours.audit.engines.duckdb import DuckDBEngine
from parcours.audit.explain.contexts import load_explanation_settings
from parcours.audit.sqlfiles import sql_file

T0 = datetime(2024, 4, 1, tzinfo=UTC)
TS = pa.timestamp("us", tz="UTC")
KINDS = ("appointment", "call", "call_homonym", "task")


def _flags(engine: DuckDBEngine, probes: list[tuple[str, str, datetime]]) -> list[tuple[bool, ...]]:
    engine.register_arrow(
        "probes",
        pa.table(
            {
                "i": list(range(len(probes))),
                "agent_id": [a for a, _, _ in probes],
                "de_id": [d for _, d, _ in probes],
                "ts": pa.array([t for _, _, t in probes], TS),
            }
        ),
    )
    windows = load_explanation_settings().windows.model_dump()
    engine.create_table("context_segments", engine.render(sql_file("context_segments"), windows))
    cols = ", ".join(f"coalesce(s.by_{k}, false) AS {k}" for k in KINDS)
    rows = engine.fetch_dicts(
        f"SELECT p.i, {cols} FROM probes p LEFT JOIN context_segments s"
        " ON s.agent_id = p.agent_id AND s.de_id = p.de_id"
        " AND p.ts >= s.seg_start AND (s.seg_end IS NULL OR p.ts < s.seg_end) ORDER BY p.i"
    )
    assert [r["i"] for r in rows] == list(range(len(probes)))  # one row per consultation
    return [tuple(bool(r[k]) for k in KINDS) for r in rows]


def _register(
    engine: DuckDBEngine,
    appointments: list[tuple[str, str, datetime]],
    calls: list[tuple[str, str, datetime, datetime | None]],
    tasks: list[tuple[str, str, datetime, datetime | None]],
    name_keys: dict[str, str],
) -> None:
    engine.register_arrow(
        "in_appointments",
        pa.table(
            {
                "agent_id": pa.array([a for a, _, _ in appointments], pa.string()),
                "de_id": pa.array([d for _, d, _ in appointments], pa.string()),
                "starts_at": pa.array([t for _, _, t in appointments], TS),
            }
        ),
    )
    engine.register_arrow(
        "in_calls",
        pa.table(
            {
                "agent_id": pa.array([c[0] for c in calls], pa.string()),
                "de_id": pa.array([c[1] for c in calls], pa.string()),
                "started_at": pa.array([c[2] for c in calls], TS),
                "ended_at": pa.array([c[3] for c in calls], TS),
            }
        ),
    )
    engine.register_arrow(
        "in_tasks",
        pa.table(
            {
                "agent_id": pa.array([t[0] for t in tasks], pa.string()),
                "de_id": pa.array([t[1] for t in tasks], pa.string()),
                "created_at": pa.array([t[2] for t in tasks], TS),
                "closed_at": pa.array([t[3] for t in tasks], TS),
            }
        ),
    )
    engine.register_arrow(
        "js_name_keys",
        pa.table(
            {
                "de_id": pa.array(list(name_keys), pa.string()),
                "name_key": pa.array(list(name_keys.values()), pa.string()),
            }
        ),
    )


def test_bounds_are_inclusive_to_the_microsecond_and_inverted_windows_explain_nothing() -> None:
    w = load_explanation_settings().windows
    end = T0 + timedelta(hours=1)
    hi = end + timedelta(minutes=w.call_minutes_after)
    lo = T0 - timedelta(minutes=w.call_minutes_before)
    us = timedelta(microseconds=1)
    with DuckDBEngine(threads=1) as engine:
        _register(
            engine,
            appointments=[],
            calls=[("A", "D", T0, end)],
            tasks=[
                # Closed before it was created: covers nothing, and must not cancel the open task.
                ("A", "D", T0 + timedelta(days=3), T0 - timedelta(days=3)),
                ("A", "D2", T0 - timedelta(days=1), None),
                ("A", "D2", T0 + timedelta(days=3), T0 - timedelta(days=3)),
            ],
            name_keys={},
        )
        got = _flags(
            engine,
            [
                ("A", "D", lo - us),
                ("A", "D", lo),
                ("A", "D", hi),
                ("A", "D", hi + us),
                ("A", "D2", T0),
            ],
        )
    call = (False, True, False, False)
    none = (False, False, False, False)
    task = (False, False, False, True)
    assert got == [none, call, call, none, task]


def test_segments_agree_with_testing_every_window() -> None:
    w = load_explanation_settings().windows
    rng = random.Random(20261206)
    agents, files = ["A1", "A2"], ["D1", "D2", "D3"]
    name_keys = {"D1": "MARTIN|JEAN", "D2": "MARTIN|JEAN", "D3": "DUPONT|ANNE"}

    def instant() -> datetime:
        # Minutes on a short span so that windows overlap, touch and nest often.
        return T0 + timedelta(minutes=rng.randrange(0, 30 * 24 * 60, 7))

    def pair() -> tuple[str, str]:
        return rng.choice(agents), rng.choice(files)

    appointments = [(*pair(), instant()) for _ in range(12)]
    calls = []
    for _ in range(30):
        start = instant()
        ended = None if rng.random() < 0.2 else start + timedelta(minutes=rng.randrange(0, 90))
        calls.append((*pair(), start, ended))
    tasks = []
    for _ in range(10):
        start = instant()
        closed = None if rng.random() < 0.3 else start + timedelta(days=rng.randrange(-5, 6))
        tasks.append((*pair(), start, closed))
    probes = [
        (*pair(), instant() + timedelta(microseconds=rng.choice([-1, 0, 1]))) for _ in range(3000)
    ]
    # Exactly on window edges too.
    for a, d, s, e in calls[:10]:
        probes.append((a, d, s - timedelta(minutes=w.call_minutes_before)))
        probes.append((a, d, (e or s) + timedelta(minutes=w.call_minutes_after)))

    def expected(agent: str, de: str, ts: datetime) -> tuple[bool, ...]:
        appointment = any(
            a == agent
            and d == de
            and s - timedelta(days=w.appointment_days_before)
            <= ts
            <= s + timedelta(days=w.appointment_days_after)
            for a, d, s in appointments
        )

        def in_call(s: datetime, e: datetime | None) -> bool:
            return (
                s - timedelta(minutes=w.call_minutes_before)
                <= ts
                <= (e or s) + timedelta(minutes=w.call_minutes_after)
            )

        call = any(a == agent and d == de and in_call(s, e) for a, d, s, e in calls)
        homonym = any(
            a == agent and d != de and name_keys[d] == name_keys[de] and in_call(s, e)
            for a, d, s, e in calls
        )
        task = any(
            a == agent
            and d == de
            and s - timedelta(days=w.task_days_before) <= ts
            and (c is None or ts <= c + timedelta(days=w.task_days_after))
            for a, d, s, c in tasks
        )
        return (appointment, call, homonym, task)

    with DuckDBEngine(threads=1) as engine:
        _register(engine, appointments, calls, tasks, name_keys)
        got = _flags(engine, probes)
    want = [expected(*p) for p in probes]
    assert got == want
    # The draw exercises every kind, covered and not.
    for k in range(len(KINDS)):
        assert {g[k] for g in got} == {True, False}
