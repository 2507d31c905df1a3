"""Steering reports and the deviation export on a small, hand-built set of interviews."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from parcours.orientation import service
from parcours.orientation.deviation import (
    MATRIX_COLUMNS,
    REASON_COLUMNS,
    SCHEMA,
    deviation_report,
    to_csv,
)
from parcours.orientation.library import RULES_DIR, load_library
from parcours.orientation.reports import activity, capacity_status, orientation_table
from parcours.registry.models import Appointment

from .factories import agency, answers

MAY = (date(2025, 5, 1), date(2025, 5, 31))


def _interview(
    session: Session,
    *,
    de_id: str,
    agency_id: str,
    start: datetime,
    minutes: int,
    change: dict[str, Any] | None = None,
    **overrides: Any,
) -> None:
    interview = service.start_interview(
        session, de_id=de_id, agent_id="AG1", agency_id=agency_id, channel="phone", started_at=start
    )
    service.save_answers(
        session, interview_id=interview.interview_id, answers=answers(**overrides), saved_at=start
    )
    done = start + timedelta(minutes=minutes)
    service.complete_interview(session, interview_id=interview.interview_id, completed_at=done)
    service.decide(
        session,
        interview_id=interview.interview_id,
        agent_id="AG1",
        decided_at=done + timedelta(minutes=1),
        **(change or {}),
    )


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        agency(s, agency_id="A31001", department="31", msa=False)
        agency(s, agency_id="A34001", department="34", msa=True)
        _interview(s, de_id="DE1", agency_id="A31001", start=datetime(2025, 5, 5, 9), minutes=14)
        _interview(
            s,
            de_id="DE2",
            agency_id="A31001",
            start=datetime(2025, 5, 6, 9),
            minutes=17,
            difficulty_childcare="strong",
            change={
                "modality": "renforce",
                "change_reason": "situation_changed",
                "change_comment": "Garde trouvée.",
            },
        )
        _interview(
            s,
            de_id="DE3",
            agency_id="A34001",
            start=datetime(2025, 5, 13, 9),
            minutes=19,
            age=20,
            asks_mission_locale=True,
            change={
                "organisation": "FT",
                "modality": "aij",
                "change_reason": "person_choice",
                "change_comment": "Préfère France Travail.",
            },
        )
        service.start_interview(
            s,
            de_id="DE4",
            agent_id="AG1",
            agency_id="A34001",
            channel="phone",
            started_at=datetime(2025, 5, 14, 9),
        )
        s.add(
            Appointment(
                appointment_id="EDA1",
                de_id="DE1",
                agent_id="AG1",
                starts_at=datetime(2025, 5, 20, 8, tzinfo=UTC),
                kind="EDA",
                status="done",
            )
        )
        service.reorient(
            s,
            de_id="DE1",
            agent_id="AG1",
            decided_at=datetime(2025, 5, 21, 10),
            organisation="CD",
            path="social",
            modality="parcours_social",
            change_reason="situation_changed",
            change_comment="Perte de logement.",
        )
        s.commit()
        yield s


def test_orientations_by_organisation_and_modality(session: Session) -> None:
    orgs = orientation_table(session, start=MAY[0], end=MAY[1], by=("department",))
    assert orgs.rows == {("31",): {"FT": 2}, ("34",): {"FT": 1}}
    scoped = orientation_table(session, start=MAY[0], end=MAY[1], agencies=["A34001"])
    assert scoped.rows == {("34",): {"FT": 1}}
    weekly = orientation_table(
        session, start=MAY[0], end=MAY[1], by=("agency", "week"), dimension="modality"
    )
    assert weekly.rows == {
        ("A31001", "2025-W19"): {"guide": 1, "renforce": 1},
        ("A34001", "2025-W20"): {"aij": 1},
    }
    assert weekly.share(("A31001", "2025-W19"), "guide") == 0.5


def test_activity_against_targets(session: Session) -> None:
    rows = {r.key: r for r in activity(session, start=MAY[0], end=MAY[1])}
    dep31, dep34 = rows[("31",)], rows[("34",)]
    assert (dep31.edo_completed, dep31.edo_drafts, dep31.eda_done) == (2, 0, 1)
    assert dep31.over_target == 1  # 17 min > 15; 14 min is within
    assert (dep31.decisions, dep31.changed, dep31.reorientations) == (2, 1, 1)
    assert dep31.median_minutes == 15.5
    assert (dep34.edo_completed, dep34.edo_drafts, dep34.over_target) == (1, 1, 0)  # 19 <= 20 MSA
    assert dep34.changed_share == 1.0


def test_deviation_report_exports(session: Session) -> None:
    report = deviation_report(session, start=MAY[0], end=MAY[1])
    assert (report.decisions, report.changed) == (3, 2)
    cell = ("34", "A34001", "2025-W20", "2025-04", "ML", "FT", "professional", "professional")
    assert report.matrix[(*cell, "ml_accompagnement", "aij")] == 1
    assert [(r.code, r.changes) for r in report.top_reasons()] == [
        ("person_choice", 1),
        ("situation_changed", 1),
    ]
    matrix_csv = to_csv(report.matrix_rows(), MATRIX_COLUMNS)
    lines = matrix_csv.splitlines()
    assert lines[0] == ",".join(MATRIX_COLUMNS)
    assert lines[1] == (
        "2025-05-01,2025-05-31,31,A31001,2025-W19,2025-04,FT,FT,professional,professional,guide,guide,1"
    )
    reasons_csv = to_csv(report.reason_rows(), REASON_COLUMNS).splitlines()
    assert reasons_csv[1].startswith("2025-05-01,2025-05-31,31,A31001,2025-W19,situation_changed,")
    data = json.loads(json.dumps(report.to_json()))
    assert data["schema"] == SCHEMA
    assert data["totals"] == {"decisions": 3, "changed": 2, "changed_share": 0.6667}
    assert len(data["matrix"]) == 3 and len(data["reasons"]) == 2


def test_capacity_warnings(session: Session, tmp_path: Path) -> None:
    statuses = {s.capacity_id: s for s in capacity_status(session, at=date(2025, 5, 21))}
    assert statuses["cd_31_2025"].used == 1 and statuses["cd_31_2025"].level == "ok"
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    partners = rules / "partners.yaml"
    partners.write_text(
        partners.read_text(encoding="utf-8").replace("capacity: 1100", "capacity: 2"),
        encoding="utf-8",
    )
    small = load_library(rules)
    cd31 = next(
        s
        for s in capacity_status(session, at=date(2025, 5, 21), library=small)
        if s.capacity_id == "cd_31_2025"
    )
    assert cd31.level == "warning" and cd31.projected == 3
    assert "3 attendues d'ici le 31/12/2025" in cd31.message
    partners.write_text(
        partners.read_text(encoding="utf-8").replace("capacity: 2\n", "capacity: 0\n"),
        encoding="utf-8",
    )
    zero = load_library(rules)
    cd31 = next(
        s
        for s in capacity_status(session, at=date(2025, 5, 21), library=zero)
        if s.capacity_id == "cd_31_2025"
    )
    assert cd31.level == "exceeded"
