"""Steering: orientations by organisation and modality, interview activity against targets,
partner capacities, and the proposal-versus-decision (deviation) report.

Reports aggregate initial decisions (the orientation given at registration); reorientations are
counted apart. Groups are any combination of département, agency and ISO week (Europe/Paris).
Everything here is aggregated: no job seeker appears in a report.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from parcours.config import get_settings
from parcours.orientation.library import RuleLibrary, default_library
from parcours.orientation.models import (
    OrientationDecision,
    OrientationInterview,
    OrientationProposal,
)
from parcours.registry.models import Appointment

GroupBy = Literal["department", "agency", "week"]
GroupKey = tuple[str, ...]


def _tz() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in local time, as UTC instants."""
    tz = _tz()
    lo = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return lo, hi


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.astimezone(_tz()).isocalendar()
    return f"{year}-W{week:02d}"


def _key(by: Sequence[GroupBy], department: str, agency: str, moment: datetime) -> GroupKey:
    parts = {"department": department, "agency": agency, "week": iso_week(moment)}
    return tuple(parts[b] for b in by)


@dataclass(frozen=True)
class DecisionRow:
    decision_id: str
    department: str
    agency: str
    decided_at: datetime
    organisation: str
    path: str
    modality: str
    changed: bool
    change_reason: str | None
    proposed_organisation: str
    proposed_path: str
    proposed_modality: str
    rule_version: str


def initial_decisions(
    session: Session, *, start: date, end: date, agencies: Collection[str] | None = None
) -> list[DecisionRow]:
    """Initial decisions of the period, with their proposals; `agencies` limits to a scope
    (None: every agency)."""
    lo, hi = utc_bounds(start, end)
    query = (
        select(OrientationDecision, OrientationProposal)
        .join(
            OrientationProposal, OrientationProposal.proposal_id == OrientationDecision.proposal_id
        )
        .where(
            OrientationDecision.kind == "initial",
            OrientationDecision.decided_at >= lo,
            OrientationDecision.decided_at < hi,
        )
        .order_by(OrientationDecision.decided_at)
    )
    if agencies is not None:
        query = query.where(OrientationDecision.agency_id.in_(list(agencies)))
    rows = session.execute(query).all()
    return [
        DecisionRow(
            decision_id=d.decision_id,
            department=d.department_code,
            agency=d.agency_id,
            decided_at=d.decided_at,
            organisation=d.organisation,
            path=d.path,
            modality=d.modality,
            changed=d.changed,
            change_reason=d.change_reason,
            proposed_organisation=p.organisation,
            proposed_path=p.path,
            proposed_modality=p.modality,
            rule_version=p.rule_version,
        )
        for d, p in rows
    ]


# --- orientations by organisation and modality ------------------------------------------------


@dataclass(frozen=True)
class OrientationTable:
    """Counts of decisions per group (rows) and outcome (columns), with row shares."""

    by: tuple[GroupBy, ...]
    dimension: Literal["organisation", "modality"]
    columns: tuple[str, ...]
    rows: dict[GroupKey, dict[str, int]]

    def total(self, key: GroupKey) -> int:
        return sum(self.rows[key].values())

    def share(self, key: GroupKey, column: str) -> float:
        total = self.total(key)
        return self.rows[key].get(column, 0) / total if total else 0.0


def orientation_table(
    session: Session,
    *,
    start: date,
    end: date,
    by: Sequence[GroupBy] = ("department",),
    dimension: Literal["organisation", "modality"] = "organisation",
    agencies: Collection[str] | None = None,
    library: RuleLibrary | None = None,
) -> OrientationTable:
    library = library or default_library()
    rows: dict[GroupKey, Counter[str]] = defaultdict(Counter)
    for d in initial_decisions(session, start=start, end=end, agencies=agencies):
        rows[_key(by, d.department, d.agency, d.decided_at)][getattr(d, dimension)] += 1
    stage = "organisation" if dimension == "organisation" else "modality"
    return OrientationTable(
        by=tuple(by),
        dimension=dimension,
        columns=library.context.outcomes[stage],
        rows={k: dict(v) for k, v in sorted(rows.items())},
    )


# --- interview activity -------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityRow:
    key: GroupKey
    edo_completed: int
    edo_drafts: int
    dpa_orientation: int  # in person, for registrants who do not speak French
    eda_done: int
    median_minutes: float | None
    p90_minutes: float | None
    over_target: int  # completed interviews longer than their target (15 min, 20 in MSA agencies)
    decisions: int
    changed: int
    reorientations: int

    @property
    def changed_share(self) -> float:
        return self.changed / self.decisions if self.decisions else 0.0


def activity(
    session: Session,
    *,
    start: date,
    end: date,
    by: Sequence[GroupBy] = ("department",),
    agencies: Collection[str] | None = None,
    library: RuleLibrary | None = None,
) -> list[ActivityRow]:
    library = library or default_library()
    lo, hi = utc_bounds(start, end)
    params = library.parameters
    in_scope = (
        OrientationInterview.agency_id.in_(list(agencies)) if agencies is not None else true()
    )
    interviews = session.execute(
        select(
            OrientationInterview.de_id,
            OrientationInterview.department_code,
            OrientationInterview.agency_id,
            OrientationInterview.started_at,
            OrientationInterview.status,
            OrientationInterview.duration_seconds,
            OrientationInterview.msa_experiment,
            OrientationInterview.dpa_orientation,
        ).where(
            OrientationInterview.started_at >= lo, OrientationInterview.started_at < hi, in_scope
        )
    ).all()
    completed: Counter[GroupKey] = Counter()
    drafts: Counter[GroupKey] = Counter()
    dpa: Counter[GroupKey] = Counter()
    over: Counter[GroupKey] = Counter()
    minutes: dict[GroupKey, list[float]] = defaultdict(list)
    place_of: dict[str, tuple[str, str]] = {}
    for r in interviews:
        key = _key(by, r.department_code, r.agency_id, r.started_at)
        place_of[r.de_id] = (r.department_code, r.agency_id)
        if r.status == "draft":
            drafts[key] += 1
            continue
        completed[key] += 1
        dpa[key] += r.dpa_orientation
        if r.duration_seconds is not None:
            day = r.started_at.astimezone(_tz()).date()
            name = "edo_target_minutes_msa" if r.msa_experiment else "edo_target_minutes"
            target = float(params.resolve(name, at=day, department=r.department_code).value)
            minutes[key].append(r.duration_seconds / 60)
            over[key] += r.duration_seconds / 60 > target
    # EDA are appointments of the accompaniment (scheduling domain); attributed to the agency of
    # the registrant's orientation interview.
    eda: Counter[GroupKey] = Counter()
    for de_id, starts_at in session.execute(
        select(Appointment.de_id, Appointment.starts_at).where(
            Appointment.kind == "EDA",
            Appointment.status == "done",
            Appointment.starts_at >= lo,
            Appointment.starts_at < hi,
        )
    ):
        if de_id in place_of:
            eda[_key(by, *place_of[de_id], starts_at)] += 1
    decided: Counter[GroupKey] = Counter()
    changed: Counter[GroupKey] = Counter()
    for d in initial_decisions(session, start=start, end=end, agencies=agencies):
        key = _key(by, d.department, d.agency, d.decided_at)
        decided[key] += 1
        changed[key] += d.changed
    reorientations: Counter[GroupKey] = Counter()
    for dep, agency, at in session.execute(
        select(
            OrientationDecision.department_code,
            OrientationDecision.agency_id,
            OrientationDecision.decided_at,
        ).where(
            OrientationDecision.kind == "reorientation",
            OrientationDecision.decided_at >= lo,
            OrientationDecision.decided_at < hi,
            OrientationDecision.agency_id.in_(list(agencies)) if agencies is not None else true(),
        )
    ):
        reorientations[_key(by, dep, agency, at)] += 1
    keys = sorted(set(completed) | set(drafts) | set(eda) | set(decided) | set(reorientations))
    return [
        ActivityRow(
            key=k,
            edo_completed=completed[k],
            edo_drafts=drafts[k],
            dpa_orientation=dpa[k],
            eda_done=eda[k],
            median_minutes=round(statistics.median(minutes[k]), 1) if minutes[k] else None,
            p90_minutes=round(_percentile(minutes[k], 0.9), 1) if minutes[k] else None,
            over_target=over[k],
            decisions=decided[k],
            changed=changed[k],
            reorientations=reorientations[k],
        )
        for k in keys
    ]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


# --- partner capacities -------------------------------------------------------------------------


@dataclass(frozen=True)
class CapacityStatus:
    capacity_id: str
    partner: str
    departments: tuple[str, ...]
    start: date
    end: date
    capacity: int
    used: int
    projected: int  # at the current pace, by the end of the period
    level: Literal["ok", "warning", "exceeded"]

    @property
    def message(self) -> str:
        if self.level == "exceeded":
            return f"{self.partner} : capacité dépassée ({self.used} orientations pour {self.capacity})"
        if self.level == "warning":
            return (
                f"{self.partner} : {self.used} orientations sur {self.capacity}, "
                f"{self.projected} attendues d'ici le {self.end.strftime('%d/%m/%Y')}"
            )
        return f"{self.partner} : {self.used} orientations sur {self.capacity}"


def capacity_status(
    session: Session, *, at: date, library: RuleLibrary | None = None
) -> list[CapacityStatus]:
    """Decisions in force drawing on each capacity open on `at`, with a warning when the
    capacity is reached, or will be at the current pace (or is above 90 %)."""
    library = library or default_library()
    statuses = []
    for cap in library.capacities:
        if not cap.start <= at <= cap.end:
            continue
        lo, _ = utc_bounds(cap.start, cap.end)
        _, hi = utc_bounds(cap.start, at)
        # Distinct registrants: a reorientation towards the same partner does not count twice.
        query = (
            select(OrientationDecision.de_id)
            .distinct()
            .where(
                OrientationDecision.department_code.in_(cap.departments),
                OrientationDecision.decided_at >= lo,
                OrientationDecision.decided_at < hi,
            )
        )
        if cap.kind == "programme":
            query = query.where(OrientationDecision.modality == cap.modality)
        else:
            query = query.where(OrientationDecision.organisation == cap.organisation)
        used = len(session.scalars(query).all())
        elapsed = (at - cap.start).days + 1
        total = (cap.end - cap.start).days + 1
        projected = round(used * total / elapsed)
        level: Literal["ok", "warning", "exceeded"] = "ok"
        if used > cap.capacity:
            level = "exceeded"
        elif projected > cap.capacity or used >= 0.9 * cap.capacity:
            level = "warning"
        statuses.append(
            CapacityStatus(
                cap.id,
                cap.partner,
                cap.departments,
                cap.start,
                cap.end,
                cap.capacity,
                used,
                projected,
                level,
            )
        )
    return statuses
