"""End to end in a real Chromium: a counsellor runs an interview with the keyboard, from the first
question to a decision that changes the proposal. The server is the real app under uvicorn."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright

from parcours.accounts.roles import Role
from parcours.db import make_engine, session_scope
from parcours.migrate import upgrade
from parcours.web.app import create_app
from parcours.web.testing import World, seed_world

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(
    parcours_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, World]]:
    url = f"sqlite:///{parcours_home / 'browser.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        world = seed_world(s)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(engine=engine), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", world
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture
def page() -> Iterator[Page]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("Chromium is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        context = browser.new_context(locale="fr-FR")
        yield context.new_page()
        browser.close()


def _choose(page: Page, question: str, code: str) -> None:
    """Select a radio answer from the keyboard: focus the group, then Space on the choice."""
    page.focus(f"#{question}-{code}")
    page.keyboard.press("Space")


def test_interview_to_changed_decision_with_the_keyboard(
    live_server: tuple[str, World], page: Page
) -> None:
    base, world = live_server
    account = world.accounts[Role.CONSEILLER]
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)

    page.goto(f"{base}/connexion")
    page.keyboard.type(account.login)  # the login field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(account.password)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("whoami")).to_be_visible()

    page.goto(f"{base}/orientation")
    page.keyboard.type(world.de_portfolio)  # autofocus on the registrant's id
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Paul DURAND")
    page.focus("#canal-phone")
    page.keyboard.press("Enter")  # submits the start form
    expect(page.locator("#edo")).to_be_visible()

    # First questions; each change is autosaved through HTMX.
    _choose(page, "work_situation", "within_2_years")
    expect(page.locator("#autosave-status")).to_contain_text("Brouillon enregistré")
    page.focus("#inactivity_months")
    page.keyboard.type("8")
    page.keyboard.press("Tab")
    page.keyboard.type("Comptable")
    page.keyboard.press("Tab")
    page.focus("#age")
    page.keyboard.type("34")
    # Leaving the field fires `change`: an autosave of the whole form. The earlier fields' autosaves
    # may still be queued (hx-sync): wait for the one that carries the age, not the first to answer.
    with page.expect_response(
        lambda r: r.url.endswith("/reponses") and "age=34" in (r.request.post_data or "")
    ) as saved:
        page.keyboard.press("Tab")
    assert saved.value.ok

    # The call drops: the draft is still there after a reload.
    page.reload()
    expect(page.locator("#work_situation-within_2_years")).to_be_checked()
    expect(page.locator("#age")).to_have_value("34")

    for question, code in [
        ("asks_mission_locale", "false"),
        ("boeth", "false"),
        ("rsa", "false"),
        ("qualification", "bac2"),
        ("aspiration", "ready_now"),
        ("difficulty_health", "none"),
        ("difficulty_housing", "none"),
        ("difficulty_mobility", "medium"),
        ("difficulty_childcare", "strong"),
        ("difficulty_caregiving", "none"),
        ("difficulty_language", "none"),
        ("difficulty_digital", "none"),
        ("difficulty_financial", "none"),
        ("difficulty_other", "none"),
        ("benefit_claim_requested", "true"),
    ]:
        _choose(page, question, code)
    page.focus("#terminer")
    page.keyboard.press("Enter")

    proposal = page.get_by_test_id("proposal")
    expect(proposal).to_contain_text("France Travail")
    expect(proposal).to_contain_text("Accompagnement global")
    expect(page.get_by_test_id("trace")).to_contain_text("1 difficulté(s) à fort impact")

    # The counsellor changes the modality: reason and comment are required.
    page.focus("#modality")
    page.select_option("#modality", "renforce")
    page.focus("#change_reason")
    page.select_option("#change_reason", "situation_changed")
    page.focus("#change_comment")
    page.keyboard.type("Solution de garde trouvée pendant l'entretien.")
    page.focus("#modifier")
    page.keyboard.press("Enter")

    decision = page.get_by_test_id("decision")
    expect(decision).to_contain_text("Renforcé")
    expect(decision).to_contain_text("modifiée — Situation évoluée depuis l'entretien")
    expect(proposal).to_contain_text("Accompagnement global")  # the proposal is kept beside it
    assert outside == [], f"the page fetched from outside the server: {outside}"
