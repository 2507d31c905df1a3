"""`parcours import` on SQLite and PostgreSQL: loads, refusals, rejects files, idempotence."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, func, select, text

from parcours.config import get_settings
from parcours.consultlog.store import ConsultLog
from parcours.registry.importer import FileReport, ImportSummary, import_directory
from parcours.registry.models import Agency, Agent, Call, JobSeeker
from parcours.registry.warehouse import Warehouse

from . import files as f

SRC = Path(__file__).resolve().parents[2] / "src"


def run(folder: Path) -> ImportSummary:
    return import_directory(folder, settings=get_settings(), progress=False)


def report(summary: ImportSummary, label: str) -> FileReport:
    (r,) = [x for x in summary.files if x.label == label]
    return r


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as c:
        return {
            t: int(c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
            for t in (
                "establishments",
                "agencies",
                "agents",
                "job_seekers",
                "protected_persons",
                "appointments",
                "calls",
                "tasks",
            )
        }


def rejects(path: Path | None) -> list[dict[str, str]]:
    assert path is not None
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_good_files_load_completely(engine: Engine, tmp_path: Path) -> None:
    summary = run(f.good_directory(tmp_path / "in"))
    assert summary.ok, [str(i) for r in summary.files for i in r.issues]
    assert counts(engine) == {
        "establishments": 2,
        "agencies": 2,
        "agents": 3,
        "job_seekers": 2,
        "protected_persons": 1,
        "appointments": 1,
        "calls": 2,
        "tasks": 1,
    }
    with engine.connect() as c:
        ag1 = c.execute(select(Agent).where(Agent.agent_id == "AG1")).one()
        assert ag1.birth_name == "Dupont"  # empty birth_name = last_name
        assert ag1.birth_date == date(1980, 2, 28)
        assert ag1.work_pattern.startswith("mon-thu")
        assert c.execute(
            select(Agency.msa_experiment).where(Agency.agency_id == "A31")
        ).scalar_one()
        started = c.execute(select(Call.started_at).where(Call.call_id == "C1")).scalar_one()
        assert started.replace(tzinfo=UTC) == datetime(2024, 4, 2, 8, 0, tzinfo=UTC)
        assert c.execute(select(Call.de_id).where(Call.call_id == "C1")).scalar_one() is None
    # Logs naming people absent from the reference files are kept and counted.
    assert report(summary, "calls.csv").unresolved_refs == 1
    assert report(summary, "consultations.csv").unresolved_refs == 2
    assert report(summary, "job_seekers.csv").unresolved_refs == 1  # referent AGX
    log = ConsultLog(get_settings().log_dir)
    assert log.count() == 4
    events = {e["event_id"]: e for e in log.events_for(agent_id="AG1")}
    assert events["e1"]["ts"] == datetime(2024, 4, 2, 7, 15, tzinfo=UTC)
    assert events["e2"]["ts"] == datetime(2024, 4, 2, 7, 20, tzinfo=UTC)  # naive = Paris


def test_reimport_loads_nothing_twice(engine: Engine, tmp_path: Path) -> None:
    folder = f.good_directory(tmp_path / "in")
    run(folder)
    before = counts(engine)
    again = run(folder)
    assert again.ok
    assert counts(engine) == before
    assert ConsultLog(get_settings().log_dir).count() == 4
    # The summary says so: every reference row is already there, none loaded nor updated.
    for r in again.files:
        assert (r.rows_loaded, r.rows_updated, r.rows_skipped) == (0, 0, r.rows_read), r.label
    cons = report(again, "consultations.csv")
    assert (cons.rows_loaded, cons.rows_skipped) == (0, 4)
    # The unresolved references are the file's, loaded or not (old code: 0 for the log on a
    # re-import, while the calls still said 1).
    assert (report(again, "calls.csv").unresolved_refs, cons.unresolved_refs) == (1, 2)
    # The same events in another file, plus a new one, and a repeat inside the file.
    f.write(
        tmp_path / "more",
        "consultations",
        [
            *f.CONSULTATIONS,
            ["e5", "2024-04-04T10:00:00Z", "AG1", "D1", "MAP", "view"],
            ["e5", "2024-04-04T10:00:00Z", "AG1", "D1", "MAP", "view"],
        ],
    )
    more = report(run(tmp_path / "more"), "consultations.csv")
    assert (more.rows_read, more.rows_loaded, more.rows_skipped) == (6, 1, 5)
    assert ConsultLog(get_settings().log_dir).count() == 5


def test_an_event_repeated_with_another_content_is_rejected(engine: Engine, tmp_path: Path) -> None:
    """Old code: the second R2 (another agent exporting another file) was counted as already
    present, without a word nor a reject: an audit event colliding on its id vanished."""
    folder = f.good_directory(tmp_path / "in")
    f.write(
        folder,
        "consultations",
        [
            ["R1", "2024-04-04T10:00:00Z", "AG1", "D1", "MAP", "view"],
            ["R1", "2024-04-04 12:00", "AG1", "D1", "MAP", "view"],  # the same instant, in Paris
            ["R2", "2024-04-04T10:05:00Z", "AG1", "D1", "MAP", "view"],
            ["R2", "2024-04-04T10:05:00Z", "AG2", "D2", "AUDE", "export"],
            ["R3", "2024-04-04T10:06:00Z", "AG1", "D1", "MAP", "view"],
        ],
    )
    cons = report(run(folder), "consultations.csv")
    assert (cons.rows_read, cons.rows_loaded, cons.rows_skipped, cons.rows_rejected) == (5, 3, 1, 1)
    assert [(i.line, i.column, i.reason) for i in cons.issues] == [
        (5, "event_id", "event_id : répété avec un autre contenu (première occurrence ligne 4)")
    ]
    logged = {e["event_id"]: e for e in ConsultLog(get_settings().log_dir).events_for(limit=10)}
    assert logged["R2"]["agent_id"] == "AG1" and logged["R2"]["action"] == "view"


def test_updated_rows_replace_old_values(engine: Engine, tmp_path: Path) -> None:
    run(f.good_directory(tmp_path / "in"))
    changed = [list(r) for r in f.AGENTS]
    changed[1][10] = ""  # AG2 re-hired: left_on cleared
    new = ["AG9", "Neuf", "", "Nina", "", "", "DR76", "", "gdd", "", "", ""]
    f.write(tmp_path / "in2", "agents", [*changed, new])
    summary = run(tmp_path / "in2")
    agents = report(summary, "agents.csv")
    # One new, one changed, two as they were: the summary tells them apart.
    assert summary.ok
    assert (agents.rows_loaded, agents.rows_updated, agents.rows_skipped) == (1, 1, 2)
    with engine.connect() as c:
        assert c.execute(select(Agent.left_on).where(Agent.agent_id == "AG2")).scalar_one() is None
        assert c.execute(select(func.count()).select_from(Agent)).scalar_one() == 4


def test_each_kind_of_bad_row_is_rejected_with_file_line_column_reason(
    engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    f.write(folder, "establishments", f.ESTABLISHMENTS)
    f.write(
        folder,
        "agencies",
        [
            *f.AGENCIES,
            ["A99", "Fantôme", "DR99", "31", "false"],  # dangling reference
            ["A98", "Bool", "DR76", "31", "oui"],  # bad boolean
        ],
    )
    f.write(
        folder,
        "agents",
        [
            *f.AGENTS,
            [
                "AG4",
                "Petit",
                "",
                "Léa",
                "1980-02-30",
                "F",
                "DR76",
                "A31",
                "conseiller",
                "",
                "",
                "",
            ],  # bad date
            ["AG5", "Roux", "", "Paul", "", "X", "DR76", "A31", "chef", "", "", ""],  # bad enums
            [
                "AG1",
                "Dupont",
                "",
                "Jean",
                "",
                "M",
                "DR76",
                "A31",
                "conseiller",
                "",
                "",
                "",
            ],  # duplicate
            [
                "AG6",
                "",
                "",
                "Anne",
                "",
                "F",
                "DR76",
                "A31",
                "gdd",
                "",
                "",
                "lun 9h",
            ],  # missing + pattern
            ["AG7", "Blanc", "", "Marc", "", "M", "DR76", "A31", "gdd", "", ""],  # missing field
        ],
    )
    f.write(
        folder,
        "consultations",
        [
            *f.CONSULTATIONS,
            ["e9", "02/04/2024 09:00", "AG1", "D1", "AUDE", "view"],  # bad timestamp
            ["e10", "2024-04-02T09:00:00Z", "AG1", "D1", "AUDE", "delete"],  # bad enum
        ],
    )
    summary = run(folder)
    assert not summary.ok
    agencies = report(summary, "agencies.csv")
    assert (agencies.rows_read, agencies.rows_loaded, agencies.rows_rejected) == (4, 2, 2)
    assert [(i.file, i.line, i.column) for i in agencies.issues] == [
        ("agencies.csv", 4, "establishment_id"),
        ("agencies.csv", 5, "msa_experiment"),
    ]
    assert "« DR99 » absent de establishments" in agencies.issues[0].reason
    agents = report(summary, "agents.csv")
    assert (agents.rows_loaded, agents.rows_rejected) == (3, 5)
    by_line = {i.line: i for i in agents.issues}
    assert by_line[5].column == "birth_date" and "date invalide « 1980-02-30 »" in by_line[5].reason
    assert by_line[6].column == "sex,job"
    assert "identifiant en double (première occurrence ligne 2)" in by_line[7].reason
    assert by_line[8].column == "last_name,work_pattern"
    assert "champs manquants" in by_line[9].reason and by_line[9].column is None
    rows = rejects(agents.rejects_path)
    assert [r["line"] for r in rows] == ["5", "6", "7", "8", "9"]
    assert rows[0]["agent_id"] == "AG4" and rows[0]["birth_date"] == "1980-02-30"
    assert list(rows[0])[-3:] == ["line", "column", "reason"]
    cons = report(summary, "consultations.csv")
    assert (cons.rows_loaded, cons.rows_rejected) == (4, 2)
    assert {i.column for i in cons.issues} == {"ts", "action"}
    with engine.connect() as c:  # valid rows were loaded despite the bad ones
        assert c.execute(select(func.count()).select_from(Agent)).scalar_one() == 3


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "fichier vide"),
        (b"agent_id,last_name\nAG1,Dupont\n", "colonnes manquantes : birth_name"),
        (
            b"agency_id,nom,establishment_id,department_code,msa_experiment\n",
            "colonnes inconnues : nom",
        ),
        (b"\xe9tablissement,name\n", "pas en UTF-8"),
        (  # a French spreadsheet's "CSV" export
            b"agency_id;name;establishment_id;department_code;msa_experiment\nA31;Toulouse;DR76;31;false\n",
            "colonnes séparées par « point-virgule »",
        ),
    ],
)
def test_unusable_files_are_refused_whole(
    engine: Engine, tmp_path: Path, content: bytes, reason: str
) -> None:
    folder = tmp_path / "in"
    f.write(folder, "establishments", f.ESTABLISHMENTS)
    name = "agents" if content.startswith(b"agent_id") else "agencies"
    (folder / f"{name}.csv").write_bytes(content)
    summary = run(folder)
    bad = report(summary, f"{name}.csv")
    assert bad.refused is not None and reason in bad.refused.reason
    assert bad.refused.line == 1 and not summary.ok
    assert report(summary, "establishments.csv").rows_loaded == 2
    assert bad.rejects_path is not None and reason in bad.rejects_path.read_text(encoding="utf-8")


def test_bad_encoding_inside_the_file_rejects_those_rows(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    path = f.write(folder, "establishments", f.ESTABLISHMENTS)
    with path.open("ab") as fh:
        fh.write("DG,Direction g\xe9n\xe9rale,DG,\n".encode("latin-1"))
        fh.write(b"DSI,DSI,DSI,\n")
    summary = run(folder)
    est = report(summary, "establishments.csv")
    assert (est.rows_read, est.rows_loaded, est.rows_rejected) == (4, 3, 1)
    assert est.issues[0].line == 4 and "UTF-8" in est.issues[0].reason


def test_parquet_and_consultation_folders(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    f.write(folder, "establishments", f.ESTABLISHMENTS)
    pq.write_table(
        pa.table(
            {
                "agency_id": ["A31", "A32"],
                "name": ["Toulouse", "Albi"],
                "establishment_id": ["DR76", "DR76"],
                "department_code": ["31", "81"],
                "msa_experiment": pa.array([True, False]),
            }
        ),
        folder / "agencies.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "event_id": ["p1", "p2"],
                "ts": pa.array(
                    [
                        datetime(2024, 4, 2, 7, 0, tzinfo=UTC),
                        datetime(2024, 4, 5, 7, 0, tzinfo=UTC),
                    ],
                    pa.timestamp("us", tz="UTC"),
                ),
                "agent_id": ["AG1", "AG1"],
                "de_id": ["D1", "D2"],
                "application": ["MAP", "MAP"],
                "action": ["view", "edit"],
            }
        ),
        (folder / "consultations").mkdir(parents=True)
        or folder / "consultations" / "week1.parquet",
    )
    f.write(
        folder, "consultations/week2", [["c1", "2024-04-08T10:00:00", "AG1", "D1", "AUDE", "view"]]
    )
    summary = run(folder)
    assert summary.ok
    assert [r.label for r in summary.files] == [
        "establishments.csv",
        "agencies.parquet",
        "consultations/week1.parquet",
        "consultations/week2.csv",
    ]
    with engine.connect() as c:
        assert (
            c.execute(select(Agency.msa_experiment).where(Agency.agency_id == "A32")).scalar_one()
            is False
        )
    log = ConsultLog(get_settings().log_dir)
    assert log.count() == 3 and log.days() == ["2024-04-02", "2024-04-05", "2024-04-08"]


def test_the_log_is_filed_by_utc_day_whatever_the_host_time_zone(
    parcours_home: Path, tmp_path: Path
) -> None:
    """A server set to Paris time once filed events of 22:00-24:00 UTC under the next day."""
    folder = tmp_path / "in"
    f.write(
        folder,
        "consultations",
        [
            ["late", "2024-04-01T23:30:00+00:00", "AG1", "D1", "MAP", "view"],
            ["local", "2024-04-02 00:30", "AG1", "D1", "MAP", "view"],  # Paris time: 22:30 UTC
        ],
    )
    env = {**os.environ, "TZ": "Europe/Paris", "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-m", "parcours", "import", str(folder), "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert ConsultLog(get_settings().log_dir).days() == ["2024-04-01"]


def test_a_reimport_sees_events_an_earlier_version_filed_under_the_next_day(
    engine: Engine, tmp_path: Path
) -> None:
    """Before the UTC-day fix a Paris-time host filed 23:30 UTC on 1 April under 2 April."""
    log = ConsultLog(get_settings().log_dir)
    old = pa.table(
        {
            "event_id": ["late"],
            "ts": pa.array([datetime(2024, 4, 1, 23, 30, tzinfo=UTC)], pa.timestamp("us", "UTC")),
            "agent_id": ["AG1"],
            "de_id": ["D1"],
            "application": ["MAP"],
            "action": ["view"],
            "purpose": pa.array([None], pa.string()),
            "source": ["import"],
        }
    )
    (log.root / "day=2024-04-02").mkdir(parents=True)
    pq.write_table(old, log.root / "day=2024-04-02" / "earlier.parquet")
    folder = tmp_path / "in"
    f.write(folder, "consultations", [["late", "2024-04-01T23:30:00Z", "AG1", "D1", "MAP", "view"]])
    r = report(run(folder), "consultations.csv")
    assert (r.rows_loaded, r.rows_skipped) == (0, 1)
    assert log.count() == 1


def test_an_event_sent_again_with_its_time_corrected_is_not_logged_twice(
    engine: Engine, tmp_path: Path
) -> None:
    """A daily export first sent with UTC times but no offset (read as Paris time), then again
    with the `Z`: the events move to another UTC day and must still be recognised."""
    first, again = tmp_path / "first", tmp_path / "again"
    rows = [
        ["d1", "2024-04-02T00:40:00", "AG1", "D1", "MAP", "view"],
        ["d2", "2024-04-02T09:00:00", "AG1", "D2", "MAP", "view"],
    ]
    f.write(first, "consultations", rows)
    f.write(again, "consultations", [[e, ts + "Z", *rest] for e, ts, *rest in rows])
    run(first)
    r = report(run(again), "consultations.csv")
    assert (r.rows_loaded, r.rows_skipped) == (0, 2)
    assert ConsultLog(get_settings().log_dir).count() == 2


def test_excel_oddities_are_refused_clearly_or_read(engine: Engine, tmp_path: Path) -> None:
    """An empty sheet saved as CSV UTF-8 (a byte-order mark alone) is refused as empty and the
    next files still load; old Mac line endings (carriage returns alone) are read."""
    folder = tmp_path / "in"
    f.write(folder, "establishments", f.ESTABLISHMENTS)
    (folder / "agencies.csv").write_bytes(b"\xef\xbb\xbf")
    f.write(folder, "consultations", f.CONSULTATIONS)
    text = (folder / "consultations.csv").read_text(encoding="utf-8")
    (folder / "consultations.csv").write_bytes(
        text.replace("\r\n", "\r").replace("\n", "\r").encode()
    )
    summary = run(folder)
    refused = report(summary, "agencies.csv").refused
    assert refused is not None and refused.reason.startswith("fichier vide")
    assert report(summary, "consultations.csv").rows_loaded == len(f.CONSULTATIONS)


def test_a_quote_never_closed_says_how_many_lines_it_took(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    f.write(folder, "establishments", f.ESTABLISHMENTS)
    path = folder / "establishments.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    broken = [lines[0], lines[1], lines[2].replace(",", ',"', 1), *lines[3:], *lines[1:3]]
    path.write_text("\n".join(broken) + "\n", encoding="utf-8")
    r = report(run(folder), "establishments.csv")
    (issue,) = r.issues
    assert issue.line == 3 and "guillemets incorrects" in issue.reason
    assert (
        f"a fait lire {len(broken) - 2} lignes du fichier (à partir de la ligne 3)" in issue.reason
    )


def test_hidden_folders_are_skipped_and_misnamed_files_reported(
    engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    f.write(folder, "establishments", f.ESTABLISHMENTS)
    f.write(folder, "consultations/part1", f.CONSULTATIONS[:1])
    f.write(folder, "consultations/.old/part0", f.CONSULTATIONS[1:2])
    (folder / "consultations" / "notes.txt").write_text("x", encoding="utf-8")
    (folder / "Agents.csv").write_text("x", encoding="utf-8")
    summary = run(folder)
    assert [r.label for r in summary.files] == ["establishments.csv", "consultations/part1.csv"]
    assert summary.ignored == [
        "Agents.csv (nom attendu agents.csv ou agents.parquet, en minuscules)",
        "consultations/notes.txt (extension attendue .csv ou .parquet)",
    ]


def test_a_nested_parquet_column_refuses_the_file(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    pq.write_table(
        pa.table(
            {
                "event_id": ["e1"],
                "ts": ["2024-04-02 09:20"],
                "agent_id": ["AG1"],
                "de_id": ["D1"],
                "application": pa.array([["MAP", "AUDE"]], pa.list_(pa.string())),
                "action": ["view"],
            }
        ),
        folder / "consultations.parquet",
    )
    refused = report(run(folder), "consultations.parquet").refused
    assert refused is not None and refused.column == "application"
    assert "colonnes composées" in refused.reason


def test_bytes_not_in_utf8_in_a_parquet_column_reject_their_row(
    engine: Engine, tmp_path: Path
) -> None:
    """Old code: a binary column was cast to text, so b"\\xff\\xfe" became an establishment whose id
    is the eight characters `\\xFF\\xFE`, and a NUL byte passed the NUL check as `\\x00`."""
    folder = tmp_path / "in"
    folder.mkdir()
    pq.write_table(
        pa.table(
            {
                "establishment_id": pa.array([b"DR1", b"\xff\xfe", b"DR\x002"], pa.binary()),
                "name": ["a", "b", "c"],
                "kind": ["DR", "DR", "DR"],
                "region_code": ["76", "76", "76"],
            }
        ),
        folder / "establishments.parquet",
    )
    r = report(run(folder), "establishments.parquet")
    assert (r.rows_read, r.rows_loaded, r.rows_rejected) == (3, 1, 2)
    assert sorted((i.line, i.reason) for i in r.issues) == [
        (2, "establishment_id : texte qui n'est pas en UTF-8"),
        (3, "establishment_id : caractère nul (octet 0x00) interdit dans le texte"),
    ]


def test_a_damaged_parquet_page_refuses_the_file(engine: Engine, tmp_path: Path) -> None:
    """The footer reads, a data page does not: the file is refused whole, nothing is logged."""
    folder = tmp_path / "in"
    folder.mkdir()
    path = folder / "consultations.parquet"
    pq.write_table(
        pa.table(
            {
                "event_id": [f"e{i}" for i in range(100)],
                "ts": ["2024-04-02 09:20"] * 100,
                "agent_id": ["AG1"] * 100,
                "de_id": ["D1"] * 100,
                "application": ["MAP"] * 100,
                "action": ["view"] * 100,
            }
        ),
        path,
    )
    damaged = bytearray(path.read_bytes())
    damaged[8:40] = bytes(b ^ 0xFF for b in damaged[8:40])  # the first page's header
    path.write_bytes(bytes(damaged))
    summary = run(folder)
    refused = report(summary, "consultations.parquet").refused
    assert refused is not None and "fichier illisible" in refused.reason
    assert ConsultLog(get_settings().log_dir).count() == 0


def test_warehouse_snapshots_follow_the_database(engine: Engine, tmp_path: Path) -> None:
    run(f.good_directory(tmp_path / "in"))
    wh = Warehouse.from_settings(get_settings())
    con = duckdb.connect()
    agents = con.execute(
        f"SELECT agent_id, birth_name, hired_on FROM read_parquet('{wh.table_path('agents')}') ORDER BY 1"
    ).fetchall()
    assert agents[0] == ("AG1", "Dupont", date(2010, 1, 4))
    assert pq.ParquetFile(wh.table_path("agents")).metadata.num_row_groups == 1  # written in chunks
    types = dict(
        con.execute(f"DESCRIBE SELECT * FROM read_parquet('{wh.table_path('calls')}')").fetchall()[
            i
        ][:2]
        for i in range(5)
    )
    assert types["started_at"] == "TIMESTAMP WITH TIME ZONE"
    (ts,) = con.execute(
        f"SELECT started_at FROM read_parquet('{wh.table_path('calls')}') WHERE call_id = 'C1'"
    ).fetchone() or (None,)
    assert ts == datetime(2024, 4, 2, 8, 0, tzinfo=UTC)
    (msa,) = con.execute(
        f"SELECT typeof(msa_experiment) FROM read_parquet('{wh.table_path('agencies')}') LIMIT 1"
    ).fetchone() or (None,)
    assert msa == "BOOLEAN"
    assert {p.name for p in wh.root.glob("*.parquet")} == {
        f"{t}.parquet"
        for t in (
            "establishments",
            "agencies",
            "agents",
            "job_seekers",
            "protected_persons",
            "appointments",
            "calls",
            "tasks",
        )
    }
    with engine.connect() as c:
        assert c.execute(select(func.count()).select_from(JobSeeker)).scalar_one() == 2


def test_a_broken_parquet_file_is_refused_and_the_rest_loads(
    engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    f.write(folder, "establishments", f.ESTABLISHMENTS)
    (folder / "agencies.parquet").write_bytes(b"PAR1 this is not parquet")
    f.write(folder, "agencies", f.AGENCIES)
    summary = run(folder)
    broken = report(summary, "agencies.parquet")
    assert broken.refused is not None and "Parquet illisible" in broken.refused.reason
    assert report(summary, "agencies.csv").rows_loaded == 2
    assert not summary.ok
    assert (
        broken.rejects_path is not None
        and broken.rejects_path.name == "agencies.parquet.rejects.csv"
    )
    assert broken.rejects_path.exists()


def test_strict_and_soft_references(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    f.write(folder, "establishments", f.ESTABLISHMENTS)
    f.write(folder, "agencies", f.AGENCIES)
    f.write(
        folder,
        "agents",
        [
            *f.AGENTS,
            ["AG8", "Noir", "", "Eve", "", "F", "DR76", "A99", "gdd", "", "", ""],  # unknown agency
            [
                "AG9",
                "Vert",
                "",
                "Léo",
                "",
                "M",
                "DR99",
                "",
                "gdd",
                "",
                "",
                "",
            ],  # unknown establishment
        ],
    )
    f.write(
        folder,
        "job_seekers",
        [
            *f.JOB_SEEKERS,  # D2's referent AGX is unknown: kept, counted
            ["D3", "Roy", "", "Max", "", "M", "31", "", "A99", "", "", ""],  # unknown agency
        ],
    )
    summary = run(folder)
    agents = report(summary, "agents.csv")
    assert [(i.line, i.column) for i in agents.issues] == [
        (5, "agency_id"),
        (6, "establishment_id"),
    ]
    seekers = report(summary, "job_seekers.csv")
    assert (seekers.rows_loaded, seekers.rows_rejected, seekers.unresolved_refs) == (2, 1, 1)
    assert seekers.issues[0].column == "agency_id"


def test_a_snapshot_left_stale_by_a_crash_is_rewritten(engine: Engine, tmp_path: Path) -> None:
    run(f.good_directory(tmp_path / "in"))
    # What a kill between the commit of agents and the snapshot rewrite leaves behind.
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO agents (agent_id, last_name, first_names, establishment_id, job) "
                "VALUES ('AG9', 'Neuf', 'Nina', 'DR76', 'gdd')"
            )
        )
        c.execute(
            text(
                "INSERT INTO import_batches (batch_id, file_name, file_sha256, table_name, "
                "started_at, finished_at, rows_read, rows_loaded, rows_rejected, unresolved_refs) "
                "VALUES ('agents-x', 'agents.csv', 'x', 'agents', :t, :t, 1, 1, 0, 0)"
            ),
            {"t": datetime(2100, 1, 1, tzinfo=UTC)},
        )
    (tmp_path / "empty").mkdir()
    summary = run(tmp_path / "empty")
    assert list(summary.snapshots) == ["agents"]
    wh = Warehouse.from_settings(get_settings())
    assert pq.read_table(wh.table_path("agents")).num_rows == 4
    assert run(tmp_path / "empty").snapshots == {}
