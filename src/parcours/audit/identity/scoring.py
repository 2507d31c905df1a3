"""Score prepared records of one side against the other with the Splink model, inside DuckDB.

The core shared by `resolve_identities` (production), `match_pair` (one pair) and the evaluation on
labelled pairs, so that all three measure the very same thing.
"""

from __future__ import annotations

import logging
from typing import Any

import duckdb

from parcours.audit.identity.model import load_trained_model

# Splink logs every step at INFO; the product reports its own figures.
logging.getLogger("splink").setLevel(logging.WARNING)

TF_COLUMNS: tuple[str, ...] = ("surname_compact", "first_names_compact")


# Name frequencies measured on few people say little (in a file of 12 people every name is
# "1 in 12"): each frequency is shrunk toward the model's average, as if this many people with
# average names had been counted too. Negligible for a region (400,000 people), decisive for a
# handful of records checked in flow.
PSEUDO_COUNT = 1000.0


def _average_frequency(model: dict[str, Any], column: str) -> float:
    """u of the exact level that carries `column`'s adjustment: the average frequency of a value."""
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("tf_adjustment_column") == column:
                return float(level["u_probability"])
    raise KeyError(column)


def term_frequency_tables(
    con: duckdb.DuckDBPyConnection,
    population: list[str],
    prefix: str,
    model: dict[str, Any] | None = None,
) -> dict[str, str]:
    """One `value, tf_value` table per term-frequency column, from the people being linked.

    Frequencies are counted over people (person_key), not surname variants, so that someone with
    a birth name does not count twice for their first name; then shrunk (see PSEUDO_COUNT).
    """
    trained = model or load_trained_model()
    union = " UNION ALL ".join(f"SELECT * FROM {t}" for t in population)
    tables: dict[str, str] = {}
    for column in TF_COLUMNS:
        name = f"{prefix}__tf_{column}"
        average = _average_frequency(trained, column)
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {name} AS
            WITH values_per_person AS (
                SELECT DISTINCT person_key, {column} FROM ({union}) WHERE {column} IS NOT NULL
            ),
            counts AS (
                SELECT {column}, count(*) AS n, sum(count(*)) OVER () AS total
                FROM values_per_person GROUP BY {column}
            )
            SELECT {column},
                   (n + {PSEUDO_COUNT} * {average!r}) / (total + {PSEUDO_COUNT}) AS tf_{column}
            FROM counts
            """
        )
        tables[column] = name
    return tables


# Job seekers scored per slice of this many records: a national file (6 million people) would
# otherwise hold every candidate pair with all its comparison columns in memory at once.
CHUNK_ROWS = 750_000


def score(
    con: duckdb.DuckDBPyConnection,
    *,
    left: str,
    right: str,
    output: str,
    tf_tables: dict[str, str] | None,
    threshold: float | None,
    all_pairs: bool = False,
    model: dict[str, Any] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> str:
    """Create `output(person_key_l, person_key_r, kind_r, match_probability, match_weight)`.

    One row per pair of PEOPLE: the best-scoring pair of their surname variants (a married name
    against a usage name, a birth name against a birth name). `all_pairs` replaces blocking by the
    full cross product (for a handful of records only). Without `tf_tables` the model's average
    name frequencies are used. The left side is scored in slices of `chunk_rows` records, a
    person's variants always in the same slice.
    """
    # Imported here: Splink is heavy to import and only the linkage paths need it.
    from splink import DuckDBAPI, Linker

    settings = dict(model or load_trained_model())
    db_api = DuckDBAPI(connection=con)
    if tf_tables is None:
        # Empty frequency tables: every name gets a null frequency, hence no adjustment.
        tf_tables = {}
        for column in TF_COLUMNS:
            tf_tables[column] = f"{output}__no_tf_{column}"
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {tf_tables[column]} "
                f"({column} VARCHAR, tf_{column} DOUBLE)"
            )
    rows = int(con.execute(f"SELECT count(*) FROM {left}").fetchall()[0][0])
    chunks = max(1, -(-rows // chunk_rows))
    right_sdf = db_api.register(right, table_name=f"{output}__right")
    con.execute(
        f"""CREATE OR REPLACE TABLE {output} (person_key_l VARCHAR, person_key_r VARCHAR,
            kind_r VARCHAR, match_probability DOUBLE, match_weight DOUBLE)"""
    )
    for chunk in range(chunks):
        if chunks == 1:
            left_sdf = db_api.register(left, table_name=f"{output}__left")
        else:
            slice_table = f"{output}__slice"
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE {slice_table} AS SELECT * FROM {left}
                    WHERE hash(person_key) % {chunks} = {chunk}"""
            )
            left_sdf = db_api.register(slice_table, table_name=f"{output}__left_{chunk}")
        # The model file is checked by the tests (it runs on the dev pairs); Splink's column
        # validation would parse every SQL condition again on each call (half a second).
        linker = Linker([left_sdf, right_sdf], settings, log_level=None, validate_settings=False)
        for column, table in tf_tables.items():
            linker.table_management.register_term_frequency_lookup(
                db_api.register(table, table_name=f"{output}__tf_{column}_{chunk}"), column
            )
        predictions = linker.inference.predict_between(
            left_sdf,
            right_sdf,
            blocking_rules_to_generate_predictions=["1 = 1"] if all_pairs else None,
            threshold_match_probability=threshold,
            warning_mode="never",
        )
        con.execute(
            f"""
            INSERT INTO {output}
            SELECT person_key_l, person_key_r, kind_r,
                   max(match_probability), max(match_weight)
            FROM {predictions.physical_name}
            GROUP BY person_key_l, person_key_r, kind_r
            """
        )
        predictions.drop_table_from_database_and_remove_from_cache()
    con.execute(f"DROP TABLE IF EXISTS {output}__slice")
    return output
