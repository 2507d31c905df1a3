"""The orientation rule library: the form, the vocabulary, parameters, capacities and every chart.

`default_library()` loads what ships in `orientation/rules/`; `load_library(directory)` loads
another copy (a draft folder, a test fixture). Every file is checked, and every problem of every
file is reported at once with its file and line (`parcours rules validate`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from pydantic import BaseModel, ConfigDict, model_validator

from parcours.errors import InvalidInput, Issue
from parcours.orientation.chart import Chart, ChartContext, build_chart, load_chart, read_chart
from parcours.orientation.conditions import FieldType
from parcours.orientation.form import InterviewForm, form_at
from parcours.orientation.parameters import ParameterSet, load_parameters
from parcours.orientation.partners import Capacity, load_capacities
from parcours.yamlfiles import line_of, load_model

RULES_DIR = Path(__file__).parent / "rules"
# Counts derived from the difficulty questions; rules read them like answers.
DERIVED_COUNTS = ("strong_difficulties", "medium_difficulties")
# Rules are written against the first form of the law; later forms must keep its question ids.
RULES_FORM_DATE = date(2025, 1, 1)

P = ParamSpec("P")
T = TypeVar("T")


class VocabularySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisations: dict[str, str]
    paths: dict[str, str]
    modalities: dict[str, str]
    offers: dict[str, list[str]]

    @model_validator(mode="after")
    def _offers_name_known_codes(self) -> VocabularySpec:
        unknown = [o for o in self.offers if o not in self.organisations]
        unknown += [m for ms in self.offers.values() for m in ms if m not in self.modalities]
        if unknown:
            raise ValueError(f"offers: unknown organisation or modality {', '.join(unknown)}")
        offered = {m for ms in self.offers.values() for m in ms}
        orphans = [m for m in self.modalities if m not in offered]
        if orphans:
            raise ValueError(f"offers: no organisation delivers {', '.join(orphans)}")
        return self


@dataclass(frozen=True)
class Vocabulary:
    organisations: dict[str, str]
    paths: dict[str, str]
    modalities: dict[str, str]
    offers: dict[str, tuple[str, ...]]

    def label(self, stage: str, code: str) -> str:
        table = {
            "organisation": self.organisations,
            "path": self.paths,
            "modality": self.modalities,
        }
        return table[stage].get(code, code)


@dataclass(frozen=True)
class RuleLibrary:
    directory: Path
    form: InterviewForm
    vocabulary: Vocabulary
    parameters: ParameterSet
    capacities: tuple[Capacity, ...]
    charts: tuple[Chart, ...]  # adopted charts, oldest first

    @property
    def context(self) -> ChartContext:
        return chart_context(self.form, self.vocabulary, self.parameters, self.capacities)

    def chart_at(self, at: date) -> Chart:
        """The adopted chart in force on a date."""
        chart = self.chart_in_force(at)
        if chart is None:
            raise InvalidInput(
                f"no orientation rules in force on {at.isoformat()} "
                f"(the first version applies from {self.charts[0].effective_from.isoformat()})"
            )
        return chart

    def chart_in_force(self, at: date) -> Chart | None:
        """The adopted chart in force on a date; None before the first one."""
        in_force = [c for c in self.charts if c.effective_from <= at]
        return in_force[-1] if in_force else None

    def chart(self, version: str) -> Chart:
        for c in self.charts:
            if c.version == version:
                return c
        raise InvalidInput(f"unknown rule version {version!r}")

    def load_draft(self, path: Path) -> Chart:
        """A chart file outside the adopted set (a draft for the what-if), checked like the others."""
        return load_chart(path, self.context)

    def change_dates(self) -> list[date]:
        """Every date on which the outcome of the same answers may change: charts and parameters."""
        dates = {c.effective_from for c in self.charts}
        for p in self.parameters.parameters.values():
            dates |= p.change_dates()
        for cap in self.capacities:
            dates |= {cap.start, cap.end + timedelta(days=1)}
        return sorted(dates)


def chart_context(
    form: InterviewForm,
    vocabulary: Vocabulary,
    parameters: ParameterSet,
    capacities: tuple[Capacity, ...],
) -> ChartContext:
    schema: dict[str, FieldType] = dict(form.schema)
    for name in DERIVED_COUNTS:
        schema[name] = FieldType("integer")
    return ChartContext(
        schema=schema,
        outcomes={
            "path": tuple(vocabulary.paths),
            "organisation": tuple(vocabulary.organisations),
            "modality": tuple(vocabulary.modalities),
        },
        parameter_names=frozenset(parameters.parameters),
        programmes=frozenset(c.modality for c in capacities if c.modality),
    )


def load_vocabulary(path: Path) -> Vocabulary:
    spec = load_model(VocabularySpec, path)
    return Vocabulary(
        spec.organisations,
        spec.paths,
        spec.modalities,
        {org: tuple(ms) for org, ms in spec.offers.items()},
    )


def _collect(
    issues: list[Issue], load: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T | None:
    """Run one loader; its problems join `issues` instead of hiding the files after it."""
    try:
        return load(*args, **kwargs)
    except InvalidInput as exc:
        issues += exc.issues
        return None


def load_library(directory: Path = RULES_DIR) -> RuleLibrary:
    """Load and check every file; raise one InvalidInput listing the problems of all files.

    A broken file never hides the others: when the form, the vocabulary, the parameters or the
    partners cannot be read, charts and drafts are still read for their own syntax and shape (what
    can be checked without the names they refer to)."""
    issues: list[Issue] = []
    form = _collect(issues, form_at, RULES_FORM_DATE)
    vocabulary = _collect(issues, load_vocabulary, directory / "vocabulary.yaml")
    parameters = _collect(issues, load_parameters, directory / "parameters.yaml")
    capacities = _collect(issues, load_capacities, directory / "partners.yaml")
    chart_files = sorted((directory / "charts").glob("*.yaml"))
    draft_files = sorted((directory / "drafts").glob("*.yaml"))
    # Read every chart for its syntax and shape first: a version or a date adopted twice is
    # reported even when the shared files, or the charts themselves, have other problems.
    read = [(path, _collect(issues, read_chart, path)) for path in chart_files]
    readable = [(path, r[0], r[1]) for path, r in read if r]
    issues += _repeated("version", [(path, spec.version, tree) for path, spec, tree in readable])
    # Two charts from the same day: which one is in force would depend on the file names.
    issues += _repeated(
        "effective_from",
        [(path, spec.effective_from.isoformat(), tree) for path, spec, tree in readable],
    )
    if form is None or vocabulary is None or parameters is None or capacities is None:
        for path in draft_files:
            _collect(issues, read_chart, path)
        raise InvalidInput(issues)
    context = chart_context(form, vocabulary, parameters, capacities)
    charts: list[Chart] = []
    for path, spec_tree in read:
        if spec_tree is None:
            continue
        chart = _collect(issues, build_chart, *spec_tree, path, context)
        if chart is None:
            continue
        if chart.status != "adopted":
            issues.append(Issue(str(path), None, None, "charts/ holds adopted charts only"))
        charts.append(chart)
    for path in draft_files:
        _collect(issues, load_chart, path, context)
    if not charts and not issues:
        issues.append(Issue(str(directory / "charts"), None, None, "no adopted chart"))
    if issues:
        raise InvalidInput(issues)
    charts.sort(key=lambda c: c.effective_from)
    return RuleLibrary(directory, form, vocabulary, parameters, capacities, tuple(charts))


def _repeated(key: str, charts: list[tuple[Path, str, Any]]) -> list[Issue]:
    """One issue per chart whose `key` (its version, its effective date) an earlier file already
    holds, on that key's line and naming the file and line of the first."""
    issues: list[Issue] = []
    first: dict[str, tuple[Path, int | None]] = {}
    for path, value, tree in charts:
        line = line_of(tree, (key,))
        if value in first:
            other, other_line = first[value]
            where = f"{other}:{other_line}" if other_line is not None else str(other)
            issues.append(Issue(str(path), line, key, f"{key} {value!r} already in {where}"))
        else:
            first[value] = (path, line)
    return issues


@cache
def default_library() -> RuleLibrary:
    return load_library(RULES_DIR)
