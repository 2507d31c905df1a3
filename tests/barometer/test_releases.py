"""Successive releases of one wave: late responses or corrections arrive after a wave was published,
and it is published again. A figure of the second release minus the same figure of the first is
the aggregate of the few respondents who came or changed in between, unless the suppression takes
the first release into account (`suppression.py`, `releases.py`, `service.barometer_results`).

These tests go through the import and `barometer_results` only, as an operator would; the record
itself and the rule by hand are in `test_release_record.py`."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Engine

from parcours.barometer.definitions import default_definitions
from parcours.barometer.importer import import_file
from parcours.barometer.results import ALL, TOTAL, Group, Results
from parcours.barometer.service import barometer_results

D = default_definitions()
ITEMS = list(D.questionnaire.items)
ATTRIBUTES = list(D.population.attributes)
WAVE = "2025-03"
MEASURES = ("iqvt", "idc", "item:Q01")


def people(prefix: str, count: int, answer: int, **attrs: str) -> list[dict[str, str]]:
    """`count` respondents (tokens prefix0, prefix1, ...) answering `answer` to every item."""
    row = {
        "region": "OCC", "establishment": "DR", "agency_size": "M", "manager": "non",
        "job_family": "GDD", "portfolio": "AUCUN", "disability": "non", "contract": "CDI",
    }  # fmt: skip
    row.update(attrs)
    return [
        {"wave": WAVE, "respondent_id": f"{prefix}{i}", **row, **{c: str(answer) for c in ITEMS}}
        for i in range(count)
    ]


def first_collection() -> list[dict[str, str]]:
    rows = people("gdd", 30, 4) + people("sup", 30, 5, job_family="SUP")
    rows += people("cdde", 30, 3, job_family="CDDE", portfolio="SUIVI")
    return rows + people("idf", 40, 4, region="IDF")


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, ["wave", "respondent_id", *ATTRIBUTES, *ITEMS])
        writer.writeheader()
        writer.writerows(rows)
    return path


def differences(before: Results, after: Results) -> dict[tuple[str, Group], float]:
    """The attacker with both reports: every figure published twice whose count grew by 1 to 9
    gives the newcomers' mean, (n2 x mean2 - n1 x mean1) / (n2 - n1)."""
    stolen: dict[tuple[str, Group], float] = {}
    for (wave, measure, group), late in after.figures.items():
        early = before.figures.get((wave, measure, group))
        if early is None or not (early.published and late.published):
            continue
        assert early.n is not None and late.n is not None
        assert early.value is not None and late.value is not None
        if 0 < late.n - early.n < 10:
            sums = late.n * late.value - early.n * early.value
            stolen[(measure, group)] = sums / (late.n - early.n)
    return stolen


def test_two_releases_of_a_wave_do_not_give_the_late_respondents_away(
    engine: Engine, tmp_path: Path
) -> None:
    rows = first_collection()
    import_file(write(tmp_path / "vague.csv", rows), engine=engine)
    before = barometer_results(engine=engine)
    # Two late questionnaires, both very unhappy GDD counsellors of Occitanie, then a new release.
    late = people("late", 2, 1)
    import_file(write(tmp_path / "vague-complete.csv", rows + late), engine=engine)
    after = barometer_results(engine=engine)

    stolen = differences(before, after)
    assert stolen == {}, f"the 2 late respondents, by difference: {sorted(stolen.items())[:3]}"
    # What the first release showed is shown again where nobody came: Île-de-France.
    idf = Group("IDF", TOTAL, ALL)
    assert after.figure(WAVE, "iqvt", idf) == before.figure(WAVE, "iqvt", idf)
    note = after.figure(WAVE, "iqvt", Group("OCC", TOTAL, ALL)).note
    assert "depuis une diffusion précédente" in note


def test_a_corrected_answer_is_not_given_away(engine: Engine, tmp_path: Path) -> None:
    rows = first_collection()
    import_file(write(tmp_path / "vague.csv", rows), engine=engine)
    before = barometer_results(engine=engine)
    corrected = [dict(r) for r in rows]
    corrected[0].update({c: "1" for c in ITEMS})  # one GDD counsellor's answers, 4 -> 1
    import_file(write(tmp_path / "vague-corrigee.csv", corrected), engine=engine)
    after = barometer_results(engine=engine)
    for (wave, measure, group), f in after.figures.items():
        earlier = before.figure(wave, measure, group)
        if f.published and earlier.published:
            # Same people, so a published difference would be that counsellor's change.
            assert f.n == earlier.n and f.value == pytest.approx(earlier.value), (measure, group)


def test_enough_late_respondents_are_published(engine: Engine, tmp_path: Path) -> None:
    rows = first_collection()
    import_file(write(tmp_path / "vague.csv", rows), engine=engine)
    barometer_results(engine=engine)
    late = people("late", 12, 1)  # 12 late GDD counsellors: the difference is a group of 12
    import_file(write(tmp_path / "vague-complete.csv", rows + late), engine=engine)
    after = barometer_results(engine=engine)
    for measure in MEASURES:
        for group in (Group("OCC", "job_family", "GDD"), Group("OCC", TOTAL, ALL)):
            figure = after.figure(WAVE, measure, group)
            assert figure.published and figure.n == (42 if group.dim != TOTAL else 102)
