"""Reopening and the frozen record through the pages (TestClient, real login and CSRF): the page of a
closed control offers the national team a form to reopen it (with its reason) and a note; nobody else
gets either, and posting anyway is refused by the service (403 to reopen, 409 to comment)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from parcours.accounts.roles import Role
from parcours.controls import queries, service, trail
from parcours.controls.dispatch import AlertInput
from parcours.controls.protocol import load_protocol
from parcours.controls.report import generate_report
from parcours.db import session_scope
from parcours.web.app import create_app
from parcours.web.testing import World, csrf_token_of, login, seed_world

NOW = datetime.now(UTC)
REASON = "Contrôle clos par l'agent concerné avant la règle : nouvel examen."


def _version(page: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found, "no version field on the page"
    return found.group(1)


def _closed_control(engine: Engine, *, proven: bool) -> tuple[World, int]:
    """A closed control about AG-0002 (agency AG-A1 of DR-A): a false positive, or proven with its report."""
    with session_scope(engine) as s:
        world = seed_world(s)
        alert = AlertInput(
            alert_id=f"web-{uuid.uuid4().hex[:8]}", agent_id="AG-0002", de_id=world.de_same_agency,
            scenarios=("w2_current_agents",), level="mandatory", score=80.0,
            first_seen=NOW - timedelta(days=3), last_seen=NOW - timedelta(days=1), consultations=2,
            reasons=("Aucun contexte",), match_probability=0.99,
        )  # fmt: skip
        _, summary = service.launch_campaign(
            s, name="web", period_start=date(2026, 1, 1), period_end=NOW.date(),
            scenarios=["w2_current_agents"], levels=["mandatory"], launched_by="dpo", now=NOW,
            alerts=[alert],
        )  # fmt: skip
        (cid,) = summary.by_establishment["DR-A"]
        if not proven:
            service.transition(
                s, control_id=cid, name="close_false_positive", actor="test-manager", now=NOW,
                fields={"fp_reason": "team_cover", "fp_comment": "Portefeuille partagé"},
            )  # fmt: skip
            return world, cid
        opened = load_protocol().local_day(NOW).isoformat()  # the interview: since the opening
        for name, fields in (
            ("schedule_interview", {"pre_examination_notes": "Rien"}),
            ("record_interview", {"interview_date": opened, "participants": "ELD",
                                  "agent_explanation": "Curiosité"}),
        ):  # fmt: skip
            service.transition(
                s, control_id=cid, name=name, fields=fields, actor="test-manager", now=NOW
            )
        finding = {
            "outcome": "proven",
            "justification": "Sans motif",
            "rules_reminder_acknowledged": True,
        }
        control = service.get_control(s, cid)
        generate_report(s, control=control, fields=finding, author="test-manager", now=NOW)
        service.transition(
            s, control_id=cid, name="conclude", fields=finding, actor="test-manager", now=NOW
        )
    return world, cid


def test_only_the_national_team_gets_the_forms_and_may_use_them(engine: Engine) -> None:
    world, cid = _closed_control(engine, proven=False)
    app = create_app(engine=engine)
    for role in (Role.MANAGER, Role.CORRESPONDANT):
        with TestClient(app) as client:
            login(client, world.accounts[role], engine=engine)
            page = client.get(f"/alertes/{cid}").text
            assert 'data-testid="form-reopen"' not in page
            assert 'data-testid="form-comment"' not in page
            assert "son dossier est figé." in page
            token = csrf_token_of(client)
            reopen = client.post(
                f"/alertes/{cid}/etape/reopen",
                data={"csrf_token": token, "reopen_reason": REASON},  # no form: no version
                follow_redirects=False,
            )
            assert reopen.status_code == 403
            assert "réservé" in reopen.text
            comment = client.post(
                f"/alertes/{cid}/commentaire",
                data={"csrf_token": token, "body": "Après coup"},
                follow_redirects=False,
            )
            assert comment.status_code == 409
            assert "son dossier est figé" in comment.text
    with session_scope(engine) as s:
        c = service.get_control(s, cid)
        assert c.state == "closed" and [n.kind for n in service.notes(s, cid)] == ["transition"]

    with TestClient(app) as national:
        login(national, world.accounts[Role.NATIONAL], engine=engine)
        page = national.get(f"/alertes/{cid}").text
        assert 'data-testid="form-reopen"' in page and 'name="reopen_reason"' in page
        assert "Note de l&#39;équipe nationale" in page or "Note de l'équipe nationale" in page
        token = csrf_token_of(national)
        note = national.post(
            f"/alertes/{cid}/commentaire",
            data={"csrf_token": token, "body": "Réouverture : revue des contrôles auto-traités."},
            follow_redirects=False,
        )
        assert note.status_code == 303
        # A reason is required.
        empty = national.post(
            f"/alertes/{cid}/etape/reopen",
            data={"csrf_token": token, "reopen_reason": " ", "version": _version(page)},
            follow_redirects=False,
        )
        assert empty.status_code == 422
        done = national.post(
            f"/alertes/{cid}/etape/reopen",
            data={"csrf_token": token, "reopen_reason": REASON, "version": _version(page)},
            follow_redirects=False,
        )
        assert done.status_code == 303
        page = national.get(f"/alertes/{cid}").text
        assert "Pré-examen" in page and 'data-testid="past-examinations"' in page
        assert REASON.replace("'", "&#39;") in page
    with session_scope(engine) as s:
        c = service.get_control(s, cid)
        assert (c.state, c.outcome) == ("pre_examination", None)
        status = [e for e in trail.entries(s, limit=50) if e.action == "status"]
        details = json.loads(status[0].details)
        assert status[0].actor == world.accounts[Role.NATIONAL].login
        assert details["transition"] == "reopen" and details["reason"] == REASON
        assert details["previous_outcome"] == "false_positive"
        assert trail.verify(s) == []


def test_a_superseded_report_stays_downloadable(engine: Engine) -> None:
    world, cid = _closed_control(engine, proven=True)
    with session_scope(engine) as s:
        report = queries.current_report(s, cid)
        assert report is not None
        first_id, first_sha = report.report_id, report.sha256
        service.transition(
            s, control_id=cid, name="reopen", fields={"reopen_reason": REASON},
            actor=world.accounts[Role.NATIONAL].login, now=NOW,
        )  # fmt: skip
    with TestClient(create_app(engine=engine)) as manager:
        login(manager, world.accounts[Role.MANAGER], engine=engine)
        page = manager.get(f"/alertes/{cid}").text
        # The reopened control's page: no current report, the superseded one listed.
        assert 'data-testid="report-ready"' not in page and first_sha in page
        assert manager.get(f"/alertes/{cid}/compte-rendu.pdf").status_code == 404
        pdf = manager.get(f"/alertes/{cid}/compte-rendu.pdf?rapport={first_id}")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert f"-remplace-{first_id}.pdf" in pdf.headers["content-disposition"]
        for bad in (first_id + 1000, 2**40):
            assert manager.get(f"/alertes/{cid}/compte-rendu.pdf?rapport={bad}").status_code == 404
    with session_scope(engine) as s:
        (last,) = trail.entries(s, limit=1)
        assert last.action == "export"
        assert json.loads(last.details) == {"sha256": first_sha, "superseded": True}
