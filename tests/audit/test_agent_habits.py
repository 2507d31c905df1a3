"""The rules that read an agent's own habits (weights.yaml, sensitive_floor.browsing and
.unusual_territory) through the whole pipeline: the per-agent and regional counts of
agent_untraced.sql, the situations' columns, the level and the reason.

The agents of Albi (A11, A12) are in the Tarn; every sensitive file of the small region and the
300 ordinary background files (Montpellier) lie in other départements."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa

from parcours.audit.cases import Case, CaseFile, case_tables
from parcours.audit.engines.duckdb import DuckDBEngine
from parcours.audit.inputs import TableSource
from parcours.audit.pipeline import run_pipeline

BACKGROUND = 300  # ordinary files of Montpellier opened once each with no context at all
HOLIDAYS = {
    date(2024, 4, 1),
    date(2024, 5, 1),
    date(2024, 5, 8),
    date(2024, 5, 9),
    date(2024, 5, 20),
}
WORKING_DAYS = [
    d
    for d in (date(2024, 4, 1) + timedelta(days=n) for n in range(91))
    if d.weekday() < 5 and d not in HOLIDAYS
]


def _levels(
    background_agent: str, sensitive_files: list[str]
) -> dict[tuple[str, str], tuple[str, str]]:
    """(agent, file) -> (level, reasons) when A11 opens `sensitive_files` once each and
    `background_agent` the 300 ordinary files, all with no context, in office hours."""
    ordinary = [f"D_O{i:03d}" for i in range(BACKGROUND)]
    looks = [("A11", d) for d in sensitive_files] + [(background_agent, d) for d in ordinary]
    consultations = [
        {
            "event_id": f"e{i}",
            # office hours of the agents of Albi, on the quarter's working days
            "ts": f"{WORKING_DAYS[i % len(WORKING_DAYS)]} 10:{i // len(WORKING_DAYS):02d}:00",
            "agent_id": agent,
            "de_id": de_id,
            "application": "MAP",
            "action": "view",
        }
        for i, (agent, de_id) in enumerate(looks)
    ]
    cf = CaseFile(
        base="_region",
        period={"start": date(2024, 4, 1), "end": date(2024, 6, 30)},
        cases=[Case(name="browsing", consultations=consultations, alerts=[])],
    )
    tables = case_tables(cf, cf.cases[0])
    js = tables["job_seekers"]
    # Copies of D_X, an ordinary file of Montpellier, under other ids and names.
    model = next(r for r in js.to_pylist() if r["de_id"] == "D_X")
    extra = pa.Table.from_pylist(
        [model | {"de_id": d, "last_name": f"Ordinaire{d}"} for d in ordinary], schema=js.schema
    )
    tables["job_seekers"] = pa.concat_tables([js, extra])
    with DuckDBEngine(threads=1) as engine:
        result = run_pipeline(
            engine, TableSource(tables), start=date(2024, 4, 1), end=date(2024, 6, 30)
        )
    return {(s.agent_id, s.de_id): (s.level, " | ".join(s.reasons)) for s in result.situations}


def test_two_sensitive_files_among_few_untraced_looks_are_mandatory() -> None:
    # The region's untraced looks: 302 files, 2 of them sensitive; A11 opened only those two.
    levels = _levels("A12", ["D_A2", "D_P1"])
    for de_id in ("D_A2", "D_P1"):
        level, reasons = levels[("A11", de_id)]
        assert level == "mandatory"
        assert "2 dossiers sensibles parmi 2 dossiers sans contexte" in reasons


def test_a_single_sensitive_file_of_another_departement_is_mandatory_when_unusual() -> None:
    level, reasons = _levels("A12", ["D_A2"])[("A11", "D_A2")]
    assert level == "mandatory"
    assert "n'a ouvert sans contexte que 1 dossier hors de son territoire" in reasons


def test_a_single_sensitive_file_stays_at_the_floor_when_such_looks_are_the_agents_work() -> None:
    # A11 itself opened the 300 files of Montpellier with no context: another département's file
    # is its everyday work, and one sensitive file among 301 is what chance gives.
    level, reasons = _levels("A11", ["D_A2"])[("A11", "D_A2")]
    assert level == "optional"
    assert "hors de son territoire" not in reasons


def test_an_agent_whose_work_leaves_many_untraced_looks_meets_sensitive_files_by_chance() -> None:
    # The same two files among the 302 that A11 opened with no context: as many as chance gives.
    levels = _levels("A11", ["D_A2", "D_P1"])
    assert levels[("A11", "D_A2")][0] == "optional"
    assert levels[("A11", "D_P1")][0] == "optional"
