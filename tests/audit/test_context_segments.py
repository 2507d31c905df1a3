"""The context segments (context_segments.sql, by file, by name key and by the agent's local day)
give each consultation exactly the contexts whose window holds its time, as testing every window
directly would: overlapping and touching windows, inclusive bounds to the microsecond, open tasks,
inverted windows, calls about a homonym (also while a call about the file itself is open), calls
the telephony matched to no file (also across local midnight)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa

from parcours.audit.engines.duckdb import DuckDBEngine
from parcours.audit.explain.contexts import build_facts, load_explanation_settings

T0 = datetime(2024, 4, 1, tzinfo=UTC)
TS = pa.timestamp("us", tz="UTC")
KINDS = ("appointment", "call", "call_homonym", "call_unidentified", "task")
PARIS = ZoneInfo("Europe/Paris")
AGENT_HOURS = {
    "agent_id": pa.string(),
    "dow": pa.int32(),
    "start_minute": pa.int32(),
    "end_minute": pa.int32(),
}


def _flags(engine: DuckDBEngine, probes: list[tuple[str, str, datetime]]) -> list[tuple[bool, ...]]:
    """The explanation flags `build_facts` gives each probe (a consultation: agent, file, time)."""
    n = len(probes)
    engine.register_arrow(
        "probes",
        pa.table(
            {
                "event_id": [f"e{i}" for i in range(n)],
                "ts": pa.array([t for _, _, t in probes], TS),
                "agent_id": [a for a, _, _ in probes],
                "de_id": [d for _, d, _ in probes],
                "action": ["view"] * n,
                "local_date": pa.array(
                    [t.astimezone(PARIS).date() for _, _, t in probes], pa.date32()
                ),
                "dow": pa.array([t.isoweekday() for _, _, t in probes], pa.int32()),
                "minute": pa.array([t.hour * 60 + t.minute for _, _, t in probes], pa.int32()),
                **{
                    c: [c.startswith("known")] * n
                    for c in ("known_agent", "known_file", "e_referent", "e_agency")
                },
                **{c: [False] * n for c in ("e_manager", "e_purpose")},
            }
        ),
    )
    engine.create_table(
        "located",
        "SELECT p.*, r.name_key FROM probes p LEFT JOIN file_refs r ON r.de_id = p.de_id",
    )
    engine.register_arrow("agent_hours", _table(AGENT_HOURS, []))
    engine.register_arrow(
        "agent_hours_basis", _table({"agent_id": pa.string(), "basis": pa.string()}, [])
    )
    engine.register_arrow("public_holidays", _table({"local_date": pa.date32()}, []))
    build_facts(engine, load_explanation_settings())
    # facts keeps the event id's hash: the probes' ids are matched back through it
    flags = ", ".join(f"f.e_{k}" for k in KINDS)
    rows = engine.fetch_dicts(
        engine.render(
            f"SELECT l.event_id, {flags} FROM facts f JOIN (SELECT event_id, "
            "{{ hash64('event_id') }} AS h FROM located) l ON l.h = f.event_hash"
        )
    )
    assert len(rows) == n  # one row per consultation
    by_id = {r["event_id"]: tuple(bool(r[f"e_{k}"]) for k in KINDS) for r in rows}
    return [by_id[f"e{i}"] for i in range(n)]


def _table(schema: dict[str, pa.DataType], rows: Sequence[tuple[object, ...]]) -> pa.Table:
    """Rows given as tuples, in the order of the schema's columns."""
    return pa.table(
        {c: pa.array([r[i] for r in rows], t) for i, (c, t) in enumerate(schema.items())}
    )


def _register(
    engine: DuckDBEngine,
    appointments: list[tuple[str, str, datetime]],
    calls: list[tuple[str, str | None, datetime, datetime | None]],
    tasks: list[tuple[str, str, datetime, datetime | None]],
    name_keys: dict[str, str],
) -> None:
    pair = {"agent_id": pa.string(), "de_id": pa.string()}
    engine.register_arrow("in_appointments", _table(pair | {"starts_at": TS}, appointments))
    engine.register_arrow("in_calls", _table(pair | {"started_at": TS, "ended_at": TS}, calls))
    # As in_tasks: a task without a closing time is open (none was given).
    engine.register_arrow(
        "in_tasks",
        _table(
            pair | {"created_at": TS, "closed_at": TS, "closed_at_given": pa.bool_()},
            [(*t, t[3] is not None) for t in tasks],
        ),
    )
    engine.register_arrow(
        "file_refs",
        pa.table(
            {
                "de_id": pa.array(list(name_keys), pa.string()),
                "referent_agent_id": pa.array([None] * len(name_keys), pa.string()),
                "agency_id": pa.array([None] * len(name_keys), pa.string()),
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
    call = (False, True, False, False, False)
    none = (False, False, False, False, False)
    task = (False, False, False, False, True)
    assert got == [none, call, call, none, task]


def test_a_call_about_a_homonym_explains_even_while_the_file_has_its_own_call() -> None:
    minutes = lambda m: T0 + timedelta(minutes=m)  # noqa: E731
    with DuckDBEngine(threads=1) as engine:
        _register(
            engine,
            appointments=[],
            calls=[
                ("A", "Y", minutes(0), minutes(5)),  # about Y itself
                ("A", "Y", minutes(20), minutes(25)),  # about Y again, overlapping the first
                ("A", "Y", minutes(190), minutes(195)),  # about Y, later
                ("A", "X", minutes(200), minutes(205)),  # about X, a homonym of Y
                ("B", "Z", minutes(0), minutes(5)),  # another agent, another name
            ],
            tasks=[],
            name_keys={"X": "MARTIN|JEAN", "Y": "MARTIN|JEAN", "Z": "DUPONT|ANNE"},
        )
        got = _flags(
            engine,
            [
                ("A", "Y", minutes(30)),  # two calls about Y itself open: no homonym
                ("A", "X", minutes(30)),  # calls about Y, its homonym: explained
                ("A", "Y", minutes(210)),  # Y's own later call and the one about X
                ("A", "Y", minutes(320)),  # Y's own call over, X's still open
                ("A", "Y", minutes(400)),  # every window closed
                ("B", "X", minutes(1)),  # B's call was about another name
            ],
        )
    assert got == [
        (False, True, False, False, False),
        (False, False, True, False, False),
        (False, True, True, False, False),
        (False, False, True, False, False),
        (False, False, False, False, False),
        (False, False, False, False, False),
    ]


def test_a_call_matched_to_no_file_explains_the_agents_looks_around_it_across_midnight() -> None:
    """The telephony surfaced no file: whatever the agent opens from a few minutes before the call
    to a few minutes after it is looking the caller up, on either side of local midnight."""
    w = load_explanation_settings().windows
    start = datetime(2024, 4, 2, 23, 55, tzinfo=PARIS).astimezone(UTC)
    end = start + timedelta(minutes=10)  # 00:05 local, the next day
    lo = start - timedelta(minutes=w.unidentified_call_minutes_before)
    hi = end + timedelta(minutes=w.unidentified_call_minutes_after)
    us = timedelta(microseconds=1)
    with DuckDBEngine(threads=1) as engine:
        _register(
            engine,
            appointments=[],
            calls=[("A", None, start, end), ("B", "D", start, end)],
            tasks=[],
            name_keys={"D": "MARTIN|JEAN"},
        )
        got = _flags(
            engine,
            [
                ("A", "X", lo - us),
                ("A", "X", lo),  # 23:53 local
                ("A", "Y", end),  # 00:05 local, the next day
                ("A", "Y", hi),
                ("A", "Y", hi + us),
                ("B", "X", start),  # B's call was about D: not a caller to look up
            ],
        )
    unidentified = (False, False, False, True, False)
    none = (False, False, False, False, False)
    assert got == [none, unidentified, unidentified, unidentified, none, none]


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
    calls: list[tuple[str, str | None, datetime, datetime | None]] = []
    for _ in range(40):
        start = instant()
        ended = None if rng.random() < 0.2 else start + timedelta(minutes=rng.randrange(0, 90))
        agent, de = pair()
        calls.append((agent, None if rng.random() < 0.25 else de, start, ended))
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
        probes.append((a, d or "D1", s - timedelta(minutes=w.call_minutes_before)))
        probes.append((a, d or "D1", (e or s) + timedelta(minutes=w.call_minutes_after)))
        probes.append((a, "D2", s - timedelta(minutes=w.unidentified_call_minutes_before)))
        probes.append((a, "D2", (e or s) + timedelta(minutes=w.unidentified_call_minutes_after)))

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
            a == agent
            and d is not None
            and d != de
            and name_keys[d] == name_keys[de]
            and in_call(s, e)
            for a, d, s, e in calls
        )
        unidentified = any(
            a == agent
            and d is None
            and s - timedelta(minutes=w.unidentified_call_minutes_before)
            <= ts
            <= (e or s) + timedelta(minutes=w.unidentified_call_minutes_after)
            for a, d, s, e in calls
        )
        task = any(
            a == agent
            and d == de
            and s - timedelta(days=w.task_days_before) <= ts
            and (c is None or ts <= c + timedelta(days=w.task_days_after))
            for a, d, s, c in tasks
        )
        return (appointment, call, homonym, unidentified, task)

    with DuckDBEngine(threads=1) as engine:
        _register(engine, appointments, calls, tasks, name_keys)
        got = _flags(engine, probes)
    want = [expected(*p) for p in probes]
    assert got == want
    # The draw exercises every kind, covered and not.
    for k in range(len(KINDS)):
        assert {g[k] for g in got} == {True, False}
