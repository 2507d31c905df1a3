"""Slot search latency: an agency of 30 counsellors over 4 weeks (goal: p95 <= 50 ms).

Usage: python benchmarks/slot_search.py [--postgres URL] [--runs N] [--fill 0.4]

Builds the agency in a fresh database (SQLite in a temporary folder; or a PostgreSQL database URL
that is emptied first), fills a share of the DPA slots with bookings, absences and a holiday, then
times `find_slots` over the 4 weeks for the whole agency (what the booking page asks for) and for one
counsellor, and `book` (lock + checks + registry + outbox). Prints latency percentiles, throughput,
peak memory (max RSS) and the machine's load.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sqlalchemy import Engine, text

from parcours.db import make_engine, session_scope
from parcours.migrate import upgrade
from parcours.registry.models import Agency, Agent, Establishment
from parcours.scheduling.booking import (
    Contact,
    OrientationDecisionRef,
    book,
    find_slots,
)
from parcours.scheduling.calendars import agency_context
from parcours.scheduling.models import Absence, Booking, OpeningRange

COUNSELLORS = 30
FIRST_DAY = date(
    2026, 4, 27
)  # 4 weeks with 1 and 8 May (holidays) and a Wednesday-afternoon pattern
DAYS = 28


def build(engine: Engine, fill: float, seed: int) -> list[str]:
    rng = random.Random(seed)
    with session_scope(engine) as s:
        s.add(Establishment(establishment_id="EST-B", name="DR bench", kind="DR"))
        s.flush()
        s.add(
            Agency(
                agency_id="AG-B",
                name="Agence bench",
                establishment_id="EST-B",
                department_code="31",
            )
        )
        s.flush()
        agents = []
        for i in range(COUNSELLORS):
            agent_id = f"B{i:03d}"
            agents.append(agent_id)
            s.add(
                Agent(
                    agent_id=agent_id,
                    last_name="X",
                    first_names="Y",
                    establishment_id="EST-B",
                    agency_id="AG-B",
                    job="conseiller",
                )
            )
            for wd in range(5):
                s.add(
                    OpeningRange(
                        agency_id="AG-B",
                        agent_id=agent_id,
                        weekday=wd,
                        starts=clock(8, 30),
                        ends=clock(12, 0),
                    )
                )
                if not (wd == 2 and i % 3 == 0):  # a third work part-time: no Wednesday afternoon
                    s.add(
                        OpeningRange(
                            agency_id="AG-B",
                            agent_id=agent_id,
                            weekday=wd,
                            starts=clock(13, 30),
                            ends=clock(17, 0),
                        )
                    )
            if i % 10 == 0:  # a week of leave for some
                start = datetime.combine(FIRST_DAY + timedelta(days=7), clock(0), tzinfo=UTC)
                s.add(
                    Absence(
                        agency_id="AG-B",
                        agent_id=agent_id,
                        starts_at=start,
                        ends_at=start + timedelta(days=5),
                        reason="congés",
                    )
                )
        for wd in range(5):
            s.add(
                OpeningRange(
                    agency_id="AG-B",
                    agent_id=None,
                    weekday=wd,
                    starts=clock(8, 30),
                    ends=clock(17, 0),
                )
            )
    # Fill a share of the slots, as earlier bookings would have.
    with session_scope(engine) as s:
        free = find_slots(
            s,
            agency_id="AG-B",
            activity="DPA",
            first_day=FIRST_DAY,
            last_day=FIRST_DAY + timedelta(days=DAYS - 1),
        )
        zone = agency_context(s, "AG-B").zone
        now = datetime.now(UTC)
        for slot in rng.sample(free, int(len(free) * fill)):
            s.add(Booking(
                booking_id=f"rdv-{uuid.uuid4().hex[:20]}", agency_id="AG-B", agent_id=slot.agent_id,
                de_id=f"DE{uuid.uuid4().hex[:10]}", activity="DPA", starts_at=slot.start, ends_at=slot.end,
                break_until=slot.break_until, local_day=slot.start.astimezone(zone).date(), status="booked",
                organisation="FT", decided_on=FIRST_DAY - timedelta(days=7), created_at=now, updated_at=now,
            ))  # fmt: skip
    return agents


def percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return (
        f"p50 {q[49] * 1000:.1f} ms  p95 {q[94] * 1000:.1f} ms  p99 {q[98] * 1000:.1f} ms  "
        f"max {max(samples) * 1000:.1f} ms  ({len(samples) / sum(samples):.1f}/s sequential)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="PostgreSQL URL of an empty scratch database")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--fill", type=float, default=0.4)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    load = os.getloadavg()
    if args.postgres:
        url = args.postgres
        engine = make_engine(url)
        with engine.begin() as c:
            c.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
        engine = make_engine(url)
    upgrade(engine)
    began = time.perf_counter()
    agents = build(engine, args.fill, args.seed)
    print(f"backend {engine.dialect.name}; agency of {COUNSELLORS} counsellors, {DAYS} days from {FIRST_DAY}, "
          f"{args.fill:.0%} of DPA slots pre-booked; built in {time.perf_counter() - began:.1f} s")  # fmt: skip
    last = FIRST_DAY + timedelta(days=DAYS - 1)

    cpu: dict[str, list[float]] = {}

    def timed(fn: object, runs: int) -> list[float]:
        """Wall time per call; the CPU time of this process per call is kept in `cpu` (on a loaded
        machine the wall time includes waiting for a core)."""
        out, spent = [], []
        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()
            fn()  # type: ignore[operator]
            out.append(time.perf_counter() - t)
            spent.append(time.process_time() - c)
        cpu[getattr(fn, "__name__", "?")] = spent
        return out

    def search_agency() -> None:
        with session_scope(engine) as s:
            search_agency.n = len(
                find_slots(s, agency_id="AG-B", activity="DPA", first_day=FIRST_DAY, last_day=last)
            )  # type: ignore[attr-defined]

    def search_one() -> None:
        with session_scope(engine) as s:
            find_slots(
                s,
                agency_id="AG-B",
                activity="DPA",
                first_day=FIRST_DAY,
                last_day=last,
                agent_id=random.choice(agents),
            )

    timed(search_agency, 3)  # warm caches (holidays, activity file, statements)
    agency_samples = timed(search_agency, args.runs)
    print(
        f"find_slots, whole agency, 4 weeks ({search_agency.n} free slots): {percentiles(agency_samples)}"
    )  # type: ignore[attr-defined]
    print(f"find_slots, one counsellor, 4 weeks: {percentiles(timed(search_one, args.runs))}")
    for name, spent in cpu.items():
        q = statistics.quantiles(spent, n=100, method="inclusive")
        print(
            f"  CPU time of this process, {name}: p50 {q[49] * 1000:.1f} ms  p95 {q[94] * 1000:.1f} ms"
        )

    with session_scope(engine) as s:
        free = find_slots(s, agency_id="AG-B", activity="DPA", first_day=FIRST_DAY, last_day=last)
    picks = random.Random(args.seed).sample(free, min(args.runs, len(free)))
    booked_at = datetime.combine(FIRST_DAY - timedelta(days=7), clock(9), tzinfo=UTC)
    book_samples = []
    for i, slot in enumerate(picks):
        t = time.perf_counter()
        with session_scope(engine) as s:
            book(s, decision=OrientationDecisionRef(f"BK{i}", "FT", "AG-B", booked_at.date()), agent_id=slot.agent_id,
                 starts_at=slot.start, actor_id="bench", contact=Contact(email=f"bk{i}@example.org"), now=booked_at)  # fmt: skip
        book_samples.append(time.perf_counter() - t)
    print(f"book (lock + checks + registry + outbox): {percentiles(book_samples)}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS) {peak_mb:.0f} MB; load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"after {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs")  # fmt: skip
    print(
        f"goal p95 <= 50 ms for the agency search: {'met' if statistics.quantiles(agency_samples, n=100)[94] <= 0.05 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
