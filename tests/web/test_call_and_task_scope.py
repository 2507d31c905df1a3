"""A 3949 call or a back-office task opens the file only around it, with detection's own windows, and
each consultation it allows names it as its purpose.

Before, any call the agent ever handled on a file, and any task ever assigned to them on it (an open
task for ever, an old call for ever), put the file in their scope without a purpose, while detection
counts a consultation as explained only from `call_minutes_before` before a call to
`call_minutes_after` after it, and from `task_days_before` before a task to `task_days_after` after it
is closed (audit/explain/explanations.yaml): the application let through openings that detection then
flagged, untraced. The windows are read from detection's settings; the last test checks on random
calls, tasks and appointments that the application and detection draw the same line, to the
microsecond.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from parcours.accounts import dossier
from parcours.accounts.dossier import (
    PurposeRequired,
    file_relation,
    open_file,
    related_files,
    search_job_seekers,
)
from parcours.accounts.models import User
from parcours.accounts.roles import Role
from parcours.audit.engines.duckdb import DuckDBEngine
from parcours.audit.explain.contexts import build_facts, load_explanation_settings
from parcours.consultlog.models import BufferedConsultation
from parcours.db import session_scope
from parcours.registry.models import Appointment, Call, JobSeeker, Task
from parcours.web.app import create_app
from parcours.web.testing import World, login, seed_world

AGENT = "AG-0001"  # the agent of the world's counsellor account (test-conseiller)
CALLED = "DE-CALL-001"
TASKED = "DE-TASK-001"
US = timedelta(microseconds=1)
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def world(engine: Engine) -> World:
    with session_scope(engine) as s:
        world = seed_world(s)
        # Two files of the counsellor's agency that another counsellor follows: no portfolio link.
        for de_id, name in ((CALLED, "APPELANT"), (TASKED, "TACHERON")):
            s.add(JobSeeker(de_id=de_id, last_name=name, first_names="Léa", agency_id="AG-A1",
                            referent_agent_id="AG-0002", department_code="31"))  # fmt: skip
        return world


@pytest.fixture
def counsellor(engine: Engine, world: World) -> Iterator[tuple[Session, User]]:
    with Session(engine) as s:
        yield (
            s,
            s.scalars(
                select(User).where(User.login == world.accounts[Role.CONSEILLER].login)
            ).one(),
        )
        s.rollback()


def _add(engine: Engine, *rows: object) -> None:
    with session_scope(engine) as s:
        s.add_all(rows)


def test_the_windows_are_detections_own() -> None:
    """Read from detection's settings, not copied: changing a window there changes both."""
    w = load_explanation_settings().windows
    assert w == dossier.WINDOWS
    used = {
        "call_minutes_before": dossier.CALL_MINUTES_BEFORE,
        "call_minutes_after": dossier.CALL_MINUTES_AFTER,
        "task_days_before": dossier.TASK_DAYS_BEFORE,
        "task_days_after": dossier.TASK_DAYS_AFTER,
        "appointment_days_before": dossier.APPOINTMENT_DAYS_BEFORE,
        "appointment_days_after": dossier.APPOINTMENT_DAYS_AFTER,
    }
    assert used == {name: getattr(w, name) for name in used}


def _in_scope(s: Session, user: User, de_id: str, now: datetime) -> bool:
    relation = file_relation(s, user=user, de_id=de_id, now=now)
    assert (de_id in related_files(s, user=user, de_ids=[de_id], now=now)) is (relation is not None)
    return relation is not None


def test_a_call_opens_the_file_from_just_before_it_to_a_while_after_it_ends(
    engine: Engine, counsellor: tuple[Session, User]
) -> None:
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    end = start + timedelta(minutes=12)
    _add(
        engine, Call(call_id="APL-1", de_id=CALLED, agent_id=AGENT, started_at=start, ended_at=end)
    )
    s, user = counsellor
    lo = start - timedelta(minutes=dossier.CALL_MINUTES_BEFORE)
    hi = end + timedelta(minutes=dossier.CALL_MINUTES_AFTER)
    for now in (lo, start, end, hi):
        assert _in_scope(s, user, CALLED, now), now
    for now in (lo - US, hi + US, start + timedelta(days=30), start + timedelta(days=365)):
        assert not _in_scope(s, user, CALLED, now), now
        with pytest.raises(PurposeRequired):
            open_file(s, user, CALLED, action="view", now=now)
    # A call whose end was not recorded: its window closes after its start.
    _add(
        engine, Call(call_id="APL-2", de_id=TASKED, agent_id=AGENT, started_at=start, ended_at=None)
    )
    after = start + timedelta(minutes=dossier.CALL_MINUTES_AFTER)
    assert _in_scope(s, user, TASKED, after) and not _in_scope(s, user, TASKED, after + US)


def test_a_task_opens_the_file_from_before_its_creation_until_after_it_is_closed(
    engine: Engine, counsellor: tuple[Session, User]
) -> None:
    created = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    closed = created + timedelta(days=5)
    _add(
        engine,
        Task(task_id="TCH-1", de_id=TASKED, agent_id=AGENT, created_at=created, closed_at=closed, kind="courrier"),
        # Open: from before its creation, for as long as it stays open.
        Task(task_id="TCH-2", de_id=CALLED, agent_id=AGENT, created_at=created, closed_at=None, kind=None),
    )  # fmt: skip
    s, user = counsellor
    lo = created - timedelta(days=dossier.TASK_DAYS_BEFORE)
    hi = closed + timedelta(days=dossier.TASK_DAYS_AFTER)
    for now in (lo, created, closed, hi):
        assert _in_scope(s, user, TASKED, now), now
    for now in (lo - US, hi + US, created + timedelta(days=365)):
        assert not _in_scope(s, user, TASKED, now), now
    assert not _in_scope(s, user, CALLED, lo - US)
    for now in (lo, created + timedelta(days=365)):
        assert _in_scope(s, user, CALLED, now), now


def test_each_opening_names_the_call_or_the_task_as_its_purpose(
    engine: Engine, counsellor: tuple[Session, User]
) -> None:
    now = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    _add(
        engine,
        Call(call_id="APL-9", de_id=CALLED, agent_id=AGENT, started_at=now - timedelta(minutes=20),
             ended_at=now - timedelta(minutes=14)),
        Task(task_id="TCH-9", de_id=TASKED, agent_id=AGENT, created_at=now - timedelta(hours=3),
             closed_at=None, kind="courrier"),
    )  # fmt: skip
    s, user = counsellor
    call_view = open_file(s, user, CALLED, action="view", now=now, context="page test")
    task_view = open_file(s, user, TASKED, action="print", now=now)
    assert call_view.relation == "appel traité par vous : appel 3949 APL-9 du 02/03/2026 à 11:10"
    assert task_view.relation == (
        "tâche qui vous est confiée : tâche TCH-9 (courrier) créée le 02/03/2026, ouverte"
    )
    s.commit()  # the events are inserted with the request's transaction
    purposes = {e.de_id: e.purpose for e in s.scalars(select(BufferedConsultation))}
    assert purposes == {
        CALLED: "appel 3949 APL-9 du 02/03/2026 à 11:10; contexte : page test",
        TASKED: "tâche TCH-9 (courrier) créée le 02/03/2026, ouverte",
    }


@pytest.fixture
def counsellor_client(engine: Engine, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(engine=engine)) as c:
        login(c, world.accounts[Role.CONSEILLER], engine=engine)
        yield c


def test_the_pages_follow_the_same_rule(engine: Engine, counsellor_client: TestClient) -> None:
    """Today's call opens its file (logged with the call as purpose); last year's call and a task
    closed last month open nothing: the purpose form comes first. The search page says the same."""
    now = datetime.now(UTC)
    year_ago = now - timedelta(days=365)
    _add(
        engine,
        Call(call_id="APL-NOW", de_id=CALLED, agent_id=AGENT, started_at=now - timedelta(minutes=5), ended_at=None),
        Call(call_id="APL-OLD", de_id=TASKED, agent_id=AGENT, started_at=year_ago, ended_at=year_ago),
        Task(task_id="TCH-OLD", de_id=TASKED, agent_id=AGENT, created_at=year_ago,
             closed_at=now - timedelta(days=30), kind="courrier"),
    )  # fmt: skip
    c = counsellor_client
    page = c.get(f"/dossiers/{CALLED}")
    assert page.status_code == 200 and "appel traité par vous : appel 3949 APL-NOW" in page.text
    refused = c.get(f"/dossiers/{TASKED}", follow_redirects=False)
    assert refused.status_code == 303 and f"/dossiers/{TASKED}/motif" in refused.headers["location"]
    with Session(engine) as s:
        logged = s.scalars(select(BufferedConsultation)).all()
    assert [(e.de_id, (e.purpose or "")[:17]) for e in logged] == [(CALLED, "appel 3949 APL-NO")]
    for name, de_id, badge in (
        ("appelant", CALLED, "dans votre périmètre"),
        ("tacheron", TASKED, "motif requis"),
    ):
        results = c.get("/dossiers", params={"q": name}).text
        assert de_id in results and badge in results, name
    with Session(engine) as s:
        user = s.scalars(select(User).where(User.login == "test-conseiller")).one()
        hits = {h.de_id: h.in_scope for h in search_job_seekers(s, user, "appelant")}
        assert hits == {CALLED: True}
        hits = {h.de_id: h.in_scope for h in search_job_seekers(s, user, "tacheron")}
        assert hits == {TASKED: False}


# -- the application and detection draw the same line ---------------------------------------------

TS = pa.timestamp("us", tz="UTC")


def _detection_flags(
    appointments: list[tuple[str, str, datetime]],
    calls: list[tuple[str, str, datetime, datetime | None]],
    tasks: list[tuple[str, str, datetime, datetime | None]],
    probes: list[tuple[str, datetime]],
) -> list[bool]:
    """Whether detection explains a consultation of each probe's file by AGENT at its time by an
    appointment, a call about that file or a task (build_facts over the same records)."""
    files = sorted(
        {a[1] for a in appointments}
        | {c[1] for c in calls}
        | {t[1] for t in tasks}
        | {d for d, _ in probes}
    )
    pair = {"agent_id": pa.string(), "de_id": pa.string()}

    def table(schema: dict[str, pa.DataType], rows: list[tuple[object, ...]]) -> pa.Table:
        return pa.table(
            {c: pa.array([r[i] for r in rows], t) for i, (c, t) in enumerate(schema.items())}
        )

    n = len(probes)
    with DuckDBEngine(threads=1) as engine:
        engine.register_arrow(
            "in_appointments", table(pair | {"starts_at": TS}, list(appointments))
        )
        engine.register_arrow(
            "in_calls", table(pair | {"started_at": TS, "ended_at": TS}, list(calls))
        )
        engine.register_arrow(
            "in_tasks",
            table(pair | {"created_at": TS, "closed_at": TS, "closed_at_given": pa.bool_()},
                  [(*t, t[3] is not None) for t in tasks]),
        )  # fmt: skip
        engine.register_arrow(
            "file_refs",
            pa.table({
                "de_id": pa.array(files, pa.string()),
                "referent_agent_id": pa.array([None] * len(files), pa.string()),
                "agency_id": pa.array([None] * len(files), pa.string()),
                "name_key": pa.array([f"NOM{i}|X" for i in range(len(files))], pa.string()),  # no homonyms
            }),
        )  # fmt: skip
        engine.register_arrow(
            "located",
            pa.table({
                "event_id": [f"e{i}" for i in range(n)],
                "ts": pa.array([t for _, t in probes], TS),
                "agent_id": [AGENT] * n,
                "de_id": [d for d, _ in probes],
                "action": ["view"] * n,
                "local_date": pa.array([t.astimezone(PARIS).date() for _, t in probes], pa.date32()),
                "dow": pa.array([t.isoweekday() for _, t in probes], pa.int32()),
                "minute": pa.array([t.hour * 60 + t.minute for _, t in probes], pa.int32()),
                "name_key": pa.array([f"NOM{files.index(d)}|X" for d, _ in probes], pa.string()),
                **{c: [True] * n for c in ("known_agent", "known_file")},
                **{c: [False] * n for c in ("e_referent", "e_agency", "e_manager", "e_purpose")},
            }),
        )  # fmt: skip
        engine.register_arrow(
            "agent_hours",
            pa.table({"agent_id": pa.array([], pa.string()), "dow": pa.array([], pa.int32()),
                      "start_minute": pa.array([], pa.int32()), "end_minute": pa.array([], pa.int32())}),
        )  # fmt: skip
        engine.register_arrow(
            "agent_hours_basis",
            pa.table({"agent_id": pa.array([], pa.string()), "basis": pa.array([], pa.string())}),
        )
        engine.register_arrow(
            "public_holidays", pa.table({"local_date": pa.array([], pa.date32())})
        )
        build_facts(engine, load_explanation_settings())
        rows = engine.fetch_dicts(
            engine.render(
                "SELECT l.event_id, f.e_appointment OR f.e_call OR f.e_task AS explained FROM facts f "
                "JOIN (SELECT event_id, {{ hash64('event_id') }} AS h FROM located) l ON l.h = f.event_hash"
            )
        )
    by_id = {r["event_id"]: bool(r["explained"]) for r in rows}
    assert len(by_id) == n
    return [by_id[f"e{i}"] for i in range(n)]


def test_the_application_opens_exactly_what_detection_explains(
    engine: Engine, counsellor: tuple[Session, User]
) -> None:
    rng = random.Random(20261207)
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    files = ["DE-X1", "DE-X2", "DE-X3"]
    _add(engine, *(JobSeeker(de_id=d, last_name="ALEA", first_names="Noé", agency_id="AG-A1",
                             referent_agent_id="AG-0002", department_code="31") for d in files))  # fmt: skip

    def instant() -> datetime:
        return t0 + timedelta(minutes=rng.randrange(0, 20 * 24 * 60, 7))

    appointments = [(AGENT, rng.choice(files), instant()) for _ in range(3)]
    calls: list[tuple[str, str, datetime, datetime | None]] = []
    for _ in range(12):
        start = instant()
        calls.append((AGENT, rng.choice(files), start,
                      None if rng.random() < 0.25 else start + timedelta(minutes=rng.randrange(0, 60))))  # fmt: skip
    tasks: list[tuple[str, str, datetime, datetime | None]] = []
    for _ in range(4):
        start = instant()
        tasks.append((AGENT, rng.choice(files), start,
                      None if rng.random() < 0.3 else start + timedelta(days=rng.randrange(-3, 4))))  # fmt: skip
    # Another agent's call and task explain nothing for AGENT.
    calls.append(("AG-0003", files[0], t0, t0))
    tasks.append(("AG-0003", files[1], t0, None))
    w = dossier.WINDOWS
    probes = [
        (rng.choice(files), instant() + rng.choice([-US, timedelta(0), US])) for _ in range(150)
    ]
    for _, d, start, end in calls[:8]:  # on the edges of the windows, and just outside
        lo, hi = (
            start - timedelta(minutes=w.call_minutes_before),
            (end or start) + timedelta(minutes=w.call_minutes_after),
        )
        probes += [(d, lo - US), (d, lo), (d, hi), (d, hi + US)]
    for _, d, start, closed in tasks[:4]:
        lo = start - timedelta(days=w.task_days_before)
        probes += [(d, lo - US), (d, lo)]
        if closed is not None:
            hi = closed + timedelta(days=w.task_days_after)
            probes += [(d, hi), (d, hi + US)]
    for _, d, start in appointments:
        lo, hi = (
            start - timedelta(days=w.appointment_days_before),
            start + timedelta(days=w.appointment_days_after),
        )
        probes += [(d, lo - US), (d, lo), (d, hi), (d, hi + US)]
    _add(
        engine,
        *(Appointment(appointment_id=f"A{i}", de_id=d, agent_id=a, starts_at=t, kind="EDA", status="planned")
          for i, (a, d, t) in enumerate(appointments)),
        *(Call(call_id=f"C{i}", de_id=d, agent_id=a, started_at=t, ended_at=e) for i, (a, d, t, e) in enumerate(calls)),
        *(Task(task_id=f"T{i}", de_id=d, agent_id=a, created_at=t, closed_at=c, kind=None)
          for i, (a, d, t, c) in enumerate(tasks)),
    )  # fmt: skip
    s, user = counsellor
    application = [_in_scope(s, user, d, t) for d, t in probes]
    detection = _detection_flags(appointments, calls, tasks, probes)
    disagreements = [
        (p, a) for p, a, d in zip(probes, application, detection, strict=True) if a != d
    ]
    assert disagreements == []
    assert set(application) == {True, False}
