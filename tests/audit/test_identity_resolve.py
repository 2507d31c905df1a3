"""resolve_identities and match_pair on small invented registers (no real person's data)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from parcours.audit.identity import PersonRecord, match_pair, resolve_identities
from parcours.audit.identity.model import (
    load_definition,
    load_trained_model,
    settings_for_engine,
)
from parcours.audit.identity.prepare import Source, prepare_records
from parcours.audit.identity.scoring import score, term_frequency_tables
from parcours.errors import InvalidInput


def _registers(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE js (de_id VARCHAR, last_name VARCHAR, birth_name VARCHAR, first_names VARCHAR,
                         birth_date DATE, sex VARCHAR, department_code VARCHAR, agency_id VARCHAR);
        INSERT INTO js VALUES
          ('DE1', 'Quenardel-Vaubrac', NULL, 'Élodie Marthe', '1984-03-12', 'F', '31', 'A1'),
          ('DE2', 'PLOUVIER', NULL, 'Jean-Armand', '1975-07-01', 'M', '09', 'A1'),
          ('DE3', 'Sorbelin', NULL, 'Gaspard', '1990-02-14', 'M', '31', 'A2'),
          ('DE4', 'SORBELIN', NULL, 'Gaspard', '1961-09-30', 'M', '31', 'A2'),
          ('DE5', 'MARTIN', NULL, 'Pierre', '1980-05-05', 'M', '31', 'A2'),
          ('DE6', 'Trubessac', NULL, 'Honorine', '1958-12-03', 'F', '82', 'A3'),
          ('DE7', 'FALGUEYRAC', NULL, 'Bastien', '1979-11-20', 'M', '46', 'A3');
        CREATE TABLE ag (agent_id VARCHAR, last_name VARCHAR, birth_name VARCHAR, first_names VARCHAR,
                         birth_date DATE, sex VARCHAR, establishment_id VARCHAR, agency_id VARCHAR,
                         job VARCHAR, hired_on DATE, left_on DATE);
        INSERT INTO ag VALUES
          -- married name on the HR file, maiden name kept as birth name
          ('AG1', 'LAFFONT', 'QUENARDEL VAUBRAC', 'Elodie', '1984-03-12', 'F', 'DR', 'A1', 'conseiller', '2010-01-01', NULL),
          ('AG2', 'Plouvier', NULL, 'Armand', '1975-07-01', 'M', 'DR', 'A1', 'gdd', '2001-01-01', '2023-06-30'),
          ('AG3', 'SORBELIN', NULL, 'Gaspard', '1990-02-14', 'M', 'DR', 'A2', 'conseiller', '2015-01-01', NULL),
          ('AG4', 'DURAND', NULL, 'Pierre', '1980-05-05', 'M', 'DR', 'A2', 'conseiller', '2015-01-01', NULL),
          ('AG5', 'FALGUEYRAC', NULL, 'Bastien', '1979-12-20', 'M', 'DR', 'A3', 'conseiller', '2012-01-01', NULL);
        CREATE TABLE pp (person_id VARCHAR, category VARCHAR, last_name VARCHAR, birth_name VARCHAR,
                         first_names VARCHAR, birth_date DATE, sex VARCHAR, department_code VARCHAR,
                         valid_from DATE, valid_to DATE);
        INSERT INTO pp VALUES
          ('PP1', 'elected', 'TRUBESSAC', NULL, 'Honorine', '1958-12-03', 'F', '82', '2020-07-01', NULL);
        """
    )


def test_resolve_identities_finds_agents_ex_agents_and_protected() -> None:
    con = duckdb.connect()
    _registers(con)
    table = resolve_identities(con, job_seekers="js", agents="ag", protected_persons="pp")
    assert table == "identity_matches"
    columns = con.execute(f"DESCRIBE {table}").fetchall()
    assert [(c[0], c[1]) for c in columns] == [
        ("de_id", "VARCHAR"),
        ("target_kind", "VARCHAR"),
        ("target_id", "VARCHAR"),
        ("match_probability", "DOUBLE"),
        ("match_weight", "DOUBLE"),
    ]
    rows = con.execute(
        f"SELECT de_id, target_kind, target_id, match_probability FROM {table}"
    ).fetchall()
    found = {(r[0], r[1], r[2]) for r in rows}
    assert found == {
        ("DE1", "agent", "AG1"),  # maiden compound name, hyphen vs space, extra given name
        ("DE2", "ex_agent", "AG2"),  # left_on set; compound given name containing the usage one
        ("DE3", "agent", "AG3"),  # exact
        ("DE6", "protected", "PP1"),
    }, rows
    # The homonym (DE4, other birth date) and the same-date stranger (DE5) are rejected.
    assert all(0.5 < r[3] <= 1.0 for r in rows)
    # A one-character typo in the birth date is still compared (the surname + first name block)
    # and scored well above a homonym; with names of average frequency (a population of seven
    # people says nothing about rarity) it stays just under the production threshold.
    resolve_identities(con, job_seekers="js", agents="ag", protected_persons="pp", threshold=0.1)
    typo = con.execute(
        "SELECT match_probability FROM identity_matches WHERE de_id = 'DE7' AND target_id = 'AG5'"
    ).fetchall()
    assert typo and typo[0][0] > 0.1
    assert not con.execute(
        "SELECT 1 FROM identity_matches WHERE de_id IN ('DE4', 'DE5')"
    ).fetchall()


def test_blocking_rules_keep_unknown_sex_and_a_mistyped_sex_with_the_same_first_name() -> None:
    """Which pairs the model's blocking rules hand to scoring (the national quarter's volume)."""
    con = duckdb.connect()
    con.execute(
        """
        CREATE TABLE l (id VARCHAR, birth_date VARCHAR, sex VARCHAR, first_name VARCHAR,
                        surname_compact VARCHAR);
        CREATE TABLE r AS SELECT * FROM l;
        INSERT INTO l VALUES ('same_sex', '1980-01-01', 'F', 'ANNE', 'MARTIN'),
                             ('sex_unknown', '1980-01-01', NULL, 'ANNE', 'DURAND'),
                             ('sex_typo_same_first', '1980-01-01', 'M', 'ANNE', 'LEROY'),
                             ('sex_typo_other_first', '1980-01-01', 'M', 'CLAIRE', 'PETIT'),
                             ('other_date', '1990-01-01', 'F', 'ANNE', 'ROUX');
        INSERT INTO r VALUES ('agent', '1980-01-01', 'F', 'ANNE', 'BERNARD');
        """
    )
    rules = " OR ".join(f"({rule.sql})" for rule in load_definition().blocking_rules)
    blocked = {row[0] for row in con.execute(f"SELECT l.id FROM l, r WHERE {rules}").fetchall()}
    assert blocked == {"same_sex", "sex_unknown", "sex_typo_same_first"}


def test_unknown_sex_on_one_side_still_matches() -> None:
    con = duckdb.connect()
    _registers(con)
    # DE2/AG2 differ in their first given name: only the birth-date rule compares them.
    con.execute("UPDATE ag SET sex = NULL WHERE agent_id = 'AG2'")
    resolve_identities(con, job_seekers="js", agents="ag", protected_persons="pp", threshold=0.01)
    unknown = con.execute(
        "SELECT match_probability FROM identity_matches WHERE de_id = 'DE2' AND target_id = 'AG2'"
    ).fetchall()
    con.execute("UPDATE ag SET sex = 'M' WHERE agent_id = 'AG2'")
    resolve_identities(con, job_seekers="js", agents="ag", protected_persons="pp", threshold=0.01)
    known = con.execute(
        "SELECT match_probability FROM identity_matches WHERE de_id = 'DE2' AND target_id = 'AG2'"
    ).fetchall()
    # Scored, with a little less evidence than when both sexes are known and agree.
    assert unknown and known and 0.01 < unknown[0][0] < known[0][0]


def test_resolve_identities_threshold_and_empty_inputs() -> None:
    con = duckdb.connect()
    _registers(con)
    con.execute("CREATE VIEW no_pp AS SELECT * FROM pp WHERE false")
    resolve_identities(
        con, job_seekers="js", agents="ag", protected_persons="no_pp", threshold=0.999999
    )
    strict = con.execute("SELECT count(*) FROM identity_matches").fetchall()[0][0]
    resolve_identities(con, job_seekers="js", agents="ag", protected_persons="no_pp")
    default = con.execute("SELECT count(*) FROM identity_matches").fetchall()[0][0]
    assert strict < default == 3


def test_match_pair_explains_one_pair() -> None:
    same = match_pair(
        PersonRecord("DURAND-GABORIT", "Anne", date(1970, 1, 2), sex="F"),
        PersonRecord("Gaborit", "Anne", "1970-01-02", sex="F"),
    )
    homonym = match_pair(
        PersonRecord("MARTIN", "Philippe", "1962-11-24"),
        PersonRecord("MARTIN", "Philippe", "1966-10-06"),
    )
    married = match_pair(
        PersonRecord("DUPONT", "Marie", "1980-03-04", birth_name="LEROY", sex="F"),
        PersonRecord("LEROY", "Marie Claire", "1980-03-04", sex="F"),
    )
    stranger = match_pair(
        PersonRecord("COUREL", "Francis", "1955-04-01", department_code="31"),
        PersonRecord("LEFEBVRE", "Jean-François", "1955-04-01", department_code="31"),
    )
    assert same > 0.9 and married > 0.9
    assert homonym < 0.01 and stranger < 0.01


def test_hyphen_and_extra_given_names_at_once_are_one_list_extending_the_other() -> None:
    """`Jean Paul` and `Jean-Paul Gaspard Honoré`: the compound written with a space on one side and
    more given names on the other. Their first given names differ (JEAN / JEANPAUL), but glued, the
    shorter list starts the longer one: as strong as the same first given name, not a mere overlap of
    parts. `Jean` against `Jean-Paul` stays the weaker level: Jean and Jean-Paul are two names."""
    born, short = "1988-09-30", "Jean Paul"
    extended = match_pair(
        PersonRecord("MAUBLANC", short, born, sex="M"),
        PersonRecord("MAUBLANC", "Jean-Paul Gaspard Honoré", born, sex="M"),
    )
    same_first = match_pair(
        PersonRecord("MAUBLANC", short, born, sex="M"),
        PersonRecord("MAUBLANC", "Jean Paul Gaspard", born, sex="M"),
    )
    part_only = match_pair(
        PersonRecord("MAUBLANC", "Jean", born, sex="M"),
        PersonRecord("MAUBLANC", "Jean-Paul", born, sex="M"),
    )
    assert extended == pytest.approx(same_first) and extended > 0.93
    assert part_only < extended


def test_two_adjacent_letters_swapped_is_one_edit() -> None:
    """A transposition (the commonest typo with a wrong letter) weighs as one edit, above two
    different letters, and with the same first name and birth date it is a match."""
    person = PersonRecord("QUENARDEL", "Gaspard Honoré", "1962-04-17", sex="M")

    def variant(surname: str) -> float:
        return match_pair(person, PersonRecord(surname, "Gaspard", "1962-04-17", sex="M"))

    swapped, substituted = variant("QUENRADEL"), variant("QUENERDEL")
    assert swapped == substituted > 0.5
    assert variant("QUEMARDEK") < 0.5 < swapped  # two letters wrong: two edits


def test_trained_model_keeps_the_documented_priors() -> None:
    definition = load_definition()
    model = load_trained_model()
    assert (
        model["probability_two_random_records_match"]
        == definition.probability_two_random_records_match
    )
    for comparison, trained in zip(definition.comparisons, model["comparisons"], strict=True):
        assert trained["output_column_name"] == comparison.output_column_name
        for level, trained_level in zip(
            comparison.levels, trained["comparison_levels"], strict=True
        ):
            assert trained_level["sql_condition"] == level.sql
            if not level.null:
                assert trained_level["m_probability"] == level.m
                assert 0 < trained_level["u_probability"] < 1


def test_model_translates_for_spark() -> None:
    spark = json.dumps(settings_for_engine("spark"))
    assert "jaro_winkler(" in spark and "jaro_winkler_similarity" not in spark
    assert "SIZE(ARRAY_INTERSECT(" in spark


def test_broken_definition_names_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "model.yaml"
    broken.write_text(
        "probability_two_random_records_match: 0.001\n"
        "blocking_rules:\n  - equal: [birth_date]\n"
        "comparisons:\n"
        "  - output_column_name: sex\n"
        "    levels:\n"
        "      - sql: sex_l = sex_r\n"
        "        m: 0.7\n"
        "      - sql: sex_l <> sex_r\n"
        "        m: 0.2\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as error:
        load_definition(broken)
    text = str(error.value)
    assert f"{broken}:5" in text and "add up to" in text and "ELSE" in text


def test_blocking_rule_in_the_old_list_form_is_refused_with_its_line(tmp_path: Path) -> None:
    definition = tmp_path / "model.yaml"
    text = load_definition().source.read_text(encoding="utf-8")
    definition.write_text(
        text.replace("  - equal: [birth_date, first_name]", "  - [birth_date, first_name]"),
        encoding="utf-8",
    )
    line = next(
        i
        for i, row in enumerate(definition.read_text().splitlines(), 1)
        if row == "  - [birth_date, first_name]"
    )
    with pytest.raises(InvalidInput) as error:
        load_definition(definition)
    assert f"{definition}:{line}" in str(error.value) and "equal_when_known" in str(error.value)


def test_missing_columns_are_named() -> None:
    con = duckdb.connect()
    _registers(con)
    con.execute("CREATE VIEW js_bad AS SELECT de_id, last_name, first_names FROM js")
    with pytest.raises(InvalidInput) as error:
        resolve_identities(con, job_seekers="js_bad", agents="ag", protected_persons="nowhere")
    text = str(error.value)
    assert "js_bad [birth_date]: missing column" in text
    assert "js_bad [department_code]" in text and "nowhere: unreadable" in text


def test_empty_and_nameless_inputs_give_an_empty_result() -> None:
    con = duckdb.connect()
    _registers(con)
    con.execute("CREATE VIEW js_empty AS SELECT * FROM js WHERE false")
    resolve_identities(con, job_seekers="js_empty", agents="ag", protected_persons="pp")
    assert con.execute("SELECT count(*) FROM identity_matches").fetchall() == [(0,)]
    con.execute(
        "CREATE TABLE js_blank AS SELECT de_id, NULL::VARCHAR AS last_name, NULL::VARCHAR AS birth_name,"
        " NULL::VARCHAR AS first_names, NULL::DATE AS birth_date, NULL::VARCHAR AS sex,"
        " NULL::VARCHAR AS department_code FROM js"
    )
    resolve_identities(con, job_seekers="js_blank", agents="ag", protected_persons="pp")
    assert con.execute("SELECT count(*) FROM identity_matches").fetchall() == [(0,)]


def test_scoring_in_slices_gives_the_same_result() -> None:
    con = duckdb.connect()
    _registers(con)
    prepare_records(con, [Source("js", "de_id", "'job_seeker'", "department_code")], "left_records")
    prepare_records(con, [Source("ag", "agent_id", "'agent'")], "right_records")
    tf = term_frequency_tables(con, ["left_records", "right_records"], "t")
    whole = score(
        con,
        left="left_records",
        right="right_records",
        output="whole",
        tf_tables=tf,
        threshold=None,
    )
    sliced = score(
        con,
        left="left_records",
        right="right_records",
        output="sliced",
        tf_tables=tf,
        threshold=None,
        chunk_rows=2,
    )
    query = "SELECT * FROM {} ORDER BY person_key_l, person_key_r"
    assert (
        con.execute(query.format(whole)).fetchall() == con.execute(query.format(sliced)).fetchall()
    )
    assert len(con.execute(query.format(whole)).fetchall()) >= 5


def test_training_keeps_levels_ordered_by_strength() -> None:
    from parcours.audit.identity.train import UNSEEN_U, _complete

    model = {
        "linker_uid": "abc",
        "comparisons": [
            {
                "output_column_name": "surname",
                "comparison_levels": [
                    {"sql_condition": "a IS NULL", "is_null_level": True},
                    {"sql_condition": "a_l = a_r", "m_probability": 0.9, "u_probability": 0.01},
                    # sampling noise: a looser level seen in few random pairs would outweigh exact
                    {"sql_condition": "b_l = b_r", "m_probability": 0.05, "u_probability": 0.00001},
                    {"sql_condition": "c_l = c_r", "m_probability": 0.03},  # never seen
                    {"sql_condition": "ELSE", "m_probability": 0.02, "u_probability": 0.98},
                ],
            }
        ],
    }
    _complete(model)
    levels = model["comparisons"][0]["comparison_levels"]
    factors = [lv["m_probability"] / lv["u_probability"] for lv in levels[1:]]
    assert factors == sorted(factors, reverse=True)
    assert abs(factors[1] - factors[0]) < 1e-9  # capped at the exact level's Bayes factor
    assert levels[3]["u_probability"] >= UNSEEN_U
    assert "linker_uid" not in model
    assert "base_dialect_str" not in levels[4] and levels[1]["base_dialect_str"] == "duckdb"


def test_large_name_lists_standardised_on_every_core_give_the_same_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Above the threshold the given names are shared with a spawned worker: same rows, same order."""
    from parcours.audit.identity import prepare

    raw = [f"Jean-{c}{i} Marie é{i}" for i in range(300) for c in "ab"] + ["", "  ", "J.-P."]
    schema = prepare._GIVEN_SCHEMA
    alone = prepare._standardised(raw, prepare.parse_given_names, schema)
    monkeypatch.setattr(prepare, "PARALLEL_MIN_VALUES", 10)
    joined: list[int] = []  # the halves are joined only when the worker did its half
    concat = prepare.pa.concat_tables
    monkeypatch.setattr(
        prepare.pa, "concat_tables", lambda ts: joined.append(len(ts)) or concat(ts)
    )
    shared = prepare._standardised_in_parallel(raw, prepare.parse_given_names, schema, 2)
    assert joined == [2]
    assert shared.equals(alone) and alone.num_rows == len(raw) - 2  # blank lists are unusable


def test_the_campaign_engine_thread_setting_bounds_the_name_standardisation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One parallelism budget: an engine told to use one thread starts no standardisation worker."""
    from parcours.audit import identity_step
    from parcours.audit.engines.duckdb import DuckDBEngine
    from parcours.audit.identity import prepare

    monkeypatch.setattr(prepare, "PARALLEL_MIN_VALUES", 1)
    budgets: list[int] = []
    parallel = prepare._standardised_in_parallel
    monkeypatch.setattr(
        prepare,
        "_standardised_in_parallel",
        lambda values, fn, schema, processes: (
            budgets.append(processes) or parallel(values, fn, schema, processes)
        ),
    )
    for threads in (1, 2):
        with DuckDBEngine(threads=threads) as engine:
            con = engine.native_connection()
            _registers(con)
            for name, table in (
                ("in_job_seekers", "js"),
                ("in_agents", "ag"),
                ("in_protected_persons", "pp"),
            ):
                con.execute(f"CREATE VIEW {name} AS SELECT * FROM {table}")
            identity_step.resolve_identities(engine)
            matched = engine.fetch_dicts("SELECT count(*) AS n FROM identity_matches")[0]["n"]
        assert matched == 4
    # Surnames and given names of both sides: never with a budget of one, all four with two.
    assert budgets == [2, 2, 2, 2]
