"""The dashboard: scope per account, published figures only, the PDF report; and end to end in Chromium."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from parcours.accounts.roles import Role
from parcours.barometer.dashboard import cached_results
from parcours.barometer.importer import import_file
from parcours.barometer.results import ALL, TOTAL, Group
from parcours.barometer.synth import SynthOptions, write_survey
from parcours.web.testing import World, fresh_totp_code


@pytest.fixture
def survey(engine: Engine, world: World, tmp_path: Path) -> Engine:
    path = tmp_path / "vagues.csv"
    write_survey(path, SynthOptions(respondents_per_wave=500, seed=31))
    import_file(path, engine=engine)
    return engine


def test_works_council_member_reads_own_region_not_another(
    survey: Engine, client_as: Callable[[Role], TestClient]
) -> None:
    c = client_as(Role.CSE)  # establishment DR-A, region 76 = Occitanie
    r = c.get("/barometre", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/barometre/OCC"
    page = c.get("/barometre/OCC")
    assert page.status_code == 200
    assert "Occitanie face au national" in page.text
    results = cached_results(survey)
    iqvt = results.figure(results.waves[-1], "iqvt", Group("OCC", TOTAL, ALL)).value
    assert iqvt is not None and f"{iqvt:.1f}".replace(".", ",") in page.text
    assert c.get("/barometre/FR").status_code == 200
    assert c.get("/barometre/IDF").status_code == 404
    pdf = c.get("/barometre/OCC/rapport.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_national_team_reads_every_region(
    survey: Engine, client_as: Callable[[Role], TestClient]
) -> None:
    c = client_as(Role.NATIONAL)
    assert c.get("/barometre", follow_redirects=False).headers["location"] == "/barometre/FR"
    nation = c.get("/barometre/FR")
    assert nation.status_code == 200 and 'data-testid="regions"' in nation.text
    assert c.get("/barometre/IDF").status_code == 200


def test_counsellor_has_no_access(survey: Engine, client_as: Callable[[Role], TestClient]) -> None:
    assert client_as(Role.CONSEILLER).get("/barometre/OCC").status_code == 403


def test_dashboard_shows_no_suppressed_figure(
    survey: Engine, client_as: Callable[[Role], TestClient]
) -> None:
    """Every number in a breakdown cell of a small region is either published or the secret mark."""
    c = client_as(Role.NATIONAL)
    results = cached_results(survey)
    last = results.waves[-1]
    page = c.get("/barometre/GUF").text
    hidden = [
        g
        for (w, m, g), f in results.figures.items()
        if w == last and m == "iqvt" and g.scope == "GUF" and g.dim != TOTAL and f.value is None
    ]
    assert hidden, "the small region should have suppressed groups"
    assert page.count(">s<") >= len(hidden)


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    # The served process and the test share one SQLite file.
    return sqlite_url


@pytest.mark.browser
def test_dashboard_in_chromium(
    survey: Engine,
    server: str,
    browser_page: tuple[object, list[str], list[str]],
    world: World,
) -> None:
    from playwright.sync_api import Page, expect

    page, requests, csp_errors = browser_page
    assert isinstance(page, Page)
    acc = world.accounts[Role.CORRESPONDANT]
    assert acc.totp_secret
    page.goto(f"{server}/barometre")
    page.get_by_label("Identifiant").fill(acc.login)
    page.get_by_label("Mot de passe").fill(acc.password)
    page.keyboard.press("Enter")
    page.get_by_label("Code à usage unique").fill(
        fresh_totp_code(acc.totp_secret, engine=survey, login=acc.login)
    )
    page.keyboard.press("Enter")
    # The first page computes every figure with its suppression (seconds on a loaded machine).
    expect(page).to_have_url(f"{server}/barometre/OCC", timeout=120000)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Occitanie face au national")
    # The three Vega-Lite charts render (vendored scripts, expressions interpreted under the CSP).
    for chart in ("index-trend", "themes", "changes"):
        expect(page.locator(f'[data-chart="{chart}-spec"] svg').first).to_be_visible(timeout=20000)
    expect(page.get_by_test_id("headline")).to_contain_text("IQVT")
    expect(page.get_by_test_id("watch")).to_be_visible()
    # Switch to the nation through the scope links.
    page.get_by_role("link", name="France").click()
    expect(page).to_have_url(f"{server}/barometre/FR", timeout=60000)
    expect(page.get_by_test_id("regions")).to_contain_text("Occitanie")
    expect(page.locator('[data-chart="themes-spec"] svg').first).to_be_visible(timeout=20000)
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in requests), [
        u for u in requests if urlsplit(u).hostname != "127.0.0.1"
    ]
    assert csp_errors == [], "\n".join(csp_errors)
