"""After a reopening, the new written report names the one it supersedes (template `report-v2`); a report
stored with an earlier template re-renders identically from its own version.

Old code: one template (`report-v1`), and the second report of a reopened control read exactly like a
first one: nothing in it said that an earlier report existed, nor which."""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from parcours.controls import service
from parcours.controls.models import Campaign, ControlReport
from parcours.controls.report import CURRENT_TEMPLATE, generate_report, render_report_pdf

from .test_assignment_and_reminders import world
from .test_protocol import NOW
from .test_reopen import FINDING, LATER, conclude_proven, reopen, to_finding
from .test_report_text import flat, text_of

HEADING = "Compte rendu remplacé"


def test_the_report_after_a_reopening_names_the_report_it_supersedes(engine: Engine) -> None:
    with Session(engine) as s:
        cid = world(s)
        first = conclude_proven(s, cid)
        assert first.template_version == CURRENT_TEMPLATE == "report-v2"
        assert HEADING not in text_of(first.pdf)  # a first report replaces nothing
        reopen(s, cid)
        to_finding(s, cid)
        second = generate_report(
            s, control=service.get_control(s, cid), fields=FINDING, author="national", now=LATER
        )
        text = flat(text_of(second.pdf))
        assert HEADING in text
        assert (
            f"remplace celui du {NOW.date().isoformat()} (SHA-256 {first.sha256}), établi avant la "
            f"réouverture du contrôle le {LATER.date().isoformat()}"
        ) in text
        # Reproducible: the stored report re-renders from its template version and inputs.
        control = service.get_control(s, cid)
        campaign = s.get(Campaign, control.campaign_id)
        assert campaign is not None
        again = render_report_pdf(
            control, campaign, author="national", now=LATER, superseded=first,
            template_version=second.template_version,
        )  # fmt: skip
        assert hashlib.sha256(again).hexdigest() == second.sha256


def test_a_report_v1_renders_as_it_did(engine: Engine) -> None:
    """Reports stored before `report-v2` name `report-v1`: that template still renders them, unchanged
    (no superseded section, whatever is passed), with its own version in the footer."""
    with Session(engine) as s:
        cid = world(s)
        first = conclude_proven(s, cid)
        control = service.get_control(s, cid)
        campaign = s.get(Campaign, control.campaign_id)
        assert campaign is not None

        def v1(superseded: ControlReport | None = None) -> bytes:
            return render_report_pdf(
                control, campaign, author="m", now=NOW, superseded=superseded,
                template_version="report-v1",
            )  # fmt: skip

        assert v1() == v1(first)
        text = flat(text_of(v1()))
        assert "Modèle report-v1" in text and HEADING not in text
