"""Misuse of purpose: which agent consults which file without professional purpose (the ground truth).

Kinds follow the detection issue: `colleague` (the job-seeker file of a current agent), `ex_colleague`
(of an ex-agent), `protected` (an elected official's or a candidate's, while protected), `curiosity`
(anyone else's: a neighbour, a relative, a local celebrity). A misuse pair never has a strong context
(referent, appointment, call, task); some have a weak one on purpose (the file belongs to the agent's
own agency, or the agent manages it), and many are a single view in working hours: the hard cases.
Everything observable about a misuse event (application, actions, timing, ids) is drawn by the same
code as legitimate traffic; only the choice of (agent, file) and the days differ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from parcours.synth.calendar import Calendar
from parcours.synth.contacts import Appointments, Calls, Tasks
from parcours.synth.organisation import Agents, day_number
from parcours.synth.parameters import JOBS
from parcours.synth.population import (
    SENS_AGENT,
    SENS_EX_AGENT,
    SENS_NONE,
    SENS_PROTECTED,
    JobSeekers,
    ProtectedPersons,
)

KINDS: tuple[str, ...] = ("colleague", "ex_colleague", "protected", "curiosity")
_KIND_SHARES = np.array([0.30, 0.15, 0.20, 0.35])
_JOB_WEIGHTS = {
    "conseiller": 0.50, "gdd": 0.20, "plateforme": 0.12, "manager": 0.12, "support": 0.03, "direction": 0.03,
}  # fmt: skip
PAIR_SHIFT = np.int64(2**33)

# Timing styles of a misuse pair.
OFFICE, OFF_HOURS, MIXED = 0, 1, 2


@dataclass
class MisusePlan:
    agent: np.ndarray  # per pair
    de: np.ndarray
    kind: np.ndarray  # index into KINDS
    first_day: np.ndarray  # window (period day indexes, inclusive) in which the consultations fall
    last_day: np.ndarray
    episodes: np.ndarray  # number of separate looks at the file
    style: np.ndarray  # OFFICE, OFF_HOURS or MIXED
    forced_action: np.ndarray  # 0 none, 1 print, 2 export
    weak_context: np.ndarray  # bool: the file is in the agent's agency (or the agent manages it)
    single_view: np.ndarray  # bool: one consultation only

    def keys(self) -> np.ndarray:
        keys: np.ndarray = self.agent * PAIR_SHIFT + self.de
        return keys


def pair_keys(agent: np.ndarray, de: np.ndarray) -> np.ndarray:
    ok = de >= 0
    keys: np.ndarray = agent[ok].astype(np.int64) * PAIR_SHIFT + de[ok].astype(np.int64)
    return keys


def contact_keys(
    seekers: JobSeekers, appointments: Appointments, calls: Calls, tasks: Tasks
) -> np.ndarray:
    """Every (agent, file) pair with a strong legitimate context: these never become misuse."""
    referent = np.flatnonzero(seekers.referent >= 0)
    return np.unique(
        np.concatenate(
            [
                pair_keys(seekers.referent[referent], referent),
                pair_keys(appointments.agent, appointments.de),
                pair_keys(calls.agent, calls.caller),
                pair_keys(calls.agent, calls.matched),
                pair_keys(tasks.agent, tasks.de),
            ]
        )
    )


def plan_misuse(
    rng: np.random.Generator,
    calendar: Calendar,
    agents: Agents,
    seekers: JobSeekers,
    protected: ProtectedPersons,
    appointments: Appointments,
    calls: Calls,
    tasks: Tasks,
    n_pairs: int,
) -> MisusePlan:
    period = calendar.period
    p0 = day_number(period.start)
    days = period.days
    forbidden = contact_keys(seekers, appointments, calls, tasks)  # sorted, unique
    eligible = agents.active() & ~agents.other_region
    job_w = np.array([_JOB_WEIGHTS[JOBS[j]] for j in agents.job]) * eligible
    consulters = np.flatnonzero(job_w > 0)
    consulter_cdf = np.cumsum(job_w[consulters]) / job_w[consulters].sum()
    by_agency = {
        int(a): consulters[agents.agency[consulters] == a]
        for a in np.unique(agents.agency[consulters])
    }
    # Targets per kind; protected files only while the person is protected during the period.
    sens_rows = np.flatnonzero(seekers.sensitive != SENS_NONE)
    colleague = sens_rows[seekers.sensitive[sens_rows] == SENS_AGENT]
    colleague = colleague[agents.active()[seekers.owner[colleague]]]
    ex_colleague = sens_rows[seekers.sensitive[sens_rows] == SENS_EX_AGENT]
    prot = sens_rows[seekers.sensitive[sens_rows] == SENS_PROTECTED]
    valid_from = np.array([day_number(d) for d in protected.valid_from]) - p0
    valid_to = np.array([day_number(d) for d in protected.valid_to]) - p0
    prot = prot[(valid_from[seekers.owner[prot]] < days) & (valid_to[seekers.owner[prot]] >= 0)]
    ordinary = np.flatnonzero((seekers.sensitive == SENS_NONE) & (seekers.homonym < 0))
    relatives = np.flatnonzero(seekers.relative_of >= 0)
    # Local celebrities: a few files that several agents look at.
    celebrities = ordinary[rng.integers(0, len(ordinary), max(1, n_pairs // 40))]
    targets = {0: colleague, 1: ex_colleague, 2: prot, 3: ordinary}
    quotas = np.floor(_KIND_SHARES * n_pairs).astype(int)
    quotas[3] += n_pairs - quotas.sum()
    for k in (0, 1, 2):
        if len(targets[k]) == 0:
            quotas[3] += quotas[k]
            quotas[k] = 0
    rows: list[tuple[int, int, int, int, int, bool]] = []
    taken: set[int] = set()
    for kind, quota in enumerate(quotas.tolist()):
        pool = targets[kind]
        made, attempts = 0, 0
        while made < quota and attempts < quota * 50:
            attempts += 1
            relative = False
            draw = rng.random()
            if kind == 3 and draw < 0.15:
                de = int(celebrities[int(rng.integers(len(celebrities)))])
            elif kind == 3 and draw < 0.35 and len(relatives):
                de = int(relatives[int(rng.integers(len(relatives)))])
                relative = True
            else:
                de = int(pool[int(rng.integers(len(pool)))])
            weak = rng.random() < 0.3
            agency_pool = by_agency.get(int(seekers.agency[de]))
            if (
                kind == 0
                and not weak
                and rng.random() < 0.5
                and agents.agency[seekers.owner[de]] >= 0
            ):
                # A colleague of the same agency as the agent whose file it is.
                agency_pool = by_agency.get(int(agents.agency[seekers.owner[de]]))
                weak = False
            elif not weak:
                agency_pool = None
            if relative:
                agent = int(seekers.relative_of[de])  # an agent looking up a relative's file
                if not eligible[agent]:
                    continue
            elif agency_pool is not None and len(agency_pool):
                agent = int(agency_pool[int(rng.integers(len(agency_pool)))])
            else:
                agent = int(
                    consulters[
                        min(int(np.searchsorted(consulter_cdf, rng.random())), len(consulters) - 1)
                    ]
                )
            if kind in (0, 1) and int(seekers.owner[de]) == agent:
                continue  # one's own file is another matter
            key = agent * int(PAIR_SHIFT) + de
            at = int(np.searchsorted(forbidden, key))
            if (at < len(forbidden) and forbidden[at] == key) or key in taken:
                continue
            lo = int(agents.first_day[agent])
            hi = int(agents.last_day[agent])
            if kind == 2:
                person = int(seekers.owner[de])
                lo, hi = max(lo, int(valid_from[person])), min(hi, int(valid_to[person]))
            if kind in (0,):
                who = int(seekers.owner[de])
                lo = max(lo, int(agents.first_day[who]))
                hi = min(hi, int(agents.last_day[who]))
            if kind == 1:
                who = int(seekers.owner[de])
                hi = min(hi, days - 1)
                lo = max(lo, int(agents.left_on[who]) - p0)
            if hi - lo < 1:
                continue
            actual_weak = bool(agents.agency[agent] == seekers.agency[de])
            taken.add(key)
            rows.append((agent, de, kind, lo, hi, actual_weak))
            made += 1
    n = len(rows)
    arr = np.array([r[:5] for r in rows], dtype=np.int64).reshape(n, 5)
    episodes = rng.choice([1, 2, 3, 4, 6, 10], size=n, p=[0.5, 0.2, 0.12, 0.08, 0.06, 0.04])
    single = rng.random(n) < 0.3
    episodes[single] = 1
    style = rng.choice(3, size=n, p=[0.62, 0.23, 0.15])
    forced = rng.choice(3, size=n, p=[0.83, 0.12, 0.05])
    forced[single] = 0
    # Curiosity about an ordinary file is only misuse to a reviewer if something shows it: a file
    # looked at again on other days, at night, printed or exported. A single office-hours glance at
    # an ordinary file is indistinguishable from the legitimate unexplained remainder, so every
    # curiosity pair carries at least one of those signs. Sensitive files need no such sign: the
    # sensitivity is the signal, and their hard cases stay hard (single view, own agency, office).
    bare = (arr[:, 2] == KINDS.index("curiosity")) & (style == OFFICE) & (forced == 0)
    episodes[bare] = np.maximum(episodes[bare], rng.integers(2, 5, int(bare.sum())))
    single[bare] = False
    order = rng.permutation(n)
    return MisusePlan(
        agent=arr[order, 0],
        de=arr[order, 1],
        kind=arr[order, 2],
        first_day=arr[order, 3],
        last_day=arr[order, 4],
        episodes=episodes[order],
        style=style[order],
        forced_action=forced[order],
        weak_context=np.array([r[5] for r in rows], dtype=bool)[order],
        single_view=single[order],
    )
