"""The imported waves read against the consistency rules of `population.yaml`: the rules they break,
and the structural rules they suggest that nobody declared (`parcours barometer validate`).

The suppression protects what the declared rules make computable, and nothing else: a structural
rule that everyone knows but the file leaves out (platforms are never agencies) lets anyone subtract
published figures that the suppression believes independent, and get a group of 6 back. The data
can point at such rules: a combination of two attribute values that no respondent has, although
both values are common, is very unlikely by chance. If the two attributes were independent within
a wave of N respondents, n_a of them with value a and n_b with value b, the chance that none has
both is at most exp(-n_a x n_b / N) (hypergeometric: (1 - n_a / N)^n_b at most); over several waves
the bounds multiply, so the expected counts add up. A combination absent from every wave although
`MIN_EXPECTED` (10) respondents or more were expected over them has
less than 1 chance in 20,000 of being a coincidence (exp(-10) = 4.5e-5; about 350 combinations
are tested, so under 2 % for one false alarm among them all). Attributes are not independent, so a
very rare combination is reported too: the operator decides, and declares the rule or leaves it.

What this cannot see: a structural rule about values too rare for their absence to mean anything
(fewer than 10 expected), and rules between three attributes. Those must be declared from
knowledge of the organisation. Combinations with the region are not tested: the region is a scope,
so every region x value group is published and an empty one is visible anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from parcours.barometer.definitions import HERE, ConsistencyRule, Population
from parcours.errors import Issue

MIN_EXPECTED = 10.0
POPULATION_FILE = str(HERE / "population.yaml")


@dataclass(frozen=True)
class EmptyCombination:
    """Two attribute values that no imported respondent has together (attributes in population
    order), with the number of respondents expected over the waves if they were independent."""

    first: str
    first_value: str
    second: str
    second_value: str
    expected: float


@dataclass(frozen=True)
class CandidateRule:
    """A rule in the form of `population.yaml` that would declare some empty combinations:
    "when `when_attribute` is in `when_values`, then `then_attribute` is in `then_values`"."""

    when_attribute: str
    when_values: tuple[str, ...]
    then_attribute: str
    then_values: tuple[str, ...]
    evidence: tuple[EmptyCombination, ...]
    extends: ConsistencyRule | None = None  # a declared rule to add `when_values` to instead

    def issue(self, waves: list[str], file: str = POPULATION_FILE) -> Issue:
        """A warning for `parcours barometer validate`, naming the combinations."""
        missing = " ; ".join(
            f"{self.when_attribute}={w} et {self.then_attribute}={t} (≈ {c.expected:.0f})"
            for c in self.evidence
            for w, t in [self._oriented(c)]
        )
        rule = (
            f"when: {{attribute: {self.when_attribute}, in: [{', '.join(self.when_values)}]}}, "
            f"then: {{attribute: {self.then_attribute}, in: [{', '.join(self.then_values)}]}}"
        )
        if self.extends is not None:
            rule = (
                f"ajoutez {', '.join(self.when_values)} à la liste « in » de « when » de cette "
                f"règle ({self.extends.reason}), qui dira alors aussi {rule}"
            )
        reason = (
            f"règle candidate non déclarée : aucun répondant des vagues {', '.join(waves)} n'a "
            f"{missing} — entre parenthèses, les répondants attendus si ces attributs étaient "
            f"indépendants. Si c'est une règle de la population, déclarez-la : {rule}. Non "
            "déclarée, quiconque la connaît peut retrouver par différence des groupes de moins "
            "de 10 répondants."
        )
        line = self.extends.line if self.extends is not None else None
        return Issue(file, line, "consistency", reason)

    def _oriented(self, combo: EmptyCombination) -> tuple[str, str]:
        """(value of `when_attribute`, value of `then_attribute`) of an empty combination."""
        if combo.first == self.when_attribute:
            return combo.first_value, combo.second_value
        return combo.second_value, combo.first_value


def _pairs(population: Population) -> list[tuple[str, str]]:
    dims = [a.name for a in population.breakdowns if a.name != "region"]
    return [(a, b) for i, a in enumerate(dims) for b in dims[i + 1 :]]


def empty_combinations(
    responses: pd.DataFrame, population: Population, *, min_expected: float = MIN_EXPECTED
) -> list[EmptyCombination]:
    """Combinations of two published attributes (the region aside) that no respondent of any wave
    has, that no declared rule excludes, and that independence would have filled with at least
    `min_expected` respondents over the waves. `responses`: a `wave` column and the attributes."""
    found: list[EmptyCombination] = []
    waves = [w for _, w in responses.groupby("wave")]
    for a, b in _pairs(population):
        declared = population.forbidden(a, b)
        seen: set[tuple[str, str]] = set()
        expected: dict[tuple[str, str], float] = {}
        for wave in waves:
            total = len(wave)
            seen.update(zip(wave[a], wave[b], strict=True))
            count_a, count_b = wave[a].value_counts(), wave[b].value_counts()
            for va, na in count_a.items():
                for vb, nb in count_b.items():
                    key = (str(va), str(vb))
                    expected[key] = expected.get(key, 0.0) + float(na) * float(nb) / total
        for va in population.attributes[a].values:
            for vb in population.attributes[b].values:
                e = expected.get((va, vb), 0.0)
                if (va, vb) not in seen and (va, vb) not in declared and e >= min_expected:
                    found.append(EmptyCombination(a, va, b, vb, e))
    return found


def candidate_rules(
    responses: pd.DataFrame, population: Population, *, min_expected: float = MIN_EXPECTED
) -> list[CandidateRule]:
    """The empty combinations, as rules to declare. Per two attributes, the values of one attribute
    with the same empty combinations (together with those already declared) make one rule; of the
    two ways to write them, the one with fewer rules (then the shorter `then` lists, then the
    population's order). A rule with the `then` list of a declared rule on the same attributes is
    offered as an extension of that rule: a second rule on the same attributes is read with the
    first (`results._combinations`), but one rule is easier to review."""
    by_pair: dict[tuple[str, str], list[EmptyCombination]] = {}
    for combo in empty_combinations(responses, population, min_expected=min_expected):
        by_pair.setdefault((combo.first, combo.second), []).append(combo)
    rules: list[CandidateRule] = []
    for (a, b), combos in by_pair.items():
        declared = population.forbidden(a, b)
        options: list[list[CandidateRule]] = [
            _written(population, a, b, combos, declared, transpose=False),
            _written(population, b, a, combos, declared, transpose=True),
        ]
        shortest = min(options, key=_length)
        rules.extend(shortest)
    return rules


def _length(rules: list[CandidateRule]) -> tuple[int, int]:
    return (len(rules), sum(len(r.then_values) for r in rules))


def _written(
    population: Population,
    when: str,
    then: str,
    combos: list[EmptyCombination],
    declared: set[tuple[str, str]],
    *,
    transpose: bool,
) -> list[CandidateRule]:
    """The combinations as rules whose `when` is attribute `when`: one rule per set of values of
    `when` that exclude the same values of `then` (the new ones and the declared ones)."""

    def declared_order(w: str, t: str) -> tuple[str, str]:
        return (t, w) if transpose else (w, t)

    flagged: dict[str, list[EmptyCombination]] = {}
    excluded_by: dict[str, set[str]] = {}
    for c in combos:
        w, t = (c.second_value, c.first_value) if transpose else (c.first_value, c.second_value)
        flagged.setdefault(w, []).append(c)
        excluded_by.setdefault(w, set()).add(t)
    then_values = list(population.attributes[then].values)
    groups: dict[frozenset[str], list[str]] = {}
    for w in population.attributes[when].values:
        if w not in flagged:
            continue
        already = {t for t in then_values if declared_order(w, t) in declared}
        groups.setdefault(frozenset(excluded_by[w] | already), []).append(w)
    rules = []
    for excluded, whens in groups.items():
        allowed = tuple(t for t in then_values if t not in excluded)
        extends = next(
            (
                r
                for r in population.consistency
                if r.when_attribute == when
                and r.then_attribute == then
                and not r.when_negated
                and r.then_values == frozenset(allowed)
            ),
            None,
        )
        rules.append(
            CandidateRule(
                when_attribute=when,
                when_values=tuple(whens),
                then_attribute=then,
                then_values=allowed,
                evidence=tuple(c for w in whens for c in flagged[w]),
                extends=extends,
            )
        )
    return rules


def rule_violations(
    responses: pd.DataFrame, population: Population, file: str = POPULATION_FILE
) -> list[Issue]:
    """Declared rules that imported responses break (imported before the rule was declared): the
    suppression takes every rule as true, so its equations would be false for those waves."""
    issues: list[Issue] = []
    for rule in population.consistency:
        if rule.when_attribute not in responses or rule.then_attribute not in responses:
            continue
        inside = responses[rule.when_attribute].isin(
            list(rule.when_in(population.attributes[rule.when_attribute].values))
        )
        broken = responses[inside & ~responses[rule.then_attribute].isin(list(rule.then_values))]
        if broken.empty:
            continue
        per_wave = ", ".join(f"{w} : {n}" for w, n in broken.groupby("wave").size().items())
        issues.append(
            Issue(
                file,
                rule.line,
                rule.then_attribute,
                f"{len(broken)} réponses importées enfreignent la règle « {rule.reason} » "
                f"({per_wave}) : la suppression la tient pour vraie, ses calculs seraient faux ; "
                "corrigez et réimportez ces réponses, ou retirez la règle",
            )
        )
    return issues


def check_responses(
    responses: pd.DataFrame, population: Population, file: str = POPULATION_FILE
) -> tuple[list[Issue], list[Issue]]:
    """(errors, warnings) of the imported waves against the declared rules: the rules they break,
    then the undeclared rules they suggest."""
    if responses.empty:
        return [], []
    waves = sorted(str(w) for w in responses["wave"].unique())
    warnings = [rule.issue(waves, file) for rule in candidate_rules(responses, population)]
    return rule_violations(responses, population, file), warnings
