"""End to end in a real headless Chromium against the real server (a `parcours serve` process on a
free loopback port): log in with TOTP, search, open a file in scope, open one out of scope with a
declared purpose, then read the consultation log. No request may leave 127.0.0.1, and the page may
not hit the Content-Security-Policy (no inline script or style slipped in)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine

from parcours.accounts.roles import Role
from parcours.config import get_settings
from parcours.consultlog.buffer import flush_buffer
from parcours.consultlog.store import ConsultLog
from parcours.web.testing import World, fresh_totp_code

pytestmark = pytest.mark.browser


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    # The served process and the test share one SQLite file.
    return sqlite_url


def test_counsellor_journey_in_chromium(
    server: str, browser_page: tuple[object, list[str], list[str]], world: World, engine: Engine
) -> None:
    from playwright.sync_api import Page, expect

    page, requests, csp_errors = browser_page
    assert isinstance(page, Page)
    acc = world.accounts[Role.MANAGER]
    assert acc.totp_secret

    # Log in with the keyboard only: type, Enter, type the code, Enter.
    page.goto(f"{server}/dossiers")
    expect(page).to_have_url(f"{server}/connexion?suite=/dossiers")
    expect(page.get_by_label("Identifiant")).to_be_focused()
    page.get_by_label("Identifiant").fill(acc.login)
    page.get_by_label("Mot de passe").fill(acc.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Code de vérification")).to_be_visible()
    page.get_by_label("Code à usage unique").fill(
        fresh_totp_code(acc.totp_secret, engine=engine, login=acc.login)
    )
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{server}/dossiers")
    expect(page.get_by_test_id("whoami")).to_contain_text("Test manager")
    # Keyboard: the first Tab reaches the skip link to the content.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Contenu")).to_be_focused()

    # Search (HTMX replaces the results without reloading the page).
    page.get_by_label("Nom (et éventuellement prénom) du demandeur d'emploi").fill("durand")
    page.get_by_role("button", name="Rechercher").click()
    expect(
        page.get_by_role("link", name=f"Ouvrir le dossier {world.de_same_agency}")
    ).to_be_visible()
    expect(page).to_have_url(f"{server}/dossiers?q=durand")

    # Open a file in scope (the manager's agency).
    page.get_by_role("link", name=f"Ouvrir le dossier {world.de_same_agency}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Marie DURAND")
    expect(page.get_by_test_id("access-reason")).to_contain_text("dossier de votre agence")

    # Open a file out of scope: the purpose comes first.
    page.goto(f"{server}/dossiers?q=moreau")
    page.get_by_role("link", name=f"Ouvrir le dossier {world.de_other_scope}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Motif de consultation")
    # DSFR draws its own radio over the input: click the label, as a person does.
    page.locator(
        "label", has_text="Appel 3949 — la téléphonie a fait remonter le mauvais dossier"
    ).click()
    expect(
        page.get_by_label("Appel 3949 — la téléphonie a fait remonter le mauvais dossier")
    ).to_be_checked()
    page.get_by_label("Précisions").fill("appel du 27/11 à 10h12")
    page.get_by_role("button", name="Consulter le dossier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Louis MOREAU")
    expect(page.get_by_test_id("access-reason")).to_contain_text("motif déclaré")

    # On a phone-sized screen the menu folds behind a button (DSFR modal), reachable and usable.
    page.set_viewport_size({"width": 375, "height": 800})
    expect(page.get_by_role("link", name="Dossiers")).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("link", name="Dossiers")).to_be_visible()
    page.get_by_role("button", name="Fermer").click()
    page.set_viewport_size({"width": 1280, "height": 800})

    # Log out.
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Connexion à Parcours")).to_be_visible()

    log = ConsultLog(get_settings().log_dir)
    flush_buffer(engine, log)
    events = sorted(log.events_for(), key=lambda e: str(e["ts"]))
    assert [
        (e["de_id"], e["action"], e["agent_id"], e["application"], e["source"]) for e in events
    ] == [
        (world.de_same_agency, "view", "AG-0003", "PARCOURS", "app"),
        (world.de_other_scope, "view", "AG-0003", "PARCOURS", "app"),
    ]
    assert events[0]["purpose"] is None
    assert events[1]["purpose"] == (
        "Appel 3949 — la téléphonie a fait remonter le mauvais dossier — appel du 27/11 à 10h12"
    )

    hosts = {urlsplit(u).netloc for u in requests if not u.startswith(("data:", "about:"))}
    assert hosts == {urlsplit(server).netloc}, hosts
    assert not csp_errors, csp_errors
