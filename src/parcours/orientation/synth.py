"""Realistic orientation interviews for the demo, the what-if and the benchmark.

Answers are drawn column by column (numpy) so that a million interviews take seconds. The
profile is tuned so that the adopted rules give the spread the region reported for January 2025
(France Travail ~80 %, Missions Locales ~15 %, Cap emploi ~2 %, Conseils départementaux ~3 %):
a quarter of registrants are 16–25 and most of them ask for the Mission Locale; about one in
eight receives the RSA, and their difficulties are more often strong. Counsellors change about
one proposal in ten, for the reasons of the fixed list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from parcours.config import get_settings
from parcours.orientation import service
from parcours.orientation.library import RuleLibrary, default_library
from parcours.orientation.models import OrientationInterview
from parcours.orientation.vectorised import Codes, add_derived_counts
from parcours.registry.models import Agency, Agent, Appointment, JobSeeker

# Standalone demo agencies (when the registry is empty): id, département, MSA experiment.
STANDALONE_AGENCIES: tuple[tuple[str, str, bool], ...] = (
    ("OCC-09-FOIX", "09", False),
    ("OCC-11-CARCASSONNE", "11", False),
    ("OCC-12-RODEZ", "12", True),
    ("OCC-30-NIMES", "30", False),
    ("OCC-31-TOULOUSE-CENTRE", "31", False),
    ("OCC-31-TOULOUSE-MIRAIL", "31", True),
    ("OCC-32-AUCH", "32", False),
    ("OCC-34-MONTPELLIER", "34", False),
    ("OCC-34-BEZIERS", "34", True),
    ("OCC-46-CAHORS", "46", False),
    ("OCC-48-MENDE", "48", False),
    ("OCC-65-TARBES", "65", False),
    ("OCC-66-PERPIGNAN", "66", False),
    ("OCC-81-ALBI", "81", False),
    ("OCC-82-MONTAUBAN", "82", False),
)

YOUTH_SHARE = 0.26
YOUTH_ASKS_ML = 0.6
BOETH_SHARE = 0.021
RSA_SHARE = 0.13
CHANGE_RATE = 0.10


def sample_columns(
    rng: np.random.Generator, n: int, library: RuleLibrary | None = None
) -> dict[str, Codes]:
    """`n` interviews' answers, encoded as the rules read them, plus the derived counts."""
    library = library or default_library()
    form = library.form

    def code(qid: str, value: str) -> int:
        return form.question(qid).type.encode(value)

    young = rng.random(n) < YOUTH_SHARE
    age = np.where(young, rng.integers(16, 26, n), rng.integers(26, 65, n)).astype(np.int16)
    rsa = (rng.random(n) < np.where(young, RSA_SHARE * 0.4, RSA_SHARE * 1.2)).astype(np.int16)
    # Fragility drives every difficulty together: difficulties come in clusters.
    fragility = rng.beta(1.2, 6.0, n) + 0.45 * rsa
    situation = rng.choice(4, n, p=[0.18, 0.57, 0.17, 0.08]).astype(np.int16)
    inactivity = np.select(
        [situation == 0, situation == 1, situation == 2],
        [0, rng.integers(1, 24, n), rng.integers(24, 120, n)],
        default=np.minimum(age - 16, 40) * 12 // 2,
    ).astype(np.int16)
    qualification = rng.choice(5, n, p=[0.14, 0.27, 0.25, 0.16, 0.18]).astype(np.int16)
    project = rng.random(n) < 0.25 + 0.9 * fragility
    columns: dict[str, Codes] = {
        "work_situation": situation,
        "inactivity_months": inactivity,
        "age": age,
        "asks_mission_locale": (young & (rng.random(n) < YOUTH_ASKS_ML)).astype(np.int16),
        "boeth": (rng.random(n) < BOETH_SHARE).astype(np.int16),
        "rsa": rsa,
        "qualification": qualification,
        "aspiration": np.where(
            project, code("aspiration", "project_to_build"), code("aspiration", "ready_now")
        ).astype(np.int16),
        "benefit_claim_requested": (rng.random(n) < 0.55).astype(np.int16),
    }
    weights = {
        "difficulty_health": 0.6,
        "difficulty_housing": 0.5,
        "difficulty_mobility": 0.9,
        "difficulty_childcare": 0.5,
        "difficulty_caregiving": 0.25,
        "difficulty_language": 0.35,
        "difficulty_digital": 0.7,
        "difficulty_financial": 0.9,
        "difficulty_other": 0.15,
    }
    for qid in form.difficulty_fields:
        u = rng.random(n)
        p = fragility * weights.get(qid, 0.3)
        columns[qid] = np.where(u < p * 0.35, 2, np.where(u < p * 1.3, 1, 0)).astype(np.int16)
    return add_derived_counts(library, columns)


def decode_row(library: RuleLibrary, columns: dict[str, Codes], i: int) -> dict[str, Any]:
    """One interview's answers as the form takes them (codes back to values)."""
    answers: dict[str, Any] = {}
    for q in library.form.questions:
        if q.id not in columns:
            answers[q.id] = "Non précisé" if q.show_if is None else q.spec.when_hidden
            continue
        raw = int(columns[q.id][i])
        if q.type.kind == "choice":
            answers[q.id] = q.type.choices[raw]
        elif q.type.kind == "boolean":
            answers[q.id] = bool(raw)
        else:
            answers[q.id] = raw
    answers["trade"] = TRADES[i % len(TRADES)]
    if answers["difficulty_other"] != "none":
        answers["difficulty_other_detail"] = "Démarches administratives en cours"
    return library.form.validate(answers)


TRADES = (
    "Vendeur en magasin",
    "Aide-soignant",
    "Agent d'entretien",
    "Développeur informatique",
    "Cuisinier",
    "Assistant administratif",
    "Préparateur de commandes",
    "Maçon",
    "Comptable",
    "Serveur en restauration",
)

# Counsellor changes: proposed organisation -> change rate and weighted options
# (decided organisation, path, modality, reason, comment); None keeps the proposal's value.
# Rates and weights keep the decided spread close to the proposed one (FT 80 / ML 15 / Cap 2 / CD 3).
_CHANGE_RATES: dict[str, float] = {"FT": 0.11, "ML": 0.05, "CD": 0.1, "CAP_EMPLOI": 0.08}
_CHANGES: dict[str, Sequence[tuple[float, str | None, str | None, str, str, str]]] = {
    "ML": [
        (1.0, "FT", None, "aij", "person_choice", "Préfère rester suivi(e) par France Travail.")
    ],
    "CD": [
        (1.0, "FT", "socio_professional", "global", "partner_capacity", "Délai du CD trop long."),
    ],
    "CAP_EMPLOI": [
        (1.0, "FT", None, "guide", "person_choice", "Ne souhaite pas d'accompagnement spécialisé.")
    ],
    "FT": [
        (0.4, None, "socio_professional", "renforce", "situation_not_captured", "Freins évoqués."),
        (0.3, None, "professional", "guide", "counsellor_judgement", "Projet déjà clair."),
        (0.06, "CAP_EMPLOI", None, "cap_emploi", "health_disability", "RQTH en cours."),
        (0.24, None, None, "suivi", "person_choice", "Autonome dans ses recherches."),
    ],
}


@dataclass(frozen=True)
class SynthSummary:
    interviews: int
    decisions: int
    changed: int
    drafts: int
    claims_requested: int
    eda: int
    by_organisation: dict[str, int]


def _working_days(start: date, end: date) -> list[date]:
    days = []
    day = start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _agencies(session: Session) -> list[tuple[str, str, bool]]:
    rows = session.execute(
        select(Agency.agency_id, Agency.department_code, Agency.msa_experiment)
    ).all()
    return [(a, d, m) for a, d, m in rows] or list(STANDALONE_AGENCIES)


def synthesize_interviews(
    session: Session,
    *,
    start: date,
    end: date,
    per_day: int,
    seed: int = 2025,
    draft_share: float = 0.02,
    eda_share: float = 0.3,
    library: RuleLibrary | None = None,
) -> SynthSummary:
    """Interviews, proposals and decisions on each working day of [start, end], through the same
    service calls a counsellor's screen makes. Job seekers and counsellors come from the
    registry when it holds any; otherwise standalone ids and the demo agencies are used. Each
    person is interviewed once (a registration has one initial orientation): people already
    interviewed are left out, and when the registry runs out of people, fewer are generated."""
    library = library or default_library()
    rng = np.random.default_rng(seed)
    tz = ZoneInfo(get_settings().timezone)
    agencies = _agencies(session)
    interviewed = select(OrientationInterview.de_id)
    registered = session.scalar(select(JobSeeker.de_id).limit(1)) is not None
    seekers = (
        list(
            session.scalars(
                select(JobSeeker.de_id).where(JobSeeker.de_id.not_in(interviewed)).limit(200_000)
            )
        )
        if registered
        else _standalone_ids(set(session.scalars(interviewed)), seed)
    )
    agents_by_agency: dict[str, list[str]] = {}
    for agent_id, agency_id in session.execute(
        select(Agent.agent_id, Agent.agency_id).where(Agent.job == "conseiller")
    ):
        if agency_id:
            agents_by_agency.setdefault(agency_id, []).append(agent_id)
    days = _working_days(start, end)
    n = min(len(days) * per_day, len(seekers))
    columns = sample_columns(rng, n, library)
    counts: dict[str, int] = {}
    decisions = changed = drafts = claims = eda = 0
    for i in range(n):
        day = days[i // per_day]
        agency_id, department, msa = agencies[int(rng.integers(len(agencies)))]
        team = agents_by_agency.get(agency_id) or [f"AGT-{agency_id[-8:]}-{k}" for k in range(6)]
        agent_id = team[int(rng.integers(len(team)))]
        de_id = seekers[i]
        started = datetime.combine(day, time(8, 30), tzinfo=tz) + timedelta(
            minutes=int(rng.integers(0, 8 * 60))
        )
        answers = decode_row(library, columns, i)
        in_person = answers["difficulty_language"] == "strong"
        interview = service.start_interview(
            session,
            de_id=de_id,
            agent_id=agent_id,
            agency_id=agency_id,
            channel="in_person" if in_person else "phone",
            dpa_orientation=in_person,
            started_at=started,
            department_code=department,
            msa_experiment=msa,
        )
        if rng.random() < draft_share:  # interrupted call: stays a draft
            partial = dict(list(answers.items())[: int(rng.integers(1, 8))])
            service.save_answers(
                session, interview_id=interview.interview_id, answers=partial, saved_at=started
            )
            drafts += 1
            continue
        service.save_answers(
            session, interview_id=interview.interview_id, answers=answers, saved_at=started
        )
        target = 20 if msa else 15
        minutes = float(np.clip(rng.lognormal(np.log(target * 0.95), 0.25), 6, 60))
        completed = started + timedelta(minutes=minutes)
        proposal = service.complete_interview(
            session, interview_id=interview.interview_id, completed_at=completed, library=library
        )
        claims += bool(answers["benefit_claim_requested"])
        change: dict[str, Any] = {}
        options = _CHANGES.get(proposal.organisation, ())
        if options and rng.random() < _CHANGE_RATES.get(proposal.organisation, CHANGE_RATE):
            weights = np.array([o[0] for o in options])
            pick = options[int(rng.choice(len(options), p=weights / weights.sum()))]
            _w, org, path, modality, reason, comment = pick
            if (org or proposal.organisation, modality) != (
                proposal.organisation,
                proposal.modality,
            ):
                change = {
                    "organisation": org,
                    "path": path,
                    "modality": modality,
                    "change_reason": reason,
                    "change_comment": comment,
                }
        decision = service.decide(
            session,
            interview_id=interview.interview_id,
            agent_id=agent_id,
            decided_at=completed + timedelta(minutes=1),
            library=library,
            **change,
        )
        decisions += 1
        changed += decision.changed
        counts[decision.organisation] = counts.get(decision.organisation, 0) + 1
        if decision.organisation == "FT" and rng.random() < eda_share:
            eda_at = (completed + timedelta(days=int(rng.integers(3, 20)))).astimezone(UTC)
            session.add(
                Appointment(
                    appointment_id=f"EDA-{interview.interview_id}",
                    de_id=de_id,
                    agent_id=agent_id,
                    starts_at=eda_at,
                    kind="EDA",
                    status="done",
                )
            )
            eda += 1
        if i % 500 == 499:
            session.flush()
    session.flush()
    return SynthSummary(n, decisions, changed, drafts, claims, eda, counts)


def _standalone_ids(taken: set[str], seed: int, count: int = 200_000) -> list[str]:
    """Ids for people absent from the registry, none already interviewed (a second run)."""
    ids = (f"SYN-DE-{seed}-{i:07d}" for i in range(count + len(taken)))
    return [de_id for de_id in ids if de_id not in taken][:count]


def organisation_shares(
    codes: npt.NDArray[np.int16], library: RuleLibrary | None = None
) -> dict[str, float]:
    library = library or default_library()
    names = library.context.outcomes["organisation"]
    counts = np.bincount(codes, minlength=len(names))
    return {name: float(counts[k]) / max(len(codes), 1) for k, name in enumerate(names)}
