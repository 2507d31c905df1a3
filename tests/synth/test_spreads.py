"""Plausible spreads: the names, patterns and structures a real region shows."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from parcours.synth import SynthSummary
from parcours.synth.work_patterns import parse_work_pattern

OCCITANIE = {"09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"}


def _rows(out: Path, name: str) -> list[dict[str, str]]:
    with (out / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def files(tiny: tuple[Path, SynthSummary]) -> dict[str, list[dict[str, str]]]:
    out, _ = tiny
    names = ("establishments", "agencies", "agents", "job_seekers", "protected_persons")
    return {name: _rows(out, name) for name in names}


def _share(rows: list[dict[str, str]], test: object) -> float:
    assert callable(test)
    return sum(1 for r in rows if test(r)) / len(rows)


def test_the_thirteen_departements_and_the_establishments(
    files: dict[str, list[dict[str, str]]],
) -> None:
    assert {a["department_code"] for a in files["agencies"]} == OCCITANIE
    kinds = Counter(e["kind"] for e in files["establishments"])
    assert kinds["DR"] >= 3 and kinds["DG"] == kinds["DSI"] == 1 and kinds["PES"] >= 1
    msa = _share(files["agencies"], lambda r: r["msa_experiment"] == "true")
    assert 0.15 <= msa <= 0.55
    # Some agents belong to other regions' directorates.
    regions = {e["establishment_id"]: e["region_code"] for e in files["establishments"]}
    assert any(regions[a["establishment_id"]] not in ("76", "") for a in files["agents"])


def test_names_look_french_and_vary(files: dict[str, list[dict[str, str]]]) -> None:
    people = files["job_seekers"] + files["agents"]
    accents = _share(
        people, lambda r: any(c in r["first_names"] + r["last_name"] for c in "éèêëàâçîïôûüÉÈ")
    )
    assert 0.15 <= accents <= 0.7
    hyphen = _share(people, lambda r: "-" in r["last_name"] or "-" in r["first_names"])
    assert 0.03 <= hyphen <= 0.5
    several = _share(people, lambda r: " " in r["first_names"])
    assert 0.4 <= several <= 0.85
    women = [r for r in people if r["sex"] == "F"]
    maiden = _share(women, lambda r: r["birth_name"] != "")
    assert 0.15 <= maiden <= 0.6
    assert all(
        r["birth_name"] == "" for r in people if r["sex"] == "M" and "-" not in r["last_name"]
    )
    # Homonyms: one name, several birth dates.
    by_name: dict[tuple[str, str], set[str]] = {}
    for r in files["job_seekers"]:
        key = (r["last_name"].lower(), r["first_names"].split(" ")[0])
        by_name.setdefault(key, set()).add(r["birth_date"])
    assert sum(1 for dates in by_name.values() if len(dates) > 1) >= 10


def test_work_patterns_parse_and_a_third_are_empty(files: dict[str, list[dict[str, str]]]) -> None:
    agents = files["agents"]
    empty = _share(agents, lambda r: r["work_pattern"] == "")
    assert 0.2 <= empty <= 0.45
    patterns = {r["work_pattern"] for r in agents if r["work_pattern"]}
    for text in patterns:
        parse_work_pattern(text)
    assert any("sat" in p for p in patterns) or any("12:00-20:00" in p for p in patterns)
    assert any(";" in p for p in patterns)


def test_agents_jobs_careers_and_referents(files: dict[str, list[dict[str, str]]]) -> None:
    agents = files["agents"]
    jobs = Counter(r["job"] for r in agents)
    assert set(jobs) == {"conseiller", "gdd", "manager", "plateforme", "support", "direction"}
    assert sum(1 for r in agents if r["left_on"]) >= 3  # ex-agents
    assert all(r["hired_on"] > r["birth_date"] for r in agents)
    assert all(not r["left_on"] or r["left_on"] > r["hired_on"] for r in agents)
    ids = {r["agent_id"] for r in agents}
    referents = Counter(
        r["referent_agent_id"] for r in files["job_seekers"] if r["referent_agent_id"]
    )
    assert set(referents) <= ids
    counsellors = {r["agent_id"] for r in agents if r["job"] == "conseiller"}
    assert set(referents) <= counsellors
    seekers = files["job_seekers"]
    assert all(
        not r["deregistered_on"] or r["registered_on"] < r["deregistered_on"] for r in seekers
    )
    sizes = sorted(referents.values())
    assert 40 <= sizes[len(sizes) // 2] <= 300  # portfolios of a counsellor


def test_protected_persons_hold_identity_and_validity_only(
    files: dict[str, list[dict[str, str]]],
) -> None:
    protected = files["protected_persons"]
    assert set(protected[0]) == {
        "person_id", "category", "last_name", "birth_name", "first_names", "birth_date", "sex",
        "department_code", "valid_from", "valid_to",
    }  # fmt: skip
    assert {r["category"] for r in protected} == {"elected", "candidate"}
    assert all(r["valid_from"] <= r["valid_to"] for r in protected)
    candidates = [r for r in protected if r["category"] == "candidate"]
    assert all(r["valid_to"] == "2024-07-07" for r in candidates)  # 2024 legislative elections


def test_referential_integrity(
    tiny: tuple[Path, SynthSummary], files: dict[str, list[dict[str, str]]]
) -> None:
    out, _ = tiny
    establishments = {r["establishment_id"] for r in files["establishments"]}
    agencies = {r["agency_id"] for r in files["agencies"]}
    assert {r["establishment_id"] for r in files["agencies"]} <= establishments
    assert {r["establishment_id"] for r in files["agents"]} <= establishments
    assert {r["agency_id"] for r in files["agents"] if r["agency_id"]} <= agencies
    assert {r["agency_id"] for r in files["job_seekers"]} <= agencies
    seekers = {r["de_id"] for r in files["job_seekers"]}
    agents = {r["agent_id"] for r in files["agents"]}
    truth = _rows(out, "truth.csv".removesuffix(".csv"))
    assert {r["de_id"] for r in truth} <= seekers
    assert {r["agent_id"] for r in truth} <= agents
    appointments = _rows(out, "appointments")
    assert {r["de_id"] for r in appointments} <= seekers
    assert {r["agent_id"] for r in appointments} <= agents
    assert len({r["de_id"] for r in files["job_seekers"]}) == len(files["job_seekers"])
    assert len(agents | seekers) == len(agents) + len(seekers)
