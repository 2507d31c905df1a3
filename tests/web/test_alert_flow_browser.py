"""The whole alert flow, end to end, in a real headless Chromium against a served process and a real SMTP
server: a campaign dispatches two controls to the establishment and mails its correspondent; the manager
closes the first at pre-examination as a false positive without summoning the agent, takes the second
through the interview to a proven finding, generates the written report, downloads the PDF, and the
PDF's SHA-256 is the one recorded in the trail."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from parcours.accounts.models import User
from parcours.accounts.roles import Role
from parcours.controls import trail
from parcours.controls.campaigns import notify_establishments
from parcours.controls.dispatch import AlertInput
from parcours.controls.models import Control
from parcours.controls.protocol import load_protocol
from parcours.controls.service import launch_campaign
from parcours.notify.dispatch import dispatch_pending
from parcours.notify.senders import SmtpEmailSender
from parcours.notify.testing import RecordingHandler, SmtpServer, free_port
from parcours.web.testing import World, fresh_totp_code

pytestmark = pytest.mark.browser


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    # The served process and the test share one SQLite file.
    return sqlite_url


def _alert(n: int, de_id: str, scenario: str) -> AlertInput:
    seen = datetime(2026, 1, 10, 21, 30, tzinfo=UTC)
    return AlertInput(
        alert_id=f"al-e2e-{n}", agent_id="AG-0002", de_id=de_id, scenarios=(scenario,), level="mandatory",
        score=82.0, first_seen=seen - timedelta(days=4), last_seen=seen, consultations=3,
        reasons=("Dossier d'un collègue consulté sans rendez-vous, appel ni tâche",), match_probability=0.97,
    )  # fmt: skip


def test_campaign_to_proven_report_in_chromium(
    server: str, browser_page: tuple[object, list[str], list[str]], world: World, engine: Engine
) -> None:
    from playwright.sync_api import Page, expect

    page, requests, csp_errors = browser_page
    assert isinstance(page, Page)
    now = datetime.now(UTC)

    # 1. Campaign → dispatch to the agent's establishment → mail to its correspondent (real SMTP).
    with Session(engine) as s:
        corr = s.scalar(select(User).where(User.login == world.accounts[Role.CORRESPONDANT].login))
        assert corr is not None
        corr.email = "correspondant@dr-a.example"
        campaign, summary = launch_campaign(
            s, name="Vague e2e", period_start=date(2026, 1, 1), period_end=date(2026, 1, 31),
            scenarios=["w2_current_agents"], levels=["mandatory", "optional"], launched_by="dpo", now=now,
            alerts=[_alert(1, world.de_appointment, "w2_current_agents"), _alert(2, world.de_portfolio, "w2_current_agents")],
        )  # fmt: skip
        notify_establishments(s, campaign=campaign, summary=summary, base_url=server, now=now)
        s.commit()
        fp_id, proven_id = summary.by_establishment["DR-A"]
    smtp = SmtpServer(port=free_port(), handler=RecordingHandler())
    smtp.start()
    try:
        report = dispatch_pending(
            engine=engine,
            email=SmtpEmailSender(host="127.0.0.1", port=smtp.port, sender="parcours@test"),
        )
    finally:
        smtp.stop()
    assert len(report.sent) == 1
    (mail,) = smtp.handler.received
    assert mail["To"] == "correspondant@dr-a.example" and "2 contrôle(s)" in mail["Subject"]
    assert world.de_portfolio not in mail.get_content()  # counts and a link, never a file number

    # 2. The manager logs in (TOTP) and sees both controls in the inbox.
    acc = world.accounts[Role.MANAGER]
    assert acc.totp_secret
    page.goto(f"{server}/alertes")
    page.get_by_label("Identifiant").fill(acc.login)
    page.get_by_label("Mot de passe").fill(acc.password)
    page.keyboard.press("Enter")
    page.get_by_label("Code à usage unique").fill(
        fresh_totp_code(acc.totp_secret, engine=engine, login=acc.login)
    )
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{server}/alertes")
    expect(page.get_by_test_id("inbox-total")).to_contain_text("2 contrôles")

    # 3. Pre-examination closes the first as a false positive with a structured reason.
    page.get_by_role("link", name=str(fp_id), exact=True).click()
    expect(page.get_by_test_id("match-probability")).to_contain_text("97,0")
    form = page.get_by_test_id("form-close_false_positive")
    form.get_by_label("Motif du faux positif").select_option("appointment_not_recorded")
    form.get_by_label("Précisions").fill(
        "Rendez-vous DPA du 6 janvier tenu par l'agent, non tracé."
    )
    form.get_by_role("button", name="Clore : faux positif (sans convoquer l'agent)").click()
    expect(page.get_by_test_id("control-state")).to_contain_text("Faux positif")

    # 4. The second goes to interview, then to a proven finding with the written report.
    page.goto(f"{server}/alertes/{proven_id}")
    form = page.get_by_test_id("form-schedule_interview")
    form.get_by_label("Constats du pré-examen").fill(
        "Aucun rendez-vous, appel ni tâche ; trois soirs de suite."
    )
    form.get_by_role("button", name="Convoquer à un entretien managérial").click()
    expect(page.get_by_test_id("control-state")).to_contain_text("Entretien managérial")
    form = page.get_by_test_id("form-record_interview")
    # Held since the control was opened (today where the protocol's deadlines run).
    form.get_by_label("Date de l'entretien").fill(load_protocol().local_day(now).isoformat())
    form.get_by_label("Participants").fill("ELD, agent, représentant du personnel")
    form.get_by_label("Explication de l'agent").fill("Curiosité : il s'agit d'un voisin.")
    form.get_by_role("button", name="Consigner l'entretien").click()
    expect(page.get_by_test_id("control-state")).to_contain_text("Constat")
    form = page.get_by_test_id("form-conclude")
    form.get_by_label("Constat", exact=True).select_option("proven")
    form.get_by_label("Justification du constat").fill(
        "Consultations sans finalité professionnelle, reconnues."
    )
    form.locator("label", has_text="Rappel des règles fait").click()
    form.get_by_role("button", name="Générer le compte rendu (PDF)").click()
    expect(page.get_by_test_id("report-ready")).to_be_visible()
    form = page.get_by_test_id("form-conclude")
    form.get_by_role("button", name="Conclure le contrôle").click()
    expect(page.get_by_test_id("control-state")).to_contain_text("Avéré")

    # 5. Download the PDF: its hash is the one shown and the one in the trail.
    with page.expect_download() as download_info:
        page.get_by_test_id("report-link").click()
    pdf = Path(download_info.value.path()).read_bytes()
    digest = hashlib.sha256(pdf).hexdigest()
    assert pdf.startswith(b"%PDF")
    expect(page.get_by_test_id("report-hash")).to_have_text(digest)
    with Session(engine) as s:
        entries = trail.entries(s, limit=500)
        assert any(
            e.action == "report" and json.loads(e.details).get("sha256") == digest for e in entries
        )
        assert any(e.action == "export" and e.object_type == "control_report" for e in entries)
        assert {e.action for e in entries if e.object_type == "control"} >= {
            "view",
            "status",
            "report",
        }
        assert trail.verify(s) == []
        states = {c.control_id: (c.state, c.outcome) for c in s.scalars(select(Control))}
    assert states == {fp_id: ("closed", "false_positive"), proven_id: ("closed", "proven")}
    hosts = {r.split("/")[2] for r in requests if r.startswith("http")}
    assert hosts == {server.split("/")[2]}, hosts
    assert not csp_errors, csp_errors
