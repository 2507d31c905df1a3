"""Job seekers and protected persons, with the special files the detection must get right.

Special files (identities fixed up front, scattered at random positions among ordinary files so
that neither position nor id betrays them): agents' own job-seeker files (an identity that varies
from their HR record), protected persons who are job seekers, homonyms of both (same name, another
birth date), and pairs of homonyms among ordinary job seekers (the telephony may surface the wrong
one). Ordinary identities are drawn chunk by chunk when written, from a seed per chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from parcours.synth.calendar import Calendar
from parcours.synth.grouping import GroupIndex
from parcours.synth.identities import draw_identities, homonym_of
from parcours.synth.ids import job_seeker_ids
from parcours.synth.names import Identity, NamePools, variant_of
from parcours.synth.organisation import Agents, Organisation, day_number
from parcours.synth.parameters import JOBS, Geography, Scale

NO_DAY = 2**31 - 1  # "no deregistration"

# Kinds of sensitive files, as the detection issue names the targets.
SENS_NONE, SENS_AGENT, SENS_EX_AGENT, SENS_PROTECTED = 0, 1, 2, 3


@dataclass
class ProtectedPersons:
    ids: list[str]
    category: list[str]
    identity: list[Identity]
    department: list[str]
    valid_from: list[date]
    valid_to: list[date]


@dataclass
class JobSeekers:
    ids: list[str]  # de_id per row
    unknown_ids: list[str]  # files of other regions: consulted, absent from job_seekers.csv
    agency: np.ndarray
    department: np.ndarray
    commune: np.ndarray
    referent: np.ndarray  # agent index or -1
    registered: np.ndarray  # day numbers
    deregistered: np.ndarray  # day numbers, NO_DAY when still registered
    sensitive: np.ndarray  # SENS_* of the person behind the file
    owner: np.ndarray  # agent or protected-person index behind a sensitive file, else -1
    homonym: np.ndarray  # row of a homonym file, else -1
    relative_of: (
        np.ndarray
    )  # agent whose relative (same birth surname) the file belongs to, else -1
    special_identity: dict[int, Identity] = field(default_factory=dict)
    chunk_seed: int = 0
    edits: dict[int, list[str]] = field(default_factory=dict)  # spelling edits of sensitive files

    def __len__(self) -> int:
        return len(self.ids)


def _validity(rng: np.random.Generator, category: str) -> tuple[date, date]:
    if category == "candidate":
        # 2024 legislative elections: candidacies filed mid-June, second round on 7 July.
        return date(2024, 6, int(rng.integers(12, 17))), date(2024, 7, 7)
    mandates = [
        (date(2020, 7, 3), date(2026, 3, 22)),  # municipal councils
        (date(2021, 7, 1), date(2028, 3, 31)),  # departmental councils
        (date(2021, 7, 2), date(2028, 3, 31)),  # regional council
        (date(2022, 6, 22), date(2024, 6, 9)),  # deputies of the 16th legislature (dissolved)
        (date(2024, 7, 18), date(2029, 6, 30)),  # deputies elected in July 2024
        (date(2014, 4, 4), date(2020, 7, 3)),  # former municipal mandate, expired
    ]
    weights = np.array([0.62, 0.12, 0.05, 0.06, 0.05, 0.10])
    start, end = mandates[int(rng.choice(len(mandates), p=weights))]
    return start, end


def build_protected(
    rng: np.random.Generator, pools: NamePools, geography: Geography, scale: Scale
) -> ProtectedPersons:
    n = scale.protected_persons
    people = draw_identities(
        rng, pools, n, female_share=0.42, birth_years=(1942, 1999), reference_year=2024
    )
    # Registers of elected officials print surnames in capitals.
    people = [
        Identity(p.last_name.upper(), p.birth_name.upper(), p.first_names, p.birth_date, p.sex)
        for p in people
    ]
    category = ["candidate" if r < 0.18 else "elected" for r in rng.random(n)]
    validity = [_validity(rng, c) for c in category]
    codes = [d.code for d in geography.departments]
    pop = np.array([d.population_k for d in geography.departments], dtype=float)
    dept = rng.choice(len(codes), size=n, p=pop / pop.sum())
    numbers = rng.permutation(900_000)[:n] + 100_000
    return ProtectedPersons(
        ids=[f"P{x}" for x in numbers.tolist()],
        category=category,
        identity=people,
        department=[codes[d] for d in dept],
        valid_from=[v[0] for v in validity],
        valid_to=[v[1] for v in validity],
    )


def build_job_seekers(
    rng: np.random.Generator,
    pools: NamePools,
    org: Organisation,
    geography: Geography,
    scale: Scale,
    calendar: Calendar,
    agents: Agents,
    protected: ProtectedPersons,
) -> JobSeekers:
    period = calendar.period
    p0, p1 = day_number(period.start), day_number(period.end)
    n = scale.job_seekers
    # ---- special files --------------------------------------------------------------------------
    specials: list[tuple[Identity, int, int, list[str]]] = []  # identity, sensitive, owner, edits
    agent_file_rows: list[int] = []
    for a in range(len(agents)):
        ex = 0 <= agents.left_on[a] < p0
        if agents.other_region[a]:
            continue
        if rng.random() < (0.45 if ex else 0.15):
            variant, changes = variant_of(rng, agents.identity[a])
            specials.append((variant, SENS_EX_AGENT if ex else SENS_AGENT, a, changes))
            agent_file_rows.append(len(specials) - 1)
    protected_rows: list[int] = []
    for p in range(len(protected.ids)):
        if rng.random() < 0.05:
            variant, changes = variant_of(rng, protected.identity[p])
            # Job-seeker files are not in capitals: the registration form writes names as typed.
            variant = Identity(
                variant.last_name.title() if rng.random() < 0.5 else variant.last_name,
                variant.birth_name.title(),
                variant.first_names,
                variant.birth_date,
                variant.sex,
            )
            specials.append((variant, SENS_PROTECTED, p, changes))
            protected_rows.append(len(specials) - 1)
    homonym_pairs: list[tuple[int, int]] = []
    # Homonyms of sensitive people: same name, another birth date (hard negatives for matching).
    for row in [*agent_file_rows, *protected_rows]:
        if rng.random() < 0.3:
            specials.append((homonym_of(rng, specials[row][0]), SENS_NONE, -1, []))
            homonym_pairs.append((row, len(specials) - 1))
    # Relatives of agents: a parent, sibling or child bearing the agent's birth surname. A trap for
    # matching on surnames, and the file an agent may be curious about.
    relative_rows: list[tuple[int, int]] = []  # (special index, agent)
    for a in range(len(agents)):
        if agents.other_region[a] or rng.random() >= 0.1:
            continue
        me = agents.identity[a]
        sex = "F" if rng.random() < 0.5 else "M"
        born = date.fromisoformat(me.birth_date).year + int(rng.choice([-28, -6, -3, 3, 6, 28]))
        born = min(max(born, 1950), 2006)
        given = " ".join(pools.draw_first_names(rng, sex, born, int(rng.integers(1, 3))))
        relative = Identity(
            me.birth_name or me.last_name,
            "",
            given,
            f"{born}-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}",
            sex,
        )
        specials.append((relative, SENS_NONE, -1, []))
        relative_rows.append((len(specials) - 1, a))
    # Homonym pairs among ordinary job seekers.
    base = draw_identities(
        rng,
        pools,
        max(2, n // 200),
        female_share=0.5,
        birth_years=(1960, 2006),
        reference_year=2024,
    )
    for person in base:
        specials.append((person, SENS_NONE, -1, []))
        specials.append((homonym_of(rng, person), SENS_NONE, -1, []))
        homonym_pairs.append((len(specials) - 2, len(specials) - 1))
    if len(specials) > n // 2:
        raise ValueError(f"scale {scale.name}: too many special files for {n} job seekers")
    position = rng.choice(n, size=len(specials), replace=False)
    # ---- numeric attributes -----------------------------------------------------------------------
    n_agencies = len(org.agency_ids)
    # Agencies are staffed for their load: job seekers follow the counsellors.
    staff = np.bincount(
        agents.agency[(agents.agency >= 0) & (agents.job == JOBS.index("conseiller"))],
        minlength=n_agencies,
    ).astype(float)
    weights = staff + 0.5
    agency = rng.choice(n_agencies, size=n, p=weights / weights.sum())
    department = org.agency_department[agency]
    communes = np.array([d.communes for d in geography.departments])
    # Towns hosting agencies have most inhabitants: skew commune numbers towards the first ones.
    commune = 1 + np.minimum((rng.pareto(1.2, n) * 15).astype(np.int64), communes[department] - 1)
    since = _registration_ages(rng, n)
    registered = p0 - since
    new = rng.random(n) < 0.14
    registered[new] = p0 + rng.integers(0, period.days, int(new.sum()))
    deregistered = np.full(n, NO_DAY, dtype=np.int64)
    leaves = rng.random(n) < 0.17
    deregistered[leaves] = np.maximum(
        registered[leaves] + 30, p0 + rng.integers(0, period.days, int(leaves.sum()))
    )
    closed = rng.random(n) < 0.04
    deregistered[closed] = p0 - rng.integers(1, 120, int(closed.sum()))
    registered[closed] = np.minimum(registered[closed], deregistered[closed] - 60)
    sensitive = np.zeros(n, dtype=np.int8)
    owner = np.full(n, -1, dtype=np.int64)
    homonym = np.full(n, -1, dtype=np.int64)
    special_identity: dict[int, Identity] = {}
    edits: dict[int, list[str]] = {}
    for k, (ident, sens, who, ed) in enumerate(specials):
        pos = int(position[k])
        special_identity[pos] = ident
        sensitive[pos] = sens
        owner[pos] = who
        if sens:
            edits[pos] = ed
        if sens in (SENS_AGENT, SENS_EX_AGENT):
            hired, left = int(agents.hired_on[who]), int(agents.left_on[who])
            if sens == SENS_AGENT:
                # Registered before being hired; the file closes when the contract starts,
                # except for agents on short contracts who stay registered (reduced activity).
                registered[pos] = hired - int(rng.integers(60, 900))
                still = rng.random() < 0.3
                deregistered[pos] = NO_DAY if still else hired - int(rng.integers(0, 20))
            else:
                # Registered again after leaving; most are still job seekers.
                registered[pos] = left + int(rng.integers(1, 90))
                deregistered[pos] = (
                    NO_DAY
                    if rng.random() < 0.8
                    else max(registered[pos] + 30, p0 + int(rng.integers(20, period.days)))
                )
            if rng.random() < 0.4 and agents.agency[who] >= 0:
                agency[pos] = agents.agency[who]
                department[pos] = org.agency_department[agency[pos]]
    relative_of = np.full(n, -1, dtype=np.int64)
    for row, agent in relative_rows:
        relative_of[int(position[row])] = agent
    for left_row, right_row in homonym_pairs:
        a, b = int(position[left_row]), int(position[right_row])
        homonym[a], homonym[b] = b, a
    # ---- referents: counsellors of the file's agency ------------------------------------------------
    counsellor = (
        (agents.job == JOBS.index("conseiller"))
        & ~agents.other_region
        & (agents.last_day >= 0)
        & (agents.last_day >= period.days - 1)
    )
    referent = np.full(n, -1, dtype=np.int64)
    has_referent = (rng.random(n) < 0.88) & (deregistered >= p0) & (registered <= p1)
    followed = GroupIndex(np.where(has_referent, agency, -1), n_agencies)
    for a in range(n_agencies):
        pool = np.flatnonzero(counsellor & (agents.agency == a))
        if len(pool) == 0:
            pool = np.flatnonzero(counsellor & (agents.department == org.agency_department[a]))
        if len(pool) == 0:
            pool = np.flatnonzero(counsellor)
        rows = followed.rows_of(a)
        # Portfolios differ in size (part time, portfolio type): weight counsellors unevenly.
        weights = rng.gamma(9.0, 1.0, len(pool))
        referent[rows] = pool[rng.choice(len(pool), size=len(rows), p=weights / weights.sum())]
    all_ids = job_seeker_ids(rng, n + max(10, n // 50))
    return JobSeekers(
        ids=all_ids[:n],
        unknown_ids=all_ids[n:],
        agency=agency,
        department=department,
        commune=commune,
        referent=referent,
        registered=registered,
        deregistered=deregistered,
        sensitive=sensitive,
        owner=owner,
        homonym=homonym,
        relative_of=relative_of,
        special_identity=special_identity,
        chunk_seed=int(rng.integers(2**62)),
        edits=edits,
    )


def _registration_ages(rng: np.random.Generator, n: int) -> np.ndarray:
    """Days since registration at the period's start: many recent, a long tail of long-term ones."""
    bucket = rng.choice(3, size=n, p=[0.3, 0.5, 0.2])
    low = np.array([0, 90, 730])[bucket]
    high = np.array([90, 730, 2200])[bucket]
    ages: np.ndarray = low + (rng.random(n) * (high - low)).astype(np.int64)
    return ages
