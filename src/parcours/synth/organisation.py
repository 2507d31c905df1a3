"""Establishments, agencies and agents (current, ex-agents, other regions' agents)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from parcours.synth.calendar import Calendar, MinuteTable
from parcours.synth.identities import draw_identities
from parcours.synth.ids import agent_ids
from parcours.synth.names import Identity, NamePools
from parcours.synth.parameters import JOBS, Geography, PatternTemplate, Scale

# Share of agents per job among current agents of the region (the rest: other regions' agents).
JOB_SHARES: dict[str, float] = {
    "conseiller": 0.58,
    "gdd": 0.14,
    "manager": 0.06,
    "plateforme": 0.10,
    "support": 0.05,
    "direction": 0.04,
}
OTHER_REGION_SHARE = 0.03  # agents of other regions' directorates present in the reference files
EX_AGENT_SHARE = 0.08  # rows of agents who left before the period
_DISTRICTS = (
    "Centre",
    "Nord",
    "Sud",
    "Est",
    "Ouest",
    "Rive gauche",
    "Rive droite",
    "Gare",
    "Ville",
)


@dataclass
class Organisation:
    establishments: list[tuple[str, str, str, str]]  # id, name, kind, region_code
    agency_ids: list[str]
    agency_names: list[str]
    agency_department: np.ndarray  # index into geography.departments
    agency_msa: np.ndarray
    dr_id: str


@dataclass
class Agents:
    ids: list[str]
    identity: list[Identity]
    job: np.ndarray  # index into JOBS
    establishment: list[str]
    agency: np.ndarray  # index into agencies, -1 for none
    department: np.ndarray  # the département they work in (agency's, or the DR's seat)
    hired_on: np.ndarray  # days since epoch
    left_on: np.ndarray  # days since epoch, -1 when still in post
    template: np.ndarray  # index into pattern templates: how they really work
    pattern_written: np.ndarray  # bool: work_pattern filled in agents.csv
    first_day: np.ndarray  # period day indexes of activity (inclusive)
    last_day: np.ndarray
    leave_start: np.ndarray  # a block of leave inside the period
    leave_end: np.ndarray
    late_worker: np.ndarray  # bool: sometimes works evenings or weekends, legitimately
    other_region: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.ids)

    def active(self) -> np.ndarray:
        return self.first_day <= self.last_day


def build_organisation(
    rng: np.random.Generator, geography: Geography, scale: Scale
) -> Organisation:
    dr = f"DR{geography.region_code}"
    establishments = [
        (dr, f"Direction régionale {geography.region_name}", "DR", geography.region_code),
        *[
            (f"DR{code}", f"Direction régionale {name}", "DR", code)
            for code, name in geography.other_regions
        ],
        ("DG", "Direction générale", "DG", ""),
        ("DSI", "Direction des systèmes d'information", "DSI", ""),
        (
            f"PES{geography.region_code}",
            f"Plateformes à distance {geography.region_name}",
            "PES",
            geography.region_code,
        ),
    ]
    in_agencies = scale.agents * (
        JOB_SHARES["conseiller"] + JOB_SHARES["gdd"] + JOB_SHARES["manager"]
    )
    n_agencies = max(len(geography.departments), round(in_agencies / 32))
    population = np.array([d.population_k for d in geography.departments], dtype=np.float64)
    per_dept = np.maximum(1, np.floor(population / population.sum() * n_agencies)).astype(int)
    while per_dept.sum() < n_agencies:
        per_dept[np.argmax(population / per_dept)] += 1
    ids: list[str] = []
    names: list[str] = []
    departments: list[int] = []
    for d, (dept, count) in enumerate(zip(geography.departments, per_dept, strict=True)):
        numbers = np.sort(rng.choice(990, size=count, replace=False)) + 10
        # One agency per secondary town; the main town takes the rest, named by district.
        main = max(1, count - (len(dept.towns) - 1))
        for k in range(count):
            town = dept.towns[max(0, k - main + 1)]
            name = f"France Travail {town}"
            if k < main and main > 1:
                name += f" {_DISTRICTS[k % len(_DISTRICTS)]}"
                if k >= len(_DISTRICTS):
                    name += f" {k // len(_DISTRICTS) + 1}"
            ids.append(f"{dept.code}{numbers[k]:03d}")
            names.append(name)
            departments.append(d)
    msa = rng.random(len(ids)) < 1 / 3
    return Organisation(
        establishments=establishments,
        agency_ids=ids,
        agency_names=names,
        agency_department=np.array(departments, dtype=np.int64),
        agency_msa=msa,
        dr_id=dr,
    )


def _template_for_jobs(
    rng: np.random.Generator, jobs: np.ndarray, templates: tuple[PatternTemplate, ...]
) -> np.ndarray:
    out = np.zeros(len(jobs), dtype=np.int64)
    for j, job in enumerate(JOBS):
        sel = np.flatnonzero(jobs == j)
        weights = np.array([t.weights.get(job, 0.0) for t in templates])
        out[sel] = rng.choice(len(templates), size=len(sel), p=weights / weights.sum())
    return out


def build_agents(
    rng: np.random.Generator,
    pools: NamePools,
    org: Organisation,
    geography: Geography,
    scale: Scale,
    calendar: Calendar,
    templates: tuple[PatternTemplate, ...],
) -> Agents:
    period = calendar.period
    n_current = scale.agents
    n_other = max(2, round(n_current * OTHER_REGION_SHARE))
    n_ex = max(3, round(n_current * EX_AGENT_SHARE))
    n = n_current + n_other + n_ex
    jobs_list = list(JOB_SHARES)
    shares = np.array([JOB_SHARES[j] for j in jobs_list])
    job = np.empty(n, dtype=np.int64)
    job[:n_current] = [
        JOBS.index(j) for j in rng.choice(jobs_list, size=n_current, p=shares / shares.sum())
    ]
    job[n_current : n_current + n_other] = [
        JOBS.index(j) for j in rng.choice(["conseiller", "gdd", "plateforme"], size=n_other)
    ]
    job[n_current + n_other :] = [
        JOBS.index(j) for j in rng.choice(jobs_list, size=n_ex, p=shares / shares.sum())
    ]
    # Every agency has at least one manager and two counsellors.
    n_agencies = len(org.agency_ids)
    agency = np.full(n, -1, dtype=np.int64)
    in_agency = np.isin(job, [JOBS.index("conseiller"), JOBS.index("gdd"), JOBS.index("manager")])
    in_agency[n_current : n_current + n_other] = False
    # An agency serves its share of its département's population.
    per_dept = np.bincount(org.agency_department, minlength=len(geography.departments))
    pop = np.array(
        [geography.departments[d].population_k / per_dept[d] for d in org.agency_department],
        dtype=float,
    )
    rows = np.flatnonzero(in_agency)
    agency[rows] = rng.choice(n_agencies, size=len(rows), p=pop / pop.sum())
    current_rows = rows[rows < n_current]
    for a in range(n_agencies):
        for needed_job, needed in (("manager", 1), ("conseiller", 2)):
            have = np.sum((agency[:n_current] == a) & (job[:n_current] == JOBS.index(needed_job)))
            if have < needed and len(current_rows) > 0:
                donors = current_rows[job[current_rows] == JOBS.index("conseiller")]
                donors = donors[
                    np.bincount(agency[donors], minlength=n_agencies)[agency[donors]] > 3
                ]
                for r in donors[: needed - have]:
                    agency[r] = a
                    job[r] = JOBS.index(needed_job)
    department = np.where(agency >= 0, org.agency_department[np.maximum(agency, 0)], 0)
    seat = [i for i, d in enumerate(geography.departments) if d.code == "31"]
    department[agency < 0] = seat[0] if seat else 0
    establishment: list[str] = []
    for i in range(n):
        j = JOBS[job[i]]
        if n_current <= i < n_current + n_other:
            establishment.append(
                f"DR{geography.other_regions[i % len(geography.other_regions)][0]}"
            )
        elif j == "plateforme":
            establishment.append(f"PES{geography.region_code}")
        elif j == "support":
            establishment.append("DSI")
        elif j == "direction":
            establishment.append("DG" if rng.random() < 0.25 else org.dr_id)
        else:
            establishment.append(org.dr_id)
    identity = draw_identities(
        rng, pools, n, female_share=0.72, birth_years=(1960, 2001), reference_year=period.start.year
    )
    p0 = day_number(period.start)
    born = np.array([day_number(date.fromisoformat(p.birth_date)) for p in identity])
    earliest = (
        born + 365 * 20 + rng.integers(0, 365 * 6, n)
    )  # hired in their twenties at the earliest
    hired = np.maximum(p0 - rng.integers(60, 365 * 25, n), earliest)
    hired = np.minimum(hired, p0 - 30)
    new_hire = rng.random(n) < 0.03
    new_hire[n_current:] = False
    hired[new_hire] = p0 + rng.integers(0, period.days - 10, int(new_hire.sum()))
    left = np.full(n, -1, dtype=np.int64)
    left[n_current + n_other :] = p0 - rng.integers(5, 730, n_ex)
    hired[n_current + n_other :] = np.minimum(
        hired[n_current + n_other :], left[n_current + n_other :] - 200
    )
    leaving = (rng.random(n) < 0.015) & ~new_hire
    leaving[n_current:] = False
    left[leaving] = p0 + rng.integers(10, period.days - 1, int(leaving.sum()))
    first_day = np.clip(hired - p0, 0, period.days)
    last_day = np.where(left >= 0, np.minimum(left - p0 - 1, period.days - 1), period.days - 1)
    template = _template_for_jobs(rng, job, templates)
    leave_len = rng.choice([0, 3, 5, 8, 10, 15], size=n, p=[0.15, 0.15, 0.25, 0.2, 0.15, 0.1])
    leave_start = rng.integers(0, period.days, n)
    leave_end = leave_start + (leave_len * 7) // 5
    other = np.zeros(n, dtype=bool)
    other[n_current : n_current + n_other] = True
    return Agents(
        ids=agent_ids(rng, n),
        identity=identity,
        job=job,
        establishment=establishment,
        agency=agency,
        department=department,
        hired_on=hired,
        left_on=left,
        template=template,
        pattern_written=rng.random(n) >= 1 / 3,
        first_day=first_day,
        last_day=last_day,
        leave_start=leave_start,
        leave_end=leave_end,
        late_worker=rng.random(n) < 0.06,
        other_region=other,
    )


def minute_tables(templates: tuple[PatternTemplate, ...]) -> list[MinuteTable]:
    return [MinuteTable.from_week(t.week) for t in templates]


def day_number(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def from_day_number(n: int) -> date:
    return date(1970, 1, 1) + timedelta(days=n)
