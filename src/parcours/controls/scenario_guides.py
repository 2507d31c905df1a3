"""Which practical guide goes with a scenario: the scenario's own declaration (its `guide` field)."""

from __future__ import annotations

from functools import lru_cache

from parcours.controls.guides import all_guides

GENERAL_GUIDE = "principes"


@lru_cache(maxsize=1)
def _declared() -> dict[str, str]:
    from parcours.audit.scenario import load_scenarios

    return {s.spec.id: s.spec.guide for s in load_scenarios()}


def guide_for(scenario_id: str) -> str:
    """The scenario's guide; the general principles for a scenario that no longer exists (old controls)."""
    slug = _declared().get(scenario_id, GENERAL_GUIDE)
    return slug if slug in all_guides() else GENERAL_GUIDE


def known_scenarios() -> list[str]:
    """The ids of the current scenarios (for filters), read once."""
    return sorted(_declared())
