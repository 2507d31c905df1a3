"""The whole application on PostgreSQL, as deployed: `parcours serve --workers N --no-watch` plus the
watcher as its own process (`parcours watch`), on loopback, under 20, 50 and 100 concurrent logged-in
users. Counsellors open files of their portfolio and search names (`web_load` helpers); managers,
regional correspondents and the national team (password + TOTP) loop over the alert inbox and the
steering dashboard (`alerts_load` helpers). Each level runs for a bounded window after every user has
logged in. Prints throughput and p50/p95/p99 per page, the server's peak memory (sum over its
processes) and the load average.

    PYTHONPATH=src python benchmarks/prod_load.py [--users 20,50,100] [--seconds 30] [--workers 4]
        [--job-seekers 50000] [--controls 100000] [--pg-admin postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import alerts_load
import httpx
import web_load
from sqlalchemy import create_engine, text

from parcours.config import reset_settings_cache

SRC = Path(__file__).resolve().parents[1] / "src"
COUNSELLOR_SHARE = 0.6  # the rest are alert users; each level is split the same way
WEB_PAGES = ("file view", "search list")
ALERT_PAGES = ("inbox", "dashboard")


class Timed(list[float]):
    """A latency list that also keeps when each request completed, so that every user group is measured
    over the same window even though the helpers' loops log in and stop on their own schedule."""

    def __init__(self) -> None:
        super().__init__()
        self.at: list[float] = []

    def append(self, value: float) -> None:
        self.at.append(time.monotonic())
        super().append(value)


def _new_out(pages: tuple[str, ...]) -> dict[str, list[float]]:
    return {page: Timed() for page in (*pages, "errors")}


async def _run_level(
    base: str,
    counsellors: list[tuple[str, list[str]]],
    alert_users: list[tuple[str, str | None]],
    *,
    seconds: float,
    login_allowance: float,
    server_pid: int,
) -> tuple[dict[str, list[float]], int, float, float]:
    """Per-page latencies of the requests completed inside the common window, errors, window length,
    and the server's CPU seconds over the level."""
    cpu_before = web_load.tree_cpu_seconds(server_pid)
    until = time.monotonic() + login_allowance + seconds
    # web_load's loop measures `seconds` after its own barrier; stretch it so it never stops first.
    window = {"seconds": login_allowance + seconds, "start": 0.0, "end": float("inf"),
              "server_pid": server_pid}  # fmt: skip
    barrier = asyncio.Barrier(len(counsellors))
    rng = random.Random(11)
    web_outs = [_new_out(WEB_PAGES) for _ in counsellors]
    alert_outs = [_new_out(ALERT_PAGES) for _ in alert_users]
    dropped: list[str] = []
    await asyncio.gather(
        *(
            _guard(web_load.user_loop(base, login, pf, window, barrier, 0.0, out,
                                      random.Random(rng.random())), login, dropped)
            for (login, pf), out in zip(counsellors, web_outs, strict=True)
        ),
        *(
            _guard(alerts_load.user_loop(base, login, secret, until, out), login, dropped)
            for (login, secret), out in zip(alert_users, alert_outs, strict=True)
        ),
    )  # fmt: skip
    if dropped:
        print(f"  users stopped by a transport error (60 s timeout, connection closed): {len(dropped)} "
              f"({', '.join(sorted(dropped)[:5])}{'...' if len(dropped) > 5 else ''})")  # fmt: skip
    # The window opens when the last user made a first request (everyone logged in) and closes when
    # the first group stops.
    outs = web_outs + alert_outs
    starts = [[lst.at[0] for k, lst in o.items() if k != "errors" and lst.at] for o in outs]  # type: ignore[attr-defined]
    first = [min(s) for s in starts if s]  # a user dropped before any page has no start
    start, end = max(first), until
    if end - start < seconds / 2:
        raise RuntimeError("the logins took longer than --login-allowance: raise it")
    pages: dict[str, list[float]] = {p: [] for p in (*WEB_PAGES, *ALERT_PAGES)}
    errors = 0
    for o in outs:
        for key, lst in o.items():
            inside = [v for v, t in zip(lst, lst.at, strict=True) if start <= t <= end]  # type: ignore[attr-defined]
            if key == "errors":
                errors += len(inside)
            else:
                pages[key].extend(inside)
    return pages, errors, end - start, web_load.tree_cpu_seconds(server_pid) - cpu_before


async def _guard(loop: Coroutine[Any, Any, None], login: str, dropped: list[str]) -> None:
    """A user whose request times out stops and is counted, instead of aborting the whole level:
    an overloaded page is a result to print, not a crash."""
    try:
        await loop
    except httpx.TransportError as exc:  # a timeout, or a keep-alive connection closed under us
        dropped.append(f"{login}: {type(exc).__name__}")


def _create_database(admin_url: str) -> str:
    name = f"prodload_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


def _drop_database(admin_url: str, url: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def _wait_healthy(base: str) -> None:
    for _ in range(600):
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not become healthy")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--users", default="20,50,100", help="concurrent users per level")
    ap.add_argument("--seconds", type=float, default=30, help="measured window per level")
    ap.add_argument("--login-allowance", type=float, default=30,
                    help="seconds given to the logins (argon2, slow on purpose) before the window")  # fmt: skip
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--job-seekers", type=int, default=50_000)
    ap.add_argument("--controls", type=int, default=100_000)
    ap.add_argument("--pg-admin", default=os.environ.get(
        "PARCOURS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))  # fmt: skip
    args = ap.parse_args()
    levels = [int(n) for n in args.users.split(",")]
    top = max(levels)
    n_counsellors = round(top * COUNSELLOR_SHARE)

    home = Path(tempfile.mkdtemp(prefix="parcours-prod-"))
    url = _create_database(args.pg_admin)
    os.environ.update({"PARCOURS_HOME": str(home), "DATABASE_URL": url,
                       # Development mode only because the load client speaks plain http on loopback and
                       # production cookies are Secure; the code path is otherwise the production one.
                       "PARCOURS_MODE": "development"})  # fmt: skip
    reset_settings_cache()
    server = watcher = None
    try:
        t = time.perf_counter()
        counsellors = web_load.seed(url, job_seekers=args.job_seekers, agencies=20,
                                    counsellors_per_agency=20, users=n_counsellors)  # fmt: skip
        alert_users = alerts_load.seed(url, controls=args.controls, users=top - n_counsellors,
                                       prefix="m")  # fmt: skip
        print(f"seeded PostgreSQL: {args.job_seekers:,} job seekers, {2 * args.job_seekers:,} "
              f"appointments, {args.controls:,} controls, {top} accounts in {time.perf_counter() - t:.0f} s")  # fmt: skip
        port = web_load.free_port()
        env = os.environ | {"PYTHONPATH": str(SRC)}
        logs = (home / "server.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "parcours", "serve", "--port", str(port),
             "--workers", str(args.workers), "--no-watch"],
            env=env, stdout=logs, stderr=subprocess.STDOUT,
        )  # fmt: skip
        watcher = subprocess.Popen(
            [sys.executable, "-m", "parcours", "watch", "--interval", "5"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        _wait_healthy(base)
        print(f"PostgreSQL, {args.workers} uvicorn workers + 1 watcher process, loopback, "
              f"{os.cpu_count()} cores shared; {args.seconds:.0f} s measured per level")  # fmt: skip
        for n in levels:
            k = round(n * COUNSELLOR_SHARE)
            load_before = os.getloadavg()[0]
            pages, errors, elapsed, cpu = asyncio.run(
                _run_level(base, counsellors[:k], alert_users[: n - k], seconds=args.seconds,
                           login_allowance=args.login_allowance, server_pid=server.pid)
            )  # fmt: skip
            total = sum(len(v) for v in pages.values())
            print(f"\n== {n} users ({k} counsellors, {n - k} alert users): window {elapsed:.0f} s, "
                  f"{total / elapsed:.1f} pages/s, errors {errors}, server CPU {cpu:.0f} s, "
                  f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}")  # fmt: skip
            for page, v in pages.items():
                if v:
                    print(f"  {page:12s} n={len(v):6d} {len(v) / elapsed:6.1f}/s  "
                          f"p50={web_load.pct(v, 50):7.1f} ms  p95={web_load.pct(v, 95):7.1f} ms  "
                          f"p99={web_load.pct(v, 99):7.1f} ms")  # fmt: skip
        rss = sum(web_load.peak_rss_mib(p) for p in web_load.process_tree(server.pid))
        # A worker that died and was replaced would explain dropped connections: say so.
        logs.flush()
        for line in (home / "server.log").read_text(errors="replace").splitlines():
            if "died" in line or "Traceback" in line:
                print(f"server log: {line[:200]}")
        print(f"\nserver peak RSS (master + {args.workers} workers): {rss:.0f} MiB; watcher peak RSS "
              f"{web_load.peak_rss_mib(watcher.pid):.0f} MiB; client peak RSS "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")  # fmt: skip
    finally:
        for proc in (watcher, server):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
        _drop_database(args.pg_admin, url)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
