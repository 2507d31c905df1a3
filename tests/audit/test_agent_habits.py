"""The rules that read an agent's own habits (weights.yaml: sensitive_floor.browsing and
.unusual_territory, off_hours.ordinary_file_max_agent_files, own_agency_repetition.max_agent_files,
repetition.untraced_second_day_max_agent_files) through the whole pipeline: the per-agent and
regional counts of agent_untraced.sql and agent_habits.sql, the situations' columns, the level and
the reason.

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


Look = tuple[str, str, str]  # agent, file, local timestamp


def _situations(
    looks: list[Look], extra_files: dict[str, str]
) -> dict[tuple[str, str], tuple[str, str]]:
    """(agent, file) -> (level, reasons) for the consultations `looks`, on the small region plus
    `extra_files`: copies of D_X (an ordinary file of Montpellier) under the given ids, each in the
    given agency (AG2: Montpellier, AG3: Albi)."""
    consultations = [
        {
            "event_id": f"e{i}",
            "ts": ts,
            "agent_id": agent,
            "de_id": de_id,
            "application": "MAP",
            "action": "view",
        }
        for i, (agent, de_id, ts) in enumerate(looks)
    ]
    cf = CaseFile(
        base="_region",
        period={"start": date(2024, 4, 1), "end": date(2024, 6, 30)},
        cases=[Case(name="habits", consultations=consultations, alerts=[])],
    )
    tables = case_tables(cf, cf.cases[0])
    js = tables["job_seekers"]
    model = next(r for r in js.to_pylist() if r["de_id"] == "D_X")
    department = {"AG2": "34", "AG3": "81"}
    extra = pa.Table.from_pylist(
        [
            model
            | {
                "de_id": d,
                "last_name": f"Ordinaire{d}",
                "agency_id": agency,
                "department_code": department[agency],
                "referent_agent_id": None,
            }
            for d, agency in extra_files.items()
        ],
        schema=js.schema,
    )
    tables["job_seekers"] = pa.concat_tables([js, extra])
    with DuckDBEngine(threads=1) as engine:
        result = run_pipeline(
            engine, TableSource(tables), start=date(2024, 4, 1), end=date(2024, 6, 30)
        )
    return {(s.agent_id, s.de_id): (s.level, " | ".join(s.reasons)) for s in result.situations}


def _office(i: int) -> str:
    """The i-th office-hours instant of the agents of Albi, on the quarter's working days."""
    return f"{WORKING_DAYS[i % len(WORKING_DAYS)]} 10:{i // len(WORKING_DAYS):02d}:00"


def _levels(
    background_agent: str, sensitive_files: list[str]
) -> dict[tuple[str, str], tuple[str, str]]:
    """(agent, file) -> (level, reasons) when A11 opens `sensitive_files` once each and
    `background_agent` the 300 ordinary files, all with no context, in office hours."""
    ordinary = [f"D_O{i:03d}" for i in range(BACKGROUND)]
    looks = [("A11", d) for d in sensitive_files] + [(background_agent, d) for d in ordinary]
    return _situations(
        [(agent, de_id, _office(i)) for i, (agent, de_id) in enumerate(looks)],
        dict.fromkeys(ordinary, "AG2"),
    )


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


def test_one_evening_look_at_an_ordinary_file_counts_unless_the_agent_works_evenings() -> None:
    """A12 opens one ordinary file of another département one evening with no context: mandatory
    (off-hours and the territory). A11 opens eight, one evening each: past the habit threshold,
    evenings are how A11 works, and no look is raised (nor does the territory count alone)."""
    evenings = [f"{WORKING_DAYS[i]} 21:00:00" for i in range(8)]
    files = {f"D_E{i}": "AG2" for i in range(9)}
    looks = [("A11", f"D_E{i}", evenings[i]) for i in range(8)] + [("A12", "D_E8", evenings[0])]
    levels = _situations(looks, files)
    assert levels[("A12", "D_E8")][0] == "mandatory"
    for i in range(8):
        level, reasons = levels[("A11", f"D_E{i}")]
        assert level == "none"
        assert "sans contexte fort, 8 dossiers ordinaires sur la période (seuil 7)" in reasons


def test_returns_to_files_of_ones_agency_count_unless_the_agent_returns_to_many() -> None:
    """A12 comes back to one file of its agency (Albi) on four days: optional. A11 comes back to
    four files on four days each: its work in the agency, no longer raised."""
    files = {f"D_R{i}": "AG3" for i in range(5)}
    looks = [("A11", f"D_R{f}", _office(10 * f + d)) for f in range(4) for d in range(4)]
    looks += [("A12", "D_R4", _office(50 + d)) for d in range(4)]
    levels = _situations(looks, files)
    assert levels[("A12", "D_R4")][0] == "optional"
    for f in range(4):
        level, reasons = levels[("A11", f"D_R{f}")]
        assert level == "none"
        assert "l'agent revient ainsi sur 4 dossiers de son agence" in reasons


def test_a_second_untraced_day_counts_unless_the_agent_opens_hundreds_of_files_that_way() -> None:
    """A13 comes back on a second office day to an ordinary file of Montpellier with no context:
    optional. A12 does the same after opening 401 other files of Montpellier with no context: its
    pooled work, the second day is not counted."""
    background = {f"D_U{i:03d}": "AG2" for i in range(401)}
    files = background | {"D_U900": "AG2", "D_U901": "AG2"}
    looks = [("A12", d, _office(i)) for i, d in enumerate(background)]
    looks += [("A12", "D_U900", _office(d)) for d in (100, 101)]
    looks += [("A13", "D_U901", _office(d)) for d in (100, 101)]
    levels = _situations(looks, files)
    assert levels[("A13", "D_U901")][0] == "optional"
    level, reasons = levels[("A12", "D_U900")]
    assert level == "none"
    assert "l'agent a ouvert 402 dossiers sans aucun contexte professionnel" in reasons
