"""Weekly intensity of an action plan against the person's target (15 h unless adjusted)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DIFFICULTIES = {
    "sante": "Santé",
    "handicap": "Handicap",
    "logement": "Logement",
    "mobilite": "Mobilité",
    "garde_enfants": "Garde d'enfants",
    "aidant": "Proche aidant",
    "langue": "Maîtrise du français",
    "numerique": "Numérique",
    "financier": "Difficultés financières",
    "autre": "Autre difficulté documentée",
}


@dataclass(frozen=True)
class Intensity:
    planned_hours: float
    target_hours: float
    legal_target_hours: float

    @property
    def gap_hours(self) -> float:
        """Positive when the plan is short of the target."""
        return round(self.target_hours - self.planned_hours, 2)

    @property
    def meets_target(self) -> bool:
        return self.planned_hours >= self.target_hours

    @property
    def target_adjusted(self) -> bool:
        return self.target_hours != self.legal_target_hours

    def summary_fr(self) -> str:
        base = f"{_h(self.planned_hours)} prévues par semaine pour un objectif de {_h(self.target_hours)}"
        if self.target_adjusted:
            base += f" (objectif ajusté ; référence légale {_h(self.legal_target_hours)})"
        if not self.meets_target:
            base += f" : il manque {_h(self.gap_hours)}"
        return base


def _h(hours: float) -> str:
    whole = int(hours)
    minutes = round((hours - whole) * 60)
    return f"{whole} h" if minutes == 0 else f"{whole} h {minutes:02d}"


def intensity(hours: Iterable[float], *, target: float, legal_target: float) -> Intensity:
    return Intensity(round(sum(hours), 2), target, legal_target)
