"""Build the per-consultation `facts` table and report how much of the traffic is explained."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from parcours.audit.engines.base import AnalyticsEngine
from parcours.audit.sqlfiles import sql_file
from parcours.registry.contract import ACTIONS, EXTRACTING_ACTIONS
from parcours.yamlfiles import load_model

EXPLANATIONS_FILE = Path(__file__).with_name("explanations.yaml")
# context_segments.sql is rendered once per key: `<key>_segments`, joined by consultation_facts.sql.
SEGMENT_KEYS = ("file", "name", "day")

Strength = Literal["strong", "weak"]
# The flags computed by consultation_facts.sql, in the order they are reported.
EXPLANATION_IDS = (
    "referent",
    "appointment",
    "call",
    "call_homonym",
    "call_unidentified",
    "task",
    "purpose",
    "agency",
    "manager",
)


class Windows(BaseModel):
    model_config = ConfigDict(extra="forbid")
    appointment_days_before: int = Field(ge=0, le=90)
    appointment_days_after: int = Field(ge=0, le=90)
    call_minutes_before: int = Field(ge=0, le=1440)
    call_minutes_after: int = Field(ge=0, le=2880)
    task_days_before: int = Field(ge=0, le=90)
    task_days_after: int = Field(ge=0, le=90)
    unidentified_call_minutes_before: int = Field(ge=0, le=60)
    unidentified_call_minutes_after: int = Field(ge=0, le=60)


class Explanation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    strength: Strength
    label: str


class ExplanationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    windows: Windows
    explanations: dict[str, Explanation]

    def strength_sql(self) -> str:
        """SQL giving each consultation its best strength: 2 strong, 1 weak, 0 none."""
        strong = [f"e_{k}" for k, e in self.explanations.items() if e.strength == "strong"]
        weak = [f"e_{k}" for k, e in self.explanations.items() if e.strength == "weak"]
        s = " OR ".join(strong) or "false"
        w = " OR ".join(weak) or "false"
        return f"CASE WHEN {s} THEN 2 WHEN {w} THEN 1 ELSE 0 END"


def load_explanation_settings(path: Path = EXPLANATIONS_FILE) -> ExplanationSettings:
    settings = load_model(ExplanationSettings, path)
    unknown = set(settings.explanations) ^ set(EXPLANATION_IDS)
    if unknown:
        from parcours.errors import InvalidInput, Issue

        raise InvalidInput(
            [
                Issue(
                    str(path),
                    None,
                    "explanations",
                    f"explications attendues exactement : {', '.join(EXPLANATION_IDS)}",
                )
            ]
        )
    return settings


# The yes/no facts of consultation_facts.sql that are never NULL there (each a comparison under
# `coalesce`, or an IS NOT NULL), in its column order: `facts_packed` holds them as the bits of one
# small integer and `facts` is a view that reads them back under their names. Fourteen boolean
# columns cost their width and their validity on every row of a table that holds the whole log
# (region: 20M rows, national 200M, spilled to disk); writing them as one column halves the
# materialisation, and unpacking the two or three a reader needs is a bitwise AND.
PACKED_FLAGS = (
    "print_export",
    "known_action",
    "known_agent",
    "known_file",
    "e_referent",
    "e_appointment",
    "e_call",
    "e_call_homonym",
    "e_call_unidentified",
    "e_task",
    "e_purpose",
    "e_agency",
    "e_manager",
)
# Kept as columns: the keys, and `off_hours`, which may be NULL (a NULL envelope bound).
_FACT_COLUMNS = ("event_hash", "ts", "local_date", "agent_id", "de_id")


def _packed_columns() -> str:
    bits = " + ".join(
        f"CASE WHEN f.{name} THEN {1 << i} ELSE 0 END" for i, name in enumerate(PACKED_FLAGS)
    )
    keys = ", ".join(f"f.{c}" for c in _FACT_COLUMNS)
    return f"{keys}, CAST({bits} AS SMALLINT) AS flags, f.off_hours, f.strength"


def _unpacked_columns() -> str:
    flags = [f"(flags & {1 << i}) <> 0 AS {name}" for i, name in enumerate(PACKED_FLAGS)]
    return ", ".join([*_FACT_COLUMNS, *flags, "off_hours", "strength"])


@dataclass
class ExplanationReport:
    consultations: int = 0
    explained: int = 0
    strong: int = 0
    weak_only: int = 0
    per_explanation: dict[str, int] = field(default_factory=dict)

    @property
    def share_explained(self) -> float:
        return self.explained / self.consultations if self.consultations else 0.0


def build_file_refs(engine: AnalyticsEngine) -> None:
    """`file_refs(de_id, referent_agent_id, agency_id, name_key)`: what the consultations need from
    the job seekers' file, read once (`located` joins it for every consultation; a CSV file would
    be parsed again each time). Same name key = homonyms the telephony may confuse; no surname, no
    key."""
    n = engine.functions.functions["normalize_name"]
    t = engine.functions.functions["first_token"]
    engine.create_table(
        "file_refs",
        "SELECT de_id, referent_agent_id, agency_id, "
        f"CASE WHEN last_name IS NOT NULL THEN {n('last_name')} || '|' || {t(n('first_names'))} "
        "END AS name_key FROM in_job_seekers",
    )


def build_located(engine: AnalyticsEngine, *, period_from_utc: str, period_to_utc: str) -> None:
    """Views, not tables: `period_consultations` (the log of the period in local time, read by the
    usual hours) and `located` (with the reference files, read once by `facts`). Materialising the
    log once more cost a full write of it (region quarter: 5 s, national: about 150 s).

    The bounds are the period's, narrowed to the plausible times (`pipeline.PLAUSIBLE_FROM`)."""
    bounds = {"period_from_utc": period_from_utc, "period_to_utc": period_to_utc}
    engine.create_view(
        "period_consultations", engine.render(sql_file("consultations_period"), bounds)
    )
    engine.create_view("located", engine.render(sql_file("consultations_located"), {}))


def build_facts(
    engine: AnalyticsEngine, settings: ExplanationSettings, *, naive: bool = False
) -> ExplanationReport:
    """Needs `located`, `file_refs`, `agent_hours*`, `public_holidays`; creates `facts` with a
    `strength`.

    `naive`: the plain campaign queries knew no context, so every consultation counts as unexplained
    (the explanation flags are still computed and reported).
    """
    # The contexts as disjoint segments per agent x file and per agent x name key
    # (context_segments.sql): the log is joined once on each, on every engine. Earlier formulations
    # probed the log once per kind of context and grouped the hits back per consultation (DuckDB),
    # or grouped the windows of each pair into a list (Spark; DuckDB's list aggregate does not
    # spill to disk).
    params = settings.windows.model_dump()
    for by in SEGMENT_KEYS:
        engine.create_table(
            f"{by}_segments", engine.render(sql_file("context_segments"), params | {"by": by})
        )
    inner = engine.render(
        sql_file("consultation_facts"),
        params | {"actions": ACTIONS, "extracting_actions": EXTRACTING_ACTIONS},
    )
    strength = "0" if naive else settings.strength_sql()
    engine.create_table(
        "facts_packed",
        f"SELECT {_packed_columns()} FROM (SELECT f.*, {strength} AS strength FROM ({inner}) f) f",
    )
    engine.create_view("facts", f"SELECT {_unpacked_columns()} FROM facts_packed")
    for by in SEGMENT_KEYS:
        engine.execute(f"DROP TABLE IF EXISTS {by}_segments")
    sums = ", ".join(f"sum(CASE WHEN e_{k} THEN 1 ELSE 0 END) AS {k}" for k in EXPLANATION_IDS)
    row = engine.fetch_dicts(
        "SELECT count(*) AS n, sum(CASE WHEN strength > 0 THEN 1 ELSE 0 END) AS explained, "
        "sum(CASE WHEN strength = 2 THEN 1 ELSE 0 END) AS strong, "
        f"sum(CASE WHEN strength = 1 THEN 1 ELSE 0 END) AS weak_only, {sums} FROM facts"
    )[0]
    return ExplanationReport(
        consultations=int(row["n"] or 0),
        explained=int(row["explained"] or 0),
        strong=int(row["strong"] or 0),
        weak_only=int(row["weak_only"] or 0),
        per_explanation={k: int(row[k] or 0) for k in EXPLANATION_IDS},
    )
