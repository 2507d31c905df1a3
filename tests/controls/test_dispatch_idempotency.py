"""Dispatch is idempotent: the same alert twice, a campaign re-run, or a situation already examined and
closed never makes a second control, a second note or a second count in the correspondents' mail."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from parcours.accounts.roles import Role
from parcours.accounts.service import create_user
from parcours.config import get_settings
from parcours.controls import service
from parcours.controls.campaigns import notify_establishments
from parcours.controls.dispatch import AlertInput, DispatchSummary
from parcours.controls.flow import FLOW_CAMPAIGN, FlowWatcher
from parcours.controls.models import Campaign, Control, ControlNote
from parcours.notify.models import OutboxMessage

from .test_protocol import NOW, alert, seed_registry

FP = {"fp_reason": "call_3949_wrong_file", "fp_comment": "Appel 3949 tracé"}


def launch(s: Session, name: str, alerts: list[AlertInput]) -> DispatchSummary:
    _, summary = service.launch_campaign(
        s, name=name, period_start=date(2024, 4, 1), period_end=date(2024, 6, 30), scenarios=["x"],
        levels=["mandatory"], launched_by="dpo", now=NOW, alerts=alerts,
    )  # fmt: skip
    return summary


def controls(s: Session) -> int:
    return s.scalar(select(func.count()).select_from(Control)) or 0


def test_the_same_alert_twice_in_one_batch_is_one_control_and_one_count(engine: Engine) -> None:
    """Old code: the repeat counted as an update (a note "new alert attached", the version bumped), and
    the establishment's list held the control twice, so the mail announced 2 controls for one."""
    with Session(engine) as s:
        seed_registry(s)
        create_user(
            s, login="corr", display_name="corr", role=Role.CORRESPONDANT, establishment_id="DR76",
            password=None, password_hash="$argon2id$v=19$m=1$x$y", email="corr@example.org",
        )  # fmt: skip
        a1 = alert("a1", "AG1", "DE1", "x")
        _, summary = service.launch_campaign(
            s, name="Vague", period_start=date(2024, 4, 1), period_end=date(2024, 6, 30), scenarios=["x"],
            levels=["mandatory"], launched_by="dpo", now=NOW, alerts=[a1, a1],
        )  # fmt: skip
        assert (summary.created, summary.updated, summary.unchanged) == (1, 0, 0)
        (cid,) = summary.by_establishment["DR76"]
        control = service.get_control(s, cid)
        assert control.version == 1 and control.alert_ids == ["a1"]
        assert s.scalar(select(func.count()).select_from(ControlNote)) == 0
        campaign = s.get(Campaign, control.campaign_id)
        assert campaign is not None and campaign.alerts_received == 1
        notify_establishments(s, campaign=campaign, summary=summary, base_url="http://x", now=NOW)
        (subject,) = s.scalars(select(OutboxMessage.subject))
        assert subject.startswith("Parcours : 1 contrôle(s)")


def test_a_rerun_after_closing_does_not_raise_the_same_situation_again(engine: Engine) -> None:
    """Old code: once the control was closed (false positive), the same alert, or a re-run of the
    campaign (new detection run, new alert ids, same consultations), created a second control that the
    manager had to close again."""
    with Session(engine) as s:
        seed_registry(s)
        first = launch(s, "Vague", [alert("a1", "AG1", "DE1", "x")])
        (cid,) = first.by_establishment["DR76"]
        service.transition(
            s, control_id=cid, name="close_false_positive", fields=FP, actor="m", now=NOW
        )
        same_alert = launch(s, "Relance", [alert("a1", "AG1", "DE1", "x")])
        rerun = launch(s, "Relance", [alert("r2-a1", "AG1", "DE1", "x")])
        for summary in (same_alert, rerun):
            assert (summary.created, summary.already_examined, summary.by_establishment) == (
                0,
                1,
                {},
            )
        assert controls(s) == 1
        # New facts are a new control: consultations after the examined ones, or another situation.
        later = replace(
            alert("r3-a1", "AG1", "DE1", "x"),
            last_seen=NOW + timedelta(days=5), consultations=4,
        )  # fmt: skip
        assert launch(s, "Flux", [later]).created == 1
        assert controls(s) == 2


def test_a_rerun_on_an_open_control_changes_nothing(engine: Engine) -> None:
    """Old code: every re-run noted "new alert attached" and bumped the version, so a manager
    editing the control at that moment was refused ("modified meanwhile") for nothing."""
    with Session(engine) as s:
        seed_registry(s)
        (cid,) = launch(s, "Vague", [alert("a1", "AG1", "DE1", "x")]).by_establishment["DR76"]
        rerun = launch(s, "Relance", [alert("r2-a1", "AG1", "DE1", "x")])
        assert (rerun.created, rerun.updated, rerun.unchanged, rerun.by_establishment) == (
            0,
            0,
            1,
            {},
        )
        control = service.get_control(s, cid)
        assert control.version == 1 and control.alert_ids == ["a1"]
        assert s.scalar(select(func.count()).select_from(ControlNote)) == 0


def test_the_flow_campaign_takes_situations_added_after_it_was_created(engine: Engine) -> None:
    """Old code: the flow campaign kept the situations of its first cycle forever, and dispatch drops
    an alert whose situations are not the campaign's: a situation added later was never sent in flow."""
    watcher = FlowWatcher(get_settings())
    with Session(engine) as s:
        s.add(
            Campaign(
                name=FLOW_CAMPAIGN, period_start=date(2024, 4, 1), period_end=date(2024, 4, 30),
                scenarios=["w2_current_agents"], levels=["mandatory"], mode="flow", launched_by="flux",
                launched_at=NOW, alerts_received=0, controls_created=0, controls_updated=0,
            )
        )  # fmt: skip
        s.flush()
        campaign = watcher._flow_campaign(s, start=date(2024, 5, 1), end=date(2024, 5, 2), now=NOW)
        assert {"w2_current_agents", "w2_off_hours", "widely_viewed_file"} <= set(
            campaign.scenarios
        )
        assert campaign.levels == ["mandatory", "optional"]
        assert (campaign.period_start, campaign.period_end) == (date(2024, 4, 1), date(2024, 5, 2))
