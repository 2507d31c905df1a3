"""Reopening a closed control (`reopen` in protocol.yaml): the national team only, never the agent
concerned, with a reason; back to the pre-examination, the finding cleared, the written report kept but
superseded so that a new "proven" conclusion needs a new one; refused while another control on the same
agent × file is open; written to the trail, from the page as from `parcours controls reopen`.

Old code: `parcours controls self-handled` listed the controls to reopen, and nothing could reopen them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from parcours.accounts.roles import Role
from parcours.cli.main import app
from parcours.controls import queries, service, trail
from parcours.controls.models import Control, ControlReport
from parcours.controls.protocol import PROTOCOL_FILE, load_protocol, parse_protocol
from parcours.controls.reminders import send_reminders
from parcours.controls.report import REPORT_EXISTS, generate_report
from parcours.db import session_scope
from parcours.errors import Conflict, Forbidden, InvalidInput, NotFound
from parcours.notify.models import OutboxMessage

from .test_assignment_and_reminders import account, world
from .test_protocol import NOW, alert, manager_account

LATER = NOW + timedelta(days=40)
REASON = "Clos par l'agent concerné lui-même (revue des contrôles auto-traités)."
FINDING = {
    "outcome": "proven",
    "justification": "Aucun motif de service",
    "rules_reminder_acknowledged": True,
}


def close_false_positive(s: Session, cid: int, actor: str = "manager-31") -> None:
    service.transition(
        s, control_id=cid, name="close_false_positive", actor=actor, now=NOW,
        fields={"fp_reason": "team_cover", "fp_comment": "Portefeuille partagé"},
    )  # fmt: skip


def to_finding(s: Session, cid: int) -> None:
    service.transition(
        s, control_id=cid, name="schedule_interview", fields={"pre_examination_notes": "Rien"},
        actor="manager-31", now=NOW,
    )  # fmt: skip
    service.transition(
        s, control_id=cid, name="record_interview", actor="manager-31", now=NOW,
        fields={"interview_date": "2024-07-15", "participants": "ELD, agent",
                "agent_explanation": "Curiosité"},
    )  # fmt: skip


def conclude_proven(s: Session, cid: int) -> ControlReport:
    to_finding(s, cid)
    control = service.get_control(s, cid)
    report = generate_report(s, control=control, fields=FINDING, author="manager-31", now=NOW)
    service.transition(
        s, control_id=cid, name="conclude", fields=FINDING, actor="manager-31", now=NOW
    )
    return report


def reopen(s: Session, cid: int, actor: str = "national", reason: str = REASON) -> Control:
    return service.transition(
        s, control_id=cid, name="reopen", fields={"reopen_reason": reason}, actor=actor, now=LATER
    )


def test_the_protocol_declares_reopening_for_the_national_team_only() -> None:
    p = load_protocol()
    t = p.transitions["reopen"]
    assert (t.sources, t.target, t.restarts, t.roles) == (
        ("closed",),
        "pre_examination",
        True,
        (Role.NATIONAL,),
    )
    assert [t.name for t in p.available("closed", Role.NATIONAL)] == ["reopen"]
    for role in (Role.MANAGER, Role.CORRESPONDANT):
        assert p.available("closed", role) == []
    assert [f.name for f in p.form_fields(t)] == ["reopen_reason"]


def test_a_false_positive_is_reopened_at_the_pre_examination(engine: Engine) -> None:
    with Session(engine) as s:
        cid = world(s)
        service.assign(s, control_id=cid, assignee="manager-31", actor="corr-76", now=NOW)
        close_false_positive(s, cid)
        version = service.get_control(s, cid).version
        c = reopen(s, cid)
        assert (c.state, c.outcome, c.closing_reason, c.closed_at) == (
            "pre_examination",
            None,
            None,
            None,
        )
        assert c.step_due_on == LATER.date() + timedelta(days=15)
        assert c.version == version + 1
        assert c.assignee == "manager-31"  # may still handle it: keeps it
        # The previous examination is kept, with why it was reopened; the forms start empty.
        (past,) = service.past_examinations(c)
        assert (past.outcome, past.closing_reason, past.reopened_by, past.reason) == (
            "false_positive",
            "team_cover",
            "national",
            REASON,
        )
        assert past.data == {"fp_reason": "team_cover", "fp_comment": "Portefeuille partagé"}
        assert past.closed_at == NOW and past.superseded_report_sha256 is None
        assert set(c.data) == {"rounds"}
        last = service.notes(s, cid)[-1]
        assert (last.author, last.kind) == ("national", "transition")
        assert last.body == f"Rouvrir le contrôle → Pré-examen : {REASON}"
        details = service.step_details(c, transition="reopen", before="closed")
        assert details == {
            "transition": "reopen", "from": "closed", "to": "pre_examination", "outcome": None,
            "reason": REASON, "previous_outcome": "false_positive",
            "previous_closing_reason": "team_cover", "superseded_report_sha256": None,
        }  # fmt: skip
        # It runs the protocol again, and closes again.
        close_false_positive(s, cid)
        assert len(service.past_examinations(service.get_control(s, cid))) == 1


def test_an_assignee_who_could_not_handle_it_is_not_kept(engine: Engine) -> None:
    """A control the agent concerned handled (and was assigned, before the rule) goes back to the
    establishment when it is reopened."""
    with Session(engine) as s:
        cid = world(s)
        manager_account(s, "m.agent", agent_id="AG1")
        control = service.get_control(s, cid)
        control.assignee = "m.agent"  # as it could be before the rule
        close_false_positive(s, cid)
        c = reopen(s, cid)
        assert c.assignee is None
        assert service.notes(s, cid)[-1].body.endswith("; n'est plus assigné à m.agent")


@pytest.mark.parametrize("actor", ["manager-31", "corr-76", "conseiller-31", "inconnu"])
def test_only_the_national_team_reopens(engine: Engine, actor: str) -> None:
    with Session(engine) as s:
        cid = world(s)
        close_false_positive(s, cid)
        with pytest.raises(Forbidden) as err:
            reopen(s, cid, actor=actor)
        assert "réservé" in str(err.value) and "Équipe nationale" in str(err.value)
        assert service.get_control(s, cid).state == "closed"


def test_a_disabled_national_account_does_not_reopen(engine: Engine) -> None:
    with Session(engine) as s:
        cid = world(s)
        close_false_positive(s, cid)
        account(s, "ancien-national", Role.NATIONAL).disabled = True
        with pytest.raises(Forbidden):
            reopen(s, cid, actor="ancien-national")


def test_the_agent_concerned_never_reopens_their_own(engine: Engine) -> None:
    with Session(engine) as s:
        cid = world(s)
        close_false_positive(s, cid)
        national = account(s, "national-ag1", Role.NATIONAL)
        national.agent_id = "AG1"  # the control's agent, in the national team
        s.flush()
        with pytest.raises(NotFound):
            reopen(s, cid, actor="national-ag1")


def test_reopening_needs_a_reason_and_a_closed_control(engine: Engine) -> None:
    with Session(engine) as s:
        cid = world(s)
        with pytest.raises(Conflict) as conflict:
            reopen(s, cid)  # still open
        assert "Rouvrir le contrôle" in str(conflict.value)
        close_false_positive(s, cid)
        for reason in ("", "   "):
            with pytest.raises(InvalidInput) as err:
                reopen(s, cid, reason=reason)
            assert [i.column for i in err.value.issues] == ["reopen_reason"]
        with pytest.raises(InvalidInput):
            reopen(s, cid, reason="x" * (load_protocol().max_text_length + 1))
        assert service.get_control(s, cid).state == "closed"


def test_refused_while_another_control_on_the_same_agent_and_file_is_open(engine: Engine) -> None:
    with Session(engine) as s:
        cid = world(s)
        close_false_positive(s, cid)
        # Later consultations of the same file: a new control (the closed one examined the first).
        later = replace(alert("a2", "AG1", "DE1", "x"), first_seen=NOW, last_seen=LATER)
        _, summary = service.launch_campaign(
            s, name="c2", period_start=NOW.date(), period_end=LATER.date(), scenarios=["x"],
            levels=["mandatory"], launched_by="dpo", now=LATER, alerts=[later],
        )  # fmt: skip
        (other,) = summary.by_establishment["DR76"]
        assert other != cid
        with pytest.raises(Conflict) as err:
            reopen(s, cid)
        assert f"Le contrôle n° {other} est ouvert sur le même agent et le même dossier" in str(
            err.value
        )
        # Once that one is closed, the first can be reopened.
        close_false_positive(s, other)
        assert reopen(s, cid).state == "pre_examination"


def test_a_written_report_is_kept_superseded_and_the_next_conclusion_needs_a_new_one(
    engine: Engine,
) -> None:
    with Session(engine) as s:
        cid = world(s)
        first = conclude_proven(s, cid)
        c = reopen(s, cid)
        s.flush()
        assert c.outcome is None and "report_generated" not in c.data
        (past,) = service.past_examinations(c)
        assert past.outcome == "proven" and past.superseded_report_sha256 == first.sha256
        assert past.data["report_sha256"] == first.sha256
        # Kept (the trail holds its hash), no longer the control's report.
        assert first.superseded_at == LATER
        assert queries.current_report(s, cid) is None
        assert queries.reports(s, cid) == [first]
        assert (
            service.step_details(c, transition="reopen", before="closed")[
                "superseded_report_sha256"
            ]
            == first.sha256
        )
        # The new examination: "proven" without a new report is refused, as the first time.
        to_finding(s, cid)
        with pytest.raises(InvalidInput) as err:
            service.transition(
                s, control_id=cid, name="conclude", fields=FINDING, actor="manager-31", now=LATER
            )
        assert [i.column for i in err.value.issues] == ["report_generated"]
        # The old report no longer fixes the finding (`locked_by` follows the current report).
        new_finding = FINDING | {"justification": "Consultations répétées, sans motif"}
        second = generate_report(
            s, control=service.get_control(s, cid), fields=new_finding, author="national",
            now=LATER,
        )  # fmt: skip
        assert second.sha256 != first.sha256
        with pytest.raises(Conflict, match=REPORT_EXISTS):
            generate_report(
                s, control=service.get_control(s, cid), fields=new_finding, author="x", now=LATER
            )
        c = service.transition(
            s, control_id=cid, name="conclude", fields=new_finding, actor="manager-31", now=LATER
        )
        assert (c.state, c.outcome, c.data["report_sha256"]) == ("closed", "proven", second.sha256)
        s.commit()
        assert queries.current_report(s, cid) == second
        assert [r.superseded_at is None for r in queries.reports(s, cid)] == [False, True]
        # Reopened again, the second is superseded in turn; both stay stored.
        reopen(s, cid, reason="Deuxième revue demandée par le CSE")
        s.commit()
        assert queries.current_report(s, cid) is None and len(queries.reports(s, cid)) == 2
        pasts = service.past_examinations(service.get_control(s, cid))
        assert [p.superseded_report_sha256 for p in pasts] == [first.sha256, second.sha256]


def test_a_reopened_control_may_conclude_differently(engine: Engine) -> None:
    with Session(engine) as s:
        cid = world(s)
        conclude_proven(s, cid)
        reopen(s, cid)
        to_finding(s, cid)
        c = service.transition(
            s, control_id=cid, name="conclude", actor="manager-31", now=LATER,
            fields={"outcome": "not_proven", "justification": "Le dossier était celui d'un homonyme"},
        )  # fmt: skip
        assert (c.state, c.outcome) == ("closed", "not_proven")


def test_the_database_keeps_one_current_report_per_control(engine: Engine) -> None:
    with Session(engine) as s:
        cid = world(s)
        report = conclude_proven(s, cid)
        s.commit()
        s.add(
            ControlReport(
                control_id=cid, created_at=LATER, sha256="0" * 64, pdf=b"%PDF",
                template_version=report.template_version,
            )
        )  # fmt: skip
        with pytest.raises(IntegrityError):
            s.commit()


def test_a_reopened_control_is_reminded_again(engine: Engine) -> None:
    """Reminders are sent once per step: the reopened examination's steps are new ones."""
    with Session(engine) as s:
        cid = world(s)
        due = service.get_control(s, cid).step_due_on
        assert due is not None
        assert send_reminders(s, today=due + timedelta(days=1), now=NOW, base_url="http://x") == 1
        close_false_positive(s, cid)
        c = reopen(s, cid)
        assert c.step_due_on is not None
        overdue = c.step_due_on + timedelta(days=1)
        assert send_reminders(s, today=overdue, now=LATER, base_url="http://x") == 1
        assert send_reminders(s, today=overdue, now=LATER, base_url="http://x") == 0
        refs = sorted(s.scalars(select(OutboxMessage.ref)))
        assert refs == [
            f"control:{cid}:pre_examination:control_overdue",
            f"control:{cid}:r1:pre_examination:control_overdue",
        ]


# -- the command -----------------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, " ".join(result.output.split())


def test_the_command_reopens_and_writes_the_trail(engine: Engine) -> None:
    with session_scope(engine) as s:
        cid = world(s)
        report = conclude_proven(s, cid)
        sha = report.sha256
    code, out = run("controls", "reopen", str(cid), "--reason", REASON, "--by", "national")
    assert code == 0, out
    assert f"Contrôle {cid} rouvert : étape « Pré-examen »" in out
    assert "constat précédent (proven) effacé" in out and f"compte rendu {sha[:16]}" in out
    with session_scope(engine) as s:
        c = service.get_control(s, cid)
        assert (c.state, c.outcome) == ("pre_examination", None)
        (last,) = trail.entries(s, limit=1)
        assert (last.actor, last.action, last.object_type, last.object_id) == (
            "national",
            "status",
            "control",
            str(cid),
        )
        assert '"reason":"Clos par l' in last.details and sha in last.details
        assert '"via":"cli"' in last.details and '"previous_outcome":"proven"' in last.details
        assert trail.verify(s) == []


@pytest.mark.parametrize(
    ("by", "message"),
    [
        ("manager-31", "réservé au rôle « Équipe nationale protection des données »"),
        ("personne", "réservé au rôle"),
    ],
)
def test_the_command_refuses_anyone_but_the_national_team(
    engine: Engine, by: str, message: str
) -> None:
    with session_scope(engine) as s:
        cid = world(s)
        close_false_positive(s, cid)
        entries = trail.head(s)
    code, out = run("controls", "reopen", str(cid), "--reason", REASON, "--by", by)
    assert code == 2 and message in out, out
    with session_scope(engine) as s:
        assert service.get_control(s, cid).state == "closed"
        assert trail.head(s) == entries  # nothing written


def test_the_command_on_bad_input_says_why(engine: Engine) -> None:
    with session_scope(engine) as s:
        cid = world(s)
    code, out = run("controls", "reopen", str(cid), "--reason", REASON, "--by", "national")
    assert code == 2 and "impossible depuis l'état « Pré-examen »" in out
    for unknown in ("999999", "0", str(2**40)):
        code, out = run("controls", "reopen", unknown, "--reason", REASON, "--by", "national")
        assert code == 2 and f"contrôle {unknown}" in out
    with session_scope(engine) as s:
        close_false_positive(s, cid)
    code, out = run("controls", "reopen", str(cid), "--reason", " ", "--by", "national")
    assert code == 2 and "reopen_reason" in out and "champ obligatoire" in out
    code, out = run("controls", "reopen", str(cid), "--by", "national")
    assert code == 2 and "--reason" in out  # typer: a missing option


def test_self_handled_says_which_were_reopened(engine: Engine) -> None:
    with session_scope(engine) as s:
        cid = world(s)
        manager_account(s, "m.agent", agent_id="AG1")
        # Closed by the agent's own account, as before the rule (the service now refuses it).
        control = service.get_control(s, cid)
        control.state, control.outcome, control.closing_reason = "closed", "false_positive", "other"
        control.closed_at = NOW
        trail.append(
            s, actor="m.agent", action="status", object_type="control", object_id=str(cid),
            details={"transition": "close_false_positive", "from": "pre_examination", "to": "closed"},
        )  # fmt: skip
    code, out = run("controls", "self-handled")
    assert code == 1 and "clos par l'agent : oui ; rouvert : non" in out
    assert run("controls", "reopen", str(cid), "--reason", REASON, "--by", "national")[0] == 0
    code, out = run("controls", "self-handled")
    assert code == 1 and "rouvert : oui" in out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"roles": ["dpo"]}, "names unknown role 'dpo'"),
        ({"from": ["finding"]}, "restarts: it goes from closed to open"),
        ({"to": "closed"}, "restarts: it goes from closed to open"),
        ({"requires": ["reopen_reason", "justification"]}, "it requires one field, its reason"),
    ],
)
def test_the_protocol_file_refuses_a_malformed_reopening(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    raw = yaml.safe_load(PROTOCOL_FILE.read_text(encoding="utf-8"))
    raw["transitions"]["reopen"] |= change
    path = tmp_path / "protocol.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        parse_protocol(path)
    assert message in str(err.value)


def test_the_reports_migration_matches_the_model(engine: Engine) -> None:
    """controls_0004: superseded_at, a plain index on control_id and the partial unique index."""
    import parcours.models  # noqa: F401
    from parcours.db import Base

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(ctx, Base.metadata) if "control_reports" in repr(d)]
        indexes = {i["name"]: i for i in inspect(conn).get_indexes("control_reports")}
    assert diffs == []
    assert indexes["uq_control_reports_current"]["unique"]
    assert not indexes["ix_control_reports_control_id"]["unique"]
