"""Import throughput: consultations from Parquet and CSV, and reference tables.

Generates the files itself (DuckDB, deterministic), imports each into a fresh PARCOURS_HOME in a
child process, and prints rows/s and the child's peak RSS. Usage:

    python benchmarks/import_throughput.py [--rows 5000000] [--seekers 400000] [--work DIR]

Goals (issue 2): >= 1M consultation rows/s from Parquet, >= 300k rows/s from CSV, peak <= 2 GB.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]

CONSULTATIONS = """
SELECT 'ev-' || i AS event_id,
       strftime(TIMESTAMP '2024-04-01 07:00:00' + to_seconds((i * 7919) % 7776000), '%Y-%m-%dT%H:%M:%S')
         AS ts,
       'AG' || (i % 5000) AS agent_id, 'D' || ((i * 104729) % 400000) AS de_id,
       CASE WHEN i % 3 = 0 THEN 'AUDE' ELSE 'MAP' END AS application,
       CASE WHEN i % 10 = 0 THEN 'edit' ELSE 'view' END AS action
FROM range({n}) t(i)
"""

REFERENCE = {
    "establishments": "SELECT 'DR76' AS establishment_id, 'DR Occitanie' AS name, 'DR' AS kind, "
    "'76' AS region_code",
    "agencies": "SELECT 'A' || i AS agency_id, 'Agence ' || i AS name, 'DR76' AS establishment_id, "
    "'31' AS department_code, CASE WHEN i % 4 = 0 THEN 'true' ELSE 'false' END AS msa_experiment "
    "FROM range(100) t(i)",
    "agents": "SELECT 'AG' || i AS agent_id, 'Nom' || i AS last_name, '' AS birth_name, "
    "'Prénom' AS first_names, '1980-01-01' AS birth_date, 'F' AS sex, 'DR76' AS establishment_id, "
    "'A' || (i % 100) AS agency_id, 'conseiller' AS job, '2010-01-01' AS hired_on, '' AS left_on, "
    "CASE WHEN i % 3 = 0 THEN '' ELSE 'mon-fri 08:30-12:30,13:30-17:00' END AS work_pattern "
    "FROM range(5000) t(i)",
    "job_seekers": "SELECT 'D' || i AS de_id, 'Nom' || (i % 9000) AS last_name, '' AS birth_name, "
    "'Prénom Second' AS first_names, '1990-01-01' AS birth_date, 'M' AS sex, '31' AS department_code, "
    "'31555' AS commune_code, 'A' || (i % 100) AS agency_id, 'AG' || (i % 5000) AS referent_agent_id, "
    "'2024-01-02' AS registered_on, '' AS deregistered_on FROM range({seekers}) t(i)",
}


def generate(work: Path, rows: int, seekers: int, runs: set[str]) -> dict[str, Path]:
    con = duckdb.connect(config={"memory_limit": "1GB", "threads": 2})
    dirs = {name: work / name for name in ("parquet", "csv", "reference")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    query = CONSULTATIONS.format(n=rows)
    con.execute(f"COPY ({query}) TO '{dirs['parquet'] / 'consultations.parquet'}' (FORMAT parquet)")
    con.execute(f"COPY ({query}) TO '{dirs['csv'] / 'consultations.csv'}' (HEADER)")
    for name, sql in REFERENCE.items():
        con.execute(
            f"COPY ({sql.format(seekers=seekers)}) TO '{dirs['reference'] / name}.csv' (HEADER)"
        )
    con.close()
    return dirs


def run_import(
    folder: Path, home: Path, database_url: str | None = None
) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds, child peak RSS in MiB, exit status of `parcours import`.

    CPU seconds are the child's own; with PostgreSQL the server's work is not included.
    """
    env = {**os.environ, "PARCOURS_HOME": str(home), "PYTHONPATH": str(ROOT / "src")}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "parcours", "import", str(folder), "--no-progress"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime - cpu_before
    if proc.returncode != 0:
        print(proc.stdout)
    # ru_maxrss of children is the maximum over all children so far: runs go from small to large.
    return seconds, cpu, max(peak, before) / 1024, proc.returncode


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text

    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def ref_rows_label(seekers: int) -> str:
    return f"1 establishment, 100 agencies, 5,000 agents, {seekers:,} job seekers"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=5_000_000, help="consultation rows")
    parser.add_argument("--seekers", type=int, default=400_000, help="job seekers (region scale)")
    parser.add_argument(
        "--work", type=Path, default=None, help="scratch folder (default: a temp dir)"
    )
    parser.add_argument(
        "--runs", default="reference,parquet,csv", help="comma-separated: reference,parquet,csv"
    )
    parser.add_argument(
        "--postgres",
        default=None,
        help="admin URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test): also import the "
        "reference tables into a scratch PostgreSQL database",
    )
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="parcours-bench-"))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()}")
    t = time.perf_counter()
    runs = set(args.runs.split(","))
    dirs = generate(work, args.rows, args.seekers, runs)
    print(f"generated in {time.perf_counter() - t:.1f}s under {work}")
    sizes = {k: sum(p.stat().st_size for p in v.iterdir()) / 2**20 for k, v in dirs.items()}
    print(f"consultations spread over 90 days; reference = {ref_rows_label(args.seekers)}")
    ref_rows = 1 + 100 + 5000 + args.seekers
    print(
        f"{'run':<28}{'rows':>12}{'MiB':>8}{'wall s':>9}{'rows/s':>12}{'CPU s':>8}"
        f"{'rows/CPU-s':>12}{'peak RSS MiB':>14}"
    )
    for label, folder, rows in [
        ("reference tables (SQLite)", dirs["reference"], ref_rows),
        ("consultations Parquet", dirs["parquet"], args.rows),
        ("consultations CSV", dirs["csv"], args.rows),
    ]:
        if folder.name not in runs:
            continue
        home = work / f"home-{folder.name}"
        shutil.rmtree(home, ignore_errors=True)
        seconds, cpu, peak, status = run_import(folder, home)
        flag = "" if status == 0 else f"  (exit {status})"
        print(
            f"{label:<28}{rows:>12,}{sizes[folder.name]:>8.0f}{seconds:>9.2f}{rows / seconds:>12,.0f}"
            f"{cpu:>8.2f}{rows / cpu:>12,.0f}{peak:>14,.0f}{flag}"
        )
    if args.postgres and "reference" in runs:
        with scratch_database(args.postgres) as url:
            seconds, cpu, peak, status = run_import(dirs["reference"], work / "home-pg", url)
        flag = "" if status == 0 else f"  (exit {status})"
        label = "reference tables (PostgreSQL)"
        print(
            f"{label:<28}{ref_rows:>12,}{sizes['reference']:>8.0f}{seconds:>9.2f}"
            f"{ref_rows / seconds:>12,.0f}{cpu:>8.2f}{ref_rows / cpu:>12,.0f}{peak:>14,.0f}{flag}"
        )
    print(f"load average after: {os.getloadavg()}")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
