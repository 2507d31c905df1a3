"""The three steps through the real forms (TestClient, no browser): a posted `report_generated` does not
stand for the report, and the report's finding goes through the conclusion's form as the page fills it
(multi-line justification with accents, checkbox, version moved on by the report)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from parcours.accounts.roles import Role
from parcours.controls import service
from parcours.controls.dispatch import AlertInput
from parcours.controls.models import Control, ControlReport
from parcours.controls.protocol import load_protocol
from parcours.db import session_scope
from parcours.web.app import create_app
from parcours.web.testing import csrf_token_of, login, seed_world

NOW = datetime.now(UTC)
JUSTIFICATION = (
    "Consultations sans finalité professionnelle,\r\nreconnues par l'agent (« curiosité »)."
)


def _version(page: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found, "no version field on the page"
    return found.group(1)


def test_the_steps_through_the_forms(engine: Engine) -> None:
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
    with TestClient(create_app(engine=engine)) as manager:
        login(manager, world.accounts[Role.MANAGER], engine=engine)
        token = csrf_token_of(manager)

        def post(path: str, form: dict[str, str]) -> int:
            page = manager.get(f"/alertes/{cid}").text
            data = form | {"csrf_token": token, "version": _version(page)}
            return manager.post(path, data=data, follow_redirects=False).status_code

        step = f"/alertes/{cid}/etape"
        assert (
            post(f"{step}/schedule_interview", {"pre_examination_notes": "Aucun rendez-vous"})
            == 303
        )
        opened = load_protocol().local_day(NOW).isoformat()  # the interview: since the opening
        interview = {
            "interview_date": opened,
            "participants": "ELD, agent",
            "agent_explanation": "x",
        }
        assert post(f"{step}/record_interview", interview) == 303
        finding = {
            "outcome": "proven",
            "justification": JUSTIFICATION,
            "rules_reminder_acknowledged": "on",
        }
        # Old code: 303, closed as proven with no report at all.
        assert post(f"{step}/conclude", finding | {"report_generated": "1"}) == 422
        assert post(f"/alertes/{cid}/compte-rendu", finding) == 303
        # The page now fills the form with the report's finding; posting it back concludes.
        page = manager.get(f"/alertes/{cid}").text
        assert 'data-testid="report-ready"' in page
        assert post(f"{step}/conclude", finding) == 303
    with session_scope(engine) as s:
        control = s.get(Control, cid)
        assert control is not None and (control.state, control.outcome) == ("closed", "proven")
        report = s.query(ControlReport).filter_by(control_id=cid).one()
        assert control.data["report_sha256"] == report.sha256
