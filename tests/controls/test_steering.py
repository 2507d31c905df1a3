from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd

from parcours.controls import steering


def frame(rows: list[tuple[str, str, str, str | None, float]]) -> pd.DataFrame:
    """rows: (establishment, agent, scenario, outcome, score)."""
    now = datetime(2024, 7, 1, tzinfo=UTC)
    data = [
        {
            "control_id": i, "establishment_id": est, "agency_id": None, "agent_id": agent, "scenario": sc,
            "level": "mandatory", "score": score, "state": "closed" if outcome else "pre_examination",
            "outcome": outcome, "step_due_on": date(2024, 7, 10), "created_at": pd.Timestamp(now),
            "closed_at": pd.Timestamp(datetime(2024, 7, 11, tzinfo=UTC)) if outcome else pd.NaT,
            "week": date(2024, 7, 1),
        }
        for i, (est, agent, sc, outcome, score) in enumerate(rows)
    ]  # fmt: skip
    return pd.DataFrame(data)


def test_results_confirmed_share_and_false_positive_rate_by_hand() -> None:
    df = frame(
        [("E1", "a", "s1", "proven", 80)] * 3
        + [("E1", "b", "s1", "not_proven", 80)]
        + [("E1", "c", "s1", "false_positive", 80)] * 4
        + [("E1", "d", "s1", None, 80)] * 2
    )
    res = steering.results(df, ["scenario"]).set_index("scenario").loc["s1"]
    assert res["closed"] == 8
    assert res["confirmed_share"] == 3 / 4
    assert res["false_positive_rate"] == 4 / 8
    follow = steering.follow_up(df, today=date(2024, 7, 11))
    assert follow["backlog"] == {"pre_examination": 2} and follow["overdue"] == 2
    assert follow["median_days_to_close"] == 10.0


def test_scenario_status_feedback() -> None:
    noisy = frame(
        [("E1", f"a{i}", "noisy", "false_positive", 50) for i in range(18)]
        + [("E1", "x", "noisy", "proven", 50)] * 2
    )
    good = frame(
        [("E1", f"a{i}", "good", "proven", 50) for i in range(15)]
        + [("E1", "y", "good", "not_proven", 50)] * 5
    )
    few = frame([("E1", "z", "few", "proven", 50)] * 3)
    status = (
        steering.scenario_status(pd.concat([noisy, good, few]))
        .set_index("scenario")["status"]
        .to_dict()
    )
    assert status == {"noisy": "à revoir", "good": "fiable", "few": "en observation"}


def test_harmonisation_flags_a_diverging_establishment() -> None:
    rows = []
    for est in ("E1", "E2", "E3"):
        rows += [
            (est, f"{est}{i}", "s", "proven" if i < 10 else "not_proven", 80) for i in range(20)
        ]
    rows += [("E4", f"E4{i}", "s", "proven" if i < 1 else "not_proven", 80) for i in range(20)]
    flagged = steering.harmonisation(frame(rows))
    assert flagged["establishment_id"].tolist() == ["E4"]
    assert flagged.iloc[0]["proven_share"] == 1 / 20


def test_works_council_view_hides_groups_under_ten_agents() -> None:
    rows = [("E1", f"a{i}", "s", "proven", 80) for i in range(10)] + [
        ("E2", f"b{i}", "s", "proven", 80) for i in range(9)
    ]
    # Many controls on the same 9 agents still make a group of 9 agents: hidden.
    rows += [("E2", "b0", "s", "not_proven", 80)] * 5
    view = steering.works_council_view(frame(rows))
    assert view["establishment_id"].tolist() == ["E1"]
    assert "agent_id" not in view.columns


def test_pseudonyms_are_stable_keyed_and_opaque() -> None:
    p1 = steering.pseudonym("AG123", "k1")
    assert p1 == steering.pseudonym("AG123", "k1") != steering.pseudonym("AG123", "k2")
    assert "AG123" not in p1


def test_exports_roundtrip() -> None:
    df = steering.results(frame([("E1", "a", "s", "proven", 80)]), ["scenario"])
    assert steering.to_csv(df).startswith(b"scenario,proven")
    assert steering.to_xlsx({"résultats": df})[:2] == b"PK"
