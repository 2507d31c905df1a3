"""Alerts → controls. Each alert goes to the establishment of the agent concerned; an open control on the
same agent × file is updated rather than duplicated, so every scenario that fired on a situation forms
one control."""

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
    skipped_levels: int = 0
    by_establishment: dict[str, list[int]] = field(default_factory=dict)


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


def _open_controls(session: Session, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], Control]:
    found: dict[tuple[str, str], Control] = {}
    agents = sorted({a for a, _ in pairs})
    for i in range(0, len(agents), 500):
        rows = session.scalars(
            select(Control).where(
                Control.agent_id.in_(agents[i : i + 500]), Control.state.in_(OPEN_STATES)
            )
        )
        for c in rows:
            if (c.agent_id, c.de_id) in pairs:
                found[(c.agent_id, c.de_id)] = c
    return found


def dispatch_alerts(
    session: Session, *, campaign: Campaign, alerts: Iterable[AlertInput], now: datetime
) -> DispatchSummary:
    protocol = load_protocol()
    wanted = [
        a
        for a in alerts
        if a.level in campaign.levels and set(a.scenarios) & set(campaign.scenarios)
    ]
    summary = DispatchSummary()
    summary.skipped_levels = 0
    if not wanted:
        return summary
    homes = _agent_homes(session, {a.agent_id for a in wanted})
    existing = _open_controls(session, {(a.agent_id, a.de_id) for a in wanted})
    today: date = now.date()
    for alert in wanted:
        key = (alert.agent_id, alert.de_id)
        control = existing.get(key)
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
        summary.by_establishment.setdefault(control.establishment_id, []).append(control.control_id)
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
