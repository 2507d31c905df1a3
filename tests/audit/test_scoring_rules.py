"""The level rules of weights.yaml (own-agency repetition, the lift of the score), scored directly on
situation rows."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from parcours.audit.explain.contexts import load_explanation_settings
from parcours.audit.scenario import load_scenarios
from parcours.audit.scoring.score import (
    OWN_AGENCY_SCENARIO,
    WEAK_CONTEXTS,
    poisson_tail,
    score_situation,
)
from parcours.audit.scoring.weights import OwnAgencyRepetition, load_weights
from parcours.controls.guides import get_guide

SCENARIOS = {s.id: s for s in load_scenarios()}


def row(days: int, **over: Any) -> dict[str, Any]:
    """An ordinary file of the agent's agency, looked at on `days` days in working hours."""
    base: dict[str, Any] = {
        "agent_id": "A2",
        "de_id": "D_Y",
        "scenarios": f"w2_off_hours,{OWN_AGENCY_SCENARIO}",
        "min_strength": 1,
        "max_strength": 1,
        "consultations": days,
        "days": days,
        "not_strong": days,
        "weak_only": days,
        "days_not_strong": days,
        "x_agency": 1,
        "x_manager": 0,
        "first_seen": datetime(2024, 4, 3, tzinfo=UTC),
        "last_seen": datetime(2024, 5, 2, tzinfo=UTC),
    }
    return base | over


def untraced(days: int, **over: Any) -> dict[str, Any]:
    """A file of another agency (no weak context), looked at on `days` days with no context at all."""
    return row(
        days, min_strength=0, max_strength=0, weak_only=0, unexplained=days, x_agency=0, **over
    )


EVENING = {"off_hours_not_strong": 1, "off_hours_days_not_strong": 1}


@pytest.mark.parametrize(
    ("days", "level", "over"),
    [
        (3, "none", {}),
        (4, "optional", {}),
        (5, "optional", {}),
        # within the usual hours only, an ordinary file stays optional
        # (test_an_ordinary_file_within_the_usual_hours_is_optional_at_most)
        (6, "optional", {}),
        (6, "mandatory", EVENING),
    ],
)
def test_levels_follow_the_distinct_days(days: int, level: str, over: dict[str, int]) -> None:
    s = score_situation(row(days, **over), load_weights(), SCENARIOS)
    assert s.level == level
    if level != "none":
        # The alert links the guide that speaks of this situation, not the off-hours one.
        assert s.main_scenario == OWN_AGENCY_SCENARIO
        assert any("n'encadre pas l'agence" in r for r in s.reasons)


def test_a_level_lifted_by_a_rule_carries_its_threshold_in_the_score() -> None:
    """Alerts are ranked by score in every list and in the export: a mandatory one never below an
    optional one, however few points its components add up to."""
    thresholds = SCENARIOS[OWN_AGENCY_SCENARIO].spec.level
    optional = score_situation(row(4), load_weights(), SCENARIOS)
    mandatory = score_situation(row(6, **EVENING), load_weights(), SCENARIOS)
    assert optional.score == thresholds.optional_min_score
    assert mandatory.score == thresholds.mandatory_min_score
    # the components still say what the situation itself weighs; the lift is one of them
    assert mandatory.components["level_rule"] > 0
    assert sum(mandatory.components.values()) == pytest.approx(mandatory.score)
    assert "level_rule" not in score_situation(row(3), load_weights(), SCENARIOS).components


@pytest.mark.parametrize(
    "over",
    [
        {"x_manager": 1},  # supervising the agency covers repetition
        {"max_strength": 2},  # one strong context in the period is a professional link
        {"x_agency": 0},  # not a file of the agent's agency: the unexplained ladder applies
    ],
)
def test_rule_does_not_apply(over: dict[str, Any]) -> None:
    assert score_situation(row(7, **over), load_weights(), SCENARIOS).level == "none"


def test_an_ordinary_file_within_the_usual_hours_is_optional_at_most() -> None:
    """Repeated untraced looks at an ordinary file, in another département, printed: all within
    the usual hours, they stay optional, and rank below every mandatory alert."""
    weights = load_weights()
    assert weights.ordinary_file_in_hours_max_level == "optional"
    looks = untraced(
        5,
        scenarios="unexplained_access",
        outside_territory=1,
        print_export_not_strong=2,
        print_export_days_not_strong=2,
    )
    s = score_situation(looks, weights, SCENARIOS)
    assert s.level == "optional"
    assert any("seulement aux jours et heures habituels" in r for r in s.reasons)
    thresholds = SCENARIOS["unexplained_access"].spec.level
    assert s.score == thresholds.mandatory_min_score - 1
    assert s.components["level_rule"] < 0
    assert sum(s.components.values()) == pytest.approx(s.score)
    # one evening among those looks, and it is mandatory
    evening = score_situation(looks | EVENING, weights, SCENARIOS)
    assert evening.level == "mandatory"
    # a sensitive file is not concerned
    colleague = score_situation(
        looks | {"scenarios": "w2_current_agents", "target_kind": "colleague"},
        weights,
        SCENARIOS,
    )
    assert colleague.level == "mandatory"


def test_a_sensitive_scenario_stays_the_main_one() -> None:
    r = row(6, scenarios=f"w2_current_agents,{OWN_AGENCY_SCENARIO}", target_kind="colleague")
    r["match_probability"] = 0.97
    s = score_situation(r, load_weights(), SCENARIOS)
    assert s.level == "mandatory" and s.main_scenario == "w2_current_agents"


def test_the_scenario_selects_from_the_optional_threshold() -> None:
    """The scenario's selection and the rule's first level are one number written twice."""
    min_days = SCENARIOS[OWN_AGENCY_SCENARIO].spec.parameters["min_days"]
    assert min_days == load_weights().own_agency_repetition.optional_days


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValidationError):
        OwnAgencyRepetition(optional_days=4, mandatory_days=3)


def test_reasons_are_written_in_plain_french_with_agreement() -> None:
    """`1 consultation`, `3 consultations … sur 3 jours distincts`: no `consultation(s)`."""
    weights = load_weights()
    one = score_situation(
        row(1, min_strength=0, weak_only=0, unexplained=1, print_export_not_strong=1),
        weights,
        SCENARIOS,
    )
    many = score_situation(
        row(3, off_hours_not_strong=2, off_hours_days_not_strong=2, off_hours_at_work=1),
        weights,
        SCENARIOS,
    )
    text = " | ".join(one.reasons + many.reasons)
    assert "(s)" not in text
    assert "1 consultation sans aucun contexte professionnel" in text
    assert "1 impression ou export du dossier" in text
    assert "3 consultations seulement expliquées par un contexte faible" in text
    assert "Consultations répétées : 3 sans contexte fort, sur 3 jours distincts" in text
    assert "2 consultations sur 2 jours en dehors des jours et horaires habituels" in text
    assert "1 consultation hors horaires habituels non retenue comme signal" in text


def sensitive_look(**over: Any) -> dict[str, Any]:
    """A single office-hours look, with no context at all, at a colleague's file in another agency,
    by an agent who opened 40 files with no context over the period, in a region where 0.2 % of the
    files opened with no context are sensitive."""
    return (
        untraced(
            1,
            scenarios="w2_current_agents",
            de_id="D_A2",
            target_kind="colleague",
            match_probability=0.97,
            agent_untraced_files=40,
            agent_untraced_sensitive_files=1,
            region_untraced_files=20_000,
            region_untraced_sensitive_files=40,
        )
        | over
    )


@pytest.mark.parametrize(
    ("sensitive", "files", "level"),
    [
        (1, 40, "optional"),  # a single sensitive file: the floor only
        (2, 10, "mandatory"),  # 0.02 due: 2 happen by chance about once in 5,000
        (2, 40, "optional"),  # 0.08 due: 2 happen by chance about once in 330
        (3, 40, "mandatory"),
        (3, 400, "optional"),  # 0.8 due: 3 is ordinary when one's work leaves many untraced looks
        (6, 400, "mandatory"),
    ],
)
def test_an_agent_browsing_sensitive_files_makes_each_of_them_mandatory(
    sensitive: int, files: int, level: str
) -> None:
    browsing = load_weights().sensitive_floor.browsing
    assert browsing is not None
    s = score_situation(
        sensitive_look(agent_untraced_files=files, agent_untraced_sensitive_files=sensitive),
        load_weights(),
        SCENARIOS,
    )
    expected = files * 0.002
    assert (poisson_tail(sensitive, expected) <= browsing.max_chance) == (level == "mandatory")
    assert s.level == level
    said = any("dossiers sensibles parmi" in r for r in s.reasons)
    assert said == (level == "mandatory")


def test_browsing_concerns_files_opened_with_no_context_at_all() -> None:
    weak = sensitive_look(min_strength=1, unexplained=0, weak_only=1, x_agency=1)
    weak["agent_untraced_sensitive_files"] = 5
    assert score_situation(weak, load_weights(), SCENARIOS).level == "optional"
    ordinary = sensitive_look(target_kind=None, agent_untraced_sensitive_files=5)
    assert score_situation(ordinary, load_weights(), SCENARIOS).level != "mandatory"


def test_the_browsing_reason_says_what_was_found_and_what_chance_would_give() -> None:
    s = score_situation(sensitive_look(agent_untraced_sensitive_files=3), load_weights(), SCENARIOS)
    text = " | ".join(s.reasons)
    assert (
        "L'agent a ouvert sans aucun contexte professionnel 3 dossiers sensibles parmi 40 dossiers"
        in text
    )
    assert "en laisserait attendre 0,08" in text
    assert "par hasard : 1 sur 12\u202f442" in text


@pytest.mark.parametrize(
    ("k", "expected", "tail"),
    [(0, 2.0, 1.0), (1, 0.0, 0.0), (1, 1.0, 1 - math.exp(-1)), (2, 0.5, 1 - 1.5 * math.exp(-0.5))],
)
def test_poisson_tail(k: int, expected: float, tail: float) -> None:
    assert poisson_tail(k, expected) == pytest.approx(tail, rel=1e-9)


def test_poisson_tail_stays_exact_far_in_the_tail() -> None:
    # P(X >= 10) for a mean of 0.01 is about 0.01**10 / 10!: no cancellation to zero.
    assert poisson_tail(10, 0.01) == pytest.approx(0.01**10 / math.factorial(10), rel=1e-3)


@pytest.mark.parametrize(
    ("outside_files", "level"), [(1, "mandatory"), (3, "mandatory"), (4, "optional")]
)
def test_a_sensitive_file_of_another_departement_is_mandatory_when_such_looks_are_unusual(
    outside_files: int, level: str
) -> None:
    """One untraced office-hours look at a colleague's file of another département: mandatory when
    the agent opened at most 3 files of other départements with no context in the period."""
    rule = load_weights().sensitive_floor.unusual_territory
    assert rule is not None and rule.max_agent_files == 3
    look = sensitive_look(outside_territory=1, agent_untraced_outside_files=outside_files)
    assert score_situation(look, load_weights(), SCENARIOS).level == level
    # in the agent's own département, or with a context, the rule does not apply
    inside = sensitive_look(outside_territory=0, agent_untraced_outside_files=1)
    assert score_situation(inside, load_weights(), SCENARIOS).level == "optional"
    weak = look | {"min_strength": 1, "unexplained": 0, "weak_only": 1, "x_agency": 1}
    assert score_situation(weak, load_weights(), SCENARIOS).level == "optional"


def followed(looks: dict[str, Any]) -> dict[str, Any]:
    """The same situation on a file the agent also worked on in the period: one more consultation
    with a strong context (here a back-office task) on another day."""
    n = looks["consultations"] + 1
    return looks | {"max_strength": 2, "strong": 1, "x_task": 1, "consultations": n, "days": n}


def test_untraced_looks_at_a_file_the_agent_works_on_are_follow_up() -> None:
    """A look with no context a few days after the agent's task on the file closed, at night, in
    another département: mandatory alone, weakly explained follow-up once the task is known."""
    assert load_weights().followed_file_context == "weak"
    night = untraced(1, scenarios="w2_off_hours,unexplained_access", outside_territory=1, **EVENING)
    alone = score_situation(night, load_weights(), SCENARIOS)
    assert alone.level == "mandatory" and alone.explanation == "none"
    worked_on = score_situation(followed(night), load_weights(), SCENARIOS)
    assert worked_on.level == "none"
    assert worked_on.explanation == "weak"
    assert "territory" not in worked_on.components and "unexplained" not in worked_on.components
    assert any("lien professionnel fort avec ce dossier" in r for r in worked_on.reasons)
    # the switch is data: "none" judges each look alone again
    alone_again = load_weights().model_copy(update={"followed_file_context": "none"})
    assert score_situation(followed(night), alone_again, SCENARIOS).level == "mandatory"


def test_a_sensitive_file_the_agent_works_on_keeps_the_floor_of_a_look_without_context() -> None:
    """The issue's floor holds per consultation: an untraced look at a sensitive file is at least
    optional, even when the agent has a strong context on the file elsewhere; the agent-habit
    floors, which read looks with no context at all, no longer make it mandatory."""
    look = sensitive_look(outside_territory=1, agent_untraced_outside_files=1)
    assert score_situation(look, load_weights(), SCENARIOS).level == "mandatory"
    assert score_situation(followed(look), load_weights(), SCENARIOS).level == "optional"
    # below the scenario's threshold by its points alone (a less certain identity), the floor lifts it
    unsure = score_situation(followed(look | {"match_probability": 0.6}), load_weights(), SCENARIOS)
    assert unsure.level == "optional"
    assert any("Dossier sensible consulté sans explication" in r for r in unsure.reasons)


def test_one_off_hours_day_on_an_ordinary_file_is_not_counted_for_an_agent_who_works_such_hours() -> (
    None
):
    """An untraced evening look at an ordinary file is optional; from an agent who opened more
    ordinary files that way than the habit threshold, it is how they work: reported, not counted."""
    weights = load_weights()
    most = weights.off_hours.ordinary_file_max_agent_files
    assert most is not None
    look = untraced(1, scenarios="w2_off_hours", **EVENING)
    assert score_situation(look | {"agent_off_hours_files": most}, weights, SCENARIOS).level == (
        "optional"
    )
    habit = score_situation(look | {"agent_off_hours_files": most + 1}, weights, SCENARIOS)
    assert habit.level == "none"
    assert habit.components["off_hours"] == 0
    assert any(
        f"non retenue comme signal : l'agent a ouvert ainsi, sans contexte fort, {most + 1} "
        "dossiers ordinaires" in r
        for r in habit.reasons
    )
    # a second off-hours day on the same file still counts ...
    twice = look | {"off_hours_not_strong": 2, "off_hours_days_not_strong": 2}
    again = score_situation(twice | {"agent_off_hours_files": most + 1}, weights, SCENARIOS)
    assert again.level != "none" and again.components["off_hours"] > 0
    # ... and a sensitive file always does
    colleague = look | {"scenarios": "w2_current_agents", "target_kind": "colleague"}
    sensitive = score_situation(colleague | {"agent_off_hours_files": 50}, weights, SCENARIOS)
    assert sensitive.level == "mandatory" and sensitive.components["off_hours"] > 0


def test_returns_to_agency_files_are_not_a_signal_for_an_agent_who_returns_to_many() -> None:
    """A reception desk or a colleague's portfolio covered for weeks brings an agent back to many
    files of their agency: beyond the threshold, the own-agency rule no longer raises them."""
    weights = load_weights()
    most = weights.own_agency_repetition.max_agent_files
    assert most is not None
    assert score_situation(row(5, agent_agency_return_files=most), weights, SCENARIOS).level == (
        "optional"
    )
    many = score_situation(row(5, agent_agency_return_files=most + 1), weights, SCENARIOS)
    assert many.level == "none"
    assert any(
        f"l'agent revient ainsi sur {most + 1} dossiers de son agence" in r for r in many.reasons
    )
    # a sensitive file keeps its own floor
    colleague = row(
        5, scenarios=f"w2_current_agents,{OWN_AGENCY_SCENARIO}", target_kind="colleague"
    )
    kept = score_situation(colleague | {"agent_agency_return_files": 40}, weights, SCENARIOS)
    assert kept.level == "mandatory"


def test_the_scenarios_and_their_guides_quote_the_habit_thresholds() -> None:
    """The scenario descriptions and the practical guides state the habit thresholds in words: one
    number written twice."""
    weights = load_weights()
    for scenario, most in (
        ("w2_off_hours", weights.off_hours.ordinary_file_max_agent_files),
        (OWN_AGENCY_SCENARIO, weights.own_agency_repetition.max_agent_files),
        ("unexplained_access", weights.repetition.untraced_second_day_max_agent_files),
    ):
        spec = SCENARIOS[scenario].spec
        guide = " ".join(get_guide(spec.guide).body_markdown.split())
        assert f"plus de {most} dossiers" in spec.description
        assert f"plus de {most} dossiers" in guide


def test_the_weak_contexts_named_in_the_reasons_are_those_of_the_explanations_file() -> None:
    settings = load_explanation_settings()
    weak = {k for k, e in settings.explanations.items() if e.strength == "weak"}
    assert set(WEAK_CONTEXTS) == weak
    s = score_situation(row(1, x_agency=0, x_call_unidentified=1), load_weights(), SCENARIOS)
    assert any("contexte faible (appel 3949 sans dossier identifié" in r for r in s.reasons)


def test_a_second_office_day_on_an_untraced_ordinary_file_is_not_counted_for_a_platform_agent() -> (
    None
):
    """Two office-hours days of untraced looks at an ordinary file are optional; from an agent who
    opened more files with no context than the threshold (pooled work, a platform), the second day
    is how they work: reported, not counted. A third day, an evening and a sensitive file count."""
    weights = load_weights()
    most = weights.repetition.untraced_second_day_max_agent_files
    assert most is not None
    look = untraced(2, scenarios="unexplained_access")
    assert score_situation(look | {"agent_untraced_files": most}, weights, SCENARIOS).level == (
        "optional"
    )
    pooled = score_situation(look | {"agent_untraced_files": most + 1}, weights, SCENARIOS)
    assert pooled.level == "none"
    assert pooled.components["repetition"] < weights.repetition.per_extra_day
    assert any(
        f"l'agent a ouvert {most + 1} dossiers sans aucun contexte professionnel" in r
        for r in pooled.reasons
    )
    many = {"agent_untraced_files": most + 1}
    third = untraced(3, scenarios="unexplained_access") | many
    assert score_situation(third, weights, SCENARIOS).level == "optional"
    evening = look | many | EVENING
    assert score_situation(evening, weights, SCENARIOS).level == "mandatory"
    colleague = look | many | {"scenarios": "w2_current_agents", "target_kind": "colleague"}
    assert score_situation(colleague, weights, SCENARIOS).level != "none"


def test_an_agents_own_file_without_a_strong_context_is_mandatory_even_once() -> None:
    """No professional purpose covers an agent opening their own job-seeker file: one office-hours
    look with only the agency context is mandatory when the identity is near certain; a less
    certain identity keeps the floor, a strong context explains it."""
    weights = load_weights()
    rule = weights.sensitive_floor.own_file
    assert rule is not None and rule.level == "mandatory"
    look = row(1, scenarios="w1_agents_former_job_seekers", target_kind="own_file")
    sure = score_situation(
        look | {"match_probability": rule.min_match_probability}, weights, SCENARIOS
    )
    assert sure.level == "mandatory"
    assert any("un agent n'ouvre pas son propre dossier" in r for r in sure.reasons)
    untraced_look = untraced(
        1, scenarios="w1_agents_former_job_seekers", target_kind="own_file", match_probability=1.0
    )
    assert score_situation(untraced_look, weights, SCENARIOS).level == "mandatory"
    unsure = look | {"match_probability": rule.min_match_probability - 0.05}
    assert score_situation(unsure, weights, SCENARIOS).level == "optional"
    explained = look | {"min_strength": 2, "max_strength": 2, "strong": 1, "weak_only": 0}
    assert score_situation(explained | {"match_probability": 1.0}, weights, SCENARIOS).level == (
        "none"
    )
    # a colleague's file is not concerned
    colleague = look | {"target_kind": "colleague", "match_probability": 1.0}
    assert score_situation(colleague, weights, SCENARIOS).level == "optional"


def test_a_coworkers_file_opened_with_no_context_is_mandatory_even_once() -> None:
    """A colleague in post who works in the agent's own agency: one untraced look at their file is
    mandatory when the identity is fairly certain; a colleague of another agency, a less certain
    identity, a look with the agency's context or an ex-colleague's file keep the floor."""
    weights = load_weights()
    rule = weights.sensitive_floor.coworker
    assert rule is not None and rule.level == "mandatory"
    coworker = sensitive_look(target_same_agency=1, agent_untraced_outside_files=10)
    s = score_situation(coworker, weights, SCENARIOS)
    assert s.level == "mandatory"
    assert any("collègue en poste dans la même agence que l'agent" in r for r in s.reasons)
    for over in (
        {"target_same_agency": 0},
        {"match_probability": rule.min_match_probability - 0.05},
        {"target_kind": "ex_colleague", "scenarios": "w2_ex_agents"},
        {"min_strength": 1, "max_strength": 1, "unexplained": 0, "weak_only": 1, "x_agency": 1},
    ):
        assert score_situation(coworker | over, weights, SCENARIOS).level == "optional", over


def test_a_coworkers_file_is_mandatory_from_fewer_separate_days() -> None:
    """With only the agency's context, a sensitive file comes to mandatory from the `repeated`
    floor's days; a colleague of the agent's own agency, from `coworker.repeated_days`."""
    weights = load_weights()
    coworker, repeated = weights.sensitive_floor.coworker, weights.sensitive_floor.repeated
    assert coworker is not None and coworker.repeated_days is not None and repeated is not None
    days = coworker.repeated_days
    assert days < repeated.days
    look = row(days, scenarios="w2_current_agents", target_kind="colleague", match_probability=0.97)
    assert score_situation(look, weights, SCENARIOS).level == "optional"
    s = score_situation(look | {"target_same_agency": 1}, weights, SCENARIOS)
    assert s.level == "mandatory"
    assert any(f"(seuil {days} jours pour un collègue de la même agence)" in r for r in s.reasons)
    fewer = row(
        days - 1,
        scenarios="w2_current_agents",
        target_kind="colleague",
        match_probability=0.97,
        target_same_agency=1,
    )
    assert score_situation(fewer, weights, SCENARIOS).level == "optional"
