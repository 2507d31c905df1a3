"""Steering aggregates, computed by the database, checked against hand-computed figures on SQLite and
PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from parcours.accounts.scope import Scope
from parcours.controls import steering
from parcours.controls.models import Campaign, Control
from parcours.registry.models import Agent, Establishment

ALL = Scope(establishment_id=None, agency_id=None)
NOW = datetime(2024, 7, 1, 10, tzinfo=UTC)
_ids = itertools.count(1)


def add(
    engine: Engine,
    rows: list[tuple[str, str, str, str | None, float]],
    *,
    closed_after: timedelta = timedelta(days=10),
) -> None:
    """rows: (establishment, agent, scenario, outcome or None if open, score)."""
    with Session(engine) as s:
        if s.get(Campaign, 1) is None:
            s.add(Campaign(campaign_id=1, name="c", period_start=date(2024, 4, 1), period_end=date(2024, 6, 30),
                           scenarios=[], levels=["mandatory"], launched_by="t", launched_at=NOW,
                           alerts_received=0, controls_created=0, controls_updated=0))  # fmt: skip
            s.flush()
        s.execute(insert(Control), [
            {"campaign_id": 1, "establishment_id": est, "agency_id": None, "agent_id": agent,
             "de_id": f"DE{next(_ids)}", "scenarios": [sc], "main_scenario": sc, "level": "mandatory",
             "score": score, "match_probability": None, "reasons": [], "alert_ids": [],
             "first_seen": NOW, "last_seen": NOW, "consultations": 1,
             "state": "closed" if outcome else "pre_examination", "step_due_on": date(2024, 7, 10),
             "assignee": None, "outcome": outcome, "closing_reason": None, "created_at": NOW, "updated_at": NOW,
             "closed_at": NOW + closed_after if outcome else None, "data": {}, "version": 1}
            for est, agent, sc, outcome, score in rows
        ])  # fmt: skip
        s.commit()


def test_results_confirmed_share_false_positive_rate_and_follow_up_by_hand(engine: Engine) -> None:
    add(
        engine,
        [("E1", "a", "s1", "proven", 80)] * 3
        + [("E1", "b", "s1", "not_proven", 80)]
        + [("E1", "c", "s1", "false_positive", 80)] * 4
        + [("E1", "d", "s1", None, 80)] * 2,
    )
    with Session(engine) as s:
        res = steering.results(s, ALL, ["scenario"]).set_index("scenario").loc["s1"]
        assert res["closed"] == 8
        assert res["confirmed_share"] == 3 / 4
        assert res["false_positive_rate"] == 4 / 8
        follow = steering.follow_up(s, ALL, today=date(2024, 7, 11))
        assert follow["backlog"] == {"pre_examination": 2} and follow["overdue"] == 2
        assert follow["median_days_to_close"] == 10.0 and follow["closed"] == 8
        gen = steering.generation(s, ALL)
        assert gen.to_dict("records") == [
            {
                "week": date(2024, 7, 1),
                "scenario": "s1",
                "level": "mandatory",
                "establishment_id": "E1",
                "controls": 10,
            }
        ]
        assert steering.results(s, Scope(establishment_id="E2", agency_id=None), ["scenario"]).empty


def test_scenario_status_feedback(engine: Engine) -> None:
    add(
        engine,
        [("E1", f"a{i}", "noisy", "false_positive", 50) for i in range(18)]
        + [("E1", "x", "noisy", "proven", 50)] * 2,
    )
    add(
        engine,
        [("E1", f"a{i}", "good", "proven", 50) for i in range(15)]
        + [("E1", "y", "good", "not_proven", 50)] * 5,
    )
    add(engine, [("E1", "z", "few", "proven", 50)] * 3)
    with Session(engine) as s:
        status = steering.scenario_status(s, ALL).set_index("scenario")["status"].to_dict()
    assert status == {"noisy": "à revoir", "good": "fiable", "few": "en observation"}


def test_harmonisation_flags_a_diverging_establishment(engine: Engine) -> None:
    rows = []
    for est in ("E1", "E2", "E3"):
        rows += [
            (est, f"{est}{i}", "s", "proven" if i < 10 else "not_proven", 80) for i in range(20)
        ]
    rows += [("E4", f"E4{i}", "s", "proven" if i < 1 else "not_proven", 80) for i in range(20)]
    # Another risk band, not comparable: must not be pooled with the first.
    rows += [("E5", f"E5{i}", "s", "not_proven", 20) for i in range(20)]
    add(engine, rows)
    with Session(engine) as s:
        flagged = steering.harmonisation(s, ALL)
    assert flagged["establishment_id"].tolist() == ["E4"]
    assert flagged.iloc[0]["proven_share"] == 1 / 20 and flagged.iloc[0]["band"] == "70-1000"


def test_awareness_by_job_and_seniority(engine: Engine) -> None:
    with Session(engine) as s:
        s.add(Establishment(establishment_id="E1", name="E1", kind="DR", region_code="76"))
        s.flush()
        s.add_all([
            Agent(agent_id="new", last_name="N", birth_name=None, first_names="A", establishment_id="E1", agency_id=None, job="gdd", hired_on=date(2024, 1, 1)),
            Agent(agent_id="old", last_name="O", birth_name=None, first_names="B", establishment_id="E1", agency_id=None, job="conseiller", hired_on=date(2000, 1, 1)),
        ])  # fmt: skip
        s.commit()
    add(
        engine,
        [("E1", "new", "s", "proven", 80)] * 2
        + [("E1", "old", "s", "false_positive", 80)]
        + [("E1", "ghost", "s", None, 80)],
    )
    with Session(engine) as s:
        aw = steering.awareness(s, ALL, today=date(2024, 7, 1))
    got = {(r["job"], r["seniority"]): (r["controls"], r["proven"]) for r in aw.to_dict("records")}
    assert got == {
        ("gdd", "moins d'un an"): (2, 2),
        ("conseiller", "10 ans et plus"): (1, 0),
        ("inconnu", "inconnue"): (1, 0),
    }


def test_works_council_view_hides_groups_under_ten_agents(engine: Engine) -> None:
    rows = [("E1", f"a{i}", "s", "proven", 80) for i in range(10)] + [
        ("E2", f"b{i}", "s", "proven", 80) for i in range(9)
    ]
    rows += [
        ("E2", "b0", "s", "not_proven", 80)
    ] * 5  # many controls on the same 9 agents: still 9 agents
    add(engine, rows)
    with Session(engine) as s:
        view = steering.works_council_view(s, ALL)
    assert view.to_dict("records") == [
        {
            "establishment_id": "E1",
            "scenario": "s",
            "agents": 10,
            "controls": 10,
            "proven": 10,
            "false_positive": 0,
        }
    ]
    assert "agent_id" not in view.columns


def test_pseudonyms_are_stable_keyed_and_opaque() -> None:
    p1 = steering.pseudonym("AG123", "k1")
    assert p1 == steering.pseudonym("AG123", "k1") != steering.pseudonym("AG123", "k2")
    assert "AG123" not in p1


def test_exports_roundtrip() -> None:
    df = pd.DataFrame([{"scenario": "s", "proven": 1}])
    assert steering.to_csv(df).startswith(b"scenario,proven")
    assert steering.to_xlsx({"résultats": df})[:2] == b"PK"


def test_state_version_changes_when_a_control_changes(engine: Engine) -> None:
    from parcours.controls import service

    add(engine, [("E1", "a", "s", None, 80)])
    with Session(engine) as s:
        before = steering.state_version(s, ALL)
        (control_id,) = s.execute(select_ids()).scalars().all()
        service.transition(
            s, control_id=control_id, name="schedule_interview",
            fields={"pre_examination_notes": "Aucun rendez-vous"}, actor="t", now=NOW + timedelta(hours=1),
        )  # fmt: skip
        s.commit()
        assert steering.state_version(s, ALL) != before
        assert steering.state_version(s, Scope(establishment_id="E2", agency_id=None)) == (
            0,
            "None",
        )


def select_ids():  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    return select(Control.control_id)


def test_weeks_start_on_monday_in_paris(engine: Engine) -> None:
    """Old code: weeks were cut on the UTC date, so a control created on Monday at 00:30 in Paris
    (Sunday 22:30 UTC) counted in the week before; on both sides of the changes of time."""
    from sqlalchemy import update

    add(engine, [("E1", "a", "s", None, 80)] * 4)
    created = [
        datetime(2024, 7, 7, 22, 30, tzinfo=UTC),  # Monday 8 July, 00:30 in Paris (summer time)
        datetime(2024, 7, 7, 21, 30, tzinfo=UTC),  # Sunday 7 July, 23:30 in Paris
        datetime(
            2024, 12, 1, 23, 30, tzinfo=UTC
        ),  # Monday 2 December, 00:30 in Paris (winter time)
        datetime(2024, 12, 1, 22, 30, tzinfo=UTC),  # Sunday 1 December, 23:30 in Paris
    ]
    with Session(engine) as s:
        ids = s.execute(select_ids().order_by(Control.control_id)).scalars().all()
        for control_id, at in zip(ids, created, strict=True):
            s.execute(update(Control).where(Control.control_id == control_id).values(created_at=at))
        s.commit()
        gen = steering.generation(s, ALL)
    assert dict(zip(gen["week"], gen["controls"], strict=True)) == {
        date(2024, 7, 1): 1,
        date(2024, 7, 8): 1,
        date(2024, 11, 25): 1,
        date(2024, 12, 2): 1,
    }
