"""Alerts → controls. Each alert goes to the establishment of the agent concerned; an open control on the
same agent × file is updated rather than duplicated, so every scenario that fired on a situation forms
one control.

Dispatch is idempotent: the same alert sent twice (in one batch, by a re-run, by the flow re-reading its
window) changes nothing the second time, and a situation already examined (a closed control whose alerts
saw the same consultations) is not raised again; consultations after it open a new control."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from parcours.controls.models import Campaign, Control, ControlNote
from parcours.controls.protocol import OPEN_STATES, load_protocol
from parcours.registry.models import Agent

LEVEL_RANK = {"optional": 1, "mandatory": 2}
UNKNOWN_ESTABLISHMENT = "INCONNU"


@dataclass(frozen=True)
class AlertInput:
    """One detected situation, as produced by the detection engine."""

    alert_id: str
    agent_id: str
    de_id: str
    scenarios: tuple[str, ...]
    level: str
    score: float
    first_seen: datetime
    last_seen: datetime
    consultations: int
    reasons: tuple[str, ...]
    match_probability: float | None = None


@dataclass
class DispatchSummary:
    created: int = 0
    updated: int = 0
    # Alerts left out by the campaign's levels or situations.
    skipped_levels: int = 0
    # Alerts that brought nothing new to an open control (the same alert again, or the same facts).
    unchanged: int = 0
    # Alerts about consultations a closed control has already examined.
    already_examined: int = 0
    # Control ids created or updated, once each, per establishment (what its correspondents are told).
    by_establishment: dict[str, list[int]] = field(default_factory=dict)

    def touched(self, establishment_id: str, control_id: int) -> None:
        ids = self.by_establishment.setdefault(establishment_id, [])
        if control_id not in ids:
            ids.append(control_id)


def _agent_homes(session: Session, agent_ids: set[str]) -> dict[str, tuple[str, str | None]]:
    homes: dict[str, tuple[str, str | None]] = {}
    ids = sorted(agent_ids)
    for i in range(0, len(ids), 500):
        rows = session.execute(
            select(Agent.agent_id, Agent.establishment_id, Agent.agency_id).where(
                Agent.agent_id.in_(ids[i : i + 500])
            )
        )
        homes.update({a: (e, ag) for a, e, ag in rows})
    return homes


def _controls_by_pair(
    session: Session, pairs: set[tuple[str, str]]
) -> tuple[dict[tuple[str, str], Control], dict[tuple[str, str], list[Control]]]:
    """The open control of each pair, and its closed ones."""
    open_: dict[tuple[str, str], Control] = {}
    closed: dict[tuple[str, str], list[Control]] = {}
    agents = sorted({a for a, _ in pairs})
    for i in range(0, len(agents), 500):
        rows = session.scalars(
            select(Control)
            .where(Control.agent_id.in_(agents[i : i + 500]))
            .order_by(Control.control_id)
        )
        for c in rows:
            key = (c.agent_id, c.de_id)
            if key not in pairs:
                continue
            if c.state in OPEN_STATES:
                open_[key] = c
            else:
                closed.setdefault(key, []).append(c)
    return open_, closed


def _seen_by(control: Control, alert: AlertInput) -> bool:
    """Whether the control has already seen everything the alert reports: the alert itself, or the
    same consultations (a window inside its own, no more of them) and no situation it lacks."""
    if alert.alert_id in control.alert_ids:
        return True
    return (
        control.first_seen <= alert.first_seen
        and alert.last_seen <= control.last_seen
        and alert.consultations <= control.consultations
        and set(alert.scenarios) <= set(control.scenarios)
    )


def _adds_nothing(control: Control, alert: AlertInput) -> bool:
    """An open control is left as it is when the alert brings neither facts nor a higher risk."""
    return (
        _seen_by(control, alert)
        and LEVEL_RANK.get(alert.level, 0) <= LEVEL_RANK.get(control.level, 0)
        and alert.score <= control.score
        and set(alert.reasons) <= set(control.reasons)
    )


def dispatch_alerts(
    session: Session, *, campaign: Campaign, alerts: Iterable[AlertInput], now: datetime
) -> DispatchSummary:
    protocol = load_protocol()
    summary = DispatchSummary()
    wanted: dict[str, AlertInput] = {}
    for a in alerts:
        if a.level not in campaign.levels or not set(a.scenarios) & set(campaign.scenarios):
            summary.skipped_levels += 1
        else:
            wanted.setdefault(a.alert_id, a)  # the same alert twice is one alert
    if not wanted:
        return summary
    homes = _agent_homes(session, {a.agent_id for a in wanted.values()})
    existing, closed = _controls_by_pair(session, {(a.agent_id, a.de_id) for a in wanted.values()})
    today: date = protocol.local_day(now)
    for alert in wanted.values():
        key = (alert.agent_id, alert.de_id)
        control = existing.get(key)
        if control is None and any(_seen_by(c, alert) for c in closed.get(key, [])):
            summary.already_examined += 1
            continue
        if control is None:
            establishment, agency = homes.get(alert.agent_id, (UNKNOWN_ESTABLISHMENT, None))
            control = Control(
                campaign_id=campaign.campaign_id,
                establishment_id=establishment,
                agency_id=agency,
                agent_id=alert.agent_id,
                de_id=alert.de_id,
                scenarios=sorted(set(alert.scenarios)),
                main_scenario=alert.scenarios[0],
                level=alert.level,
                score=alert.score,
                match_probability=alert.match_probability,
                reasons=list(alert.reasons),
                alert_ids=[alert.alert_id],
                first_seen=alert.first_seen,
                last_seen=alert.last_seen,
                consultations=alert.consultations,
                state="pre_examination",
                step_due_on=protocol.due_date("pre_examination", today),
                created_at=now,
                updated_at=now,
                data={},
            )
            session.add(control)
            session.flush()
            existing[key] = control
            summary.created += 1
        elif _adds_nothing(control, alert):
            summary.unchanged += 1
            continue
        else:
            _merge(control, alert, now)
            session.add(
                ControlNote(
                    control_id=control.control_id,
                    at=now,
                    author="système",
                    kind="update",
                    body=f"Nouvelle alerte {alert.alert_id} ({', '.join(alert.scenarios)}) rattachée au contrôle",
                )
            )
            summary.updated += 1
        summary.touched(control.establishment_id, control.control_id)
    campaign.alerts_received += len(wanted)
    campaign.controls_created += summary.created
    campaign.controls_updated += summary.updated
    return summary


def _merge(control: Control, alert: AlertInput, now: datetime) -> None:
    control.scenarios = sorted(set(control.scenarios) | set(alert.scenarios))
    if alert.alert_id not in control.alert_ids:
        control.alert_ids = [*control.alert_ids, alert.alert_id]
        # A later, disjoint period adds its consultations; an overlapping one (detection in flow re-reads
        # a sliding window) must not count the same consultations twice.
        if alert.first_seen > control.last_seen:
            control.consultations += alert.consultations
        else:
            control.consultations = max(control.consultations, alert.consultations)
    control.reasons = list(dict.fromkeys([*control.reasons, *alert.reasons]))
    if LEVEL_RANK.get(alert.level, 0) > LEVEL_RANK.get(control.level, 0):
        control.level = alert.level
    if alert.score > control.score:
        control.score = alert.score
        control.main_scenario = alert.scenarios[0]
    control.first_seen = min(control.first_seen, alert.first_seen)
    control.last_seen = max(control.last_seen, alert.last_seen)
    if alert.match_probability is not None:
        control.match_probability = max(control.match_probability or 0.0, alert.match_probability)
    control.updated_at = now
    control.version += 1
