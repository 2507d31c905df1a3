"""Demo accounts, one per role, attached to real objects of the imported region so that every page
has something to show: the counsellor is the referent with the largest portfolio of the busiest
agency, the manager runs that agency, the correspondent and works-council member belong to its
establishment. Re-running gives new passwords (printed by `demo`) and keeps the TOTP secrets."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parcours.accounts import service
from parcours.accounts.models import User
from parcours.accounts.roles import Role
from parcours.errors import ConfigError
from parcours.registry.models import Agency, Agent, Establishment, JobSeeker


@dataclass(frozen=True)
class DemoAccount:
    login: str
    password: str
    role: Role
    establishment_id: str
    agency_id: str | None
    agent_id: str | None
    totp_secret: str | None


def _demo_password() -> str:
    # 20 random URL-safe characters plus one of each class: always passes the policy.
    return secrets.token_urlsafe(15) + "Aa9!"


def _busiest_agency(session: Session) -> Agency:
    row = session.execute(
        select(Agency, func.count(JobSeeker.de_id).label("n"))
        .join(JobSeeker, JobSeeker.agency_id == Agency.agency_id)
        .join(Establishment, Establishment.establishment_id == Agency.establishment_id)
        .where(Establishment.kind == "DR")
        .group_by(Agency.agency_id)
        .order_by(func.count(JobSeeker.de_id).desc(), Agency.agency_id)
        .limit(1)
    ).first()
    if row is None:
        raise ConfigError(
            "No agency with job seekers: import the demo region before creating demo accounts."
        )
    agency: Agency = row[0]
    return agency


def _agent_of(session: Session, agency_id: str, job: str) -> str | None:
    if job == "conseiller":
        found = session.execute(
            select(JobSeeker.referent_agent_id, func.count())
            .join(Agent, Agent.agent_id == JobSeeker.referent_agent_id)
            .where(Agent.agency_id == agency_id, Agent.job == "conseiller")
            .group_by(JobSeeker.referent_agent_id)
            .order_by(func.count().desc(), JobSeeker.referent_agent_id)
            .limit(1)
        ).first()
        if found is not None:
            return str(found[0])
    agent_id = session.scalar(
        select(Agent.agent_id)
        .where(Agent.agency_id == agency_id, Agent.job == job)
        .order_by(Agent.agent_id)
        .limit(1)
    )
    return agent_id


def create_demo_accounts(session: Session) -> list[DemoAccount]:
    agency = _busiest_agency(session)
    est = agency.establishment_id
    plan: list[tuple[Role, str | None, str | None]] = [
        (Role.CONSEILLER, agency.agency_id, _agent_of(session, agency.agency_id, "conseiller")),
        (Role.MANAGER, agency.agency_id, _agent_of(session, agency.agency_id, "manager")),
        (Role.CORRESPONDANT, None, None),
        (Role.NATIONAL, None, None),
        (Role.CSE, None, None),
        (Role.ADMIN, None, None),
    ]
    accounts: list[DemoAccount] = []
    for role, agency_id, agent_id in plan:
        login = f"demo-{role.value}"
        password = _demo_password()
        user = session.scalar(select(User).where(User.login == login))
        if user is None:
            user = service.create_user(
                session,
                login=login,
                display_name=f"Démo {role.value}",
                role=role,
                establishment_id=est,
                agency_id=agency_id,
                agent_id=agent_id,
                password=password,
            )
        else:
            service.set_password(session, login=login, password=password)
            service.unlock_user(session, login=login)
            user.disabled = False
        accounts.append(
            DemoAccount(
                login=login,
                password=password,
                role=role,
                establishment_id=est,
                agency_id=agency_id,
                agent_id=agent_id,
                totp_secret=user.totp_secret,
            )
        )
    session.flush()
    return accounts
