"""`parcours scenarios validate`: each scenario's YAML checked, then its SQL compiled by the engine.

Apart from `scenario` (which loads the files) because compiling runs the pipeline, and the pipeline
runs scenarios.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from parcours.audit.engines.base import EngineError
from parcours.audit.engines.duckdb import DuckDBEngine
from parcours.audit.inputs import TableSource
from parcours.audit.pipeline import DetectionConfig, run_pipeline
from parcours.audit.scenario import SCENARIOS_DIR, Scenario, load_scenarios
from parcours.errors import InvalidInput, Issue


def validate_scenarios(folder: Path = SCENARIOS_DIR) -> list[Issue]:
    """Collect-all validation for `parcours scenarios validate`: an empty list means valid.

    Beyond the YAML, each SQL is rendered with its parameters and compiled by the engine on empty
    pipeline tables, so a syntax error or an unknown column is caught here, not mid-campaign.
    """
    try:
        scenarios = load_scenarios(folder)
    except InvalidInput as exc:
        return exc.issues
    issues: list[Issue] = []
    for s in scenarios:
        problem = compile_check(s)
        if problem:
            issues.append(Issue(str(s.path.with_suffix(".sql")), None, None, problem))
    return issues


def compile_check(scenario: Scenario) -> str | None:
    """Run one scenario's SQL on an empty pipeline; the engine's message if it fails."""
    cfg = DetectionConfig.load()
    cfg.scenarios = [scenario]
    engine = DuckDBEngine(threads=1)
    try:
        run_pipeline(
            engine, TableSource({}), start=date(2024, 4, 1), end=date(2024, 4, 2), config=cfg
        )
    except EngineError as exc:
        return str(exc)
    except InvalidInput as exc:
        # A campaign names the failing scenario's file; its author here wants the failing SQL.
        cause = exc.__cause__
        return str(cause) if isinstance(cause, EngineError) else str(exc)
    except Exception as exc:  # a template error (unknown parameter) is reported the same way
        return f"{type(exc).__name__}: {exc}"
    finally:
        engine.close()
    return None
