"""End to end in a real Chromium against the real server: a confirmed orientation, the DPA booked,
rescheduled in one step, the EDA held, the engagement contract drawn up, signed and downloaded as PDF.
Every page went through the logged file view with the appointment as its context."""

from __future__ import annotations

import io
import shutil
import socket
import threading
import time as clock
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest
import uvicorn
from pypdf import PdfReader
from sqlalchemy import Engine, select, update

from parcours.config import get_settings
from parcours.consultlog.buffer import flush_buffer
from parcours.consultlog.store import ConsultLog
from parcours.db import session_scope
from parcours.notify.models import OutboxMessage
from parcours.scheduling.models import Booking, OpeningRange
from parcours.web.app import create_app
from parcours.web.testing import TEST_PASSWORD, seed_world

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def server(engine: Engine) -> Iterator[str]:
    if engine.dialect.name != "sqlite":
        pytest.skip("the browser journey runs once, on SQLite (the engine tests cover PostgreSQL)")
    with session_scope(engine) as s:
        seed_world(s)
        for weekday in range(7):  # open every day so that the journey never depends on the weekday
            s.add(
                OpeningRange(
                    agency_id="AG-A1",
                    agent_id="AG-0001",
                    weekday=weekday,
                    starts=time(0, 0),
                    ends=time(23, 55),
                )
            )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(engine=engine), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = clock.monotonic() + 20
    while not srv.started:
        if clock.monotonic() > deadline:
            raise RuntimeError("server did not start")
        clock.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed")
def test_orientation_to_signed_contract(server: str, engine: Engine, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    de_id = "DE-A1-001"  # in the counsellor's portfolio
    decided = datetime.now(UTC).date()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_context(accept_downloads=True).new_page()
        page.goto(f"{server}/connexion")
        page.fill("#login", "test-conseiller")
        page.fill("#password", TEST_PASSWORD)
        page.click("button[type=submit]")
        expect(page.get_by_test_id("whoami")).to_contain_text("Test conseiller")

        # The confirmed orientation (France Travail, agency AG-A1) opens the DPA booking.
        page.goto(
            f"{server}/rendez-vous/nouveau/{de_id}?organisation=FT&agence=AG-A1&decision={decided.isoformat()}"
        )
        expect(page.locator("h1")).to_contain_text("Paul DURAND")
        options = page.locator("#slot option")
        first_label = options.nth(0).inner_text()
        page.fill("#email", "paul.durand@example.org")
        page.get_by_role("button", name="Réserver").click()
        expect(page.get_by_test_id("status")).to_have_text("réservé")
        when_booked = page.get_by_test_id("when").inner_text()
        assert when_booked in first_label
        booking_id = page.url.rsplit("/", 1)[1]

        # Partner orientation: no slot, a hand-off.
        page.goto(
            f"{server}/rendez-vous/nouveau/{de_id}?organisation=ML&agence=AG-A1&decision={decided.isoformat()}"
        )
        expect(page.get_by_test_id("handoff")).to_contain_text("Mission Locale")

        # Reschedule in one step, with a reason kept in the history.
        page.goto(f"{server}/rendez-vous/{booking_id}")
        page.select_option("#slot", index=3)
        page.fill("#motif-deplacer", "Empêchement de la personne")
        page.get_by_role("button", name="Déplacer le rendez-vous").click()
        expect(page.get_by_test_id("history")).to_contain_text("déplacé")
        expect(page.get_by_test_id("history")).to_contain_text("Empêchement de la personne")
        assert page.get_by_test_id("when").inner_text() != when_booked

        # The day comes: the appointment has started (moved into the past), the EDA is held.
        with session_scope(engine) as s:
            start = datetime.now(UTC) - timedelta(minutes=5)
            s.execute(
                update(Booking)
                .where(Booking.booking_id == booking_id)
                .values(starts_at=start, ends_at=start + timedelta(minutes=45))
            )
        page.reload()
        page.get_by_role("button", name="Entretien tenu").click()
        expect(page.get_by_test_id("status")).to_have_text("tenu")

        # The engagement contract, drawn up during the DPA.
        page.select_option("#portefeuille", "guide")
        page.locator("label[for=act-recherche_emploi]").click()
        page.locator("label[for=act-immersion]").click()
        page.get_by_role("button", name="Établir le contrat").click()
        expect(page.get_by_test_id("intensity")).to_contain_text(
            "15 h prévues par semaine pour un objectif de 15 h"
        )
        page.select_option("#activite", "atelier_cv")
        page.fill("#heures", "3")
        page.fill("#motif", "Deux ateliers par semaine demandés")
        page.get_by_role("button", name="Enregistrer l'activité").click()
        expect(page.get_by_test_id("plan")).to_contain_text("Deux ateliers par semaine demandés")
        page.get_by_role("button", name="Signer le contrat").click()
        expect(page.get_by_test_id("contract-status")).to_have_text("signé")
        with page.expect_download() as download:
            page.get_by_test_id("pdf").click()
        pdf_path = tmp_path / "contrat.pdf"
        download.value.save_as(pdf_path)
        browser.close()

    text = " ".join(pg.extract_text() for pg in PdfReader(io.BytesIO(pdf_path.read_bytes())).pages)
    assert "Paul DURAND" in text and "Atelier CV" in text and "Signé individuellement" in text
    assert "18 h prévues par semaine" in text

    with session_scope(engine) as s:
        kinds = [
            m.kind for m in s.scalars(select(OutboxMessage).where(OutboxMessage.ref == booking_id))
        ]
    assert kinds == ["dpa_booked", "dpa_rescheduled"]
    log = ConsultLog(get_settings().log_dir)
    flush_buffer(engine, log)
    rows = duckdb.sql(
        f"SELECT action, purpose FROM {log.relation_sql()} WHERE de_id = '{de_id}'"
    ).fetchall()
    purposes = {p for _a, p in rows}
    assert f"contexte : rendez-vous {booking_id}" in purposes
    assert any(a == "print" and booking_id in (p or "") for a, p in rows)
