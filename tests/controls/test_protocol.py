from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from parcours.accounts.roles import Role
from parcours.accounts.service import create_user
from parcours.controls import service
from parcours.controls.dispatch import AlertInput
from parcours.controls.guides import all_guides, get_guide
from parcours.controls.models import Campaign, ControlReport
from parcours.controls.protocol import apply_transition, is_overdue, load_protocol, needs_reminder
from parcours.controls.report import generate_report
from parcours.errors import Conflict, InvalidInput, NotFound
from parcours.registry.models import Agency, Agent, Establishment

NOW = datetime(2024, 7, 15, 9, 0, tzinfo=UTC)


def alert(
    alert_id: str, agent: str, de: str, scenario: str, level: str = "mandatory", score: float = 80.0
) -> AlertInput:
    return AlertInput(
        alert_id=alert_id,
        agent_id=agent,
        de_id=de,
        scenarios=(scenario,),
        level=level,
        score=score,
        first_seen=NOW - timedelta(days=30),
        last_seen=NOW - timedelta(days=2),
        consultations=3,
        reasons=("Aucun contexte professionnel",),
        match_probability=0.99,
    )


def seed_registry(session: Session) -> None:
    session.add_all(
        [
            Establishment(
                establishment_id="DR76", name="DR Occitanie", kind="DR", region_code="76"
            ),
            Establishment(
                establishment_id="DR11", name="DR Île-de-France", kind="DR", region_code="11"
            ),
        ]
    )
    session.flush()
    session.add_all(
        [
            Agency(agency_id="A31", name="Toulouse", establishment_id="DR76", department_code="31", msa_experiment=False),
            Agent(agent_id="AG1", last_name="DUPONT", birth_name=None, first_names="Anne", establishment_id="DR76",
                  agency_id="A31", job="conseiller"),
            Agent(agent_id="AG2", last_name="MARTIN", birth_name=None, first_names="Luc", establishment_id="DR11",
                  agency_id=None, job="gdd"),
        ]
    )  # fmt: skip
    session.flush()


def one_control(s: Session) -> tuple[Campaign, int]:
    """The registry and a campaign of one mandatory alert about AG1 (Toulouse): its campaign and
    the id of its control."""
    seed_registry(s)
    camp, summary = service.launch_campaign(
        s, name="c", period_start=date(2024, 4, 1), period_end=date(2024, 6, 30), scenarios=["x"],
        levels=["mandatory"], launched_by="dpo", now=NOW, alerts=[alert("a1", "AG1", "DE1", "x")],
    )  # fmt: skip
    return camp, summary.by_establishment["DR76"][0]


def test_dispatch_routes_to_agent_establishment_and_deduplicates(engine: Engine) -> None:
    with Session(engine) as s:
        seed_registry(s)
        camp, summary = service.launch_campaign(
            s, name="Vague test", period_start=date(2024, 4, 1), period_end=date(2024, 6, 30),
            scenarios=["w2_current_agent", "w2_off_hours", "w2_protected"], levels=["mandatory", "optional"],
            launched_by="dpo", now=NOW,
            alerts=[
                alert("a1", "AG1", "DE1", "w2_current_agent"),
                alert("a2", "AG1", "DE1", "w2_off_hours", level="optional", score=30),
                alert("a3", "AG2", "DE2", "w2_protected", level="optional", score=40),
                alert("a4", "AG9", "DE3", "w2_protected"),  # agent absent from the registry
                alert("a5", "AG1", "DE4", "w1_political"),  # scenario not in the campaign
            ],
        )  # fmt: skip
        s.commit()
        assert (summary.created, summary.updated) == (3, 1)
        assert sorted(summary.by_establishment) == ["DR11", "DR76", "INCONNU"]
        c1 = service.get_control(s, summary.by_establishment["DR76"][0])
        assert c1.scenarios == ["w2_current_agent", "w2_off_hours"]
        assert (
            c1.level == "mandatory" and c1.alert_ids == ["a1", "a2"] and c1.consultations == 3
        )  # same window: max
        assert camp.alerts_received == 4 and camp.controls_created == 3
        # A second campaign raising the same open situation updates it instead of duplicating
        # (with the same consultations, it leaves it as it is).
        later = replace(
            alert("a7", "AG1", "DE1", "w2_current_agent"), last_seen=NOW, consultations=4
        )
        _, again = service.launch_campaign(
            s, name="Flux", period_start=date(2024, 7, 1), period_end=date(2024, 7, 14),
            scenarios=["w2_current_agent"], levels=["mandatory"], launched_by="système", now=NOW,
            alerts=[alert("a6", "AG1", "DE1", "w2_current_agent"), later], mode="flow",
        )  # fmt: skip
        assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
        assert c1.alert_ids == ["a1", "a2", "a7"] and c1.consultations == 4


def test_false_positive_closed_at_pre_examination_with_structured_reason(engine: Engine) -> None:
    with Session(engine) as s:
        _, cid = one_control(s)
        with pytest.raises(InvalidInput) as err:
            service.transition(
                s, control_id=cid, name="close_false_positive", fields={}, actor="m", now=NOW
            )
        assert {i.column for i in err.value.issues} == {"fp_reason", "fp_comment"}
        with pytest.raises(InvalidInput):
            service.transition(
                s, control_id=cid, name="close_false_positive",
                fields={"fp_reason": "invented", "fp_comment": "x"}, actor="m", now=NOW,
            )  # fmt: skip
        c = service.transition(
            s, control_id=cid, name="close_false_positive",
            fields={"fp_reason": "call_3949_wrong_file", "fp_comment": "Appel du 12/05 tracé"}, actor="m", now=NOW,
        )  # fmt: skip
        assert (c.state, c.outcome, c.closing_reason) == (
            "closed",
            "false_positive",
            "call_3949_wrong_file",
        )
        with pytest.raises(Conflict):
            service.transition(
                s, control_id=cid, name="schedule_interview", fields={}, actor="m", now=NOW
            )


def manager_account(s: Session, login: str = "manager-31", *, agent_id: str | None = None) -> None:
    """An account of a manager of agency A31 (Toulouse, DR76)."""
    create_user(
        s, login=login, display_name=login, role=Role.MANAGER, establishment_id="DR76",
        agency_id="A31", agent_id=agent_id, password=None, password_hash="$argon2id$v=19$m=1$x$y",
        email=f"{login}@example.org",
    )  # fmt: skip


def test_full_protocol_to_proven_requires_reminder_and_report(engine: Engine) -> None:
    with Session(engine) as s:
        _, cid = one_control(s)
        manager_account(s)
        service.assign(s, control_id=cid, assignee="manager-31", actor="corr", now=NOW)
        service.record_agent_explanation(
            s, control_id=cid, agent_id="AG1", body="Je pensais aider un collègue.", now=NOW
        )
        with pytest.raises(NotFound):
            service.record_agent_explanation(
                s, control_id=cid, agent_id="AG2", body="pas mon contrôle", now=NOW
            )
        c = service.transition(
            s,
            control_id=cid,
            name="schedule_interview",
            fields={"pre_examination_notes": "Aucun rendez-vous ni appel"},
            actor="m",
            now=NOW,
        )
        assert c.state == "interview" and c.step_due_on == NOW.date() + timedelta(days=30)
        service.transition(
            s, control_id=cid, name="record_interview",
            fields={"interview_date": "2024-07-15", "participants": "ELD, agent", "agent_explanation": "Curiosité"},
            actor="m", now=NOW,
        )  # fmt: skip
        finding = {
            "outcome": "proven",
            "justification": "Aucun motif de service",
            "rules_reminder_acknowledged": True,
        }
        with pytest.raises(InvalidInput) as err:
            service.transition(
                s, control_id=cid, name="conclude", fields=finding, actor="m", now=NOW
            )
        assert [i.column for i in err.value.issues] == ["report_generated"]
        report = generate_report(
            s, control=service.get_control(s, cid), fields=finding, author="m", now=NOW
        )
        assert report.pdf.startswith(b"%PDF") and len(report.sha256) == 64
        c = service.transition(
            s, control_id=cid, name="conclude", fields=finding, actor="m", now=NOW
        )
        assert (c.state, c.outcome) == ("closed", "proven")
        assert c.data["report_sha256"] == report.sha256
        s.commit()
        assert s.query(ControlReport).count() == 1
        kinds = [n.kind for n in service.notes(s, cid)]
        assert (
            kinds.count("transition") == 3
            and "agent_explanation" in kinds
            and "assignment" in kinds
        )


def test_two_managers_writing_the_report_at_once_store_one(
    engine: Engine, race: Callable[[Callable[[Session], object]], list[str]]
) -> None:
    """Two managers click "compte rendu" on one control at the same time: both pass the "no report
    yet" check before either commits; one report is stored and the other is told it exists."""
    with Session(engine) as s:
        _, cid = one_control(s)
        service.transition(
            s, control_id=cid, name="schedule_interview",
            fields={"pre_examination_notes": "Aucun rendez-vous ni appel"}, actor="m", now=NOW,
        )  # fmt: skip
        service.transition(
            s, control_id=cid, name="record_interview",
            fields={"interview_date": "2024-07-15", "participants": "ELD, agent", "agent_explanation": "Curiosité"},
            actor="m", now=NOW,
        )  # fmt: skip
        s.commit()
    finding = {
        "outcome": "proven",
        "justification": "Aucun motif de service",
        "rules_reminder_acknowledged": True,
    }

    def write_report(s: Session) -> object:
        control = service.get_control(s, cid)
        return generate_report(s, control=control, fields=finding, author="m", now=NOW)

    assert race(write_report) == ["recorded", "conflict"]
    with Session(engine) as s:
        assert s.query(ControlReport).count() == 1


def test_report_is_deterministic_for_the_same_inputs(engine: Engine) -> None:
    from parcours.controls.report import render_report_pdf

    with Session(engine) as s:
        camp, cid = one_control(s)
        c = service.get_control(s, cid)
        assert render_report_pdf(c, camp, author="m", now=NOW) == render_report_pdf(
            c, camp, author="m", now=NOW
        )


def test_due_dates_reminders_and_overdue() -> None:
    p = load_protocol()
    res = apply_transition(protocol=p, state="pre_examination", data={}, transition="schedule_interview",
                           fields={"pre_examination_notes": "ok"}, today=date(2024, 1, 1))  # fmt: skip
    assert res.step_due_on == date(2024, 1, 31)
    assert not needs_reminder(p, res.step_due_on, date(2024, 1, 27))
    assert needs_reminder(p, res.step_due_on, date(2024, 1, 28))
    assert not is_overdue(res.step_due_on, date(2024, 1, 31)) and is_overdue(
        res.step_due_on, date(2024, 2, 1)
    )


def test_every_state_is_reachable_and_closed_is_terminal() -> None:
    """Closed is terminal for those who handle controls; only the national team reopens one, and
    only to restart its examination (`restarts`, test_reopen.py)."""
    p = load_protocol()
    reached = {"pre_examination"}
    frontier = ["pre_examination"]
    while frontier:
        state = frontier.pop()
        for t in p.available(state):
            if t.target not in reached:
                reached.add(t.target)
                frontier.append(t.target)
    assert reached == set(p.states)
    for role in (Role.MANAGER, Role.CORRESPONDANT):
        assert p.available("closed", role) == []
    assert [(t.name, t.roles, t.restarts) for t in p.available("closed")] == [
        ("reopen", (Role.NATIONAL,), True)
    ]


def test_guides_are_versioned_and_render() -> None:
    guides = all_guides()
    assert {
        "principes",
        "dossier-agent",
        "dossier-ancien-agent",
        "personne-protegee",
        "consultation-sans-contexte",
        "hors-horaires",
    } <= set(guides)
    g = get_guide("hors-horaires")
    assert g.version and "temps de travail" in " ".join(g.html().split())
    with pytest.raises(NotFound):
        get_guide("inconnu")
