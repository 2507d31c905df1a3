"""The job-seeker file ("dossier"): the ONE logged path to a job seeker's personal data.

Every page that shows a job seeker's data calls `open_file`, which checks the role, decides whether the
file is in the user's scope (a working relation) or needs a declared purpose, and records one event of
the consultation log (source 'app', application 'PARCOURS') in the request's own transaction before
returning anything (`consultlog.buffer`: flushed to the Parquet log in batches). Logging first means a
failure to log is a failure to show.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from parcours.accounts.models import User
from parcours.accounts.roles import ROLES_HANDLING_ALERTS, ROLES_READING_FILES, Role
from parcours.audit.explain.contexts import Windows, load_explanation_settings
from parcours.consultlog.buffer import record_events
from parcours.consultlog.store import ConsultationEvent, new_event_id
from parcours.errors import Forbidden, InvalidInput, NotFound, ParcoursError
from parcours.registry.models import Agency, Agent, Appointment, Call, JobSeeker, Task
from parcours.text import says_something

APPLICATION = "PARCOURS"

Action = Literal["view", "edit", "print", "export"]

# The purpose of the file views of the control of an alert (the control page declares it itself).
CONTROL_PURPOSE = "Contrôle d'une alerte de détournement de finalités"
# The short list offered when a file is opened outside one's scope; "Autre" requires free text.
PURPOSES: tuple[str, ...] = (
    "Appel 3949 — la téléphonie a fait remonter le mauvais dossier",
    "Appel 3949 — demande de la personne",
    "Remplacement d'un collègue absent",
    "Accueil en agence sans rendez-vous",
    "Traitement d'une demande d'un partenaire",
    CONTROL_PURPOSE,
    "Autre",
)
MIN_FREE_TEXT = 10
# The purpose is copied into every consultation event of the file for the next minutes: a sentence,
# not a document.
MAX_FREE_TEXT = 500


def purposes_for(role: Role) -> tuple[str, ...]:
    """The purposes `role` may declare: the control of an alert only by the roles that handle
    alerts (declared by anyone else, it would pass a consultation off as a control)."""
    if role in ROLES_HANDLING_ALERTS:
        return PURPOSES
    return tuple(p for p in PURPOSES if p != CONTROL_PURPOSE)


class PurposeRequired(ParcoursError):
    """The file is outside the user's scope and no purpose was declared: ask for one."""

    status_code = 428

    def __init__(self, de_id: str) -> None:
        self.de_id = de_id
        super().__init__(f"Un motif est requis pour ouvrir le dossier {de_id}.")


@dataclass(frozen=True)
class FileView:
    """What a page may show of one file, plus why it was allowed."""

    job_seeker: JobSeeker
    agency: Agency | None
    referent: Agent | None
    appointments: list[Appointment]
    calls: list[Call]
    tasks: list[Task]
    relation: str | None  # why the file is in scope, in French; None when opened with a purpose
    purpose: str | None
    event_id: str


def actor_id(user: User) -> str:
    """The agent id the consultation log records: the registry agent, or the account for staff
    who are not agents of the registry (national team)."""
    return user.agent_id or f"compte:{user.login}"


# A dated working relation - an appointment, a 3949 call, a back-office task - explains opening the file
# around it, not for ever. The windows are detection's own, read from its settings
# (audit/explain/explanations.yaml), never copied: an opening the application allows through such a
# relation is one that detection counts as explained, and changing a window changes both.
# - an appointment: from `appointment_days_before` before it starts to `appointment_days_after` after,
#   whoever booked it (one the job seeker booked themselves online is a working relation with the
#   counsellor who holds it, but only around that appointment);
# - a call the agent handled on this file: from `call_minutes_before` before it starts to
#   `call_minutes_after` after it ends (its start when its end is unknown);
# - a task assigned to the agent on this file: from `task_days_before` before its creation to
#   `task_days_after` after it is closed; while it is open, from then on.
WINDOWS: Windows = load_explanation_settings().windows
APPOINTMENT_DAYS_BEFORE = WINDOWS.appointment_days_before
APPOINTMENT_DAYS_AFTER = WINDOWS.appointment_days_after
CALL_MINUTES_BEFORE = WINDOWS.call_minutes_before
CALL_MINUTES_AFTER = WINDOWS.call_minutes_after
TASK_DAYS_BEFORE = WINDOWS.task_days_before
TASK_DAYS_AFTER = WINDOWS.task_days_after
# How the traces show the registry's UTC timestamps (the agents' time, as on the pages).
_PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Relation:
    """Why a file lies in a user's scope: `label` for the page, `trace` (when the relation is a
    dated event: an appointment, a call, a task) for the consultation event, which names it as its
    purpose."""

    label: str
    trace: str | None = None


def _utc(now: datetime | None) -> datetime:
    """`now` in UTC, as the registry stores its timestamps (SQLite compares them as text)."""
    return (now or datetime.now(UTC)).astimezone(UTC)


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # stored in UTC; SQLite hands it back naive
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_PARIS)


def _appointments_around(now: datetime) -> ColumnElement[bool]:
    """The appointments whose window holds `now` (UTC)."""
    return and_(
        Appointment.starts_at >= now - timedelta(days=APPOINTMENT_DAYS_AFTER),
        Appointment.starts_at <= now + timedelta(days=APPOINTMENT_DAYS_BEFORE),
    )


def _calls_around(now: datetime) -> ColumnElement[bool]:
    """The calls whose window holds `now` (UTC): started at most `call_minutes_before` later,
    ended (or, without an end, started) at most `call_minutes_after` earlier."""
    return and_(
        Call.started_at <= now + timedelta(minutes=CALL_MINUTES_BEFORE),
        func.coalesce(Call.ended_at, Call.started_at)
        >= now - timedelta(minutes=CALL_MINUTES_AFTER),
    )


def _tasks_around(now: datetime) -> ColumnElement[bool]:
    """The tasks whose window holds `now` (UTC): created at most `task_days_before` later, and still
    open or closed at most `task_days_after` earlier."""
    return and_(
        Task.created_at <= now + timedelta(days=TASK_DAYS_BEFORE),
        or_(Task.closed_at.is_(None), Task.closed_at >= now - timedelta(days=TASK_DAYS_AFTER)),
    )


def _appointment_trace(appointment: Appointment) -> str:
    return (
        f"rendez-vous {appointment.appointment_id} ({appointment.kind}) "
        f"du {_local(appointment.starts_at):%d/%m/%Y}"
    )


def _call_trace(call: Call) -> str:
    return f"appel 3949 {call.call_id} du {_local(call.started_at):%d/%m/%Y à %H:%M}"


def _task_trace(task: Task) -> str:
    kind = f" ({task.kind})" if task.kind else ""
    state = (
        f", close le {_local(task.closed_at):%d/%m/%Y}"
        if task.closed_at is not None
        else ", ouverte"
    )
    return f"tâche {task.task_id}{kind} créée le {_local(task.created_at):%d/%m/%Y}{state}"


def relation_of(
    session: Session, *, user: User, de_id: str, now: datetime | None = None
) -> Relation | None:
    """Why the file lies in the user's scope at `now`, or None. Only working relations count: the
    portfolio (referent); an appointment, a call or a task between the agent and the job seeker,
    each within its window (see WINDOWS); for a local manager, the files of their agency."""
    js = session.get(JobSeeker, de_id)
    if js is None:
        return None
    role = user.role_enum
    if role is Role.MANAGER and user.agency_id is not None and js.agency_id == user.agency_id:
        return Relation("dossier de votre agence")
    agent = user.agent_id
    if agent is None or role not in (Role.CONSEILLER, Role.MANAGER):
        return None
    if js.referent_agent_id == agent:
        return Relation("dossier de votre portefeuille")
    at = _utc(now)
    # (what, its window around `at`, which one to name first, label, trace): the first found wins.
    contexts: tuple[tuple[Any, ColumnElement[bool], Any, str, Callable[[Any], str]], ...] = (
        (Appointment, _appointments_around(at), Appointment.starts_at, "rendez-vous avec vous",
         _appointment_trace),
        (Call, _calls_around(at), Call.started_at.desc(), "appel traité par vous", _call_trace),
        (Task, _tasks_around(at), Task.created_at.desc(), "tâche qui vous est confiée", _task_trace),
    )  # fmt: skip
    for model, around, order, label, trace_of in contexts:
        found = session.scalars(
            select(model)
            .where(model.de_id == de_id, model.agent_id == agent, around)
            .order_by(order)
            .limit(1)
        ).first()
        if found is not None:
            trace = trace_of(found)
            return Relation(f"{label} : {trace}", trace=trace)
    return None


def file_relation(
    session: Session, *, user: User, de_id: str, now: datetime | None = None
) -> str | None:
    """Why the file lies in the user's scope (in French), or None: see `relation_of`."""
    relation = relation_of(session, user=user, de_id=de_id, now=now)
    return relation.label if relation else None


def validate_purpose(choice: str, free_text: str, role: Role) -> str:
    """The purpose text stored with the event, from the list choice and the free text."""
    choice, free_text = choice.strip(), free_text.strip()
    if choice not in purposes_for(role):
        raise InvalidInput("Choisissez un motif dans la liste.")
    if len(free_text) > MAX_FREE_TEXT:
        raise InvalidInput(f"Précisions trop longues ({MAX_FREE_TEXT} caractères au plus).")
    if choice == "Autre":
        if not says_something(free_text, at_least=MIN_FREE_TEXT):
            raise InvalidInput(
                f"Précisez le motif en quelques mots (au moins {MIN_FREE_TEXT} caractères)."
            )
        return free_text
    return f"{choice} — {free_text}" if says_something(free_text) else choice


def open_file(
    session: Session,
    user: User,
    de_id: str,
    *,
    action: Action,
    context: str | None = None,
    purpose: str | None = None,
    now: datetime | None = None,
) -> FileView:
    """Check, log, then return the file. Raises Forbidden (role), NotFound (no such file) or
    PurposeRequired (out of scope and no purpose). `context` names the page's reason to show the file
    (e.g. "rendez-vous APT-12"); it is stored in the event beside the purpose."""
    if user.role_enum not in ROLES_READING_FILES:
        raise Forbidden("Votre rôle ne donne pas accès aux dossiers des demandeurs d'emploi.")
    js = session.get(JobSeeker, de_id)
    if js is None:
        raise NotFound(f"Dossier {de_id} introuvable.")
    now = now or datetime.now(UTC)
    relation = relation_of(session, user=user, de_id=de_id, now=now)
    if relation is None and not purpose:
        raise PurposeRequired(de_id)
    # A dated relation (an appointment) is the purpose of this opening: the event names it, so that
    # the log shows which appointment let the agent in.
    stored = "; ".join(
        p
        for p in (
            purpose,
            relation.trace if relation else None,
            f"contexte : {context}" if context else None,
        )
        if p
    )
    event = ConsultationEvent(
        event_id=new_event_id(),
        ts=now,
        agent_id=actor_id(user),
        de_id=de_id,
        application=APPLICATION,
        action=action,
        purpose=stored or None,
        source="app",
    )
    view = FileView(
        job_seeker=js,
        agency=session.get(Agency, js.agency_id) if js.agency_id else None,
        referent=session.get(Agent, js.referent_agent_id) if js.referent_agent_id else None,
        appointments=list(
            session.scalars(
                select(Appointment)
                .where(Appointment.de_id == de_id)
                .order_by(Appointment.starts_at.desc())
            )
        ),
        calls=list(
            session.scalars(
                select(Call).where(Call.de_id == de_id).order_by(Call.started_at.desc())
            )
        ),
        tasks=list(
            session.scalars(
                select(Task).where(Task.de_id == de_id).order_by(Task.created_at.desc())
            )
        ),
        relation=relation.label if relation else None,
        purpose=purpose,
        event_id=event.event_id,
    )
    # With the request's unit of work: committed before the response leaves, or the file is not shown.
    record_events(session, [event])
    return view


@dataclass(frozen=True)
class SearchHit:
    """What a search result shows: enough to pick the right person, nothing of the file itself."""

    de_id: str
    last_name: str
    first_names: str
    birth_year: int | None
    agency_name: str | None
    in_scope: bool


def search_job_seekers(
    session: Session, user: User, query: str, *, limit: int = 30, now: datetime | None = None
) -> list[SearchHit]:
    """Search by name (prefix of the last or birth name, optionally followed by a first name). Each
    hit says whether the file is in the user's scope at `now`, by the rules of `relation_of`."""
    if user.role_enum not in ROLES_READING_FILES:
        raise Forbidden("Votre rôle ne donne pas accès aux dossiers des demandeurs d'emploi.")
    words = query.strip().split()
    if not words or len(words[0]) < 2:
        return []
    name = words[0].upper()
    stmt = (
        select(JobSeeker, Agency.name)
        .outerjoin(Agency, Agency.agency_id == JobSeeker.agency_id)
        .where(
            or_(_name_prefix(JobSeeker.last_name, name), _name_prefix(JobSeeker.birth_name, name))
        )
    )
    if len(words) > 1:
        stmt = stmt.where(
            func.upper(JobSeeker.first_names).contains(words[1].upper(), autoescape=True)
        )
    rows = session.execute(
        stmt.order_by(JobSeeker.last_name, JobSeeker.first_names).limit(limit)
    ).all()
    related = related_files(session, user=user, de_ids=[js.de_id for js, _ in rows], now=now)
    hits = []
    for js, agency_name in rows:
        bd: date | None = js.birth_date
        hits.append(
            SearchHit(
                de_id=js.de_id,
                last_name=js.last_name,
                first_names=js.first_names,
                birth_year=bd.year if bd else None,
                agency_name=agency_name,
                in_scope=js.de_id in related,
            )
        )
    return hits


def _name_prefix(
    column: InstrumentedAttribute[str | None] | InstrumentedAttribute[str], prefix: str
) -> ColumnElement[bool]:
    """upper(column) starts with prefix. The range lets the expression indexes on upper(name)
    (migration accounts_0001) serve the search; the LIKE keeps the result exact whatever the collation."""
    upper = func.upper(column)
    if ord(prefix[-1]) == sys.maxunicode:  # no next character: the range has no upper bound
        return and_(upper >= prefix, upper.startswith(prefix, autoescape=True))
    upper_bound = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(upper >= prefix, upper < upper_bound, upper.startswith(prefix, autoescape=True))


def related_files(
    session: Session, *, user: User, de_ids: list[str], now: datetime | None = None
) -> set[str]:
    """The subset of `de_ids` in the user's scope at `now`, by the rules of `relation_of` (the same
    windows), in at most five queries whatever the number of files (list pages)."""
    if not de_ids:
        return set()
    role = user.role_enum
    found: set[str] = set()
    if role is Role.MANAGER and user.agency_id is not None:
        found |= set(
            session.scalars(
                select(JobSeeker.de_id).where(
                    JobSeeker.de_id.in_(de_ids), JobSeeker.agency_id == user.agency_id
                )
            )
        )
    agent = user.agent_id
    if agent is None or role not in (Role.CONSEILLER, Role.MANAGER):
        return found
    found |= set(
        session.scalars(
            select(JobSeeker.de_id).where(
                JobSeeker.de_id.in_(de_ids), JobSeeker.referent_agent_id == agent
            )
        )
    )
    at = _utc(now)
    dated: list[
        tuple[InstrumentedAttribute[str | None] | InstrumentedAttribute[str], ColumnElement[bool]]
    ] = [
        (Appointment.de_id, and_(Appointment.agent_id == agent, _appointments_around(at))),
        (Call.de_id, and_(Call.agent_id == agent, _calls_around(at))),
        (Task.de_id, and_(Task.agent_id == agent, _tasks_around(at))),
    ]
    for column, around in dated:
        found |= {
            d
            for d in session.scalars(select(column).distinct().where(column.in_(de_ids), around))
            if d is not None
        }
    return found
