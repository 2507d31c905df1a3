"""Bounded load on loopback: 20 concurrent logged-in users on the file view and on a list page.

Creates a demo-like region in a scratch PARCOURS_HOME (SQLite by default, or --database-url for
PostgreSQL), starts `parcours serve` as a separate process on a free loopback port, logs 20 counsellors
in through the real routes, then each user loops for --seconds over: open a file of their portfolio
(a logged consultation: one row recorded in the request's transaction, flushed to the log in
batches) and search a name (the results list). Prints throughput, latency percentiles per page, the
server's peak memory and the load average.

    PYTHONPATH=src python benchmarks/web_load.py [--users 20] [--seconds 30] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from parcours.accounts import service
from parcours.accounts.roles import Role
from parcours.config import reset_settings_cache
from parcours.db import make_engine, session_scope
from parcours.migrate import upgrade
from parcours.registry.models import (
    Agency,
    Agent,
    Appointment,
    Call,
    Establishment,
    JobSeeker,
    Task,
)
from parcours.web.testing import TEST_PASSWORD, csrf_token_from, shared_password_hash

SRC = Path(__file__).resolve().parents[1] / "src"
LAST_NAMES = [
    "MARTIN",
    "BERNARD",
    "THOMAS",
    "PETIT",
    "ROBERT",
    "RICHARD",
    "DURAND",
    "DUBOIS",
    "MOREAU",
    "LAURENT",
    "SIMON",
    "MICHEL",
    "LEFEBVRE",
    "LEROY",
    "ROUX",
    "DAVID",
    "BERTRAND",
    "MOREL",
    "FOURNIER",
    "GIRARD",
    "BONNET",
    "DUPONT",
    "LAMBERT",
    "FONTAINE",
]
FIRST_NAMES = [
    "Marie",
    "Jean",
    "Pierre",
    "Michel",
    "Anne",
    "Sophie",
    "Nicolas",
    "Julie",
    "Paul",
    "Camille",
    "Louis",
    "Emma",
    "Léa",
    "Hugo",
    "Chloé",
    "Lucas",
    "Inès",
    "Nathalie",
]


def seed(
    url: str, *, job_seekers: int, agencies: int, counsellors_per_agency: int, users: int = 20
) -> list[tuple[str, list[str]]]:
    """The region, and `users` benchmark counsellors with their portfolios: [(login, [de_id...])]."""
    rng = random.Random(7)
    engine = make_engine(url)
    upgrade(engine)
    agents: list[tuple[str, str]] = []
    with engine.begin() as c:
        c.execute(
            insert(Establishment),
            [
                {
                    "establishment_id": "DR-76",
                    "name": "DR Occitanie",
                    "kind": "DR",
                    "region_code": "76",
                }
            ],
        )
        c.execute(
            insert(Agency),
            [
                {
                    "agency_id": f"AG{i:03d}",
                    "name": f"Agence {i}",
                    "establishment_id": "DR-76",
                    "department_code": "31",
                    "msa_experiment": i % 5 == 0,
                }
                for i in range(agencies)
            ],
        )
        rows = []
        for i in range(agencies):
            for k in range(counsellors_per_agency):
                aid = f"A{i:03d}{k:03d}"
                agents.append((aid, f"AG{i:03d}"))
                rows.append(
                    {
                        "agent_id": aid,
                        "last_name": rng.choice(LAST_NAMES),
                        "birth_name": None,
                        "first_names": rng.choice(FIRST_NAMES),
                        "birth_date": date(1980, 1, 1),
                        "sex": "F",
                        "establishment_id": "DR-76",
                        "agency_id": f"AG{i:03d}",
                        "job": "conseiller",
                        "hired_on": date(2010, 1, 1),
                        "left_on": None,
                        "work_pattern": None,
                    }
                )
        c.execute(insert(Agent), rows)
        js, appts, calls, tasks = [], [], [], []
        t0 = datetime(2025, 1, 6, 9, tzinfo=UTC)
        for n in range(job_seekers):
            aid, agency = agents[n % len(agents)]
            de = f"DE{n:07d}"
            js.append(
                {
                    "de_id": de,
                    "last_name": rng.choice(LAST_NAMES),
                    "birth_name": None,
                    "first_names": rng.choice(FIRST_NAMES),
                    "birth_date": date(1960 + n % 45, 1 + n % 12, 1 + n % 28),
                    "sex": "MF"[n % 2],
                    "department_code": "31",
                    "commune_code": "31555",
                    "agency_id": agency,
                    "referent_agent_id": aid,
                    "registered_on": date(2025, 1, 6),
                    "deregistered_on": None,
                }
            )
            for j in range(2):
                appts.append(
                    {
                        "appointment_id": f"R{n}-{j}",
                        "de_id": de,
                        "agent_id": aid,
                        "starts_at": t0 + timedelta(days=rng.randrange(300), hours=j),
                        "kind": "DPA",
                        "status": "done",
                    }
                )
            calls.append(
                {
                    "call_id": f"C{n}",
                    "de_id": de,
                    "agent_id": agents[rng.randrange(len(agents))][0],
                    "started_at": t0 + timedelta(days=rng.randrange(300)),
                    "ended_at": None,
                }
            )
            tasks.append(
                {
                    "task_id": f"T{n}",
                    "de_id": de,
                    "agent_id": aid,
                    "closed_at": None,
                    "kind": "courrier",
                    "created_at": t0 + timedelta(days=rng.randrange(300)),
                }
            )
        for table, data in ((JobSeeker, js), (Appointment, appts), (Call, calls), (Task, tasks)):
            for i in range(0, len(data), 5000):
                c.execute(insert(table), data[i : i + 5000])
    bench_users: list[tuple[str, list[str]]] = []
    with session_scope(engine) as s:
        for u in range(users):
            aid, agency = agents[u * 7 % len(agents)]
            login = f"bench-{u:02d}"
            service.create_user(
                s,
                login=login,
                display_name=login,
                role=Role.CONSEILLER,
                establishment_id="DR-76",
                agency_id=agency,
                agent_id=aid,
                password=None,
                password_hash=shared_password_hash(),
            )
            portfolio = [r["de_id"] for r in js if r["referent_agent_id"] == aid]
            bench_users.append((login, portfolio))
    engine.dispose()
    return bench_users


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_tree(pid: int) -> list[int]:
    """The server and its worker processes (uvicorn --workers N forks them)."""
    pids = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            pids.append(int(stat.parent.name))
    return pids


def tree_cpu_seconds(pid: int) -> float:
    return sum(cpu_seconds(p) for p in process_tree(pid))


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process: the server's own CPU, less sensitive to other load than latency."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def user_loop(
    base: str,
    login: str,
    portfolio: list[str],
    window: dict[str, float],
    barrier: asyncio.Barrier,
    think: float,
    out: dict[str, list[float]],
    rng: random.Random,
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=True) as c:
        token = csrf_token_from((await c.get("/connexion")).text)
        r = await c.post(
            "/connexion", data={"login": login, "password": TEST_PASSWORD, "csrf_token": token}
        )
        assert r.status_code == 200, f"login failed for {login}: {r.status_code}"
        # Everybody logged in (argon2 is slow on purpose) before the measured window opens.
        if await barrier.wait() == 0:
            window["cpu_start"] = tree_cpu_seconds(int(window["server_pid"]))
            window["start"] = time.monotonic()
            window["end"] = window["start"] + window["seconds"]
        while time.monotonic() < window["end"]:
            for page, url in (
                ("file view", f"/dossiers/{rng.choice(portfolio)}"),
                ("search list", f"/dossiers?q={rng.choice(LAST_NAMES)[:3]}"),
            ):
                t = time.perf_counter()
                r = await c.get(url)
                out[page].append((time.perf_counter() - t) * 1000)
                if r.status_code != 200:
                    out.setdefault("errors", []).append(r.status_code)
                if think:
                    await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))


def pct(values: list[float], p: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]
        if len(values) > 1
        else values[0]
    )


async def run_load(
    base: str, users: list[tuple[str, list[str]]], seconds: float, think: float, server_pid: int
) -> tuple[dict[str, list[float]], float, float]:
    """Latencies per page, the measured window's length and the server's CPU seconds in it."""
    out: dict[str, list[float]] = {"file view": [], "search list": []}
    window = {"seconds": seconds, "start": 0.0, "end": float("inf"), "server_pid": server_pid}
    barrier = asyncio.Barrier(len(users))
    rng = random.Random(11)
    await asyncio.gather(
        *(
            user_loop(base, login, pf, window, barrier, think, out, random.Random(rng.random()))
            for login, pf in users
        )
    )
    elapsed = time.monotonic() - window["start"]
    return out, elapsed, tree_cpu_seconds(server_pid) - window["cpu_start"]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--job-seekers", type=int, default=50_000)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds each user waits between two pages (0: back-to-back requests)",
    )
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="parcours-bench-"))
    url = args.database_url or f"sqlite:///{home / 'parcours.db'}"
    os.environ.update(
        {"PARCOURS_HOME": str(home), "DATABASE_URL": url, "PARCOURS_MODE": "development"}
    )
    reset_settings_cache()
    t = time.perf_counter()
    users = seed(url, job_seekers=args.job_seekers, agencies=20, counsellors_per_agency=20)[
        : args.users
    ]
    print(
        f"seeded {args.job_seekers} job seekers, {2 * args.job_seekers} appointments in {time.perf_counter() - t:.1f} s"
    )

    port = free_port()
    env = os.environ | {"PYTHONPATH": str(SRC)}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "parcours",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        load_before = os.getloadavg()
        out, elapsed, cpu_used = asyncio.run(
            run_load(base, users, args.seconds, args.think, server.pid)
        )
        load_after = os.getloadavg()
        rss = sum(peak_rss_mib(p) for p in process_tree(server.pid))
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)  # the scratch region and its consultation log
    total = sum(len(v) for k, v in out.items() if k != "errors")
    db = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(
        f"{args.users} concurrent users, {db}, {args.workers} uvicorn worker(s), think time "
        f"{args.think:.1f} s, measured window {elapsed:.0f} s (after all logins)"
    )
    print(f"throughput: {total / elapsed:.1f} requests/s, errors: {len(out.get('errors', []))}")
    for page in ("file view", "search list"):
        v = out[page]
        print(
            f"{page:12s} n={len(v):6d}  p50={pct(v, 50):7.1f} ms  p95={pct(v, 95):7.1f} ms  "
            f"p99={pct(v, 99):7.1f} ms  max={max(v):7.1f} ms"
        )
    print(
        f"server CPU: {cpu_used:.1f} s, {cpu_used / max(total, 1) * 1000:.1f} ms per request "
        "(measured window only)"
    )
    client_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"server peak RSS (sum over processes): {rss:.0f} MiB; client peak RSS: {client_rss:.0f} MiB"
    )
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (2 cores shared)")


if __name__ == "__main__":
    main()
