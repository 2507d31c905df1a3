"""The ground truth means what the detection issue says: misuse pairs have no strong legitimate
context, legitimate looks at sensitive files always have one, and the traps are present."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from parcours.synth import SynthSummary

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def con(tiny: tuple[Path, SynthSummary]) -> duckdb.DuckDBPyConnection:
    out, _ = tiny
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")

    def csv(name: str) -> str:
        return f"read_csv('{out}/{name}.csv', all_varchar=true, header=true)"

    con.execute(f"create table js as select * from {csv('job_seekers')}")
    con.execute(f"create table ag as select * from {csv('agents')}")
    con.execute(f"create table truth as select * from {csv('truth')}")
    con.execute(f"create table ident as select * from {csv('truth_identities')}")
    con.execute(
        f"create table c as select event_id, ts::timestamp as ts, agent_id, de_id, application,"
        f" action from {csv('consultations')}"
    )
    con.execute(
        f"create table ap as select de_id, agent_id, starts_at::timestamp as starts_at, status"
        f" from {csv('appointments')}"
    )
    # Calls come in UTC; compare them with the naive Paris wall clock of the application logs.
    con.execute(
        f"create table ca as select de_id, agent_id,"
        f" timezone('Europe/Paris', started_at::timestamptz) as s,"
        f" timezone('Europe/Paris', ended_at::timestamptz) as e from {csv('calls')}"
    )
    con.execute(
        f"create table tk as select de_id, agent_id, created_at::timestamp as created_at,"
        f" coalesce(closed_at::timestamp, timestamp '2100-01-01') as closed_at from {csv('tasks')}"
    )
    con.execute(
        """
        create table names as select de_id, lower(strip_accents(last_name)) as ln,
               split_part(first_names, ' ', 1) as fn, birth_date from js
        """
    )
    con.execute(
        """
        create table explained as
        select c.*,
          exists (select 1 from js where js.de_id = c.de_id and js.referent_agent_id = c.agent_id) as referent,
          exists (select 1 from ap where ap.de_id = c.de_id and ap.agent_id = c.agent_id
                  and c.ts between ap.starts_at - interval 2 hour and ap.starts_at + interval 4 hour) as appointment,
          exists (select 1 from ca left join names m on m.de_id = ca.de_id
                  left join names t on t.de_id = c.de_id
                  where ca.agent_id = c.agent_id
                  and (ca.de_id = c.de_id or (m.ln = t.ln and m.fn = t.fn))
                  and c.ts between ca.s - interval 2 minute and ca.e + interval 30 minute) as call,
          exists (select 1 from tk where tk.de_id = c.de_id and tk.agent_id = c.agent_id
                  and c.ts between tk.created_at and tk.closed_at + interval 1 day) as task,
          exists (select 1 from js join ag on ag.agency_id = js.agency_id
                  where js.de_id = c.de_id and ag.agent_id = c.agent_id) as same_agency
        from c
        """
    )
    return con


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    row = con.execute(sql).fetchone()
    assert row is not None
    return float(row[0] or 0)


def test_at_least_95_percent_of_consultations_have_a_context(
    con: duckdb.DuckDBPyConnection,
) -> None:
    share = _one(
        con,
        "select avg((referent or appointment or call or task or same_agency)::int) from explained",
    )
    strong = _one(con, "select avg((referent or appointment or call or task)::int) from explained")
    assert 0.95 <= share < 0.995  # a small unexplained remainder exists, as in real logs
    assert 0.75 <= strong < share


def test_misuse_pairs_have_no_strong_context(con: duckdb.DuckDBPyConnection) -> None:
    strong = _one(
        con,
        """select count(*) from explained e join truth t using (agent_id, de_id)
           where referent or appointment or call or task""",
    )
    assert strong == 0
    missing = _one(
        con,
        """select count(*) from truth t where not exists
           (select 1 from c where c.agent_id = t.agent_id and c.de_id = t.de_id)""",
    )
    assert missing == 0  # every misuse pair of the truth happened in the log


def test_legitimate_looks_at_sensitive_files_always_have_a_context(
    con: duckdb.DuckDBPyConnection,
) -> None:
    sensitive_legit = """
        select e.* from explained e join ident i on i.de_id = e.de_id and i.relation = 'same'
        where not exists (select 1 from truth t where t.agent_id = e.agent_id and t.de_id = e.de_id)
    """
    assert _one(con, f"select count(*) from ({sensitive_legit})") > 0
    unexplained = _one(
        con,
        f"""select count(*) from ({sensitive_legit})
            where not (referent or appointment or call or task or same_agency)""",
    )
    assert unexplained == 0


def test_every_kind_of_misuse_and_of_trap_is_present(con: duckdb.DuckDBPyConnection) -> None:
    kinds = {k for (k,) in con.execute("select distinct kind from truth").fetchall()}
    assert kinds == {"colleague", "ex_colleague", "protected", "curiosity"}
    # Hard cases: misuse pairs seen once only, and misuse pairs inside the agent's own agency.
    pair_events = "select agent_id, de_id, count(*) n, bool_or(same_agency) weak from explained join truth using (agent_id, de_id) group by all"
    assert _one(con, f"select count(*) from ({pair_events}) where n = 1") >= 1
    assert _one(con, f"select count(*) from ({pair_events}) where weak") >= 1
    # The telephony surfaced a homonym's file: the agent opened it, then the caller's.
    assert (
        _one(
            con,
            """select count(*) from explained e join names t on t.de_id = e.de_id
           where call and not exists (select 1 from ca where ca.agent_id = e.agent_id and ca.de_id = e.de_id
                 and e.ts between ca.s - interval 2 minute and ca.e + interval 30 minute)""",
        )
        > 0
    )
    # Legitimate looks at sensitive files: by the referent, in an appointment, during a call.
    for context in ("referent", "appointment", "call", "task"):
        assert (
            _one(
                con,
                f"""select count(*) from explained e join ident i on i.de_id = e.de_id and i.relation = 'same'
                where {context}""",
            )
            > 0
        ), context
    # Homonyms of sensitive people exist among job seekers; so do unresolved references.
    assert _one(con, "select count(*) from ident where relation = 'homonym'") > 0
    assert _one(con, "select count(*) from ident where relation = 'relative'") > 0
    assert _one(con, "select count(*) from c where agent_id not in (select agent_id from ag)") > 0
    assert _one(con, "select count(*) from c where de_id not in (select de_id from js)") > 0
    # Legitimate consultations outside office hours exist (late workers), so hours alone do not
    # separate misuse.
    off_hours = "(hour(ts) >= 19 or hour(ts) < 7 or dayofweek(ts) in (0, 6))"
    assert (
        _one(
            con,
            f"select count(*) from explained where {off_hours} and (referent or appointment or call or task)",
        )
        > 0
    )


def test_misuse_events_carry_no_artefact(con: duckdb.DuckDBPyConnection) -> None:
    """Nothing but the (agent, file) choice and the timing separates misuse from the rest."""
    con.execute(
        """create or replace temp view tagged as
           select c.*, t.kind is not null as misuse from c left join truth t using (agent_id, de_id)"""
    )
    rows = con.execute(
        """select misuse, avg((action = 'view')::int), avg((application = 'AUDE')::int),
                  count(distinct second(ts)), min(length(event_id)), max(length(event_id)),
                  bool_and(regexp_full_match(event_id, '[0-9a-f]{16}'))
           from tagged group by misuse order by misuse"""
    ).fetchall()
    (_, legit_view, legit_aude, _, *_), (_, bad_view, bad_aude, seconds, lo, hi, hexa) = rows
    assert abs(legit_view - bad_view) < 0.15
    assert abs(legit_aude - bad_aude) < 0.25
    assert seconds > 30  # timestamps to the second, not rounded
    assert lo == hi == 16 and hexa
