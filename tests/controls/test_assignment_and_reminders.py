"""Who a control may be assigned to, and who its reminders go to: someone who may handle it (an enabled
manager, correspondent or national member whose scope covers it, not the agent concerned), on the day
as it is in Paris."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from parcours.accounts.models import User
from parcours.accounts.roles import Role
from parcours.accounts.service import create_user
from parcours.controls import service
from parcours.controls.models import Control, ControlNote
from parcours.controls.reminders import send_reminders
from parcours.errors import InvalidInput
from parcours.notify.models import OutboxMessage
from parcours.registry.models import Agency

from .test_protocol import NOW, alert, one_control

HASH = "$argon2id$v=19$m=1$x$y"


def account(
    s: Session, login: str, role: Role, establishment: str = "DR76", agency: str | None = None
) -> User:
    return create_user(
        s, login=login, display_name=login, role=role, establishment_id=establishment,
        agency_id=agency, password=None, password_hash=HASH, email=f"{login}@example.org",
    )  # fmt: skip


def world(s: Session) -> int:
    """One control about AG1 (agency A31 of DR76) and accounts in and out of its reach."""
    _, cid = one_control(s)
    s.add(
        Agency(
            agency_id="A32", name="Albi", establishment_id="DR76", department_code="81",
            msa_experiment=False,
        )
    )  # fmt: skip
    s.flush()
    account(s, "manager-31", Role.MANAGER, agency="A31")
    account(s, "manager-32", Role.MANAGER, agency="A32")  # another agency of the establishment
    account(s, "corr-76", Role.CORRESPONDANT)
    account(s, "corr-11", Role.CORRESPONDANT, establishment="DR11")  # another establishment
    account(s, "conseiller-31", Role.CONSEILLER, agency="A31")  # no alert role
    account(s, "cse-76", Role.CSE)  # aggregates only
    account(s, "national", Role.NATIONAL)
    account(s, "ancien-manager", Role.MANAGER, agency="A31").disabled = True
    s.flush()
    return cid


@pytest.mark.parametrize(
    "assignee",
    ["manager-32", "corr-11", "conseiller-31", "cse-76", "ancien-manager", "manger-31", " "],
)
def test_assignment_refuses_whoever_could_not_handle_the_control(
    engine: Engine, assignee: str
) -> None:
    """Old code: any text was accepted, so a control could be assigned to a manager of another agency,
    a correspondent of another region (who then received its reminders), a counsellor, a disabled
    account or a typo, and sat with nobody able to open it."""
    with Session(engine) as s:
        cid = world(s)
        with pytest.raises(InvalidInput):
            service.assign(s, control_id=cid, assignee=assignee, actor="corr-76", now=NOW)
        assert service.get_control(s, cid).assignee is None


def test_assignment_to_someone_who_may_handle_it_and_reassignment(engine: Engine) -> None:
    with Session(engine) as s:
        cid = world(s)
        for assignee in ("manager-31", "corr-76", "national"):
            assert (
                service.assign(
                    s, control_id=cid, assignee=assignee, actor="corr-76", now=NOW
                ).assignee
                == assignee
            )
        version = service.get_control(s, cid).version
        # The same person again: nothing changes, no note.
        service.assign(s, control_id=cid, assignee="national", actor="corr-76", now=NOW)
        assert service.get_control(s, cid).version == version
        notes = s.scalars(select(ControlNote.body).where(ControlNote.kind == "assignment")).all()
        assert notes == [
            "Assigné à manager-31",
            "Assigné à corr-76 (précédemment manager-31)",
            "Assigné à national (précédemment corr-76)",
        ]


def test_reminders_skip_an_assignee_who_can_no_longer_handle_the_control(engine: Engine) -> None:
    """Old code: a control assigned (before the check) to a correspondent of another region sent its
    reminders there; now they go to the establishment's correspondents."""
    with Session(engine) as s:
        cid = world(s)
        control = s.get(Control, cid)
        assert control is not None and control.step_due_on is not None
        control.assignee = "corr-11"
        s.flush()
        overdue = control.step_due_on + timedelta(days=1)
        assert send_reminders(s, today=overdue, now=NOW, base_url="http://x") == 1
        assert list(s.scalars(select(OutboxMessage.recipient))) == ["corr-76@example.org"]


def test_reminders_of_an_unknown_establishment_go_to_the_national_team(engine: Engine) -> None:
    """Old code: controls about agents absent from the registry (establishment INCONNU, handled by the
    national team) had no correspondent, so their reminders and overdue notices went to nobody."""
    with Session(engine) as s:
        cid = world(s)
        _, summary = service.launch_campaign(
            s, name="c2", period_start=date(2024, 4, 1), period_end=date(2024, 6, 30), scenarios=["x"],
            levels=["mandatory"], launched_by="dpo", now=NOW, alerts=[alert("a9", "AG404", "DE9", "x")],
        )  # fmt: skip
        (unknown,) = summary.by_establishment["INCONNU"]
        # The first control is closed: no reminder for it, ever.
        service.transition(
            s, control_id=cid, name="close_false_positive", actor="corr-76", now=NOW,
            fields={"fp_reason": "team_cover", "fp_comment": "Portefeuille partagé"},
        )  # fmt: skip
        due = service.get_control(s, unknown).step_due_on
        assert due is not None
        assert send_reminders(s, today=due + timedelta(days=1), now=NOW, base_url="http://x") == 1
        (message,) = s.scalars(select(OutboxMessage))
        assert message.recipient == "national@example.org"
        assert message.ref == f"control:{unknown}:pre_examination:control_overdue"


def test_reminders_use_the_day_in_paris(engine: Engine) -> None:
    """Old code: `parcours controls remind` took the UTC date: run at 00:30 in Paris on the day after
    the due date (22:30 UTC the day before), it saw the step as due today, not overdue."""
    with Session(engine) as s:
        cid = world(s)
        control = s.get(Control, cid)
        assert control is not None and control.step_due_on is not None
        due = control.step_due_on
        half_past_midnight_in_paris = datetime(due.year, due.month, due.day, 22, 30, tzinfo=UTC)
        assert send_reminders(s, now=half_past_midnight_in_paris, base_url="http://x") == 1
        (ref,) = s.scalars(select(OutboxMessage.ref))
        assert ref.endswith(":control_overdue")
