"""Trail and account pages, error pages, demo accounts, the CLI, and the vendored assets."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from parcours.accounts.demo import create_demo_accounts
from parcours.accounts.models import User
from parcours.accounts.roles import ROLES_REQUIRING_TOTP, Role
from parcours.cli.main import app as cli_app
from parcours.controls import trail
from parcours.db import session_scope
from parcours.web import assets
from parcours.web.testing import World, csrf_token_of


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


def test_trail_page_shows_entries_and_tampering(
    client_as: Callable[[Role], TestClient], engine: Engine
) -> None:
    with session_scope(engine) as s:
        trail.append(s, actor="demo-manager", action="view", object_type="alert", object_id="42")
        trail.append(s, actor="demo-manager", action="assign", object_type="alert", object_id="42")
    c = client_as(Role.NATIONAL)
    r = c.get("/controle/journal")
    assert "Chaînage intègre" in r.text and "assign" in r.text
    frag = c.get(
        "/controle/journal", params={"acteur": "demo-manager"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in frag.text and "assign" in frag.text
    csv_body = c.get("/controle/journal/export.csv").text
    assert csv_body.startswith("seq,ts,actor")
    with Session(engine) as s:  # the export itself is in the trail
        assert trail.entries(s, limit=1)[0].action == "export"
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER trail_entries_no_update"))  # schema rights first
        conn.execute(text("UPDATE trail_entries SET object_id = '43' WHERE seq = 1"))
    assert "Le journal a été altéré" in c.get("/controle/journal").text


def test_reading_the_trail_campaigns_and_ones_own_controls_is_traced(
    client_as: Callable[[Role], TestClient], engine: Engine
) -> None:
    """Who looked at whose accesses is itself an access to the alert application."""
    national, manager = client_as(Role.NATIONAL), client_as(Role.MANAGER)
    for client, url, expected in (
        (national, "/controle/journal?acteur=demo-manager", ("list", "trail")),
        (national, "/campagnes", ("list", "campaign")),
        (manager, "/mes-controles", ("list_own", "control")),
    ):
        assert client.get(url).status_code == 200, url
        with Session(engine) as s:
            last = trail.entries(s, limit=1)[0]
        assert (last.action, last.object_type) == expected, url


def test_admin_manages_accounts_of_its_establishment_only(
    client_as: Callable[[Role], TestClient], world: World, engine: Engine
) -> None:
    c = client_as(Role.ADMIN)
    page = c.get("/admin/comptes").text
    assert "test-conseiller" in page and "test-autre-region" not in page
    r = c.post(
        f"/admin/comptes/{world.other_scope_user_id}/desactiver",
        data={"csrf_token": csrf_token_of(c)},
        follow_redirects=False,
    )
    assert r.status_code == 404
    own = world.accounts[Role.ADMIN].user_id
    r = c.post(f"/admin/comptes/{own}/desactiver", data={"csrf_token": csrf_token_of(c)})
    assert r.status_code == 409


def test_error_pages_are_french_html(client_as: Callable[[Role], TestClient]) -> None:
    c = client_as(Role.CSE)
    r = c.get("/controle/journal")
    assert r.status_code == 403 and "Accès refusé" in r.text and "Test cse" in r.text
    r = c.get("/nulle-part")
    assert r.status_code == 404 and "Page introuvable" in r.text


def test_navigation_shows_only_what_the_role_may_open(
    client_as: Callable[[Role], TestClient],
) -> None:
    national = client_as(Role.NATIONAL).get("/").text
    counsellor = client_as(Role.CONSEILLER).get("/").text
    assert 'href="/controle/journal"' in national and 'href="/controle/journal"' not in counsellor
    assert 'href="/dossiers"' in counsellor


def test_demo_accounts(engine: Engine, world: World) -> None:
    with session_scope(engine) as s:
        first = create_demo_accounts(s)
    assert {a.role for a in first} == set(Role)
    by_role = {a.role: a for a in first}
    assert by_role[Role.CONSEILLER].agent_id == world.counsellor_agent  # largest portfolio of AG-A1
    assert all((a.totp_secret is not None) == (a.role in ROLES_REQUIRING_TOTP) for a in first)
    with session_scope(engine) as s:
        second = create_demo_accounts(s)  # idempotent: new passwords, same secrets
    assert [a.totp_secret for a in second] == [a.totp_secret for a in first]
    assert all(a.password != b.password for a, b in zip(first, second, strict=True))


def test_cli_users(engine: Engine, world: World) -> None:
    runner = CliRunner()
    r = runner.invoke(
        cli_app,
        [
            "users",
            "add",
            "--login",
            "jdupont",
            "--role",
            "manager",
            "--establishment",
            "DR-A",
            "--agency",
            "AG-A1",
            "--password-stdin",
        ],
        input="Un-Mot-De-Passe-Solide-2026\n",
    )
    assert r.exit_code == 0, r.output
    assert "Secret TOTP" in r.output and "otpauth://" in r.output
    r = runner.invoke(
        cli_app,
        [
            "users",
            "add",
            "--login",
            "faible",
            "--role",
            "cse",
            "--establishment",
            "DR-A",
            "--password-stdin",
        ],
        input="court\n",
    )
    assert r.exit_code == 1 and "12 caractères" in r.output
    r = runner.invoke(
        cli_app,
        [
            "users",
            "add",
            "--login",
            "sansagence",
            "--role",
            "conseiller",
            "--establishment",
            "DR-A",
            "--password-stdin",
        ],
        input="Un-Mot-De-Passe-Solide-2026\n",
    )
    assert r.exit_code == 1 and "exige une agence" in r.output
    assert runner.invoke(cli_app, ["users", "disable", "jdupont"]).exit_code == 0
    r = runner.invoke(cli_app, ["users", "list", "--establishment", "DR-A"])
    assert "jdupont" in r.output and "désactivé" in r.output
    with Session(engine) as s:
        assert s.query(User).filter_by(login="jdupont").one().disabled
    r = runner.invoke(cli_app, ["users", "demo"])
    assert r.exit_code == 0 and "demo-national" in r.output, r.output


# -- assets: nothing outside the server ------------------------------------------------------------

EXTERNAL = re.compile(r"""(?:src|href|action|url)\s*[=(]\s*["']?\s*(?:https?:)?//""", re.I)


def test_rendered_pages_reference_nothing_outside_the_server(
    client_as: Callable[[Role], TestClient], world: World
) -> None:
    pages = []
    c = client_as(Role.CONSEILLER)
    pages += [
        c.get("/").text,
        c.get("/dossiers?q=du").text,
        c.get(f"/dossiers/{world.de_portfolio}").text,
        c.get(f"/dossiers/{world.de_portfolio}/impression").text,
        c.get(f"/dossiers/{world.de_other_scope}/motif").text,
    ]
    pages.append(client_as(Role.NATIONAL).get("/controle/journal").text)
    pages.append(client_as(Role.ADMIN).get("/admin/comptes").text)
    pages.append(TestClient(c.app).get("/connexion").text)
    for html in pages:
        assert not EXTERNAL.search(html), EXTERNAL.search(html)
        for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert ref.startswith(("/", "#")) and not ref.startswith("//"), ref
            if ref.startswith(assets.STATIC_URL):
                assert c.get(ref).status_code == 200, ref


def test_vendored_css_resolves_every_url_locally() -> None:
    css_path = assets.STATIC_DIR / "vendor" / f"dsfr-{assets.DSFR_VERSION}" / "dsfr.min.css"
    css = css_path.read_text()
    urls = {u.strip("'\"") for u in re.findall(r"url\(([^)]+)\)", css)}
    for u in urls:
        if u.startswith("data:"):
            continue
        assert not u.startswith(("http:", "https:", "//")), u
        assert (css_path.parent / u.split("?")[0].split("#")[0]).is_file(), u
    assert (assets.STATIC_DIR / "vendor" / f"htmx-{assets.HTMX_VERSION}.min.js").is_file()


class _Fields(HTMLParser):
    """Collects form fields and the ids that labels point at."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label" and a.get("for"):
            self.label_for.add(str(a["for"]))
        if tag in ("input", "select", "textarea") and a.get("type") not in (
            "hidden",
            "submit",
            "button",
        ):
            self.fields.append(a)


def test_every_field_has_a_label(client_as: Callable[[Role], TestClient], world: World) -> None:
    c = client_as(Role.CONSEILLER)
    pages = [
        TestClient(c.app).get("/connexion").text,
        c.get("/dossiers").text,
        c.get(f"/dossiers/{world.de_other_scope}/motif").text,
        c.get("/compte/mot-de-passe").text,
        client_as(Role.NATIONAL).get("/controle/journal").text,
    ]
    seen = 0
    for html in pages:
        parser = _Fields()
        parser.feed(html)
        for field in parser.fields:
            seen += 1
            assert field.get("id") in parser.label_for, f"field without a label: {field}"
    assert seen >= 10


def test_campaigns_page_shows_what_each_detection_could_not_use(
    client_as: Callable[[Role], TestClient], engine: Engine
) -> None:
    from datetime import UTC, date, datetime

    from parcours.audit.models import DetectionRun

    report = {
        "inputs": {
            "rows_read": 120,
            "invalid_timestamp": 3,
            "duplicate_de_ids": 2,
            "unreadable_values": {"tasks.closed_at": 1},
            "a_count_of_a_later_version": 7,  # an unknown key of another version is left out
        }
    }
    with session_scope(engine) as s:
        s.add(
            DetectionRun(
                run_id="run-test", started_at=datetime(2024, 7, 1, 8, tzinfo=UTC),
                period_start=date(2024, 4, 1), period_end=date(2024, 6, 30), naive=False,
                engine="duckdb", source="interchange:/data", identity_resolver="splink",
                status="done", consultations=117, situations=4, mandatory=1, optional=3,
                share_explained=0.963, report=json.dumps(report),
            )
        )  # fmt: skip
    page = client_as(Role.NATIONAL).get("/campagnes").text
    runs = page[page.index('data-testid="detection-runs"') :]
    assert "3 horodatages illisibles (ignorés)" in runs
    assert "2 dossiers de demandeurs en double (une ligne gardée par identifiant)" in runs
    assert "1 valeurs illisibles dans tasks.closed_at (tâche tenue pour close" in runs
    assert "96,3" in runs and "1 / 3" in runs


def test_steering_charts_speak_french_and_say_when_they_are_empty(
    client_as: Callable[[Role], TestClient], engine: Engine
) -> None:
    from datetime import UTC, date, datetime

    from parcours.controls.models import Campaign, Control

    now = datetime(2024, 7, 1, 10, tzinfo=UTC)
    with session_scope(engine) as s:
        s.add(
            Campaign(
                campaign_id=1, name="c", period_start=date(2024, 4, 1), period_end=date(2024, 6, 30),
                scenarios=[], levels=["mandatory"], launched_by="t", launched_at=now,
                alerts_received=1, controls_created=1, controls_updated=0,
            )
        )  # fmt: skip
        s.flush()
        s.add(
            Control(
                campaign_id=1, establishment_id="DR-A", agency_id="AG-A1", agent_id="AG-0001",
                de_id="DE-1", scenarios=["w2_off_hours"], main_scenario="w2_off_hours",
                level="mandatory", score=60, match_probability=None, reasons=[], alert_ids=[],
                first_seen=now, last_seen=now, consultations=1, state="pre_examination",
                step_due_on=date(2024, 7, 10), assignee=None, outcome=None, closing_reason=None,
                created_at=now, updated_at=now, closed_at=None, data={}, version=1,
            )
        )  # fmt: skip
    page = client_as(Role.MANAGER).get("/pilotage").text
    weeks = json.loads(page.split('id="weeks-spec">', 1)[1].split("</script>", 1)[0])
    assert {r["scenario"] for r in weeks["data"]["values"]} == {
        "Consultation en dehors des jours et horaires habituels"
    }
    # nothing closed yet: a sentence, not empty axes
    assert 'data-testid="results-empty"' in page and 'id="results-spec"' not in page
