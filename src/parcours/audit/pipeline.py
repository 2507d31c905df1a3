"""The detection pipeline on an analytics engine: inputs -> identities -> hours -> explanations ->
scenarios -> situations -> scores. Each step is a named table built by a SQL template, so that
every engine runs the same steps and each step can be inspected on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from itertools import chain
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from parcours.audit.engines.base import AnalyticsEngine, EngineError
from parcours.audit.engines.functions import LOCAL_TZ
from parcours.audit.explain.contexts import (
    ExplanationReport,
    ExplanationSettings,
    build_facts,
    build_file_refs,
    build_located,
    load_explanation_settings,
)
from parcours.audit.hours.holidays import register_public_holidays
from parcours.audit.hours.usual_hours import (
    HoursReport,
    HoursSettings,
    build_usual_hours,
    load_hours_settings,
)
from parcours.audit.identity_step import resolve_identities
from parcours.audit.input_report import InputReport
from parcours.audit.inputs import InputSource, TableSource, check_reference_tables
from parcours.audit.scenario import Scenario, load_scenarios
from parcours.audit.scoring.score import OWN_AGENCY_SCENARIO, ScoredSituation, score_all
from parcours.audit.scoring.weights import Weights, load_weights
from parcours.audit.sqlfiles import sql_file
from parcours.dates import year_error
from parcours.errors import InvalidInput, Issue

Step = Callable[[str], None]

# Timestamps outside these bounds are not plausible consultation times (clock errors, epoch zero).
PLAUSIBLE_FROM = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass
class DetectionConfig:
    """Everything declarative the pipeline reads; loaded from the data files by default."""

    scenarios: list[Scenario]
    weights: Weights
    explanations: ExplanationSettings
    hours: HoursSettings
    min_match_probability: float = 0.5

    @classmethod
    def load(cls) -> DetectionConfig:
        return cls(
            scenarios=load_scenarios(),
            weights=load_weights(),
            explanations=load_explanation_settings(),
            hours=load_hours_settings(),
        )


@dataclass
class PipelineResult:
    naive: bool
    situations: list[ScoredSituation]
    explanation: ExplanationReport
    inputs: InputReport
    hours: HoursReport
    identity_resolver: str
    identity_matches: int
    public_holidays: int
    timings: dict[str, float] = field(default_factory=dict)

    def to_report(self) -> dict[str, Any]:
        return {
            "naive": self.naive,
            "inputs": asdict(self.inputs),
            "explanation": asdict(self.explanation)
            | {"share_explained": self.explanation.share_explained},
            "hours": {
                "agents_by_basis": self.hours.agents_by_basis,
                "invalid_patterns": len(self.hours.invalid_patterns),
            },
            "identity": {"resolver": self.identity_resolver, "matches": self.identity_matches},
            "public_holidays": self.public_holidays,
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
        }


def _failing_scenarios(engine: AnalyticsEngine, scenarios: list[Scenario]) -> InvalidInput | None:
    """The scenario files whose query fails on this campaign's data, each named with the engine's
    first line (a query can pass `scenarios validate` and still fail on real values, e.g. a cast)."""
    issues = []
    for s in scenarios:
        try:
            engine.fetch_dicts(
                f"SELECT count(*) AS n FROM ({engine.render(s.sql, s.spec.parameters)}) q"
            )
        except EngineError as exc:
            first = str(exc).split("\n", 1)[0]
            issues.append(
                Issue(
                    str(s.path.with_suffix(".sql")), None, None, f"échoue sur les données : {first}"
                )
            )
    return InvalidInput(issues) if issues else None


def period_bounds_utc(start: date, end: date) -> tuple[datetime, datetime]:
    """[local midnight of start, local midnight after end) in UTC: the period is in Paris days."""
    tz = ZoneInfo(LOCAL_TZ)
    lo = datetime.combine(start, dtime(0), tzinfo=tz).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), dtime(0), tzinfo=tz).astimezone(UTC)
    return lo, hi


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S+00")


def check_period(start: date, end: date) -> None:
    for day in (start, end):
        if (reason := year_error(day)) is not None:
            raise InvalidInput([Issue("--start/--end", None, None, f"période : {reason}")])
    if end < start:
        raise InvalidInput(
            [Issue("--start/--end", None, None, f"période vide : fin {end} avant début {start}")]
        )
    if (end - start).days > 366 * 3:
        raise InvalidInput(
            [
                Issue(
                    "--start/--end",
                    None,
                    None,
                    "période de plus de 3 ans : au-delà de la conservation des journaux",
                )
            ]
        )


def _naive_hours(h: HoursSettings) -> HoursSettings:
    """The plain campaign queries used fixed office hours for everyone: no pattern, no learning."""
    learned = h.learned.model_copy(update={"min_active_days": 10**9})
    return h.model_copy(update={"learned": learned})


def run_pipeline(
    engine: AnalyticsEngine,
    source: InputSource,
    *,
    start: date,
    end: date,
    naive: bool = False,
    config: DetectionConfig | None = None,
    on_step: Step | None = None,
    identity_cache: Path | None = None,
) -> PipelineResult:
    """`identity_cache`: a folder where the identity matches are kept and reused while the reference
    files, the model and the threshold stay the same (identity_step.py); None computes them."""
    check_period(start, end)
    cfg = config or DetectionConfig.load()
    timings: dict[str, float] = {}
    step_start = time.perf_counter()

    def done(name: str) -> None:
        nonlocal step_start
        now = time.perf_counter()
        timings[name] = now - step_start
        step_start = now
        if on_step:
            on_step(name)

    lo, hi = period_bounds_utc(start, end)
    engine.functions.for_period(start, end)
    source.register(engine)
    checks = check_reference_tables(engine)
    plausible_to = datetime.now(UTC) + timedelta(days=1)
    bounds = {
        "start_utc": _iso(lo),
        "end_utc": _iso(hi),
        "plausible_from_utc": _iso(PLAUSIBLE_FROM),
        "plausible_to_utc": _iso(plausible_to),
        "period_from_utc": _iso(max(lo, PLAUSIBLE_FROM)),
        "period_to_utc": _iso(max(min(hi, plausible_to), PLAUSIBLE_FROM)),
    }
    log = engine.fetch_dicts(engine.render(sql_file("input_report"), bounds))[0]
    inputs = InputReport(
        **{k: int(v or 0) for k, v in log.items()},
        **checks.repeated_ids,
        unreadable_values=checks.unreadable_values,
        empty_files=checks.empty_files,
    )
    done("inputs")

    if isinstance(source, TableSource) and "identity_matches" in source.tables:
        engine.register_arrow("identity_matches", source.tables["identity_matches"])
        resolver = "given"
    else:
        resolver = resolve_identities(
            engine, threshold=cfg.min_match_probability, cache_dir=identity_cache
        )
    n_matches = int(engine.scalar("SELECT count(*) FROM identity_matches") or 0)
    done("identity")

    build_file_refs(engine)
    build_located(
        engine, period_from_utc=bounds["period_from_utc"], period_to_utc=bounds["period_to_utc"]
    )
    done("located")

    n_holidays = register_public_holidays(engine, start=start, end=end)
    hours_report = build_usual_hours(
        engine,
        start=start,
        end=end,
        settings=_naive_hours(cfg.hours) if naive else cfg.hours,
        use_declared_patterns=not naive,
    )
    done("hours")

    explanation = build_facts(engine, cfg.explanations, naive=naive)
    # `located` is a view: its quality report reads `facts`, which holds one row per consultation.
    located = engine.fetch_dicts(engine.render(sql_file("located_report"), {}))[0]
    if located["duplicate_event_ids"]:
        located.update(engine.fetch_dicts(engine.render(sql_file("duplicate_event_ids"), {}))[0])
    for k, v in located.items():
        setattr(inputs, k, int(v or 0))
    engine.create_table(
        "off_hours_at_work",
        engine.render(
            sql_file("off_hours_at_work"), {"at_work_minutes": cfg.hours.at_work_minutes}
        ),
    )
    done("explanations")

    engine.create_table(
        "fact_targets",
        engine.render(
            sql_file("fact_targets"), {"min_match_probability": cfg.min_match_probability}
        ),
    )
    engine.create_table("agent_untraced", engine.render(sql_file("agent_untraced"), {}))
    scenarios = [s for s in cfg.scenarios if s.spec.in_naive_baseline] if naive else cfg.scenarios
    hits = " UNION ALL ".join(
        f"SELECT '{s.id}' AS scenario_id, agent_id, de_id FROM ({engine.render(s.sql, s.spec.parameters)}) s{i}"
        for i, s in enumerate(scenarios)
    )
    try:
        engine.create_table("scenario_hits", f"SELECT DISTINCT * FROM ({hits}) h")
    except EngineError as exc:
        raise _failing_scenarios(engine, scenarios) or exc from exc
    engine.create_table(
        "agent_habits",
        engine.render(sql_file("agent_habits"), {"own_agency_scenario": OWN_AGENCY_SCENARIO}),
    )
    done("scenarios")

    # Streamed in batches and scored as they come: a national campaign has too many situations to
    # hold as Python dicts and scored objects at once. The query and the scoring overlap, so the
    # "situations" step times the first batch only and "scoring" the rest.
    rows = engine.iter_dicts(engine.render(sql_file("situations"), {}))
    first = next(rows, None)
    done("situations")
    stream = rows if first is None else chain([first], rows)
    situations = (
        naive_levels(stream, scenarios) if naive else score_all(stream, cfg.weights, scenarios)
    )
    done("scoring")
    return PipelineResult(
        naive=naive,
        situations=situations,
        explanation=explanation,
        inputs=inputs,
        hours=hours_report,
        identity_resolver=resolver,
        identity_matches=n_matches,
        public_holidays=n_holidays,
        timings=timings,
    )


def naive_levels(
    rows: Iterable[dict[str, Any]], scenarios: Sequence[Scenario]
) -> list[ScoredSituation]:
    """The plain campaign lists: every hit is examined; repetition (several days) is mandatory."""
    order = {s.id: i for i, s in enumerate(scenarios)}
    out = []
    for r in rows:
        fired = sorted(str(r["scenarios"]).split(","), key=lambda x: order.get(x, 999))
        days = int(r["days"] or 0)
        out.append(
            ScoredSituation(
                agent_id=str(r["agent_id"]),
                de_id=str(r["de_id"]),
                scenarios=fired,
                main_scenario=fired[0],
                level="mandatory" if days >= 2 else "optional",
                score=float(r["consultations"] or 0),
                reasons=["Requête de campagne sans explication (référence naïve)"],
                first_seen=r["first_seen"],
                last_seen=r["last_seen"],
                consultations=int(r["consultations"] or 0),
                days=days,
                target_kind=r.get("target_kind"),
                match_probability=r.get("match_probability"),
                explanation="none",
                explanation_summary="non évaluée (référence naïve)",
                establishment_id=r.get("establishment_id"),
            )
        )
    return out
