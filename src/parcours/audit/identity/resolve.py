"""Production entry points: link job-seeker files to the watch-lists, or score one pair.

`resolve_identities` is what the detection engine calls; it works on DuckDB tables or views with
the interchange columns and leaves a table `identity_matches` behind:

    identity_matches(de_id VARCHAR, target_kind VARCHAR ('agent' | 'ex_agent' | 'protected'),
                     target_id VARCHAR, match_probability DOUBLE, match_weight DOUBLE)

one row per (job-seeker file, watch-list person) whose match probability is above the threshold.
An agent with `left_on` set is an `ex_agent`. Agents are looked up under both their usage name
(`last_name`) and their birth name (`birth_name`), and so are job seekers and protected persons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pyarrow as pa

from parcours.audit.identity.prepare import Source, prepare_records
from parcours.audit.identity.scoring import score, term_frequency_tables
from parcours.errors import InvalidInput, Issue

OUTPUT_TABLE = "identity_matches"
DEFAULT_THRESHOLD = 0.5


def resolve_identities(
    con: duckdb.DuckDBPyConnection,
    *,
    job_seekers: str,
    agents: str,
    protected_persons: str,
    threshold: float = DEFAULT_THRESHOLD,
    processes: int | None = None,
) -> str:
    """Create table `identity_matches` from the three input tables/views; returns its name.

    `processes`: how many processes may standardise the names (default: the usable cores); the
    detection engine passes its own thread setting, so that one setting bounds the campaign.

    Raises InvalidInput naming every missing column. A record with neither a birth date nor a
    surname and first name cannot be put in any block, so it can never match: the detection
    engine counts such files itself if it needs to report them.
    """
    _check_columns(
        con,
        {
            job_seekers: INPUT_COLUMNS["job_seekers"],
            agents: INPUT_COLUMNS["agents"],
            protected_persons: INPUT_COLUMNS["protected_persons"],
        },
    )
    prepare_records(
        con,
        [Source(job_seekers, "de_id", "'job_seeker'", "department_code")],
        "identity__left",
        processes=processes,
    )
    prepare_records(
        con,
        [
            Source(
                agents, "agent_id", "CASE WHEN left_on IS NULL THEN 'agent' ELSE 'ex_agent' END"
            ),
            Source(protected_persons, "person_id", "'protected'", "department_code"),
        ],
        "identity__right",
        processes=processes,
    )
    # Name frequencies come from the people being linked: the job seekers of the region are the
    # population in which a name is common or rare.
    tf = term_frequency_tables(con, ["identity__left", "identity__right"], "identity")
    score(
        con,
        left="identity__left",
        right="identity__right",
        output="identity__scores",
        tf_tables=tf,
        threshold=threshold,
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {OUTPUT_TABLE} AS
        SELECT CAST(substr(person_key_l, length('job_seeker:') + 1) AS VARCHAR) AS de_id,
               CAST(kind_r AS VARCHAR) AS target_kind,
               CAST(substr(person_key_r, length(kind_r) + 2) AS VARCHAR) AS target_id,
               CAST(match_probability AS DOUBLE) AS match_probability,
               CAST(match_weight AS DOUBLE) AS match_weight
        FROM identity__scores
        WHERE match_probability > {float(threshold)!r}
        ORDER BY de_id, target_kind, target_id
        """
    )
    for table in ("identity__left", "identity__right", "identity__scores", *tf.values()):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return OUTPUT_TABLE


_PERSON_COLUMNS = ("last_name", "birth_name", "first_names", "birth_date", "sex")
# What the resolver reads of each input, by role (checked here, fingerprinted by the identity cache).
INPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "job_seekers": ("de_id", *_PERSON_COLUMNS, "department_code"),
    "agents": ("agent_id", *_PERSON_COLUMNS, "left_on"),
    "protected_persons": ("person_id", *_PERSON_COLUMNS, "department_code"),
}


def _check_columns(con: duckdb.DuckDBPyConnection, required: dict[str, tuple[str, ...]]) -> None:
    issues: list[Issue] = []
    for table, columns in required.items():
        try:
            present = {row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()}
        except duckdb.Error as exc:
            issues.append(Issue(file=table, line=None, column=None, reason=f"unreadable: {exc}"))
            continue
        issues.extend(
            Issue(file=table, line=None, column=c, reason="missing column")
            for c in columns
            if c not in present
        )
    if issues:
        raise InvalidInput(issues)


@dataclass(frozen=True)
class PersonRecord:
    """One person as a register writes them; any field may be missing except the names."""

    last_name: str | None
    first_names: str | None
    birth_date: date | str | None = None
    birth_name: str | None = None
    sex: str | None = None
    department_code: str | None = None


def _record_table(con: duckdb.DuckDBPyConnection, name: str, record: PersonRecord) -> None:
    birth = (
        record.birth_date.isoformat() if isinstance(record.birth_date, date) else record.birth_date
    )
    table = pa.table(
        {
            "id": ["1"],
            "last_name": pa.array([record.last_name], pa.string()),
            "birth_name": pa.array([record.birth_name], pa.string()),
            "first_names": pa.array([record.first_names], pa.string()),
            "birth_date": pa.array([birth], pa.string()),
            "sex": pa.array([record.sex], pa.string()),
            "department_code": pa.array([record.department_code], pa.string()),
        }
    )
    con.register(f"{name}_arrow", table)
    con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
    con.unregister(f"{name}_arrow")


def match_pair(left: PersonRecord, right: PersonRecord) -> float:
    """Match probability of two records (best pair of their surname variants), without blocking.

    With no population at hand, names weigh their average frequency (no term-frequency
    adjustment): the figure explains a pair; `resolve_identities` is what production uses.
    """
    con = duckdb.connect()
    try:
        _record_table(con, "pair_left_src", left)
        _record_table(con, "pair_right_src", right)
        prepare_records(
            con, [Source("pair_left_src", "id", "'left'", "department_code")], "pair_left"
        )
        prepare_records(
            con, [Source("pair_right_src", "id", "'right'", "department_code")], "pair_right"
        )
        score(
            con,
            left="pair_left",
            right="pair_right",
            output="pair_scores",
            tf_tables=None,
            threshold=None,
            all_pairs=True,
        )
        rows = con.execute("SELECT max(match_probability) FROM pair_scores").fetchall()
    finally:
        con.close()
    value = rows[0][0] if rows else None
    return float(value) if value is not None else 0.0
