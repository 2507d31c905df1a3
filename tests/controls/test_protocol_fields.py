"""What a step accepts: its own fields only, of their declared type; the order of the steps; what the
written report fixes; and deadlines counted in Paris days (a tester's probes, each failing on the old code)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from parcours.controls import service
from parcours.controls.models import Control, ControlReport
from parcours.controls.protocol import apply_transition, load_protocol
from parcours.controls.report import generate_report
from parcours.errors import Conflict, InvalidInput, NotFound

from .test_protocol import NOW, alert, manager_account, one_control, seed_registry

NOTES = {"pre_examination_notes": "Aucun rendez-vous ni appel"}
INTERVIEW = {"interview_date": "2024-07-15", "participants": "ELD, agent", "agent_explanation": "x"}
PROVEN = {"outcome": "proven", "justification": "Aucun motif", "rules_reminder_acknowledged": True}


def columns(err: pytest.ExceptionInfo[InvalidInput]) -> list[str | None]:
    return [i.column for i in err.value.issues]


def at_finding(s: Session) -> int:
    _, cid = one_control(s)
    service.transition(
        s, control_id=cid, name="schedule_interview", fields=NOTES, actor="m", now=NOW
    )
    service.transition(
        s, control_id=cid, name="record_interview", fields=INTERVIEW, actor="m", now=NOW
    )
    return cid


def test_a_proven_finding_cannot_claim_a_report_that_was_never_written(engine: Engine) -> None:
    """Old code: `report_generated` posted with the conclusion closed the control as proven with no
    report at all (the web form hands every posted field to the protocol)."""
    with Session(engine) as s:
        cid = at_finding(s)
        fields = PROVEN | {"report_generated": True, "report_sha256": "0" * 64}
        with pytest.raises(InvalidInput) as err:
            service.transition(
                s, control_id=cid, name="conclude", fields=fields, actor="m", now=NOW
            )
        assert set(columns(err)) >= {"report_generated", "report_sha256"}
        control = service.get_control(s, cid)
        assert control.state == "finding" and s.query(ControlReport).count() == 0


def test_a_step_cannot_rewrite_an_earlier_steps_notes(engine: Engine) -> None:
    """Old code: recording the interview with `pre_examination_notes` replaced the pre-examination's."""
    with Session(engine) as s:
        _, cid = one_control(s)
        service.transition(
            s, control_id=cid, name="schedule_interview", fields=NOTES, actor="m", now=NOW
        )
        with pytest.raises(InvalidInput) as err:
            service.transition(
                s, control_id=cid, name="record_interview",
                fields=INTERVIEW | {"pre_examination_notes": "Réécrit après coup"}, actor="m", now=NOW,
            )  # fmt: skip
        assert columns(err) == ["pre_examination_notes"]
        assert (
            service.get_control(s, cid).data["pre_examination_notes"]
            == NOTES["pre_examination_notes"]
        )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("n'importe quoi", "date invalide"),
        ("2024-02-30", "date invalide"),
        ("2024-07-16", "date à venir"),  # the interview is recorded as held: not tomorrow
        # Held during the control, not before it was opened (old code: 0001-01-01 was stored and
        # printed in the written report).
        ("2024-07-09", "date antérieure à l'ouverture du contrôle (10/07/2024)"),
        ("0001-01-01", "date antérieure à l'ouverture du contrôle"),
    ],
)
def test_the_interview_date_is_a_day_that_has_passed(value: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as err:
        apply_transition(
            protocol=load_protocol(), state="interview", data={}, transition="record_interview",
            fields=INTERVIEW | {"interview_date": value}, today=date(2024, 7, 15),
            opened_on=date(2024, 7, 10),
        )  # fmt: skip
    (issue,) = err.value.issues
    assert issue.column == "interview_date" and reason in issue.reason
    ok = apply_transition(
        protocol=load_protocol(), state="interview", data={}, transition="record_interview",
        fields=INTERVIEW | {"interview_date": date(2024, 7, 15)}, today=date(2024, 7, 15),
    )  # fmt: skip
    assert ok.data["interview_date"] == "2024-07-15"


def test_free_text_is_bounded_and_the_checkbox_is_a_checkbox() -> None:
    protocol = load_protocol()
    too_long = "x" * (protocol.max_text_length + 1)
    with pytest.raises(InvalidInput) as err:
        apply_transition(
            protocol=protocol, state="finding", data={}, transition="conclude",
            fields={"outcome": "not_proven", "justification": too_long, "rules_reminder_acknowledged": "non"},
            today=date(2024, 7, 15),
        )  # fmt: skip
    assert {i.column: i.reason for i in err.value.issues} == {
        "justification": f"texte trop long ({protocol.max_text_length} caractères au plus)",
        "rules_reminder_acknowledged": "case à cocher attendue",
    }


def test_comments_and_explanations_are_bounded_too(engine: Engine) -> None:
    with Session(engine) as s:
        _, cid = one_control(s)
        too_long = "x" * (load_protocol().max_text_length + 1)
        with pytest.raises(InvalidInput):
            service.comment(s, control_id=cid, body=too_long, actor="m", now=NOW)
        with pytest.raises(InvalidInput):
            service.record_agent_explanation(
                s, control_id=cid, agent_id="AG1", body=too_long, now=NOW
            )


@pytest.mark.parametrize(
    ("state", "name", "fields"),
    [
        ("pre_examination", "record_interview", INTERVIEW),  # step 2 before step 1
        ("pre_examination", "conclude", PROVEN),  # step 3 first
        ("interview", "schedule_interview", NOTES),  # step 1 twice
        ("interview", "close_false_positive", {"fp_reason": "team_cover", "fp_comment": "x"}),
        ("finding", "record_interview", INTERVIEW),  # step 2 twice
        ("closed", "conclude", PROVEN),  # anything on a closed control
        ("closed", "schedule_interview", NOTES),
    ],
)
def test_steps_out_of_order_or_twice_are_refused(
    state: str, name: str, fields: dict[str, Any]
) -> None:
    with pytest.raises(Conflict):
        apply_transition(
            protocol=load_protocol(), state=state, data={}, transition=name, fields=fields,
            today=date(2024, 7, 15),
        )  # fmt: skip


def test_the_report_needs_the_rules_reminder_it_states(engine: Engine) -> None:
    """Old code: the report was generated without the reminder, printed "rappel des règles : non",
    and the conclusion then recorded it as acknowledged: the signed report contradicted the control."""
    with Session(engine) as s:
        cid = at_finding(s)
        finding = {"outcome": "proven", "justification": "Aucun motif"}
        with pytest.raises(InvalidInput) as err:
            generate_report(
                s, control=service.get_control(s, cid), fields=finding, author="m", now=NOW
            )
        assert columns(err) == ["rules_reminder_acknowledged"]
        assert s.query(ControlReport).count() == 0


def test_the_finding_a_report_states_can_no_longer_change(engine: Engine) -> None:
    """Old code: after a "proven" report (its hash in the trail), the control could be concluded "not
    proven" with another justification, leaving the report of a misuse the control denies."""
    with Session(engine) as s:
        cid = at_finding(s)
        version = service.get_control(s, cid).version
        generate_report(s, control=service.get_control(s, cid), fields=PROVEN, author="m", now=NOW)
        control = service.get_control(s, cid)
        assert control.version == version + 1  # a form loaded before the report is stale
        for change in ({"outcome": "not_proven"}, {"justification": "Autre motif"}):
            with pytest.raises(InvalidInput) as err:
                service.transition(
                    s, control_id=cid, name="conclude", fields=PROVEN | change, actor="m", now=NOW
                )
            assert columns(err) == list(change)
        with pytest.raises(Conflict):
            service.transition(
                s, control_id=cid, name="conclude", fields=PROVEN, actor="m", now=NOW,
                expected_version=version,
            )  # fmt: skip
        closed = service.transition(
            s, control_id=cid, name="conclude", fields=PROVEN, actor="m", now=NOW
        )
        assert (closed.state, closed.outcome) == ("closed", "proven")


def test_nobody_acts_on_a_control_about_themselves_whatever_the_way_in(engine: Engine) -> None:
    """The web layer checks `may_act_on`; the service now refuses it too (a script calling it used to
    let the agent concerned close their own control)."""
    with Session(engine) as s:
        cid = at_finding(s)
        manager_account(s, "manager-concerne", agent_id="AG1")
        manager_account(s, "manager-autre", agent_id="AG9")
        with pytest.raises(NotFound):
            service.transition(
                s, control_id=cid, name="conclude", fields=PROVEN, actor="manager-concerne", now=NOW
            )
        with pytest.raises(NotFound):
            service.comment(
                s, control_id=cid, body="Rien à signaler", actor="manager-concerne", now=NOW
            )
        with pytest.raises(NotFound):
            service.assign(
                s, control_id=cid, assignee="manager-autre", actor="manager-concerne", now=NOW
            )
        with pytest.raises(NotFound):
            generate_report(
                s,
                control=service.get_control(s, cid),
                fields=PROVEN,
                author="manager-concerne",
                now=NOW,
            )
        assert service.get_control(s, cid).state == "finding"


@pytest.mark.parametrize(
    ("now", "paris_day"),
    [
        # Winter → summer time (31 March 2024, 02:00 → 03:00): 00:30 in Paris is 23:30 UTC the day before.
        (datetime(2024, 3, 30, 23, 30, tzinfo=UTC), date(2024, 3, 31)),
        # Summer → winter time (27 October 2024): 00:30 in Paris is 22:30 UTC the day before.
        (datetime(2024, 10, 26, 22, 30, tzinfo=UTC), date(2024, 10, 27)),
        (datetime(2024, 10, 27, 22, 59, tzinfo=UTC), date(2024, 10, 27)),  # 23:59 in Paris
        (datetime(2024, 10, 27, 23, 0, tzinfo=UTC), date(2024, 10, 28)),  # midnight in Paris
    ],
)
def test_deadlines_count_from_the_day_in_paris(
    engine: Engine, now: datetime, paris_day: date
) -> None:
    """Old code: the due date counted from the UTC date, a day short for a control dispatched or a
    step taken between midnight and 01:00/02:00 in Paris."""
    with Session(engine) as s:
        seed_registry(s)
        _, summary = service.launch_campaign(
            s, name="c", period_start=date(2024, 1, 1), period_end=date(2024, 3, 1), scenarios=["x"],
            levels=["mandatory"], launched_by="dpo", now=now, alerts=[alert("a1", "AG1", "DE1", "x")],
        )  # fmt: skip
        (cid,) = summary.by_establishment["DR76"]
        control = s.get(Control, cid)
        assert control is not None
        assert control.step_due_on == paris_day + timedelta(days=15)
        service.transition(
            s, control_id=cid, name="schedule_interview", fields=NOTES, actor="m", now=now
        )
        assert control.step_due_on == paris_day + timedelta(days=30)


def test_the_service_refuses_an_interview_before_the_control_was_opened(engine: Engine) -> None:
    with Session(engine) as s:
        _, cid = one_control(s)  # opened at NOW, 15/07/2024
        service.transition(
            s, control_id=cid, name="schedule_interview", fields=NOTES, actor="m", now=NOW
        )
        with pytest.raises(InvalidInput, match="antérieure à l'ouverture du contrôle"):
            service.transition(
                s, control_id=cid, name="record_interview", actor="m", now=NOW,
                fields=INTERVIEW | {"interview_date": "2024-07-14"},
            )  # fmt: skip


INVISIBLE = "\u200b" * 12  # zero-width spaces: twelve characters that show nothing


def test_invisible_text_is_no_reason_nor_comment(engine: Engine) -> None:
    """Old code: twelve zero-width spaces closed a control as a false positive "with its reason", and
    made a comment and an agent's explanation."""
    with pytest.raises(InvalidInput) as err:
        apply_transition(
            protocol=load_protocol(), state="pre_examination", data={},
            transition="close_false_positive", today=date(2024, 7, 15),
            fields={"fp_reason": "other", "fp_comment": INVISIBLE},
        )  # fmt: skip
    assert columns(err) == ["fp_comment"]
    with pytest.raises(InvalidInput) as err:
        apply_transition(
            protocol=load_protocol(), state="pre_examination", data={},
            transition="schedule_interview", today=date(2024, 7, 15),
            fields={"pre_examination_notes": " \u2060\ufeff "},
        )  # fmt: skip
    assert [i.reason for i in err.value.issues] == ["champ obligatoire"]
    with Session(engine) as s:
        _, cid = one_control(s)
        with pytest.raises(InvalidInput, match="commentaire vide"):
            service.comment(s, control_id=cid, body=INVISIBLE, actor="m", now=NOW)
        with pytest.raises(InvalidInput, match="explication trop courte"):
            service.record_agent_explanation(
                s, control_id=cid, agent_id="AG1", body="vu" + INVISIBLE, now=NOW
            )
