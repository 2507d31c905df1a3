"""Appointments, 3949 calls and back-office tasks: the contacts that explain most consultations.

Each table is a set of numpy arrays (agent index, job-seeker row, local seconds...). Job-seeker rows
are >= 0 for files of the reference data and negative (-1 - k) for the k-th unknown file (another
region's job seeker, absent from job_seekers.csv).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from parcours.synth.calendar import DAY, Calendar, MinuteTable, draw_working_moments
from parcours.synth.grouping import GroupIndex
from parcours.synth.organisation import Agents, day_number
from parcours.synth.parameters import JOBS
from parcours.synth.population import SENS_NONE, JobSeekers

APPOINTMENT_KINDS: tuple[str, ...] = ("EDO", "DPA", "EDA", "suivi", "collectif")
APPOINTMENT_STATUSES: tuple[str, ...] = ("planned", "done", "no_show", "cancelled")
TASK_KINDS: tuple[str, ...] = (
    "gdd_ouverture_droits",  # benefit claim
    "gdd_reexamen",  # review of rights
    "gdd_indu",  # overpayment recovery (also on closed files)
    "gdd_attestation",  # employer certificate to check
    "courrier",  # mail to answer
    "incident",  # IT support ticket about a file
    "reclamation",  # complaint handled by the regional directorate
)
# Telephony outcome of a call: the matched file is the caller's, a homonym's, none, or unknown here.
CALL_MATCHED, CALL_HOMONYM, CALL_UNMATCHED, CALL_OTHER_REGION = 0, 1, 2, 3


@dataclass
class Appointments:
    agent: np.ndarray
    de: np.ndarray
    start: np.ndarray  # local seconds
    kind: np.ndarray  # index into APPOINTMENT_KINDS
    status: np.ndarray  # index into APPOINTMENT_STATUSES


@dataclass
class Calls:
    agent: np.ndarray
    caller: np.ndarray  # the file of the person actually calling
    matched: np.ndarray  # the file the telephony surfaced (contract de_id); -(2**40) when none
    start: np.ndarray
    end: np.ndarray
    outcome: np.ndarray


@dataclass
class Tasks:
    agent: np.ndarray
    de: np.ndarray
    created: np.ndarray
    closed: np.ndarray  # -1 when still open
    kind: np.ndarray


NO_FILE = -(2**40)


def _rows(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask)


def _moments(
    rng: np.random.Generator,
    calendar: Calendar,
    tables: list[MinuteTable],
    agents: Agents,
    agent: np.ndarray,
    first_day: np.ndarray | None = None,
    last_day: np.ndarray | None = None,
) -> np.ndarray:
    lo = (
        agents.first_day[agent]
        if first_day is None
        else np.maximum(first_day, agents.first_day[agent])
    )
    hi = (
        agents.last_day[agent] if last_day is None else np.minimum(last_day, agents.last_day[agent])
    )
    return draw_working_moments(
        rng,
        calendar,
        tables,
        agents.template[agent],
        lo,
        hi,
        agents.leave_start[agent],
        agents.leave_end[agent],
    )


def build_appointments(
    rng: np.random.Generator,
    calendar: Calendar,
    tables: list[MinuteTable],
    agents: Agents,
    seekers: JobSeekers,
    target: int,
) -> Appointments:
    period = calendar.period
    p0 = day_number(period.start)
    days = period.days
    counsellor = (agents.job == JOBS.index("conseiller")) & ~agents.other_region & agents.active()
    by_agency: dict[int, np.ndarray] = {
        int(a): _rows(counsellor & (agents.agency == a))
        for a in np.unique(agents.agency[agents.agency >= 0])
    }
    all_counsellors = _rows(counsellor)

    def other_counsellor(rows: np.ndarray) -> np.ndarray:
        out = np.empty(len(rows), dtype=np.int64)
        for i, r in enumerate(rows.tolist()):
            pool = by_agency.get(int(seekers.agency[r]))
            pool = all_counsellors if pool is None or len(pool) == 0 else pool
            out[i] = pool[int(rng.integers(len(pool)))]
        return out

    parts: list[
        tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    ] = []  # agent, de, day lo, kind
    # New registrants: the orientation interview (EDO) within days, then DPA with the referent.
    new = _rows((seekers.registered >= p0) & (seekers.registered < p0 + days))
    new = new[rng.random(len(new)) < 0.9]
    edo_day = seekers.registered[new] - p0 + rng.integers(1, 8, len(new))
    parts.append((other_counsellor(new), new, edo_day, np.full(len(new), 0)))
    with_ref = new[seekers.referent[new] >= 0]
    dpa_day = seekers.registered[with_ref] - p0 + rng.integers(10, 28, len(with_ref))
    parts.append((seekers.referent[with_ref], with_ref, dpa_day, np.full(len(with_ref), 1)))
    # Follow-up: EDA, suivi, mostly with the referent, sometimes with a colleague covering.
    followed = _rows((seekers.referent >= 0) & (seekers.registered < p0 + days))
    remaining = max(0, target - sum(len(p[0]) for p in parts))
    n_individual = int(remaining * 0.85)
    de = (
        followed[rng.integers(0, len(followed), n_individual)]
        if len(followed)
        else np.zeros(0, np.int64)
    )
    agent = seekers.referent[de].copy()
    cover = rng.random(len(de)) < 0.18
    agent[cover] = other_counsellor(de[cover])
    lo = np.maximum(seekers.registered[de] - p0, 0)
    span = np.maximum(np.minimum(seekers.deregistered[de], p0 + days + 14) - p0 - lo, 1)
    day = lo + (rng.random(len(de)) * span).astype(np.int64)
    kind = rng.choice([2, 3], size=len(de), p=[0.25, 0.75])
    parts.append((agent, de, day, kind))
    # Group sessions: one counsellor, several job seekers of the agency at the same time.
    n_group = max(0, remaining - n_individual)
    sessions = max(1, n_group // 8)
    hosts = all_counsellors[rng.integers(0, len(all_counsellors), sessions)]
    host_day = rng.integers(0, days, sessions)
    followed_by_agency = GroupIndex(np.where(seekers.referent >= 0, seekers.agency, -1))
    for h, d in zip(hosts.tolist(), host_day.tolist(), strict=True):
        pool = followed_by_agency.rows_of(int(agents.agency[h]))
        if len(pool) == 0:
            continue
        members = pool[rng.integers(0, len(pool), int(rng.integers(5, 12)))]
        members = np.unique(members)
        parts.append(
            (np.full(len(members), h), members, np.full(len(members), d), np.full(len(members), 4))
        )
    agent = np.concatenate([p[0] for p in parts]).astype(np.int64)
    de = np.concatenate([p[1] for p in parts]).astype(np.int64)
    day = np.concatenate([p[2] for p in parts]).astype(np.int64)
    kind = np.concatenate([p[3] for p in parts]).astype(np.int64)
    # Appointments land in the agent's working hours, on quarter-hour slots, on or after the day asked.
    moments = _moments(rng, calendar, tables, agents, agent, day, day + 6)
    # Group sessions share one slot.
    group = kind == 4
    if group.any():
        key = agent[group] * 1000 + day[group]
        _, first = np.unique(key, return_inverse=True)
        slot = np.zeros(first.max() + 1, dtype=np.int64)
        slot[first] = moments[group]
        moments[group] = slot[first]
    keep = moments >= 0
    agent, de, kind, moments = agent[keep], de[keep], kind[keep], moments[keep]
    start = moments - moments % 900
    end_of_period = period.start_seconds + days * DAY
    status = rng.choice([1, 2, 3], size=len(start), p=[0.76, 0.1, 0.14])
    status[start >= end_of_period - 3 * DAY] = 0  # the last days' appointments are still planned
    order = np.argsort(start, kind="stable")
    return Appointments(agent[order], de[order], start[order], kind[order], status[order])


def build_calls(
    rng: np.random.Generator,
    calendar: Calendar,
    tables: list[MinuteTable],
    agents: Agents,
    seekers: JobSeekers,
    target: int,
) -> Calls:
    p0 = day_number(calendar.period.start)
    platform = _rows((agents.job == JOBS.index("plateforme")) & agents.active())
    if len(platform) == 0:
        platform = _rows(agents.active() & (agents.job == JOBS.index("conseiller")))
    agent = platform[rng.integers(0, len(platform), target)]
    start = _moments(rng, calendar, tables, agents, agent)
    keep = start >= 0
    agent, start = agent[keep], start[keep]
    n = len(agent)
    duration = np.clip(rng.lognormal(np.log(360), 0.6, n), 60, 2400).astype(np.int64)
    outcome = rng.choice(4, size=n, p=[0.86, 0.03, 0.06, 0.05])
    registered = _rows(seekers.deregistered >= p0)
    caller = registered[rng.integers(0, len(registered), n)]
    matched = caller.copy()
    # Homonym surfaced: the caller has a homonym; the telephony matched the homonym's file. Half of
    # these involve a sensitive file (an agent's or a protected person's) surfaced for a homonym.
    hom = np.flatnonzero(outcome == CALL_HOMONYM)
    pairs = _rows(seekers.homonym >= 0)
    sensitive_twins = pairs[seekers.sensitive[seekers.homonym[pairs]] != SENS_NONE]
    if len(pairs):
        use_sensitive = (rng.random(len(hom)) < 0.5) & (len(sensitive_twins) > 0)
        pick_any = pairs[rng.integers(0, len(pairs), len(hom))]
        pick_sens = (
            sensitive_twins[rng.integers(0, max(1, len(sensitive_twins)), len(hom))]
            if len(sensitive_twins)
            else pick_any
        )
        caller[hom] = np.where(use_sensitive, pick_sens, pick_any)
        matched[hom] = seekers.homonym[caller[hom]]
    else:
        outcome[hom] = CALL_MATCHED
    # Unmatched calls: the agent searches the file by hand. Keep sensitive callers out of this
    # branch so that every legitimate look at a sensitive file leaves a trace of its context.
    un = np.flatnonzero(outcome == CALL_UNMATCHED)
    caller[un] = np.where(seekers.sensitive[caller[un]] == SENS_NONE, caller[un], registered[0])
    matched[un] = NO_FILE
    other = np.flatnonzero(outcome == CALL_OTHER_REGION)
    k = rng.integers(0, len(seekers.unknown_ids), len(other))
    caller[other] = -1 - k
    matched[other] = -1 - k
    order = np.argsort(start, kind="stable")
    return Calls(
        agent[order],
        caller[order],
        matched[order],
        start[order],
        start[order] + duration[order],
        outcome[order],
    )


def build_tasks(
    rng: np.random.Generator,
    calendar: Calendar,
    tables: list[MinuteTable],
    agents: Agents,
    seekers: JobSeekers,
    target: int,
) -> Tasks:
    p0 = day_number(calendar.period.start)
    days = calendar.period.days
    active = agents.active()
    job_of = {name: _rows(active & (agents.job == JOBS.index(name))) for name in JOBS}
    gdd_local = job_of["gdd"][~agents.other_region[job_of["gdd"]]]
    gdd_other = job_of["gdd"][agents.other_region[job_of["gdd"]]]
    n_gdd = int(target * 0.86)
    n_mail = int(target * 0.06)
    n_support = int(target * 0.03)
    n_claim = int(target * 0.02)
    n_other_region = target - n_gdd - n_mail - n_support - n_claim
    agent_parts, de_parts, kind_parts = [], [], []
    # Benefit processing, mutualised per département.
    if len(gdd_local):
        a = gdd_local[rng.integers(0, len(gdd_local), n_gdd)]
        live = _rows(seekers.deregistered >= p0 - 60)
        by_dept = {
            int(d): live[seekers.department[live] == d] for d in np.unique(seekers.department)
        }
        de = np.empty(n_gdd, dtype=np.int64)
        for d in np.unique(agents.department[a]):
            sel = np.flatnonzero(agents.department[a] == d)
            pool = by_dept.get(int(d), live)
            pool = live if len(pool) == 0 else pool
            de[sel] = pool[rng.integers(0, len(pool), len(sel))]
        kind = rng.choice(4, size=n_gdd, p=[0.5, 0.25, 0.1, 0.15])
        # Overpayment recovery reaches closed files too, agents' old files included.
        closed_agent_files = _rows((seekers.sensitive != SENS_NONE) & (seekers.deregistered < p0))
        recover = np.flatnonzero(kind == 2)[: max(1, len(closed_agent_files) // 3)]
        if len(closed_agent_files) and len(recover):
            de[recover] = closed_agent_files[rng.integers(0, len(closed_agent_files), len(recover))]
        agent_parts.append(a)
        de_parts.append(de)
        kind_parts.append(kind)
    for pool, count, kind_code in (
        (job_of["conseiller"], n_mail, 4),
        (job_of["support"], n_support, 5),
        (job_of["direction"], n_claim, 6),
        (gdd_other, n_other_region, 0),
    ):
        if len(pool) == 0 or count <= 0:
            continue
        a = pool[rng.integers(0, len(pool), count)]
        if kind_code == 4:
            # Mail about a file of the counsellor's agency.
            de = GroupIndex(seekers.agency).pick(rng, agents.agency[a])
            de[de < 0] = rng.integers(0, len(seekers), int(np.sum(de < 0)))
        else:
            de = rng.integers(0, len(seekers), count)
            if kind_code == 0:  # other regions' agents also handle their own region's files
                unknown = rng.random(count) < 0.5
                de[unknown] = -1 - rng.integers(0, len(seekers.unknown_ids), int(unknown.sum()))
        agent_parts.append(a)
        de_parts.append(de)
        kind_parts.append(np.full(count, kind_code))
    agent = np.concatenate(agent_parts).astype(np.int64)
    de = np.concatenate(de_parts).astype(np.int64)
    kind = np.concatenate(kind_parts).astype(np.int64)
    # Some tasks were opened before the period and are still being worked on.
    first = rng.integers(-20, days, len(agent))
    created = _moments(
        rng, calendar, tables, agents, agent, np.maximum(first, 0), np.maximum(first, 0) + 5
    )
    before = first < 0
    created[before] = created[before] + first[before] * DAY
    keep = created >= 0
    agent, de, kind, created = agent[keep], de[keep], kind[keep], created[keep]
    work_days = rng.choice(
        [0, 1, 2, 3, 5, 8, 12, 20], size=len(agent), p=[0.2, 0.2, 0.15, 0.15, 0.1, 0.1, 0.06, 0.04]
    )
    closed = created + work_days * DAY + rng.integers(600, 6 * 3600, len(agent))
    still_open = rng.random(len(agent)) < 0.08
    closed[still_open] = -1

    order = np.argsort(created, kind="stable")
    return Tasks(agent[order], de[order], created[order], closed[order], kind[order])
