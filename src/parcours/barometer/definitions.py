"""Typed loaders for the barometer's data files: the questionnaire, the population attributes and the
index definitions (`indices/*.yaml`). Every problem is collected with its file and line, then raised
together as one `InvalidInput` (the `validate` command prints them all)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from parcours.errors import InvalidInput, Issue
from parcours.yamlfiles import LocatedDict, LocatedList, load_mapping

HERE = Path(__file__).parent
Scoring = Literal["percent_favourable", "mean_0_100"]
SCORINGS: tuple[Scoring, ...] = ("percent_favourable", "mean_0_100")
Kind = Literal["index", "theme"]


@dataclass(frozen=True)
class Item:
    code: str
    text: str
    reversed: bool = False


@dataclass(frozen=True)
class Questionnaire:
    scale_min: int
    scale_max: int
    scale_labels: dict[int, str]
    items: dict[str, Item]  # in questionnaire order

    def is_favourable(self, code: str, value: int) -> bool:
        """Top two boxes of the scale (bottom two for a reversed item)."""
        if self.items[code].reversed:
            return value <= self.scale_min + 1
        return value >= self.scale_max - 1


@dataclass(frozen=True)
class Attribute:
    name: str
    label: str
    values: dict[str, str]  # code -> label, in file order
    breakdown: bool = True


@dataclass(frozen=True)
class ConsistencyRule:
    when_attribute: str
    when_values: frozenset[str]
    when_negated: bool
    then_attribute: str
    then_values: frozenset[str]
    reason: str
    line: int = field(default=0, compare=False)  # in population.yaml, for messages

    def when_in(self, values: Iterable[str]) -> frozenset[str]:
        """The values of `when_attribute` (out of `values`) that the rule constrains."""
        return frozenset(values) - self.when_values if self.when_negated else self.when_values

    def applies(self, row: dict[str, str]) -> bool:
        inside = row.get(self.when_attribute) in self.when_values
        return inside != self.when_negated

    def allows(self, row: dict[str, str]) -> bool:
        return not self.applies(row) or row.get(self.then_attribute) in self.then_values


@dataclass(frozen=True)
class Population:
    attributes: dict[str, Attribute]
    consistency: tuple[ConsistencyRule, ...] = ()
    region_insee: dict[str, str] = field(default_factory=dict)  # region code -> INSEE code

    def region_of_insee(self, insee: str | None) -> str | None:
        return next((code for code, value in self.region_insee.items() if value == insee), None)

    @property
    def breakdowns(self) -> list[Attribute]:
        return [a for a in self.attributes.values() if a.breakdown]

    def forbidden(self, first: str, second: str) -> set[tuple[str, str]]:
        """The pairs (value of `first`, value of `second`) that the consistency rules exclude: the
        combinations that no respondent can have, in either direction of a rule."""
        found: set[tuple[str, str]] = set()
        for rule in self.consistency:
            if {rule.when_attribute, rule.then_attribute} != {first, second} or first == second:
                continue
            when_in = rule.when_in(self.attributes[rule.when_attribute].values)
            excluded = set(self.attributes[rule.then_attribute].values) - rule.then_values
            for w in when_in:
                for t in excluded:
                    found.add((w, t) if rule.when_attribute == first else (t, w))
        return found


@dataclass(frozen=True)
class IndexDefinition:
    id: str
    label: str
    kind: Kind
    scoring: Scoring
    items: tuple[str, ...]
    min_answered: float = 0.5  # share of the items a respondent must answer to get a score
    description: str = ""
    source: str = ""


@dataclass(frozen=True)
class Definitions:
    questionnaire: Questionnaire
    population: Population
    indices: dict[str, IndexDefinition] = field(default_factory=dict)


def _str(
    d: LocatedDict, key: str, path: Path, issues: list[Issue], *, required: bool = True
) -> str:
    value = d.get(key)
    if value is None:
        if required:
            issues.append(Issue(str(path), d.line, key, f"champ « {key} » manquant"))
        return ""
    if not isinstance(value, str | int):
        issues.append(Issue(str(path), d.line_of(key), key, "texte attendu"))
        return ""
    return str(value)


def load_questionnaire(path: Path, issues: list[Issue]) -> Questionnaire:
    data = load_mapping(path)
    scale = data.get("scale")
    lo, hi, labels = 1, 5, {}
    if isinstance(scale, LocatedDict):
        lo, hi = int(scale.get("min", 1)), int(scale.get("max", 5))
        raw = scale.get("labels") or {}
        labels = {int(k): str(v) for k, v in raw.items()}
        if hi - lo < 3:
            issues.append(Issue(str(path), scale.line, "scale", "une échelle d'au moins 4 points"))
    else:
        issues.append(Issue(str(path), data.line, "scale", "champ « scale » manquant"))
    items: dict[str, Item] = {}
    raw_items = data.get("items")
    if not isinstance(raw_items, LocatedList):
        issues.append(Issue(str(path), data.line, "items", "liste « items » manquante"))
        raw_items = LocatedList()
        raw_items.item_lines = []
    for entry, line in zip(raw_items, raw_items.item_lines, strict=True):
        if not isinstance(entry, LocatedDict):
            issues.append(Issue(str(path), line, "items", "chaque item est un dictionnaire"))
            continue
        code, text = _str(entry, "code", path, issues), _str(entry, "text", path, issues)
        if code in items:
            issues.append(Issue(str(path), line, "code", f"item {code} défini deux fois"))
        if code:
            items[code] = Item(code=code, text=text, reversed=bool(entry.get("reversed", False)))
    return Questionnaire(scale_min=lo, scale_max=hi, scale_labels=labels, items=items)


def load_population(path: Path, issues: list[Issue]) -> Population:
    data = load_mapping(path)
    attributes: dict[str, Attribute] = {}
    raw = data.get("attributes")
    if not isinstance(raw, LocatedList):
        issues.append(Issue(str(path), data.line, "attributes", "liste « attributes » manquante"))
        raw = LocatedList()
    for entry in raw:
        name = _str(entry, "name", path, issues)
        values = entry.get("values")
        if not isinstance(values, LocatedDict) or not values:
            issues.append(Issue(str(path), entry.line, "values", f"{name} : valeurs manquantes"))
            values = LocatedDict()
        attributes[name] = Attribute(
            name=name,
            label=_str(entry, "label", path, issues),
            values={str(k): str(v) for k, v in values.items()},
            breakdown=bool(entry.get("breakdown", True)),
        )
    if "region" not in attributes:
        issues.append(Issue(str(path), data.line, "attributes", "l'attribut « region » est requis"))
    rules: list[ConsistencyRule] = []
    for rule in data.get("consistency") or []:
        when, then = rule.get("when"), rule.get("then")
        if not isinstance(when, LocatedDict) or not isinstance(then, LocatedDict):
            issues.append(Issue(str(path), rule.line, "consistency", "« when » et « then » requis"))
            continue
        for part, key in ((when, "not_in" if "not_in" in when else "in"), (then, "in")):
            attribute = attributes.get(str(part.get("attribute")))
            if attribute is None:
                issues.append(
                    Issue(
                        str(path),
                        part.line,
                        "attribute",
                        f"attribut inconnu {part.get('attribute')!r}",
                    )
                )
                continue
            # A misspelt value would make the rule constrain nothing, and protect nothing.
            for value in part.get(key) or []:
                if str(value) not in attribute.values:
                    issues.append(
                        Issue(
                            str(path),
                            part.line_of(key),
                            key,
                            f"valeur inconnue {value!r} de l'attribut {attribute.name}",
                        )
                    )
        negated = "not_in" in when
        rules.append(
            ConsistencyRule(
                when_attribute=str(when.get("attribute")),
                when_values=frozenset(str(v) for v in when.get("not_in" if negated else "in", [])),
                when_negated=negated,
                then_attribute=str(then.get("attribute")),
                then_values=frozenset(str(v) for v in then.get("in", [])),
                reason=str(rule.get("reason", "combinaison d'attributs impossible")),
                line=rule.line,
            )
        )
    insee = data.get("region_insee") or {}
    regions = attributes.get("region")
    for code in insee:
        if regions is not None and code not in regions.values:
            issues.append(
                Issue(
                    str(path),
                    data.line_of("region_insee"),
                    "region_insee",
                    f"région inconnue {code}",
                )
            )
    return Population(
        attributes=attributes,
        consistency=tuple(rules),
        region_insee={str(k): str(v) for k, v in insee.items()},
    )


def load_index(
    path: Path, questionnaire: Questionnaire, issues: list[Issue]
) -> IndexDefinition | None:
    data = load_mapping(path)
    before = len(issues)
    index_id = _str(data, "id", path, issues)
    if index_id and index_id != path.stem:
        issues.append(
            Issue(str(path), data.line_of("id"), "id", "l'id doit être le nom du fichier")
        )
    kind = _str(data, "kind", path, issues)
    if kind not in ("index", "theme"):
        issues.append(Issue(str(path), data.line_of("kind"), "kind", "« index » ou « theme »"))
    scoring = _str(data, "scoring", path, issues)
    if scoring not in SCORINGS:
        issues.append(
            Issue(
                str(path),
                data.line_of("scoring"),
                "scoring",
                f"règle inconnue ; attendu : {', '.join(SCORINGS)}",
            )
        )
    items = data.get("items")
    if not isinstance(items, LocatedList) or not items:
        issues.append(Issue(str(path), data.line_of("items"), "items", "liste d'items vide"))
        items = LocatedList()
    for code in items:
        if str(code) not in questionnaire.items:
            issues.append(Issue(str(path), data.line_of("items"), "items", f"item inconnu {code}"))
    if len(set(items)) != len(items):
        issues.append(Issue(str(path), data.line_of("items"), "items", "item répété"))
    min_answered = data.get("min_answered", 0.5)
    if not isinstance(min_answered, int | float) or not 0 < min_answered <= 1:
        issues.append(
            Issue(str(path), data.line_of("min_answered"), "min_answered", "une part entre 0 et 1")
        )
        min_answered = 0.5
    if len(issues) > before:
        return None
    return IndexDefinition(
        id=index_id,
        label=_str(data, "label", path, issues),
        kind=kind,  # type: ignore[arg-type]  # checked above
        scoring=scoring,  # type: ignore[arg-type]
        items=tuple(str(c) for c in items),
        min_answered=float(min_answered),
        description=_str(data, "description", path, issues, required=False),
        source=str(path),
    )


def load_definitions(root: Path = HERE) -> Definitions:
    """Load every barometer data file under `root`; raise every issue found at once."""
    issues: list[Issue] = []
    questionnaire = load_questionnaire(root / "questionnaire.yaml", issues)
    population = load_population(root / "population.yaml", issues)
    indices: dict[str, IndexDefinition] = {}
    order = {"index": 0, "theme": 1}
    for path in sorted((root / "indices").glob("*.yaml")):
        index = load_index(path, questionnaire, issues)
        if index is not None:
            indices[index.id] = index
    if issues:
        raise InvalidInput(issues)
    ordered = sorted(indices.values(), key=lambda i: (order[i.kind], i.id != "iqvt", i.id))
    return Definitions(
        questionnaire=questionnaire, population=population, indices={i.id: i for i in ordered}
    )


@lru_cache(maxsize=1)
def default_definitions() -> Definitions:
    return load_definitions(HERE)
