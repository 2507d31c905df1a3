"""What the campaign could not use or could not resolve in its inputs, counted under the reason why.

Kept apart from the pipeline so that the pages and the CLI read a stored run report without loading
the engines.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

# What an unreadable value of a reference file does to the campaign, where it matters (run report).
UNREADABLE_EFFECT = {
    "appointments.starts_at": "rendez-vous ignorés comme contexte",
    "calls.started_at": "appels ignorés comme contexte",
    "calls.ended_at": "fin d'appel prise au début de l'appel",
    "tasks.created_at": "tâches ignorées comme contexte",
    "tasks.closed_at": "tâche tenue pour close à sa création, jamais pour ouverte",
}

# What a reference file without a single row (absent or empty) takes away from the campaign (the
# establishments file serves the alerts' dispatch, not the detection).
EMPTY_EFFECT = {
    "agencies": "ni le département des agences (hors territoire), ni l'encadrement d'un établissement",
    "agents": "ni collègue ni ancien collègue reconnaissable, ni agence, encadrement ou horaires déclarés",
    "job_seekers": "ni référent ni agence des dossiers, et aucune identité reconnaissable",
    "protected_persons": "aucun dossier d'élu ou de candidat reconnaissable",
    "appointments": "aucune consultation ne peut être expliquée par un rendez-vous",
    "calls": "aucune consultation ne peut être expliquée par un appel 3949",
    "tasks": "aucune consultation ne peut être expliquée par une tâche",
}


def count_fr(n: int) -> str:
    """A count the French way, thin no-break spaces between thousands (12 586): the CLI's and the
    pages' one way."""
    return f"{n:,}".replace(",", "\u202f")


@dataclass
class InputReport:
    rows_read: int = 0
    missing_timestamp: int = 0
    invalid_timestamp: int = 0
    timestamp_out_of_range: int = 0
    before_period: int = 0
    after_period: int = 0
    missing_agent_or_file: int = 0
    in_period: int = 0
    unknown_agent_rows: int = 0
    unknown_agents: int = 0
    unknown_file_rows: int = 0
    unknown_files: int = 0
    unknown_action_rows: int = 0
    duplicate_event_ids: int = 0
    # Reference rows whose id was already listed (inputs.check_reference_tables: one row per id kept).
    duplicate_establishment_ids: int = 0
    duplicate_agency_ids: int = 0
    duplicate_agent_ids: int = 0
    duplicate_de_ids: int = 0
    duplicate_person_ids: int = 0
    # `table.column` -> dates, instants or booleans of the reference files that could not be read.
    unreadable_values: dict[str, int] = field(default_factory=dict)
    # Reference tables the detection reads that have no row: absent or empty file (EMPTY_EFFECT).
    empty_files: list[str] = field(default_factory=list)

    def warnings(self) -> list[str]:
        """Plain French lines for what the campaign could not use or could not resolve."""
        labels = {
            "missing_timestamp": "consultations sans horodatage (ignorées)",
            "invalid_timestamp": "horodatages illisibles (ignorés)",
            "timestamp_out_of_range": "horodatages hors de toute plage plausible (ignorés)",
            "before_period": "consultations avant la période (hors campagne)",
            "after_period": "consultations après la période (hors campagne)",
            "missing_agent_or_file": "consultations sans agent ou sans dossier (ignorées)",
            "unknown_agent_rows": "consultations par des agents absents du référentiel (gardées)",
            "unknown_file_rows": "consultations de dossiers absents du référentiel (gardées)",
            "unknown_action_rows": "consultations d'action inconnue (gardées)",
            "duplicate_event_ids": "identifiants d'événement en double (gardés)",
            "duplicate_establishment_ids": "établissements en double (une ligne gardée par identifiant)",
            "duplicate_agency_ids": "agences en double (une ligne gardée par identifiant)",
            "duplicate_agent_ids": "agents en double (une ligne gardée par identifiant)",
            "duplicate_de_ids": "dossiers de demandeurs en double (une ligne gardée par identifiant)",
            "duplicate_person_ids": "personnes protégées en double (une ligne gardée par identifiant)",
        }
        lines = [f"fichier {t} absent ou vide : {EMPTY_EFFECT[t]}" for t in self.empty_files]
        lines += [
            f"{count_fr(getattr(self, k))} {v}" for k, v in labels.items() if getattr(self, k)
        ]
        for column, n in sorted(self.unreadable_values.items()):
            effect = UNREADABLE_EFFECT.get(column, "laissées vides")
            lines.append(f"{count_fr(n)} valeurs illisibles dans {column} ({effect})")
        return lines

    @classmethod
    def from_report(cls, stored: dict[str, Any]) -> InputReport:
        """From the `inputs` part of a stored run report (`detection_runs.report`); keys it does not
        know (an older or newer report) are left out."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in stored.items() if k in known})
