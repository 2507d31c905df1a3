"""The works council's orientation counts: complete months only, no group under the threshold,
not even as a total minus the parts shown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from parcours.accounts.roles import Role
from parcours.controls.trail import TrailEntry
from parcours.db import session_scope
from parcours.orientation import service
from parcours.orientation.council import complete_months, council_table, hidden_parts
from parcours.orientation.reports import orientation_table
from parcours.web.testing import World

from .factories import agency, answers

ClientAs = Callable[[Role | None], TestClient]
K = 10


@given(st.dictionaries(st.sampled_from("ABCDEF"), st.integers(0, 40), min_size=1))
def test_no_small_group_can_be_read_from_a_row(parts: dict[str, int]) -> None:
    total = sum(parts.values())
    if total < K:
        return  # the whole row is hidden
    hidden = hidden_parts(total, parts, K)
    shown = {name: n for name, n in parts.items() if name not in hidden}
    # what is shown: nothing between 1 and K - 1
    assert all(n == 0 or n >= K for n in shown.values())
    # what is hidden: several parts, and together (total minus the shown ones) at least K
    if hidden:
        assert len(hidden) >= 2
        assert total - sum(shown.values()) >= K
    # no more than needed: with nothing small, nothing is hidden
    if all(n == 0 or n >= K for n in parts.values()):
        assert not hidden


def test_the_complement_is_the_smallest_other_part() -> None:
    assert hidden_parts(40, {"FT": 25, "ML": 3, "CAP_EMPLOI": 12}, K) == {"ML", "CAP_EMPLOI"}
    # two small parts whose sum is still small: a third one joins them
    assert hidden_parts(40, {"FT": 31, "ML": 3, "CAP_EMPLOI": 3, "CD": 3}, K) == {
        "ML",
        "CAP_EMPLOI",
        "CD",
        "FT",
    }
    assert hidden_parts(40, {"FT": 28, "ML": 3, "CAP_EMPLOI": 4, "CD": 5}, K) == {
        "ML",
        "CAP_EMPLOI",
        "CD",
    }


def test_complete_months() -> None:
    assert complete_months(date(2025, 7, 3), 3) == (date(2025, 4, 1), date(2025, 6, 30))
    assert complete_months(date(2025, 1, 31), 1) == (date(2024, 12, 1), date(2024, 12, 31))


def _decision(
    s: Session,
    n: int,
    agency_id: str,
    at: datetime,
    change: dict[str, Any] | None = None,
    **kw: Any,
) -> None:
    for i in range(n):
        interview = service.start_interview(
            s,
            de_id=f"DE-{agency_id}-{at:%m%d}-{i}-{len(kw)}-{bool(change)}",
            agent_id="AG1",
            agency_id=agency_id,
            channel="phone",
            started_at=at,
        )
        service.save_answers(
            s, interview_id=interview.interview_id, answers=answers(**kw), saved_at=at
        )
        done = at + timedelta(minutes=15)
        service.complete_interview(s, interview_id=interview.interview_id, completed_at=done)
        service.decide(
            s,
            interview_id=interview.interview_id,
            agent_id="AG1",
            decided_at=done + timedelta(minutes=1),
            **(change or {}),
        )


def test_council_table_on_decisions(engine: Engine) -> None:
    may, june, july = (datetime(2025, m, 5, 9, tzinfo=UTC) for m in (5, 6, 7))
    change = {
        "organisation": "FT",
        "modality": "aij",
        "change_reason": "person_choice",
        "change_comment": "Préfère France Travail.",
    }
    with Session(engine, expire_on_commit=False) as s:
        agency(s, agency_id="A31001", department="31")
        agency(s, agency_id="A34001", department="34")
        agency(s, agency_id="A65001", department="65")
        # 31, May: 14 proposals followed, 3 young people sent to FT instead of the Mission Locale
        _decision(s, 14, "A31001", may)
        _decision(s, 3, "A31001", may, change, age=20, asks_mission_locale=True)
        # 34, May: 6 decisions only, the whole row is hidden
        _decision(s, 6, "A34001", may)
        # 31, June: 12 followed, 12 young people at the Mission Locale
        _decision(s, 12, "A31001", june)
        _decision(s, 12, "A31001", june, age=20, asks_mission_locale=True)
        # July is the current month: not shown
        _decision(s, 20, "A31001", july)
        s.commit()

        table = council_table(s, today=date(2025, 7, 20), threshold=K, months=3)
        expected = orientation_table(s, start=table.start, end=table.end)
        scoped = council_table(s, today=date(2025, 7, 20), threshold=K, agencies=["A65001"])

    assert (table.start, table.end) == (date(2025, 4, 1), date(2025, 6, 30))
    rows = {(r.department, r.month): r for r in table.rows}
    assert set(rows) == {("31", "2025-05"), ("34", "2025-05"), ("31", "2025-06")}
    may31, may34, june31 = rows["31", "2025-05"], rows["34", "2025-05"], rows["31", "2025-06"]
    assert may34.hidden and may34.changed is None and set(may34.organisations.values()) == {None}
    # 17 to FT (changed 3, followed 14): nothing else, nothing small
    assert may31.total == 17 == sum(expected.rows["31",].values()) - 24
    assert may31.organisations["FT"] == 17 and may31.organisations["ML"] == 0
    # 3 changed out of 17: the 3 hidden, and so the 14 (17 - 14 would give them)
    assert may31.changed is None and may31.unchanged is None
    assert (
        june31.total == 24 and june31.organisations["ML"] == 12 and june31.organisations["FT"] == 12
    )
    assert june31.changed == 0 and june31.unchanged == 24
    assert scoped.rows == []


def test_council_page(client_as: ClientAs, world: World, engine: Engine) -> None:
    council = client_as(Role.CSE)
    page = council.get("/orientation/cse")
    assert page.status_code == 200
    assert "Orientations par département et par mois" in page.text
    assert "aucun groupe de moins de 10 décisions" in page.text
    assert client_as(Role.CONSEILLER).get("/orientation/cse").status_code == 403
    with session_scope(engine) as s:
        viewed = s.scalars(
            select(TrailEntry).where(
                TrailEntry.object_type == "orientation", TrailEntry.object_id == "cse"
            )
        ).all()
    assert [v.action for v in viewed] == ["view"]
