"""Structural rules of the population that everyone knows, and that the suppression must know too.

Reviewer's finding: the synthetic survey puts every platform (PES) respondent outside agencies —
public organisational knowledge, platforms are not agencies — but population.yaml only said so of
the DSI and the DG. So "outside agencies - platforms - DSI - DG" (and "regional establishments -
small - medium - large agencies") is the regional staff outside agencies, a group the suppression
never checked: 6 people in Hauts-de-France and 9 in Île-de-France from one release of a synthetic
wave. The attackers below know the rule from the world, not from population.yaml.

Also here: several rules on the same two attributes read together; a rule declared between two
releases of a wave; the warnings of `parcours barometer validate` about combinations that the
imported waves never show (undeclared rules) and the errors about rows that break a declared one."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from parcours.barometer import results as results_module
from parcours.barometer.definitions import (
    HERE,
    ConsistencyRule,
    Definitions,
    default_definitions,
    load_definitions,
)
from parcours.barometer.importer import import_file
from parcours.barometer.results import (
    NATION,
    TOTAL,
    Combination,
    Group,
    LegacyRemainder,
    Results,
    _wave_frame,
    compute_release,
    compute_results,
)
from parcours.barometer.scoring import score_frame
from parcours.barometer.service import decode_record, encode_record
from parcours.barometer.structure import candidate_rules, empty_combinations, rule_violations
from parcours.barometer.synth import SynthOptions, _population, write_survey
from parcours.cli.main import app
from parcours.db import get_engine
from parcours.errors import InvalidInput
from parcours.migrate import upgrade

from .test_nesting import block, recoverable
from .test_results import synthetic

D = default_definitions()
ITEMS = list(D.questionnaire.items)
REGIONS = list(D.population.attributes["region"].values)
DIMS = [a.name for a in D.population.breakdowns if a.name != "region"]
WAVE = "2024-10"
NOT_AGENCIES = ("PES", "DSI", "DG")  # what everyone knows: platforms, DSI and DG are not agencies


def with_rules(*rules: ConsistencyRule) -> Definitions:
    return dataclasses.replace(
        D, population=dataclasses.replace(D.population, consistency=tuple(rules))
    )


PORTFOLIO_RULE, AGENCY_RULE = D.population.consistency
# population.yaml before the fix: only the DSI and the DG were declared outside agencies.
BEFORE = with_rules(
    PORTFOLIO_RULE, dataclasses.replace(AGENCY_RULE, when_values=frozenset({"DSI", "DG"}))
)


@pytest.fixture(scope="module")
def survey(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Results]:
    """One synthetic wave of 1,000 respondents (the reviewer's seed): small regions, small groups."""
    frame = synthetic(tmp_path_factory.mktemp("survey"), 1000, seed=2024, waves=(WAVE,))
    return frame, compute_results(frame, D)


def outside_agencies(
    frame: pd.DataFrame, results: Results, wave: str = WAVE
) -> dict[tuple[str, str, str], tuple[int, float]]:
    """The reviewer's attack: in every scope and for every measure, "outside agencies" minus the
    platforms, DSI and DG, and the regional establishments minus the three agency sizes, whenever
    every term is published (or published as empty). Returns the recovered (n, mean) of the
    regional staff outside agencies when they are 1 to 9, after checking it against the rows."""
    sub = frame[frame["wave"] == wave].reset_index(drop=True)
    scores = score_frame(sub[ITEMS], D)
    differences = (
        (("agency_size", "NA"), [("establishment", e) for e in NOT_AGENCIES]),
        (("establishment", "DR"), [("agency_size", s) for s in ("S", "M", "L")]),
    )
    recovered: dict[tuple[str, str, str], tuple[int, float]] = {}
    for measure in scores.columns:
        for scope in [NATION, *REGIONS]:
            for (dim, value), terms in differences:
                figures = [results.figure(wave, measure, Group(scope, d, v)) for d, v in terms]
                whole = results.figure(wave, measure, Group(scope, dim, value))
                if not whole.published or not all(
                    f.published or f.note == "aucun répondant" for f in figures
                ):
                    continue
                assert whole.n is not None and whole.value is not None
                n = whole.n - sum(f.n or 0 for f in figures)
                total = whole.n * whole.value - sum((f.n or 0) * (f.value or 0.0) for f in figures)
                if not 0 < n < 10:
                    continue
                # The attack is right: these are the regional staff outside agencies.
                inside = (sub["establishment"] == "DR") & (sub["agency_size"] == "NA")
                if scope != NATION:
                    inside &= sub["region"] == scope
                truth = scores.loc[inside.to_numpy(), measure].dropna()
                assert len(truth) == n and total / n == pytest.approx(truth.mean())
                recovered[(measure, scope, dim)] = (n, total / n)
    return recovered


def test_the_regional_staff_outside_agencies_are_not_recovered(
    survey: tuple[pd.DataFrame, Results],
) -> None:
    frame, results = survey
    assert outside_agencies(frame, results) == {}
    # With the rule as population.yaml had it, the same release gave them away.
    leaked = outside_agencies(frame, compute_results(frame, BEFORE))
    assert {scope for _, scope, _ in leaked} == {"HDF", "IDF"}


def generator_structure(size: int = 200_000) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """Every combination of two published attributes that the synthetic population never has: its
    structural rules, declared or not (platforms are not agencies; only CDDE hold a portfolio;
    IT staff are at the DSI or the DG; every "direction" staff member is a manager; ...)."""
    people = pd.DataFrame(_population(np.random.default_rng(0), size))
    empty: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for i, a in enumerate(DIMS):
        for b in DIMS[i + 1 :]:
            seen = set(zip(people[a], people[b], strict=True))
            cells = {
                (x, y)
                for x in D.population.attributes[a].values
                for y in D.population.attributes[b].values
            }
            if cells - seen:
                empty[(a, b)] = cells - seen
    return empty


def pairwise_attack(
    frame: pd.DataFrame,
    results: Results,
    empty: dict[tuple[str, str], set[tuple[str, str]]],
    measures: tuple[str, ...],
) -> list[str]:
    """An exact attacker who knows every structural rule of the synthetic population. For two
    attributes A and B, the unknowns are the sums of every combination (region, a, b) that the
    structure allows; each published figure of the total, of A or of B, in a region or the nation,
    is an equation. Returns the combinations (in a region or nationally) of 1 to 9 respondents
    whose sum lies in the row space."""
    sub = frame[frame["wave"] == WAVE].reset_index(drop=True)
    scores = score_frame(sub[ITEMS], D)
    known: dict[str, list[Group]] = defaultdict(list)
    for (wave, measure, group), figure in results.figures.items():
        if wave == WAVE and (figure.published or figure.note == "aucun répondant"):
            known[measure].append(group)
    found: list[str] = []
    for (a, b), zeros in empty.items():
        values_a = list(D.population.attributes[a].values)
        values_b = list(D.population.attributes[b].values)
        allowed = [(x, y) for x in values_a for y in values_b if (x, y) not in zeros]
        cells = [(r, x, y) for r in REGIONS for x, y in allowed]
        where = {c: i for i, c in enumerate(cells)}
        region, first, second = (np.array([c[k] for c in cells], dtype=object) for k in range(3))
        # Targets: each cell in a region, then each combination nationally.
        targets = np.vstack([np.eye(len(cells)), np.tile(np.eye(len(allowed)), len(REGIONS))])
        labels = [f"{r} {a}={x} {b}={y}" for r, x, y in cells]
        labels += [f"{NATION} {a}={x} {b}={y}" for x, y in allowed]
        for measure in measures:
            rows = []
            for g in known[measure]:
                if g.dim not in (TOTAL, a, b):
                    continue
                row = np.ones(len(cells), dtype=bool) if g.scope == NATION else region == g.scope
                if g.dim == a:
                    row &= first == g.value
                if g.dim == b:
                    row &= second == g.value
                rows.append(row)
            _, singular, vt = np.linalg.svd(np.array(rows, dtype=float), full_matrices=False)
            basis = vt[: int((singular > 1e-8 * singular.max()).sum())]
            n = np.zeros(len(cells))
            answered = sub[scores[measure].notna().to_numpy()]
            for key, size in answered.groupby(["region", a, b]).size().items():
                n[where[key]] = size  # a KeyError: the survey breaks the generator's structure
            sizes = targets @ n
            residual = np.abs(targets - (targets @ basis.T) @ basis).max(axis=1)
            for i in np.flatnonzero((sizes > 0) & (sizes < 10) & (residual < 1e-7)):
                found.append(f"{measure} {labels[i]} n={int(sizes[i])}")
    return found


def test_an_attacker_who_knows_the_whole_structure_gets_no_combination(
    survey: tuple[pd.DataFrame, Results],
) -> None:
    frame, results = survey
    empty = generator_structure()
    assert ("PES", "S") in empty[("establishment", "agency_size")]
    measures = ("iqvt", "idc", "item:Q01", "item:Q19")
    assert pairwise_attack(frame, results, empty, measures) == []
    before = pairwise_attack(frame, compute_results(frame, BEFORE), empty, measures)
    assert before and all("establishment=DR agency_size=NA" in leak for leak in before)


def test_two_rules_on_the_same_attributes_are_read_together(
    survey: tuple[pd.DataFrame, Results],
) -> None:
    """Each rule alone leaves a large remainder (outside agencies but not PES; outside agencies but
    neither DSI nor DG); together they leave the regional staff outside agencies."""
    frame, _ = survey
    split = with_rules(
        PORTFOLIO_RULE,
        dataclasses.replace(AGENCY_RULE, when_values=frozenset({"DSI", "DG"})),
        dataclasses.replace(AGENCY_RULE, when_values=frozenset({"PES"}), reason="plateformes"),
    )
    wf = _wave_frame(frame.reset_index(drop=True), split)
    assert Combination("HDF", "establishment", "DR", "agency_size", "NA") in wf.derived
    assert outside_agencies(frame, compute_results(frame, split)) == {}


def test_hand_wave_with_platforms() -> None:
    """test_nesting's scenario B with platforms: agencies S and M, 4 regional staff outside
    agencies, platforms, DSI and DG in Occitanie."""
    rows = block(30, 5.0, agency_size="S") + block(30, 4.0, agency_size="M")
    rows += block(4, 1.0, agency_size="NA")
    rows += block(20, 3.0, establishment="PES", agency_size="NA")
    rows += block(20, 5.0, establishment="DSI", agency_size="NA", job_family="SI")
    rows += block(20, 4.0, establishment="DG", agency_size="NA", job_family="SUP")
    rows += block(60, 4.0, region="IDF", agency_size="L")
    frame = pd.DataFrame(rows)
    results = compute_results(frame, D)
    for measure in ("iqvt", "idc", "item:Q01"):
        assert recoverable(frame, results, measure) == []
    assert outside_agencies(frame, results, wave="2025-03") == {}
    assert outside_agencies(frame, compute_results(frame, BEFORE), wave="2025-03")


def _releases_around_a_new_rule(
    monkeypatch: pytest.MonkeyPatch | None,
) -> dict[tuple[str, Group], float]:
    """Release 1 under the old rule; 12 platform agents, 10 agents of small agencies and 2
    regional staff outside agencies answer late; release 2 under the new rule. Returns what "outside agencies" minus the
    platforms, DSI and DG gives for the latecomers (changes of groups published twice)."""
    early = block(30, 5.0, agency_size="S") + block(30, 4.0, agency_size="M")
    early += block(15, 3.0, agency_size="NA")
    early += block(20, 3.0, establishment="PES", agency_size="NA")
    early += block(20, 5.0, establishment="DSI", agency_size="NA", job_family="SI")
    early += block(20, 4.0, establishment="DG", agency_size="NA", job_family="SUP")
    early += block(60, 4.0, region="IDF", agency_size="L")
    late = early + block(2, 1.0, agency_size="NA")
    late += block(12, 3.0, establishment="PES", agency_size="NA")
    late += block(10, 4.0, agency_size="S")  # the regional establishments grow by 12: shown
    first, records = compute_release(pd.DataFrame(early), BEFORE)
    if monkeypatch is not None:  # read the first release without rebuilding today's cells
        monkeypatch.setattr(results_module, "with_cells", lambda record, cells, parts: record)
    second = compute_results(pd.DataFrame(late), D, earlier={"2025-03": [records["2025-03"]]})
    stolen: dict[tuple[str, Group], float] = {}
    terms = [Group("OCC", "agency_size", "NA")]
    terms += [Group("OCC", "establishment", e) for e in NOT_AGENCIES]
    for measure in ("iqvt", "idc", "item:Q01"):
        pairs = [
            (first.figure("2025-03", measure, g), second.figure("2025-03", measure, g))
            for g in terms
        ]
        if not all(a.published and b.published for a, b in pairs):
            continue
        change = [(b.n or 0) * (b.value or 0.0) - (a.n or 0) * (a.value or 0.0) for a, b in pairs]
        came = [(b.n or 0) - (a.n or 0) for a, b in pairs]
        n = came[0] - sum(came[1:])
        if 0 < n < 10:
            stolen[(measure, terms[0])] = (change[0] - sum(change[1:])) / n
    return stolen


def test_a_rule_declared_between_two_releases_guards_the_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _releases_around_a_new_rule(None) == {}
    # The earlier record has no "regional staff outside agencies" cell: without rebuilding it
    # from the record's groups, the two latecomers come out (mean of 1.0: 0 on the 0-100 scale).
    assert _releases_around_a_new_rule(monkeypatch)


def test_a_record_with_the_old_cell_names_is_still_read() -> None:
    """Records made when derived cells were named by the index of their rule decode, and their
    cells are isolated unknowns; today's cells are rebuilt from the groups."""
    frame = pd.DataFrame(block(30, 5.0) + block(30, 4.0, region="IDF"))
    _, records = compute_release(frame, D)
    raw = encode_record(records["2025-03"])
    raw["cells"] = [c if c[0] == "g" else ["r", c[1], i] for i, c in enumerate(raw["cells"])]
    old = decode_record("2025-03", 10, json.loads(json.dumps(raw)))
    assert old.cells[old.groups :]
    assert all(isinstance(c, LegacyRemainder) for c in old.cells[old.groups :])
    grown = pd.DataFrame(block(33, 5.0) + block(30, 4.0, region="IDF"))
    again = compute_results(grown, D, earlier={"2025-03": [old]})
    assert not again.figure("2025-03", "iqvt", Group("OCC", TOTAL, "*")).published  # 3 came


# --- What the imported waves say about the rules (`parcours barometer validate`) ---


def attributes_frame(size: int, seed: int) -> pd.DataFrame:
    """Respondents whose attributes are independent, except as the declared rules require."""
    rng = np.random.default_rng(seed)
    pick = {
        name: rng.choice(list(attribute.values), size=size)
        for name, attribute in D.population.attributes.items()
    }
    frame = pd.DataFrame(pick).assign(wave=rng.choice(["2024-03", "2024-10"], size=size))
    frame.loc[frame["job_family"] != "CDDE", "portfolio"] = "AUCUN"
    frame.loc[frame["establishment"].isin(NOT_AGENCIES), "agency_size"] = "NA"
    return frame


@pytest.mark.parametrize("seed", range(8))
def test_independent_attributes_raise_no_warning(seed: int) -> None:
    frame = attributes_frame(5000, seed)
    assert rule_violations(frame, D.population) == []
    assert empty_combinations(frame, D.population) == []


def test_the_missing_platform_rule_is_named(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    write_survey(path, SynthOptions(("2024-03", "2024-10"), 2000, 2024))
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    (rule,) = [
        r
        for r in candidate_rules(frame, BEFORE.population)
        if {r.when_attribute, r.then_attribute} == {"establishment", "agency_size"}
    ]
    assert (rule.when_attribute, rule.when_values) == ("establishment", ("PES",))
    assert (rule.then_attribute, rule.then_values) == ("agency_size", ("NA",))
    assert (
        rule.extends == BEFORE.population.consistency[1]
    )  # the operator is told to add PES to the declared rule
    assert {c.second_value for c in rule.evidence} == {"S", "M", "L"}
    issue = rule.issue(["2024-03", "2024-10"])
    assert issue.line == AGENCY_RULE.line and issue.line > 0
    assert "establishment=PES et agency_size=S" in issue.reason and "ajoutez PES" in issue.reason
    # Declared now: nothing more to say about these two attributes.
    assert not any(
        {r.when_attribute, r.then_attribute} == {"establishment", "agency_size"}
        for r in candidate_rules(frame, D.population)
    )


def test_a_rare_combination_is_not_a_rule() -> None:
    """Nobody both disabled and on a fixed-term contract: among 100 respondents, 10 disabled and
    50 on fixed-term contracts, 5 were expected (a coincidence is plausible: e^-5 = 0.7 %); among
    400, 40 and 200, 20 were (e^-20: a rule, or nearly one)."""

    def frame(size: int) -> pd.DataFrame:
        rows = []
        for i in range(size):
            row = dict(block(1, 3.0)[0])
            row["disability"] = "oui" if i < size // 10 else "non"
            row["contract"] = "CDI" if i < size // 2 else "CDD"
            rows.append(row)
        return pd.DataFrame(rows)

    assert empty_combinations(frame(100), D.population) == []
    (combo,) = empty_combinations(frame(400), D.population)
    assert (combo.first_value, combo.second_value) == ("oui", "CDD")
    assert combo.expected == pytest.approx(20.0)


def test_rows_that_break_a_declared_rule_are_errors() -> None:
    frame = attributes_frame(200, 1)
    frame.loc[frame.index[:3], ["establishment", "agency_size"]] = ["PES", "S"]
    (issue,) = rule_violations(frame, D.population)
    assert issue.line == AGENCY_RULE.line and issue.column == "agency_size"
    assert issue.reason.startswith("3 réponses importées enfreignent la règle")


def test_validate_warns_and_fails_on_the_imported_waves(
    tmp_path: Path, parcours_home: Path
) -> None:
    runner = CliRunner()
    survey = tmp_path / "vagues.csv"
    write_survey(survey, SynthOptions(("2024-03", "2024-10"), 200, 2024))
    result = runner.invoke(app, ["barometer", "import", str(survey)])
    assert result.exit_code == 0, result.output
    # The synthetic population has structural rules of its own that population.yaml leaves out:
    # every "direction" staff member is a manager, for one.
    assert "job_family=DIR et manager=non" in " ".join(result.output.split())
    result = runner.invoke(app, ["barometer", "validate"])
    assert result.exit_code == 0 and "règle candidate non déclarée" in result.output
    # Rows imported before a rule was declared: the suppression would rely on a false rule.
    with survey.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows[:2]:
        row.update(wave="2025-03", establishment="PES", agency_size="S")
    old = tmp_path / "avant.csv"
    with old.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows[:2])
    engine = get_engine()
    upgrade(engine)
    assert import_file(old, engine=engine, definitions=BEFORE).inserted == 2
    result = runner.invoke(app, ["barometer", "validate"])
    assert result.exit_code == 1
    assert "2 réponses importées enfreignent la règle" in " ".join(result.output.split())


def test_misspelt_values_in_a_rule_are_errors(tmp_path: Path) -> None:
    root = tmp_path / "defs"
    shutil.copytree(HERE / "indices", root / "indices")
    shutil.copy(HERE / "questionnaire.yaml", root / "questionnaire.yaml")
    text = (HERE / "population.yaml").read_text(encoding="utf-8")
    (root / "population.yaml").write_text(text.replace("[PES, DSI, DG]", "[PES, DSI, DGG]"))
    with pytest.raises(InvalidInput, match="DGG") as info:
        load_definitions(root)
    (issue,) = info.value.issues
    assert issue.line == AGENCY_RULE.line and issue.column == "in"
