"""Score situations, turn scores into levels per scenario, accumulate risk per agent, say why.

Reasons are plain French sentences shown to managers and agents; they name facts, never guesses.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from parcours.audit.scenario import Scenario
from parcours.audit.scoring.weights import Weights

# The scenario that selects the situations of the own-agency repetition rule (weights.yaml).
OWN_AGENCY_SCENARIO = "repeated_agency_file"
WIDELY_VIEWED_SCENARIO = "widely_viewed_file"
LEVEL_RANK = {"none": 0, "optional": 1, "mandatory": 2}
LEVEL_LABEL = {"optional": "au moins facultatif", "mandatory": "obligatoire"}
STRENGTH_NAME: dict[int, Literal["none", "weak", "strong"]] = {0: "none", 1: "weak", 2: "strong"}

TARGET_LABEL = {
    "protected": "dossier d'une personne protégée (élu ou candidat)",
    "colleague": "dossier de demandeur d'emploi d'un collègue en poste",
    "ex_colleague": "dossier de demandeur d'emploi d'un ancien agent",
    "own_file": "propre dossier de demandeur d'emploi de l'agent",
}
EXPLANATION_LABEL = {
    "referent": "référent",
    "appointment": "rendez-vous",
    "call": "appel 3949",
    "call_homonym": "appel 3949 (homonyme présenté par la téléphonie)",
    "call_unidentified": "appel 3949 sans dossier identifié, en cours",
    "task": "tâche de back-office",
    "purpose": "motif déclaré",
    "agency": "même agence",
    "manager": "encadrement de l'agence",
}
# The weak contexts of explain/explanations.yaml, as a situation's reason names them.
WEAK_CONTEXTS = ("agency", "manager", "call_unidentified")


@dataclass
class ScoredSituation:
    agent_id: str
    de_id: str
    scenarios: list[str]
    main_scenario: str
    level: str
    score: float
    reasons: list[str]
    first_seen: datetime
    last_seen: datetime
    consultations: int
    days: int
    target_kind: str | None
    match_probability: float | None
    explanation: str  # none|weak|strong: the best context of the least explained consultation
    explanation_summary: str
    establishment_id: str | None
    components: dict[str, float] = field(default_factory=dict)


def _n(row: Mapping[str, Any], key: str) -> int:
    return int(row.get(key) or 0)


def _count(n: int, singular: str, plural: str) -> str:
    """`1 consultation`, `3 consultations`: French agreement (0 and 1 take the singular)."""
    return f"{n} {singular if n <= 1 else plural}"


def _fr(x: float) -> str:
    return f"{x:.2f}".replace(".", ",")


def poisson_tail(k: int, expected: float) -> float:
    """P(X >= k) for X ~ Poisson(expected): how surprising k events are when `expected` were due."""
    if k <= 0:
        return 1.0
    if k <= expected:  # the tail is large: 1 - P(X < k) loses nothing
        term, below = math.exp(-expected), 0.0
        for i in range(k):
            below += term
            term *= expected / (i + 1)
        return max(0.0, 1.0 - below)
    # The tail is small: sum it directly (its terms decrease from the first), no cancellation.
    term = (
        math.exp(-expected + k * math.log(expected) - math.lgamma(k + 1)) if expected > 0 else 0.0
    )
    tail, i = 0.0, k
    while term > tail * 1e-12 and term > 0:
        tail += term
        i += 1
        term *= expected / i
    return min(1.0, tail)


def _chance(p: float) -> str:
    return (
        "moins de 1 sur 1 000 000" if p < 1e-6 else f"1 sur {round(1 / p):,}".replace(",", "\u202f")
    )


def _weak_contexts(row: Mapping[str, Any]) -> str:
    """The weak contexts found on a situation, in words (the agency when none is flagged)."""
    found = [EXPLANATION_LABEL[k] for k in WEAK_CONTEXTS if _n(row, f"x_{k}")]
    return ", ".join(found or [EXPLANATION_LABEL["agency"]])


def explanation_summary(row: Mapping[str, Any]) -> str:
    present = [label for k, label in EXPLANATION_LABEL.items() if _n(row, f"x_{k}")]
    counts = (
        f"{_n(row, 'strong')} avec contexte fort, {_n(row, 'weak_only')} avec contexte faible, "
        f"{_n(row, 'unexplained')} sans contexte"
    )
    return counts + (f" ; contextes trouvés : {', '.join(present)}" if present else "")


def score_situation(
    row: Mapping[str, Any], weights: Weights, scenarios: Mapping[str, Scenario]
) -> ScoredSituation:
    fired = [s for s in str(row["scenarios"]).split(",") if s in scenarios]
    # The weakest context among the situation's looks, as the explanations found it ...
    looked_untraced = _n(row, "min_strength") == 0
    strength = STRENGTH_NAME[_n(row, "min_strength")]
    # ... unless the agent worked on this file in the period: their other looks are follow-up.
    followed = (
        weights.followed_file_context == "weak" and looked_untraced and _n(row, "max_strength") == 2
    )
    if followed:
        strength = "weak"
    kind = row.get("target_kind")
    mp = float(row["match_probability"]) if row.get("match_probability") is not None else None
    identity = mp if mp is not None else 1.0  # no identity match to doubt: a certain one
    reasons: list[str] = []
    comp: dict[str, float] = {}

    if kind:
        comp["sensitivity"] = (
            weights.sensitivity[kind] * identity * weights.explanation_factor[strength]
        )
        reasons.append(
            f"{TARGET_LABEL[kind].capitalize()} (probabilité d'identité {_fr(mp or 1.0)})"
        )
    if strength == "none":
        comp["unexplained"] = weights.unexplained_points
        reasons.append(
            f"{_count(_n(row, 'unexplained'), 'consultation', 'consultations')} "
            "sans aucun contexte professionnel "
            "(ni référent, rendez-vous, appel 3949, tâche, motif déclaré ni agence commune)"
        )
    elif followed:
        reasons.append(
            f"{_count(_n(row, 'unexplained'), 'consultation', 'consultations')} sans contexte "
            "professionnel, mais l'agent a un lien professionnel fort avec ce dossier sur la "
            f"période ({_count(_n(row, 'strong'), 'consultation', 'consultations')} avec "
            "référent, rendez-vous, appel 3949, tâche ou motif déclaré) : suivi du dossier, "
            "contexte faible"
        )
    elif strength == "weak":
        reasons.append(
            _count(
                _n(row, "weak_only"),
                "consultation seulement expliquée",
                "consultations seulement expliquées",
            )
            + f" par un contexte faible ({_weak_contexts(row)})"
        )
    # Repetition and prints weigh less when the agent works in the file's agency (see weights.yaml).
    aggravation = weights.weak_context_aggravation_factor if strength == "weak" else 1.0
    rep = weights.repetition
    extra_days = max(0, _n(row, "days_not_strong") - 1)
    # A second office-hours day on an untraced ordinary file, from an agent who leaves hundreds of
    # untraced files, is how that agent works (weights.yaml): reported, not counted.
    untraced_files = _n(row, "agent_untraced_files")
    most_untraced = rep.untraced_second_day_max_agent_files
    if (
        not kind
        and strength == "none"
        and extra_days == 1
        and _n(row, "off_hours_days_not_strong") == 0
        and most_untraced is not None
        and untraced_files > most_untraced
    ):
        extra_days = 0
        reasons.append(
            "Second jour de consultation sans contexte non retenu comme signal : l'agent a ouvert "
            f"{untraced_files} dossiers sans aucun contexte professionnel sur la période (seuil "
            f"{most_untraced}), travail mutualisé ou de plateforme dont le suivi ne laisse pas "
            "de trace non plus"
        )
    extra_cons = max(0, _n(row, "not_strong") - 1)
    comp["repetition"] = aggravation * min(
        rep.cap, rep.per_extra_day * extra_days + rep.per_extra_consultation * extra_cons
    )
    if extra_days or extra_cons:
        reasons.append(
            f"Consultations répétées : {_n(row, 'not_strong')} sans contexte fort, "
            f"sur {_count(_n(row, 'days_not_strong'), 'jour', 'jours distincts')}"
        )
    off = _n(row, "off_hours_not_strong")
    off_days = _n(row, "off_hours_days_not_strong")
    # One off-hours day on an ordinary file, from an agent who leaves such looks on many files, is
    # how that agent works (weights.yaml): it is reported, not counted.
    habit_files = _n(row, "agent_off_hours_files")
    most_files = weights.off_hours.ordinary_file_max_agent_files
    if not kind and off_days == 1 and most_files is not None and habit_files > most_files:
        reasons.append(
            f"{_count(off, 'consultation', 'consultations')} sur 1 jour en dehors des jours et "
            f"horaires habituels de l'agent, {'non retenue' if off <= 1 else 'non retenues'} "
            f"comme signal : l'agent a ouvert ainsi, sans contexte fort, {habit_files} dossiers "
            f"ordinaires sur la période (seuil {most_files}) ; ses horaires habituels ne décrivent "
            "pas son organisation (signal de confidentialité, jamais une mesure du temps de travail)"
        )
        off_days = 0
    elif off:
        reasons.append(
            f"{_count(off, 'consultation', 'consultations')} sur "
            f"{_count(off_days, 'jour', 'jours')} en dehors des jours et horaires "
            "habituels de l'agent (signal de confidentialité, pas une mesure du temps de travail)"
        )
    comp["off_hours"] = min(weights.off_hours.cap, weights.off_hours.per_day * off_days)
    # Outside the agent's territory aggravates an unexplained file only beside a second day or an
    # off-hours day (for a sensitive file, also a print): pooled regional work (benefits,
    # platforms, transferred files) leaves lone untraced looks at other départements' files by the
    # thousand.
    pe_days = _n(row, "print_export_days_not_strong")
    if (
        strength == "none"
        and _n(row, "outside_territory")
        and (extra_days or off_days or (kind and pe_days))
    ):
        comp["territory"] = weights.outside_territory_points
        reasons.append("Dossier hors du territoire de l'agent (autre département que son agence)")
    at_work = _n(row, "off_hours_at_work")
    if at_work:
        reasons.append(
            f"{_count(at_work, 'consultation', 'consultations')} hors horaires habituels "
            f"{'non retenue' if at_work <= 1 else 'non retenues'} comme signal : "
            "l'agent traitait au même moment d'autres dossiers avec un contexte professionnel fort"
        )
    pe = _n(row, "print_export_not_strong")
    comp["actions"] = aggravation * min(
        weights.actions.cap, weights.actions.per_print_export_day * pe_days
    )
    if pe:
        reasons.append(f"{_count(pe, 'impression ou export', 'impressions ou exports')} du dossier")
    if strength == "strong":
        comp = {k: 0.0 for k in comp}
    score = round(sum(comp.values()), 2)

    best_level, main = "none", fired[0] if fired else ""
    for (
        sid
    ) in fired:  # `scenarios` is sorted by priority: the first one reaching the best level wins
        lvl = scenarios[sid].spec.level.level(score)
        if LEVEL_RANK[lvl] > LEVEL_RANK[best_level]:
            best_level, main = lvl, sid

    def raise_to(level: str, reason: str) -> bool:
        """A floor rule: lift the level to `level` (never lower it) and say why."""
        nonlocal best_level
        if LEVEL_RANK[best_level] >= LEVEL_RANK[level]:
            return False
        best_level = level
        reasons.append(f"{reason} : examen {LEVEL_LABEL[level]}")
        return True

    days_not_strong = _n(row, "days_not_strong")
    floor = weights.sensitive_floor
    # The floors concern sensitive files only, consulted with no strong context.
    # A look with no context at all keeps its floor even on a followed file (the rule).
    floor_applies = bool(kind) and (
        looked_untraced or (strength == "weak" and floor.up_to == "weak")
    )
    # The agent-habit floors (browsing, unusual territory) read looks with no context at all.
    untraced_sensitive = bool(kind) and strength == "none"
    if floor_applies:
        raise_to(floor.level, "Dossier sensible consulté sans explication professionnelle forte")
    repeated = floor.repeated
    coworker = floor.coworker
    is_coworker = kind == "colleague" and bool(_n(row, "target_same_agency"))
    repeated_days = repeated.days if repeated is not None else 0
    if is_coworker and coworker is not None and coworker.repeated_days is not None:
        repeated_days = min(repeated_days, coworker.repeated_days)
    if (
        floor_applies
        and repeated is not None
        and days_not_strong >= repeated_days
        and identity >= repeated.min_match_probability
    ):
        whose = " pour un collègue de la même agence" if repeated_days < repeated.days else ""
        raise_to(
            repeated.level,
            f"Dossier sensible consulté sur {days_not_strong} jours distincts sans "
            f"contexte professionnel fort (seuil {repeated_days} jours{whose})",
        )

    own_file = floor.own_file
    if (
        floor_applies
        and kind == "own_file"
        and own_file is not None
        and identity >= own_file.min_match_probability
    ):
        raise_to(
            own_file.level,
            "Propre dossier de demandeur d'emploi de l'agent consulté sans contexte professionnel "
            "fort : un agent n'ouvre pas son propre dossier avec ses accès professionnels (ses "
            "données lui sont ouvertes comme à tout demandeur d'emploi ; traiter son propre "
            "dossier est un conflit d'intérêts)",
        )

    if (
        untraced_sensitive
        and is_coworker
        and coworker is not None
        and identity >= coworker.min_match_probability
    ):
        raise_to(
            coworker.level,
            "Dossier d'un collègue en poste dans la même agence que l'agent, ouvert sans aucun "
            "contexte professionnel",
        )

    browsing = floor.browsing
    if untraced_sensitive and browsing is not None:
        files = _n(row, "agent_untraced_files")
        sensitive = _n(row, "agent_untraced_sensitive_files")
        region_files = _n(row, "region_untraced_files")
        share = _n(row, "region_untraced_sensitive_files") / region_files if region_files else 1.0
        expected = files * share
        chance = poisson_tail(sensitive, expected)
        if sensitive >= browsing.min_files and chance <= browsing.max_chance:
            raise_to(
                browsing.level,
                f"L'agent a ouvert sans aucun contexte professionnel {sensitive} dossiers sensibles "
                f"parmi {_count(files, 'dossier', 'dossiers')} sans contexte sur la période ; "
                f"la part de dossiers sensibles parmi ceux que tous les agents de la région ont "
                f"ouverts sans contexte en laisserait attendre {_fr(expected)} "
                f"(probabilité d'en trouver autant par hasard : {_chance(chance)})",
            )

    unusual = floor.unusual_territory
    outside_files = _n(row, "agent_untraced_outside_files")
    if (
        untraced_sensitive
        and unusual is not None
        and _n(row, "outside_territory")
        and outside_files <= unusual.max_agent_files
    ):
        raise_to(
            unusual.level,
            "Dossier sensible d'un autre département que celui de l'agence de l'agent, ouvert sans "
            "aucun contexte professionnel, alors que l'agent n'a ouvert sans contexte que "
            f"{_count(outside_files, 'dossier', 'dossiers')} hors de son territoire sur la période "
            f"(seuil {unusual.max_agent_files}) : ce n'est pas son travail habituel",
        )

    own = weights.own_agency_repetition
    own_applies = _n(row, "max_strength") < 2 and _n(row, "x_agency") and not _n(row, "x_manager")
    return_files = _n(row, "agent_agency_return_files")
    if (
        own_applies
        and own.max_agent_files is not None
        and return_files > own.max_agent_files
        and own.level(days_not_strong) != "none"
    ):
        own_applies = False
        reasons.append(
            f"Dossier de l'agence de l'agent consulté sur {days_not_strong} jours distincts sans "
            f"contexte professionnel fort, non retenu comme signal : l'agent revient ainsi sur "
            f"{return_files} dossiers de son agence sur la période (seuil {own.max_agent_files}), "
            "c'est son travail dans l'agence (accueil, portefeuille d'un collègue), pas l'intérêt "
            "pour une personne"
        )
    rule = scenarios.get(OWN_AGENCY_SCENARIO)
    if (
        own_applies
        and raise_to(
            own.level(days_not_strong),
            f"Dossier de l'agence de l'agent consulté sur {days_not_strong} jours distincts sans "
            "jamais de contexte professionnel fort, par un agent qui n'encadre pas l'agence "
            f"(seuils {own.optional_days} et {own.mandatory_days} jours)",
        )
        and rule
        and rule.id in fired
        and (main not in scenarios or scenarios[main].spec.priority > rule.spec.priority)
    ):
        main = rule.id  # its guide is the one that speaks of this situation

    # A file many agents opened with no context at all (a local celebrity, a news item): each of
    # those agents' looks is worth an examination, however ordinary it looks alone.
    wide = scenarios.get(WIDELY_VIEWED_SCENARIO)
    if (
        wide
        and wide.id in fired
        and raise_to(
            "optional",
            "Dossier consulté sans contexte professionnel lié à ce dossier par au moins "
            f"{wide.spec.parameters.get('min_viewers')} agents sur la période (curiosité pour "
            "une personne dont on parle ?)",
        )
    ):
        main = wide.id  # its guide is the one that speaks of this situation

    # An ordinary file looked at only within the agent's usual days and hours stays optional at
    # most: work the traces do not show (a partner's request, a former portfolio, a reinforcement
    # in another agency) leaves such returns too, by the hundred on the held-out region.
    capped = False
    ceiling = weights.ordinary_file_in_hours_max_level
    if not kind and off_days == 0 and LEVEL_RANK[best_level] > LEVEL_RANK[ceiling]:
        best_level, capped = ceiling, True
        reasons.append(
            "Dossier ordinaire consulté seulement aux jours et heures habituels de l'agent : examen "
            f"{LEVEL_LABEL[ceiling].removeprefix('au moins ')} au plus (un travail que les traces "
            "ne montrent pas, comme la demande d'un partenaire, un ancien portefeuille ou un "
            "renfort dans une autre agence, laisse aussi de tels retours)"
        )

    # The score orders alerts wherever they are listed or exported: a level lifted by a rule above
    # carries at least its main scenario's threshold for that level, so that a mandatory alert
    # never ranks below an optional one. The lift is a component of its own.
    if best_level != "none" and main in scenarios:
        thresholds = scenarios[main].spec.level
        least = (
            thresholds.mandatory_min_score
            if best_level == "mandatory"
            else thresholds.optional_min_score
        )
        if score < least:
            comp["level_rule"] = round(least - score, 2)
            score = round(least, 2)
        # ... and a level held down by the ceiling above ranks below every mandatory alert.
        if capped and score >= thresholds.mandatory_min_score:
            most = thresholds.mandatory_min_score - 1
            comp["level_rule"] = round(most - score, 2)
            score = round(most, 2)

    return ScoredSituation(
        agent_id=str(row["agent_id"]),
        de_id=str(row["de_id"]),
        scenarios=fired,
        main_scenario=main,
        level=best_level,
        score=score,
        reasons=reasons,
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        consultations=_n(row, "consultations"),
        days=_n(row, "days"),
        target_kind=str(kind) if kind else None,
        match_probability=mp,
        explanation=strength,
        explanation_summary=explanation_summary(row),
        establishment_id=row.get("establishment_id"),
        components=comp,
    )


def accumulate_per_agent(situations: Sequence[ScoredSituation], weights: Weights) -> int:
    """Raise to optional the below-threshold situations of agents whose capped risk adds up.

    Returns how many situations were raised.
    """
    acc = weights.agent_accumulation
    per_agent: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for s in situations:
        if s.score >= acc.min_situation_score:
            per_agent[s.agent_id][s.main_scenario] += s.score
    raised = 0
    for s in situations:
        sources = per_agent.get(s.agent_id)
        if not sources or s.level != "none" or s.score < acc.min_situation_score:
            continue
        total = sum(min(acc.cap_per_scenario, v) for v in sources.values())
        if total >= acc.review_threshold:
            s.level = "optional"
            s.reasons.append(
                f"Risque cumulé de l'agent sur plusieurs situations : {round(total)} points "
                f"(seuil {round(acc.review_threshold)}, plafond {round(acc.cap_per_scenario)} par scénario)"
            )
            raised += 1
    return raised


def score_all(
    rows: Iterable[Mapping[str, Any]], weights: Weights, scenarios: Sequence[Scenario]
) -> list[ScoredSituation]:
    by_id = {s.id: s for s in scenarios}
    # Keep the scenario priority order inside each situation's list.
    order = {s.id: i for i, s in enumerate(scenarios)}
    out = []
    for row in rows:
        r = dict(row)
        r["scenarios"] = ",".join(
            sorted(str(r["scenarios"]).split(","), key=lambda x: order.get(x, 999))
        )
        out.append(score_situation(r, weights, by_id))
    accumulate_per_agent(out, weights)
    return out
