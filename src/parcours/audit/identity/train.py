"""Build `identity_model.json` from `model_definition.yaml`: priors kept, u estimated once.

m values are the documented priors of the definition (how often each level happens between two
records of the same person: an error rate of registers, which no unlabelled data set measures
reliably). u values (how often each level happens between two different people) are estimated by
Splink's random sampling over a population of real people: the records of a labelled-pairs file
(both sides), labels ignored. The sampling is seeded, so the file is reproducible; it is rebuilt
only on purpose (`parcours identity train`) and committed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import duckdb

from parcours.audit.identity.evaluate import load_pairs, pairs_as_tables
from parcours.audit.identity.model import (
    BASE_DIALECT,
    TRAINED_MODEL_PATH,
    load_definition,
    splink_settings,
)
from parcours.audit.identity.prepare import Source, prepare_records

SEED = 4242
MAX_PAIRS = 2_000_000
# A level never seen among random pairs still happens: give it this u rather than zero or nothing.
UNSEEN_U = 1e-7


def train(population_pairs: Path, output: Path = TRAINED_MODEL_PATH) -> dict[str, Any]:
    """Estimate u on the people of `population_pairs` and write the trained model to `output`."""
    from splink import DuckDBAPI, Linker

    definition = load_definition()
    settings = splink_settings(definition)
    con = duckdb.connect()
    con.execute(f"SELECT setseed({1 / SEED})").fetchall()
    left, right = pairs_as_tables(con, load_pairs(population_pairs))
    prepare_records(con, [Source(left, "pair_id", "'left'", "department_code")], "train_left")
    prepare_records(con, [Source(right, "pair_id", "'right'", "department_code")], "train_right")
    # The same person appears in several pairs: keep one record per distinct person.
    for side in ("train_left", "train_right"):
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {side}_people AS
                SELECT * FROM {side}
                QUALIFY row_number() OVER (
                    PARTITION BY surname_compact, first_names_compact, birth_date ORDER BY unique_id) = 1"""
        )
    db_api = DuckDBAPI(connection=con)
    linker = Linker(
        [db_api.register("train_left_people"), db_api.register("train_right_people")],
        settings,
        log_level=None,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=MAX_PAIRS, seed=SEED)
    model: dict[str, Any] = linker.misc.save_model_to_json()
    _complete(model)
    con.close()
    output.write_text(json.dumps(model, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return model


def _complete(model: dict[str, Any]) -> None:
    """Make the sampled values usable and the file engine-neutral.

    - a level never seen among the sampled random pairs gets a small u rather than none;
    - levels are written from the strongest evidence to the weakest, so a later (looser) level
      must never weigh more than an earlier one: where sampling noise on rare levels says
      otherwise (a "shared token" seen in 20 random pairs out of 2 million), its u is raised
      until its Bayes factor equals the previous level's;
    - every SQL condition carries its dialect so that Splink translates it for Spark;
    - the run-specific linker id is dropped so that retraining gives the same file.
    """
    model.pop("linker_uid", None)
    for comparison in model["comparisons"]:
        previous_factor = math.inf
        for level in comparison["comparison_levels"]:
            if level["sql_condition"].strip().upper() != "ELSE":
                level["base_dialect_str"] = BASE_DIALECT
            if level.get("is_null_level"):
                continue
            u = level.get("u_probability")
            if not isinstance(u, float) or math.isnan(u) or u <= 0:
                u = UNSEEN_U
            m = float(level["m_probability"])
            if m / u > previous_factor:
                u = m / previous_factor
            level["u_probability"] = u
            previous_factor = m / u
