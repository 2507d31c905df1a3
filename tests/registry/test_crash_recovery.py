"""kill -9 in the middle of `parcours import`, then a re-run: nothing half-loaded, exact counts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import Engine, create_engine, text, update

from parcours.config import get_settings
from parcours.consultlog.store import ConsultLog
from parcours.registry.importer import import_directory
from parcours.registry.models import ImportBatch

from . import files as f

ROOT = Path(__file__).resolve().parents[2]
JOB_SEEKERS = 30_000
CONSULTATION_FILES = 3
EVENTS_PER_FILE = 100_000


def big_directory(folder: Path) -> Path:
    f.write(folder, "establishments", f.ESTABLISHMENTS)
    f.write(folder, "agencies", f.AGENCIES)
    f.write(folder, "agents", f.AGENTS)
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT 'D' || i AS de_id, 'Nom' || i AS last_name, '' AS birth_name, 'Prénom' AS first_names, "
        "'1990-01-01' AS birth_date, 'F' AS sex, '31' AS department_code, '31555' AS commune_code, "
        "'A31' AS agency_id, 'AG1' AS referent_agent_id, '2024-01-02' AS registered_on, "
        f"'' AS deregistered_on FROM range({JOB_SEEKERS}) t(i)) TO '{folder / 'job_seekers.csv'}' (HEADER)"
    )
    (folder / "consultations").mkdir()
    for n in range(CONSULTATION_FILES):
        con.execute(
            f"COPY (SELECT 'ev{n}-' || i AS event_id, "
            "strftime(TIMESTAMP '2024-04-01 08:00:00' + to_seconds(i * 37 % 7776000), '%Y-%m-%dT%H:%M:%S') AS ts, "
            "'AG' || (i % 3 + 1) AS agent_id, 'D' || (i % 50000) AS de_id, 'MAP' AS application, "
            f"'view' AS action FROM range({EVENTS_PER_FILE}) t(i)) "
            f"TO '{folder / 'consultations' / f'part{n}.csv'}' (HEADER)"
        )
    con.close()
    return folder


def batches(url: str) -> list[tuple[str, bool]]:
    eng = create_engine(url)
    try:
        with eng.connect() as c:
            rows = c.execute(
                text("SELECT table_name, finished_at IS NOT NULL FROM import_batches")
            ).all()
            return [(r[0], bool(r[1])) for r in rows]
    except Exception:
        return []  # schema not created yet
    finally:
        eng.dispose()


def start_import(folder: Path, url: str, home: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PARCOURS_HOME": str(home),
        "PYTHONPATH": str(ROOT / "src"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "parcours", "import", str(folder), "--no-progress"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_when(
    proc: subprocess.Popen[bytes], url: str, home: Path, ready: str, timeout: float = 120
) -> None:
    staging = home / "log" / "consultations" / ".staging"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready == "log" and any(staging.glob("*/day=*")):
            break  # DuckDB is writing a consultation batch into the log's staging folder
        state = batches(url)
        if ready == "reference" and ("agents", True) in state:
            break  # the job seekers' transaction comes next
        if proc.poll() is not None:
            pytest.fail("the import ended before it could be killed")
        time.sleep(0.02)
    else:
        pytest.fail("the import never reached the kill point")
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.mark.slow
@pytest.mark.parametrize("kill_point", ["reference", "log"])
def test_kill_9_then_rerun_completes_exactly(
    engine: Engine, db_url: str, parcours_home: Path, tmp_path: Path, kill_point: str
) -> None:
    folder = big_directory(tmp_path / "in")
    proc = start_import(folder, db_url, parcours_home)
    kill_when(proc, db_url, parcours_home, kill_point)
    with engine.connect() as c:
        seekers = c.execute(text("SELECT count(*) FROM job_seekers")).scalar_one()
    assert seekers in (0, JOB_SEEKERS)  # one transaction per file: all or nothing

    summary = import_directory(folder, settings=get_settings(), progress=False)
    assert summary.ok
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM job_seekers")).scalar_one() == JOB_SEEKERS
        assert c.execute(text("SELECT count(*) FROM agents")).scalar_one() == 3
    log = ConsultLog(get_settings().log_dir)
    con = duckdb.connect()
    total, distinct = con.execute(
        f"SELECT count(*), count(DISTINCT event_id) FROM {log.relation_sql()}"
    ).fetchall()[0]
    assert total == distinct == CONSULTATION_FILES * EVENTS_PER_FILE
    assert all(done for _, done in batches(db_url))
    assert not (log.root / ".staging").exists() or not any((log.root / ".staging").iterdir())


def test_rerun_discards_the_files_of_an_unfinished_batch(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    f.write(folder, "consultations", f.CONSULTATIONS)
    first = import_directory(folder, settings=get_settings(), progress=False)
    (cons,) = first.files
    log = ConsultLog(get_settings().log_dir)
    # What a kill during the log write leaves: a batch without an end and a stray file of it.
    stray = next(log.root.glob(f"day=*/{cons.batch_id}_*.parquet"))
    stray.with_name(f"{cons.batch_id}_99.parquet").write_bytes(stray.read_bytes())
    with engine.begin() as c:
        c.execute(
            update(ImportBatch)
            .where(ImportBatch.batch_id == cons.batch_id)
            .values(finished_at=None)
        )
    assert log.count() > len(f.CONSULTATIONS)
    (again,) = import_directory(folder, settings=get_settings(), progress=False).files
    assert again.rows_loaded == len(f.CONSULTATIONS)
    assert log.count() == len(f.CONSULTATIONS)
