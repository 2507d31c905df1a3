"""The consultation log: episodes (an agent opening a file for a while) expanded into events.

Legitimate episodes come from each context: the referent's portfolio, appointments, 3949 calls,
back-office tasks, managers and colleagues of the agency, plus a small unexplained remainder and
events of agents and files absent from the reference data. Misuse episodes come from the plan.
Everything is generated per chunk of agents, so memory stays flat whatever the scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from parcours.synth.calendar import (
    DAY,
    Calendar,
    MinuteTable,
    draw_off_hours_moments,
    draw_working_moments,
)
from parcours.synth.contacts import CALL_HOMONYM, Appointments, Calls, Tasks
from parcours.synth.grouping import GroupIndex
from parcours.synth.ids import hex_ids
from parcours.synth.misuse import MIXED, OFF_HOURS, PAIR_SHIFT, MisusePlan
from parcours.synth.organisation import Agents, day_number
from parcours.synth.parameters import JOBS
from parcours.synth.population import SENS_NONE, JobSeekers

ACTIONS: tuple[str, ...] = ("view", "edit", "print", "export")
APPLICATIONS: tuple[str, ...] = ("AUDE", "MAP")
# Action profiles: what an agent does once a file is open, by the context of the episode.
CONSULT, APPOINTMENT, MANAGER, GLANCE = 0, 1, 2, 3
_ACTION_P = np.array(
    [
        [0.72, 0.22, 0.05, 0.01],  # consult (portfolio, call, task, colleague; misuse too)
        [0.55, 0.33, 0.11, 0.01],  # during an appointment (the contract gets printed)
        [0.70, 0.08, 0.07, 0.15],  # manager (lists exported)
        [1.00, 0.00, 0.00, 0.00],  # a glance (the wrong file surfaced, preparing a meeting)
    ]
)
# Share of the remaining legitimate volume (after contacts) per source.
PORTFOLIO, MANAGERS, COVER, UNEXPLAINED, FOREIGN = 0.80, 0.08, 0.07, 0.03, 0.02


@dataclass
class Episodes:
    agent: np.ndarray
    de: np.ndarray
    start: np.ndarray
    profile: np.ndarray
    max_events: np.ndarray  # 0 for no cap
    misuse: np.ndarray  # bool
    forced_action: np.ndarray  # 0 none, 1 print, 2 export

    @classmethod
    def of(
        cls,
        agent: np.ndarray,
        de: np.ndarray,
        start: np.ndarray,
        profile: int,
        max_events: int = 0,
        misuse: bool = False,
    ) -> Episodes:
        n = len(agent)
        return cls(
            agent.astype(np.int64),
            de.astype(np.int64),
            start.astype(np.int64),
            np.full(n, profile, dtype=np.int8),
            np.full(n, max_events, dtype=np.int16),
            np.full(n, misuse, dtype=bool),
            np.zeros(n, dtype=np.int8),
        )

    @classmethod
    def concat(cls, parts: list[Episodes]) -> Episodes:
        return cls(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__)
        )

    def select(self, mask: np.ndarray) -> Episodes:
        return Episodes(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))

    def __len__(self) -> int:
        return len(self.agent)


@dataclass
class TrafficModel:
    """Everything the per-chunk generator needs, precomputed once."""

    calendar: Calendar
    tables: list[MinuteTable]
    agents: Agents
    seekers: JobSeekers
    appointments: Appointments
    calls: Calls
    tasks: Tasks
    misuse: MisusePlan
    misuse_keys: np.ndarray  # sorted
    portfolio: GroupIndex
    agency_files: GroupIndex
    department_files: GroupIndex
    appointments_by_agent: GroupIndex
    calls_by_agent: GroupIndex
    tasks_by_agent: GroupIndex
    misuse_by_agent: GroupIndex
    rate_portfolio: float  # episodes per portfolio file over the period
    rate_manager: float  # episodes per manager
    rate_cover: float  # episodes per counsellor
    rate_unexplained: float  # episodes per agency agent
    foreign_agent_ids: list[str]
    foreign_episodes: int
    app_preference: np.ndarray  # per agent: probability of AUDE
    # Share of cover looks followed by one or two more looks at the same file in the same window: a
    # robustness variant (colleagues coming back to a file they cover without logging any action),
    # 0 in the shipped regions. No random draw is made at 0, so the default output is unchanged.
    cover_revisits: float = 0.0

    @property
    def n_agents(self) -> int:
        return len(self.agents)


def expected_contact_events(appointments: Appointments, calls: Calls, tasks: Tasks) -> float:
    per_appointment = np.array([0.2, 1.75, 0.8, 0.3])[appointments.status].sum()
    per_call = len(calls.agent) + np.sum(calls.outcome == CALL_HOMONYM)
    return float(3.0 * per_appointment + 2.6 * per_call + 3.0 * 2.0 * len(tasks.agent))


def build_model(
    rng: np.random.Generator,
    calendar: Calendar,
    tables: list[MinuteTable],
    agents: Agents,
    seekers: JobSeekers,
    appointments: Appointments,
    calls: Calls,
    tasks: Tasks,
    misuse: MisusePlan,
    target_events: int,
    foreign_agent_ids: list[str],
    cover_revisits: float = 0.0,
) -> TrafficModel:
    n_agents = len(agents)
    remaining = max(0.0, target_events - expected_contact_events(appointments, calls, tasks))
    episodes = remaining / 3.0
    with_referent = seekers.referent >= 0
    manager = (agents.job == JOBS.index("manager")) & agents.active()
    counsellor = (agents.job == JOBS.index("conseiller")) & agents.active()
    in_agency = agents.active() & (agents.agency >= 0)
    n_foreign = len(foreign_agent_ids)
    return TrafficModel(
        calendar=calendar,
        tables=tables,
        agents=agents,
        seekers=seekers,
        appointments=appointments,
        calls=calls,
        tasks=tasks,
        misuse=misuse,
        misuse_keys=np.sort(misuse.keys()),
        portfolio=GroupIndex(seekers.referent, n_agents),
        agency_files=GroupIndex(seekers.agency, int(seekers.agency.max()) + 1),
        department_files=GroupIndex(seekers.department, int(seekers.department.max()) + 1),
        appointments_by_agent=GroupIndex(appointments.agent, n_agents),
        calls_by_agent=GroupIndex(calls.agent, n_agents),
        tasks_by_agent=GroupIndex(tasks.agent, n_agents),
        misuse_by_agent=GroupIndex(misuse.agent, n_agents),
        rate_portfolio=episodes * PORTFOLIO / max(1, int(with_referent.sum())),
        rate_manager=episodes * MANAGERS / max(1, int(manager.sum())),
        rate_cover=episodes * COVER / max(1, int(counsellor.sum())),
        rate_unexplained=episodes * UNEXPLAINED / max(1, int(in_agency.sum())),
        foreign_agent_ids=foreign_agent_ids,
        foreign_episodes=int(episodes * FOREIGN),
        app_preference=np.clip(rng.beta(6, 3, n_agents + n_foreign), 0.05, 0.98),
        cover_revisits=cover_revisits,
    )


def _moments(
    model: TrafficModel, rng: np.random.Generator, agent: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    a = model.agents
    lo = np.maximum(lo, a.first_day[agent])
    hi = np.minimum(hi, a.last_day[agent])
    return draw_working_moments(
        rng,
        model.calendar,
        model.tables,
        a.template[agent],
        lo,
        hi,
        a.leave_start[agent],
        a.leave_end[agent],
    )


def _late_work(
    model: TrafficModel,
    rng: np.random.Generator,
    agent: np.ndarray,
    start: np.ndarray,
    first: np.ndarray | None = None,
    last: np.ndarray | None = None,
) -> None:
    """Some agents finish their work in the evening or at the weekend, whatever its context: a
    share of their episodes moves outside office hours (in place). Legitimate, and not always
    explained: hours alone never make misuse."""
    a = model.agents
    late = a.late_worker[agent] & (start >= 0) & (rng.random(len(agent)) < 0.15)
    if not late.any():
        return
    lo = (
        a.first_day[agent[late]]
        if first is None
        else np.maximum(first[late], a.first_day[agent[late]])
    )
    hi = (
        a.last_day[agent[late]] if last is None else np.minimum(last[late], a.last_day[agent[late]])
    )
    start[late] = draw_off_hours_moments(rng, model.calendar, lo, hi)


def legitimate_episodes(
    model: TrafficModel, rng: np.random.Generator, lo: int, hi: int
) -> Episodes:
    a, s, cal = model.agents, model.seekers, model.calendar
    p0 = day_number(cal.period.start)
    days = cal.period.days
    chunk = np.arange(lo, hi)
    parts: list[Episodes] = []
    # -- the referent's portfolio
    size = model.portfolio.count[chunk]
    n = rng.poisson(model.rate_portfolio * size)
    agent = np.repeat(chunk, n)
    de = model.portfolio.pick(rng, agent)
    first = np.clip(s.registered[de] - p0, 0, days)
    last = np.clip(s.deregistered[de] - p0, -1, days - 1)
    start = _moments(model, rng, agent, first, last)
    _late_work(model, rng, agent, start, first, last)
    parts.append(Episodes.of(agent, de, start, CONSULT))
    # -- appointments: preparing, during, after
    ap = model.appointments
    sel = model.appointments_by_agent.rows_in_range(lo, hi)
    status = ap.status[sel]
    for p_by_status, offset_lo, offset_hi, profile in (
        ((0.2, 0.5, 0.0, 0.3), -3600, -300, GLANCE),
        ((0.0, 0.95, 0.8, 0.0), 0, 1800, APPOINTMENT),
        ((0.0, 0.3, 0.0, 0.0), 1800, 3 * 3600, CONSULT),
    ):
        keep = sel[rng.random(len(sel)) < np.array(p_by_status)[status]]
        start = ap.start[keep] + rng.integers(offset_lo, offset_hi, len(keep))
        parts.append(Episodes.of(ap.agent[keep], ap.de[keep], start, profile))
    # -- 3949 calls: the surfaced file, and the caller's file when it differs
    c = model.calls
    sel = model.calls_by_agent.rows_in_range(lo, hi)
    hom = sel[c.outcome[sel] == CALL_HOMONYM]
    parts.append(
        Episodes.of(
            c.agent[hom], c.matched[hom], c.start[hom] + rng.integers(5, 40, len(hom)), GLANCE, 2
        )
    )
    start = c.start[sel] + rng.integers(10, 60, len(sel))
    start[np.isin(sel, hom)] += 60
    parts.append(Episodes.of(c.agent[sel], c.caller[sel], start, CONSULT))
    # -- back-office tasks: worked on while open
    t = model.tasks
    sel = model.tasks_by_agent.rows_in_range(lo, hi)
    sel = np.repeat(sel, 1 + rng.poisson(1.0, len(sel)))
    closed = np.where(t.closed[sel] < 0, (p0 + days) * DAY, t.closed[sel])
    created_day = t.created[sel] // DAY - p0
    start = _moments(model, rng, t.agent[sel], np.maximum(created_day, 0), closed // DAY - p0)
    start = np.where(
        start >= 0,
        np.clip(start, t.created[sel] + 60, np.maximum(closed - 60, t.created[sel] + 60)),
        -1,
    )
    parts.append(Episodes.of(t.agent[sel], t.de[sel], start, CONSULT))
    # -- managers look at their agency's files; counsellors at colleagues' files (cover)
    for mask, rate, profile in (
        ((a.job[chunk] == JOBS.index("manager")), model.rate_manager, MANAGER),
        ((a.job[chunk] == JOBS.index("conseiller")), model.rate_cover, CONSULT),
    ):
        who = chunk[mask & (a.agency[chunk] >= 0) & a.active()[chunk]]
        agent = np.repeat(who, rng.poisson(rate, len(who)))
        de = model.agency_files.pick(rng, a.agency[agent])
        ok = de >= 0
        agent, de = agent[ok], de[ok]
        lo_day = np.zeros(len(agent), np.int64)
        hi_day = np.full(len(agent), days - 1)
        if profile == CONSULT:
            # Covering a colleague mostly happens while the referent is on leave.
            ref = s.referent[de]
            away = (ref >= 0) & (rng.random(len(de)) < 0.7)
            away &= a.leave_end[np.maximum(ref, 0)] > a.leave_start[np.maximum(ref, 0)]
            lo_day[away] = a.leave_start[ref[away]]
            hi_day[away] = np.minimum(a.leave_end[ref[away]] - 1, days - 1)
        if profile == CONSULT and model.cover_revisits > 0:
            # The colleague comes back to some of the files they cover, once or twice, in the same
            # window (during the referent's leave when it is one).
            picked = np.flatnonzero(rng.random(len(agent)) < model.cover_revisits)
            again = np.repeat(picked, rng.integers(1, 3, len(picked)))
            agent, de = np.r_[agent, agent[again]], np.r_[de, de[again]]
            lo_day, hi_day = np.r_[lo_day, lo_day[again]], np.r_[hi_day, hi_day[again]]
        start = _moments(model, rng, agent, lo_day, hi_day)
        _late_work(model, rng, agent, start)
        parts.append(Episodes.of(agent, de, start, profile))
    # -- the unexplained remainder: a partner's question, a mistyped search... never a sensitive file
    who = chunk[(a.agency[chunk] >= 0) & a.active()[chunk]]
    agent = np.repeat(who, rng.poisson(model.rate_unexplained, len(who)))
    de = model.department_files.pick(rng, a.department[agent])
    ok = de >= 0
    agent, de = agent[ok], de[ok]
    ok = s.sensitive[de] == SENS_NONE
    agent, de = agent[ok], de[ok]
    start = _moments(
        model, rng, agent, np.zeros(len(agent), np.int64), np.full(len(agent), days - 1)
    )
    _late_work(model, rng, agent, start)
    parts.append(Episodes.of(agent, de, start, CONSULT))
    episodes = Episodes.concat(parts)
    # Misuse pairs carry no legitimate traffic; dropped episodes stand for looks that never happened.
    keys = episodes.agent * PAIR_SHIFT + np.maximum(episodes.de, 0)
    clash = (episodes.de >= 0) & np.isin(keys, model.misuse_keys)
    return episodes.select((episodes.start >= 0) & ~clash)


def misuse_episodes(model: TrafficModel, rng: np.random.Generator, lo: int, hi: int) -> Episodes:
    m = model.misuse
    sel = np.sort(model.misuse_by_agent.rows_in_range(lo, hi))
    pair = np.repeat(sel, m.episodes[sel])
    agent, de = m.agent[pair], m.de[pair]
    start = _moments(model, rng, agent, m.first_day[pair], m.last_day[pair])
    off = (m.style[pair] == OFF_HOURS) | ((m.style[pair] == MIXED) & (rng.random(len(pair)) < 0.5))
    if off.any():
        start[off] = draw_off_hours_moments(
            rng,
            model.calendar,
            np.maximum(m.first_day[pair][off], model.agents.first_day[agent[off]]),
            np.minimum(m.last_day[pair][off], model.agents.last_day[agent[off]]),
        )
    # A pair whose window holds no working day of the agent (leave, part time) still happened:
    # outside office hours, then. Every pair of the truth has its consultations.
    none = start < 0
    if none.any():
        start[none] = draw_off_hours_moments(
            rng,
            model.calendar,
            np.maximum(m.first_day[pair][none], model.agents.first_day[agent[none]]),
            np.minimum(m.last_day[pair][none], model.agents.last_day[agent[none]]),
        )
    episodes = Episodes.of(agent, de, start, CONSULT, misuse=True)
    single = m.single_view[pair]
    episodes.max_events[single] = 1
    # The forced print or export happens once per pair, on its first episode.
    first = np.r_[True, pair[1:] != pair[:-1]][: len(pair)]
    episodes.forced_action[first] = m.forced_action[pair][first]
    return episodes.select(start >= 0)


def foreign_episodes(model: TrafficModel, rng: np.random.Generator) -> Episodes:
    """Agents absent from agents.csv (other regions, national platforms) opening files of ours."""
    n = model.foreign_episodes
    n_foreign = len(model.foreign_agent_ids)
    agent = model.n_agents + rng.integers(0, n_foreign, n)
    de = rng.integers(0, len(model.seekers), n)
    de = de[model.seekers.sensitive[de] == SENS_NONE]
    agent = agent[: len(de)]
    days = model.calendar.period.days
    template = np.zeros(len(de), dtype=np.int64)
    start = draw_working_moments(
        rng,
        model.calendar,
        model.tables,
        template,
        np.zeros(len(de), np.int64),
        np.full(len(de), days - 1),
        np.zeros(len(de), np.int64),
        np.zeros(len(de), np.int64),
    )
    return Episodes.of(agent, de, start, CONSULT).select(start >= 0)


def expand(model: TrafficModel, rng: np.random.Generator, ep: Episodes) -> dict[str, np.ndarray]:
    """Episodes to events: a burst of actions seconds apart, the first one a view."""
    n_events = rng.geometric(1 / 3.0, len(ep)).astype(np.int64)
    cap = ep.max_events > 0
    n_events[cap] = np.minimum(n_events[cap], ep.max_events[cap])
    n_events = np.minimum(n_events, 30)
    owner = np.repeat(np.arange(len(ep)), n_events)
    first = np.concatenate([[0], np.cumsum(n_events)[:-1]]).astype(np.int64)[: len(ep)]
    position = np.arange(len(owner)) - np.repeat(first, n_events)
    gaps = np.maximum(1, rng.exponential(45.0, len(owner))).astype(np.int64)
    gaps[position == 0] = 0
    cum = np.cumsum(gaps)
    cum -= np.repeat(cum[first], n_events)
    ts = ep.start[owner] + cum
    profile = ep.profile[owner]
    u = rng.random(len(owner))
    cdf = np.cumsum(_ACTION_P, axis=1)[profile]
    action = (u[:, None] > cdf).sum(axis=1).astype(np.int8)
    action = np.minimum(action, 3)
    action[position == 0] = 0
    forced = ep.forced_action[owner]
    last_of = position == np.repeat(n_events - 1, n_events)
    # A forced print/export is the last action of its episode (one opens the file, then prints it).
    action[(forced > 0) & last_of & (n_events[owner] > 1)] = (forced + 1)[
        (forced > 0) & last_of & (n_events[owner] > 1)
    ]
    single_forced = (forced > 0) & (n_events[owner] == 1)
    action[single_forced] = forced[single_forced] + 1
    app_p = model.app_preference[ep.agent]
    app = (rng.random(len(ep)) >= app_p).astype(np.int8)[owner]
    return {
        "ts": ts,
        "agent": ep.agent[owner],
        "de": ep.de[owner],
        "application": app,
        "action": action,
        "misuse": ep.misuse[owner],
    }


def to_table(
    model: TrafficModel,
    events: dict[str, np.ndarray],
    agent_ids: pa.Array,
    de_ids: pa.Array,
    counter_base: int,
    salt: int,
) -> pa.Table:
    order = np.argsort(events["ts"], kind="stable")
    n = len(order)
    de = events["de"][order]
    de_index = np.where(de >= 0, de, len(model.seekers) + (-1 - de))
    ids = hex_ids(np.arange(counter_base, counter_base + n, dtype=np.uint64), salt)
    return pa.table(
        {
            "event_id": pa.array(ids).cast(pa.string()),
            "ts": pa.array(events["ts"][order].astype("datetime64[s]"), type=pa.timestamp("s")),
            "agent_id": agent_ids.take(pa.array(events["agent"][order])),
            "de_id": de_ids.take(pa.array(de_index)),
            "application": pa.DictionaryArray.from_arrays(
                pa.array(events["application"][order]), pa.array(list(APPLICATIONS))
            ).cast(pa.string()),
            "action": pa.DictionaryArray.from_arrays(
                pa.array(events["action"][order]), pa.array(list(ACTIONS))
            ).cast(pa.string()),
        }
    )
