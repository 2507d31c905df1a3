"""The linkage model as data: the YAML definition (levels, SQL, documented priors) and the trained JSON.

`load_definition()` reads `model_definition.yaml` into typed objects whose errors name the file and
line; `splink_settings(definition)` turns it into a Splink settings dictionary (engine-neutral: every
SQL condition carries its base dialect, so Splink translates it for Spark); `load_trained_model()`
reads `identity_model.json`, the settings with the estimated u values that production uses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parcours.errors import InvalidInput, Issue
from parcours.yamlfiles import LocatedList, load_mapping

HERE = Path(__file__).parent
DEFINITION_PATH = HERE / "model_definition.yaml"
TRAINED_MODEL_PATH = HERE / "identity_model.json"
BASE_DIALECT = "duckdb"


@dataclass(frozen=True)
class Level:
    label: str
    sql: str
    line: int
    null: bool = False
    m: float | None = None
    u: float | None = None
    tf_adjustment_column: str | None = None
    tf_minimum_u_value: float | None = None


@dataclass(frozen=True)
class Comparison:
    output_column_name: str
    levels: tuple[Level, ...]


@dataclass(frozen=True)
class BlockingRule:
    """Pairs to score: `equal` columns equal on both sides, and each `equal_when_known` column
    equal unless it is unknown on either side (a missing sex must not hide a pair)."""

    equal: tuple[str, ...]
    equal_when_known: tuple[str, ...] = ()

    @property
    def sql(self) -> str:
        terms = [f"l.{c} = r.{c}" for c in self.equal]
        terms += [
            f"(l.{c} = r.{c} OR l.{c} IS NULL OR r.{c} IS NULL)" for c in self.equal_when_known
        ]
        return " AND ".join(terms)


@dataclass(frozen=True)
class Definition:
    probability_two_random_records_match: float
    blocking_rules: tuple[BlockingRule, ...]
    comparisons: tuple[Comparison, ...]
    source: Path


_RULE_KEYS = ("equal", "equal_when_known")


def load_definition(path: Path = DEFINITION_PATH) -> Definition:
    """Parse and check the model definition; every problem found is reported with its line."""
    issues: list[Issue] = []
    data = load_mapping(path)

    def fail(line: int | None, reason: str) -> None:
        issues.append(Issue(file=str(path), line=line, column=None, reason=reason))

    prior = data.get("probability_two_random_records_match")
    if not isinstance(prior, float) or not 0 < prior < 1:
        fail(
            data.line_of("probability_two_random_records_match"),
            "probability_two_random_records_match must be a number in (0, 1)",
        )
    rules: list[BlockingRule] = []
    for i, rule in enumerate(data.get("blocking_rules") or []):
        line = data["blocking_rules"].item_lines[i]
        columns = {key: rule.get(key) for key in _RULE_KEYS} if isinstance(rule, dict) else {}
        if (
            not isinstance(rule, dict)
            or set(rule) - set(_RULE_KEYS)
            or not columns["equal"]
            or not all(
                isinstance(value, list) and all(isinstance(c, str) for c in value)
                for value in columns.values()
                if value is not None
            )
        ):
            fail(
                line,
                "a blocking rule is a mapping: `equal` (a non-empty list of column names) and "
                "optionally `equal_when_known` (columns equal unless unknown on either side)",
            )
            continue
        rules.append(
            BlockingRule(
                equal=tuple(columns["equal"]),
                equal_when_known=tuple(columns["equal_when_known"] or ()),
            )
        )
    if not rules:
        fail(data.line_of("blocking_rules"), "at least one blocking rule is needed")

    comparisons: list[Comparison] = []
    for ci, comparison in enumerate(data.get("comparisons") or []):
        cline = data["comparisons"].item_lines[ci]
        name = comparison.get("output_column_name") if isinstance(comparison, dict) else None
        if not isinstance(name, str):
            fail(cline, "a comparison needs an output_column_name")
            continue
        levels: list[Level] = []
        raw_levels = comparison.get("levels") or LocatedList()
        for li, level in enumerate(raw_levels):
            lline = raw_levels.item_lines[li]
            if not isinstance(level, dict) or not isinstance(level.get("sql"), str):
                fail(lline, f"{name}: a level needs an `sql` condition")
                continue
            unknown = set(level) - {
                "label",
                "sql",
                "is_null",
                "m",
                "u",
                "tf_adjustment_column",
                "tf_minimum_u_value",
            }
            if unknown:
                fail(lline, f"{name}: unknown keys {sorted(unknown)}")
            is_null = bool(level.get("is_null", False))
            m = level.get("m")
            if not is_null and (not isinstance(m, float) or not 0 < m < 1):
                fail(lline, f"{name}: level {level.get('label')!r} needs a prior m in (0, 1)")
            levels.append(
                Level(
                    label=str(level.get("label")),
                    sql=level["sql"],
                    line=lline,
                    null=is_null,
                    m=m,
                    u=level.get("u"),
                    tf_adjustment_column=level.get("tf_adjustment_column"),
                    tf_minimum_u_value=level.get("tf_minimum_u_value"),
                )
            )
        total_m = sum(lv.m or 0.0 for lv in levels if not lv.null)
        if levels and abs(total_m - 1.0) > 1e-9:
            fail(cline, f"{name}: the m priors of the non-null levels add up to {total_m}, not 1")
        if not levels or levels[-1].sql.strip().upper() != "ELSE":
            fail(cline, f"{name}: the last level must be `ELSE`")
        comparisons.append(Comparison(output_column_name=name, levels=tuple(levels)))
    if issues:
        raise InvalidInput(issues)
    assert isinstance(prior, float)
    return Definition(
        probability_two_random_records_match=prior,
        blocking_rules=tuple(rules),
        comparisons=tuple(comparisons),
        source=path,
    )


def _level_dict(level: Level) -> dict[str, Any]:
    out: dict[str, Any] = {"sql_condition": level.sql, "label_for_charts": level.label}
    if (
        level.sql.strip().upper() != "ELSE"
    ):  # sqlglot cannot parse a bare ELSE: nothing to translate
        out["base_dialect_str"] = BASE_DIALECT
    if level.null:
        out["is_null_level"] = True
        return out
    out["m_probability"] = level.m
    out["fix_m_probability"] = True
    if level.u is not None:
        out["u_probability"] = level.u
        out["fix_u_probability"] = True
    if level.tf_adjustment_column:
        out["tf_adjustment_column"] = level.tf_adjustment_column
        out["tf_adjustment_weight"] = 1.0
        if level.tf_minimum_u_value:
            out["tf_minimum_u_value"] = level.tf_minimum_u_value
    return out


def splink_settings(definition: Definition) -> dict[str, Any]:
    """The Splink settings dictionary of the definition (u values not yet estimated)."""
    return {
        "link_type": "link_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": definition.probability_two_random_records_match,
        "blocking_rules_to_generate_predictions": [rule.sql for rule in definition.blocking_rules],
        "comparisons": [
            {
                "output_column_name": c.output_column_name,
                "comparison_levels": [_level_dict(lv) for lv in c.levels],
            }
            for c in definition.comparisons
        ],
        "additional_columns_to_retain": ["person_key", "kind"],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }


def load_trained_model(path: Path = TRAINED_MODEL_PATH) -> dict[str, Any]:
    """The production model: Splink settings with every m and u value filled in."""
    try:
        model: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInput(
            [
                Issue(
                    file=str(path),
                    line=None,
                    column=None,
                    reason="trained model missing: run `parcours identity train`",
                )
            ]
        ) from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            [Issue(file=str(path), line=exc.lineno, column=None, reason=exc.msg)]
        ) from exc
    return model


# What sqlglot's translation leaves wrong, per engine: Splink's Spark build registers Jaro-Winkler
# as `jaro_winkler`, not as the name sqlglot emits for it.
_FUNCTION_MAP: dict[str, dict[str, str]] = {
    "spark": {"JAROWINKLER_SIMILARITY(": "jaro_winkler("},
}


def settings_for_engine(engine: str, model: dict[str, Any] | None = None) -> dict[str, Any]:
    """The trained model with its SQL written for `engine` ('duckdb', 'spark'), m and u unchanged."""
    trained = model or load_trained_model()
    if engine == BASE_DIALECT:
        return trained
    from splink import SettingsCreator

    dialected = SettingsCreator.from_path_or_dict(trained).get_settings(engine)
    replacements = _FUNCTION_MAP.get(engine, {})
    out: dict[str, Any] = json.loads(json.dumps(trained))
    for comparison, translated in zip(out["comparisons"], dialected.comparisons, strict=True):
        for level, translated_level in zip(
            comparison["comparison_levels"], translated.comparison_levels, strict=True
        ):
            sql = translated_level.sql_condition
            for old, new in replacements.items():
                sql = sql.replace(old, new)
            level["sql_condition"] = sql
            level.pop("base_dialect_str", None)
    return out
