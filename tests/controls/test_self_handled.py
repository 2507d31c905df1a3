"""Controls handled by the agent they concern before `queries.may_act_on` existed were not reopened:
the trail finds them (`queries.self_handled_controls`, `parcours controls self-handled`) so that the
national data-protection team can review them."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from parcours.accounts.scope import Scope
from parcours.cli.main import app
from parcours.controls import queries, service, trail
from parcours.controls.models import Control
from parcours.db import session_scope

from .test_protocol import NOW, alert, manager_account, one_control

EVERYWHERE = Scope(None, None)


def _act(s: Session, login: str, action: str, cid: int, **details: object) -> None:
    object_type = "control_report" if action == "export" else "control"
    trail.append(
        s, actor=login, action=action, object_type=object_type, object_id=str(cid),
        details=details, now=NOW + timedelta(minutes=s.query(Control).count()),
    )  # fmt: skip


def history(s: Session) -> dict[str, int]:
    """Three controls as the trail tells their story before the rule:
    - `self_closed`, about AG1, closed as a false positive by AG1's own manager account;
    - `self_viewed`, about AG1 too, only opened by that account (and explained by AG1, legitimately);
    - `colleague`, about AG2, closed by another manager."""
    _, self_closed = one_control(s)
    _, summary = service.launch_campaign(
        s, name="c2", period_start=NOW.date(), period_end=NOW.date(), scenarios=["x"],
        levels=["mandatory"], launched_by="dpo", now=NOW,
        alerts=[alert("b1", "AG1", "DE7", "x"), alert("b2", "AG2", "DE8", "x")],
    )  # fmt: skip
    self_viewed = summary.by_establishment["DR76"][0]
    colleague = summary.by_establishment["DR11"][0]
    manager_account(s, "m.dupont", agent_id="AG1")  # the manager who is the agent AG1
    manager_account(s, "m.autre", agent_id="AG5")
    for cid, login in ((self_closed, "m.dupont"), (colleague, "m.autre")):
        control = s.get(Control, cid)
        assert control is not None
        # As the web layer did before the rule: the step, then its trail entry.
        control.state, control.outcome, control.closed_at = "closed", "false_positive", NOW
        _act(s, login, "view", cid, agent_id=control.agent_id, de_id=control.de_id)
        _act(s, login, "status", cid, transition="close_false_positive", to="closed")
    _act(s, "m.dupont", "view", self_viewed)
    _act(s, "m.dupont", "view_own", self_viewed)
    _act(s, "m.dupont", "explain", self_viewed)
    s.commit()
    return {"self_closed": self_closed, "self_viewed": self_viewed, "colleague": colleague}


def test_the_trail_finds_the_controls_the_agent_concerned_handled(engine: Engine) -> None:
    with Session(engine) as s:
        ids = history(s)
        found = queries.self_handled_controls(s, scope=EVERYWHERE)
        assert [f.control.control_id for f in found] == [ids["self_closed"]]
        (item,) = found
        assert item.closed_by_agent and item.control.outcome == "false_positive"
        assert [(a.login, a.action, a.details["transition"]) for a in item.actions] == [
            ("m.dupont", "status", "close_false_positive")
        ]
        # With the readings: the page of a control about oneself, opened as a manager, is one too;
        # the agent's own pages and explanation are not.
        actions = queries.HANDLING_ACTIONS + queries.READING_ACTIONS
        read = queries.self_handled_controls(s, scope=EVERYWHERE, actions=actions)
        assert [f.control.control_id for f in read] == [ids["self_closed"], ids["self_viewed"]]
        assert [a.action for a in read[1].actions] == ["view"] and not read[1].closed_by_agent
        # In a scope: the establishment's own.
        assert queries.self_handled_controls(s, scope=Scope("DR11", None)) == []


def test_the_command_lists_them_exports_them_and_is_traced(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as s:
        ids = history(s)
    out = tmp_path / "revue.csv"
    result = CliRunner().invoke(
        app, ["controls", "self-handled", "--csv", str(out), "--by", "dpo-national"]
    )
    assert result.exit_code == 1, result.output  # some were found: a check a scheduler can alert on
    assert "1 contrôle(s) traité(s) par l'agent concerné :" in result.output
    assert "m.dupont" in result.output and "close_false_positive" in result.output
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["control_id"], r["login"], r["closed_by_agent"]) for r in rows] == [
        (str(ids["self_closed"]), "m.dupont", "oui")
    ]
    with session_scope(engine) as s:
        (last,) = trail.entries(s, limit=1)
        assert (last.actor, last.action, last.object_id) == (
            "dpo-national",
            "review",
            "self_handled",
        )
        assert trail.verify(s) == []


def test_the_command_says_so_when_there_are_none(engine: Engine) -> None:
    result = CliRunner().invoke(app, ["controls", "self-handled"])
    assert result.exit_code == 0, result.output
    assert "Aucun contrôle traité par l'agent qu'il concerne." in result.output
