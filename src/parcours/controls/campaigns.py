"""Launching a campaign: run detection over a period, dispatch its alerts to the establishments of the
agents concerned, and notify each establishment's correspondents through the outbox (same transaction).

Mails carry counts and a link only — never a name or a file number: the application is where personal data
is read, and that reading is logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from parcours.audit.scoring.score import ScoredSituation
from parcours.controls.dispatch import AlertInput, DispatchSummary
from parcours.controls.models import Campaign
from parcours.controls.recipients import handler_emails
from parcours.controls.service import LEVELS, launch_campaign
from parcours.errors import InvalidInput, Issue
from parcours.notify.outbox import enqueue_email


def alerts_from_detection(run_id: str, situations: Sequence[ScoredSituation]) -> list[AlertInput]:
    from parcours.audit.campaign import alert_id

    return [
        AlertInput(
            alert_id=alert_id(run_id, s.agent_id, s.de_id),
            agent_id=s.agent_id,
            de_id=s.de_id,
            scenarios=(s.main_scenario, *[x for x in s.scenarios if x != s.main_scenario]),
            level=s.level,
            score=s.score,
            first_seen=s.first_seen,
            last_seen=s.last_seen,
            consultations=s.consultations,
            reasons=tuple(s.reasons),
            match_probability=s.match_probability,
        )
        for s in situations
        if s.level in ("mandatory", "optional")
    ]


def notify_establishments(
    session: Session, *, campaign: Campaign, summary: DispatchSummary, base_url: str, now: datetime
) -> int:
    """One mail per correspondent of each establishment that received or saw updated controls."""
    sent = 0
    for establishment_id, control_ids in sorted(summary.by_establishment.items()):
        for email in handler_emails(session, establishment_id):
            enqueue_email(
                session,
                to=email,
                subject=f"Parcours : {len(control_ids)} contrôle(s) à examiner — {campaign.name}",
                body=(
                    f"Bonjour,\n\nLa campagne « {campaign.name} » (période du {campaign.period_start:%d/%m/%Y} "
                    f"au {campaign.period_end:%d/%m/%Y}) a transmis {len(control_ids)} contrôle(s) à votre "
                    f"établissement ({establishment_id}).\n\nConsultez-les dans l'application : {base_url}/alertes\n\n"
                    "Commencez par le pré-examen : un faux positif se clôt sans convoquer l'agent.\n"
                ),
                kind="controls_dispatched",
                ref=f"campaign:{campaign.campaign_id}:{establishment_id}",
                now=now,
            )
            sent += 1
    return sent


def check_campaign_request(*, scenarios: Sequence[str], levels: Sequence[str]) -> None:
    """Refuse unknown situations and levels before detection runs (minutes on a region): a typo would
    otherwise launch a campaign that sends nothing."""
    from parcours.audit.scenario import load_scenarios

    known = {s.id for s in load_scenarios()}
    issues = [
        Issue("situations", None, s, f"situation inconnue (connues : {', '.join(sorted(known))})")
        for s in scenarios
        if s not in known
    ]
    issues += [
        Issue("niveaux", None, lv, f"niveau inconnu (connus : {', '.join(LEVELS)})")
        for lv in levels
        if lv not in LEVELS
    ]
    if not scenarios:
        issues.append(Issue("situations", None, None, "choisir au moins une situation"))
    if not levels:
        issues.append(Issue("niveaux", None, None, "choisir au moins un niveau"))
    if issues:
        raise InvalidInput(issues)


def launch_detection_campaign(
    session: Session,
    *,
    name: str,
    start: date,
    end: date,
    scenarios: Sequence[str],
    levels: Sequence[str],
    launched_by: str,
    base_url: str = "http://127.0.0.1:8000",
    progress: bool = False,
) -> tuple[Campaign, DispatchSummary, str]:
    """Detection over [start, end], then dispatch and notification. Returns the campaign, the dispatch
    summary and the detection run id."""
    from parcours.audit.campaign import run_campaign

    check_campaign_request(scenarios=scenarios, levels=levels)
    result = run_campaign(start=start, end=end, progress=progress)
    now = datetime.now(UTC)
    campaign, summary = launch_campaign(
        session,
        name=name,
        period_start=start,
        period_end=end,
        scenarios=scenarios,
        levels=levels,
        launched_by=launched_by,
        alerts=alerts_from_detection(result.run_id, result.alerts),
        now=now,
    )
    notify_establishments(session, campaign=campaign, summary=summary, base_url=base_url, now=now)
    return campaign, summary, result.run_id
