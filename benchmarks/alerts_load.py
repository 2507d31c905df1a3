"""The alert application under load: 100k controls in the database, 20 concurrent logged-in alert users
(managers, regional correspondents, national team, all through password + TOTP) looping over the inbox and
the steering dashboard. Prints throughput, latency percentiles per page, the server's peak memory and the
load average. Goal: p95 <= 200 ms for both pages, on SQLite and on PostgreSQL.

    PYTHONPATH=src python benchmarks/alerts_load.py [--controls 100000] [--users 20] [--seconds 30]
                                                    [--database-url postgresql+psycopg://...] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert
from web_load import free_port, pct, peak_rss_mib

from parcours.accounts import service
from parcours.accounts.roles import Role
from parcours.accounts.totp import current_code
from parcours.config import reset_settings_cache
from parcours.controls.models import Campaign, Control
from parcours.db import make_engine, session_scope
from parcours.migrate import upgrade
from parcours.registry.models import Agency, Agent, Establishment
from parcours.web.testing import TEST_PASSWORD, csrf_token_from, shared_password_hash

SRC = Path(__file__).resolve().parents[1] / "src"
SCENARIOS = ["w2_current_agents", "w2_ex_agents", "w2_elected_candidates", "w1_political_personalities",
             "w1_agents_former_job_seekers", "w2_off_hours", "unexplained_access"]  # fmt: skip
STATES = ["pre_examination"] * 4 + ["interview"] * 2 + ["finding"] + ["closed"] * 5
OUTCOMES = ["false_positive"] * 6 + ["proven", "not_proven", "not_proven", "indeterminate"]


def seed(url: str, *, controls: int, users: int, prefix: str = "") -> list[tuple[str, str | None]]:
    """`prefix` namespaces agency ids and logins, so that this seed can share a database with another."""
    rng = random.Random(5)
    engine = make_engine(url)
    upgrade(engine)
    establishments = [f"DR-{i:02d}" for i in range(13)]
    agencies = [(f"{prefix}AG{i:03d}", establishments[i % 13]) for i in range(60)]
    agents = [(f"A{i:05d}", *agencies[i % 60]) for i in range(6000)]
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with engine.begin() as c:
        c.execute(
            insert(Establishment),
            [
                {"establishment_id": e, "name": e, "kind": "DR", "region_code": e[-2:]}
                for e in establishments
            ],
        )
        c.execute(
            insert(Agency),
            [
                {
                    "agency_id": a,
                    "name": a,
                    "establishment_id": e,
                    "department_code": "31",
                    "msa_experiment": False,
                }
                for a, e in agencies
            ],
        )
        c.execute(insert(Agent), [
            {"agent_id": a, "last_name": "AGENT", "birth_name": None, "first_names": "Test", "birth_date": date(1980, 1, 1),
             "sex": "F", "establishment_id": e, "agency_id": ag, "job": rng.choice(["conseiller", "gdd", "manager"]),
             "hired_on": date(2000 + rng.randrange(26), 1, 1), "left_on": None, "work_pattern": None}
            for a, ag, e in agents
        ])  # fmt: skip
        c.execute(insert(Campaign), [{"campaign_id": 1, "name": "Charge", "period_start": date(2026, 1, 1), "period_end": date(2026, 5, 31),
                                       "scenarios": SCENARIOS, "levels": ["mandatory", "optional"], "mode": "campaign",
                                       "launched_by": "bench", "launched_at": now, "alerts_received": controls,
                                       "controls_created": controls, "controls_updated": 0}])  # fmt: skip
        rows = []
        for n in range(controls):
            agent, agency, est = agents[rng.randrange(len(agents))]
            created = now - timedelta(days=rng.randrange(150), minutes=rng.randrange(1440))
            state = rng.choice(STATES)
            rows.append({
                "campaign_id": 1, "establishment_id": est, "agency_id": agency, "agent_id": agent, "de_id": f"DE{n:08d}",
                "scenarios": [rng.choice(SCENARIOS)], "main_scenario": rng.choice(SCENARIOS),
                "level": "mandatory" if rng.random() < 0.3 else "optional", "score": rng.uniform(20, 100),
                "match_probability": rng.random(), "reasons": ["Aucun contexte"], "alert_ids": [f"al-{n}"],
                "first_seen": created - timedelta(days=5), "last_seen": created, "consultations": rng.randrange(1, 20),
                "state": state, "step_due_on": (created + timedelta(days=15)).date(), "assignee": None,
                "outcome": rng.choice(OUTCOMES) if state == "closed" else None, "closing_reason": None,
                "created_at": created, "updated_at": created,
                "closed_at": created + timedelta(days=rng.randrange(1, 40)) if state == "closed" else None,
                "data": {}, "version": 1,
            })  # fmt: skip
            if len(rows) == 5000:
                c.execute(insert(Control), rows)
                rows = []
        if rows:
            c.execute(insert(Control), rows)
    plan: list[tuple[Role, str, str | None]] = []
    for u in range(users):
        kind = u % 10
        agency, est = agencies[u % 60]
        if kind < 5:
            plan.append((Role.MANAGER, est, agency))
        elif kind < 8:
            plan.append((Role.CORRESPONDANT, est, None))
        else:
            plan.append((Role.NATIONAL, est, None))
    created_users: list[tuple[str, str | None]] = []
    with session_scope(engine) as s:
        for u, (role, est, agency) in enumerate(plan):
            user = service.create_user(
                s, login=f"{prefix}bench-{u:02d}", display_name=f"bench {u}", role=role, establishment_id=est,
                agency_id=agency, agent_id=None, password=None, password_hash=shared_password_hash(),
            )  # fmt: skip
            created_users.append((user.login, user.totp_secret))
    engine.dispose()
    return created_users


async def user_loop(
    base: str,
    login: str,
    secret: str | None,
    until: float,
    out: dict[str, list[float]],
    think: float = 0.0,
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=True) as c:
        token = csrf_token_from((await c.get("/connexion")).text)
        r = await c.post(
            "/connexion", data={"login": login, "password": TEST_PASSWORD, "csrf_token": token}
        )
        if secret:
            token = csrf_token_from(r.text)
            r = await c.post(
                "/connexion/code", data={"code": current_code(secret), "csrf_token": token}
            )
        assert r.status_code == 200 and "/connexion" not in str(r.url), f"login failed for {login}"
        while time.monotonic() < until:
            for page, url in (("inbox", "/alertes"), ("dashboard", "/pilotage")):
                t = time.perf_counter()
                r = await c.get(url)
                out[page].append((time.perf_counter() - t) * 1000)
                if r.status_code != 200:
                    out["errors"].append(float(r.status_code))
                if think:
                    await asyncio.sleep(think)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--controls", type=int, default=100_000)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--database-url", default=None)
    ap.add_argument(
        "--think", type=float, default=0.0, help="seconds a user waits between two pages"
    )
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="parcours-alerts-"))
    url = args.database_url or f"sqlite:///{home / 'parcours.db'}"
    os.environ.update(
        {"PARCOURS_HOME": str(home), "DATABASE_URL": url, "PARCOURS_MODE": "development"}
    )
    reset_settings_cache()
    t = time.perf_counter()
    users = seed(url, controls=args.controls, users=args.users)
    print(
        f"seeded {args.controls:,} controls in {time.perf_counter() - t:.1f} s ({url.split(':')[0]})"
    )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "parcours", "serve", "--port", str(port), "--workers", str(args.workers), "--no-watch"],
        env=os.environ | {"PYTHONPATH": str(SRC)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        out: dict[str, list[float]] = {"inbox": [], "dashboard": [], "errors": []}
        until = time.monotonic() + args.seconds
        started = time.monotonic()
        asyncio.run(_gather(base, users, until, out, args.think))
        elapsed = time.monotonic() - started
        print(
            f"\n== alert application, {args.users} users, {args.workers} workers, {args.controls:,} controls, think {args.think} s =="
        )
        print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()}")
        total = len(out["inbox"]) + len(out["dashboard"])
        print(
            f"throughput {total / elapsed:.1f} pages/s over {elapsed:.0f} s; errors {len(out['errors'])}"
        )
        for page in ("inbox", "dashboard"):
            v = out[page]
            print(
                f"{page:10s} n={len(v):5d}  p50 {pct(v, 50):7.1f} ms  p95 {pct(v, 95):7.1f} ms  p99 {pct(v, 99):7.1f} ms"
            )
        print(f"server master peak RSS {peak_rss_mib(server.pid):.0f} MiB")
    finally:
        server.terminate()
        server.wait(timeout=20)


async def _gather(
    base: str,
    users: list[tuple[str, str | None]],
    until: float,
    out: dict[str, list[float]],
    think: float,
) -> None:
    await asyncio.gather(
        *(user_loop(base, login, secret, until, out, think) for login, secret in users)
    )


if __name__ == "__main__":
    main()
