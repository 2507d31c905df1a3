"""Plain typed factories for the scheduling tests."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy.orm import Session

from parcours.registry.models import Agency, Agent, Establishment
from parcours.scheduling.booking import OrientationDecisionRef
from parcours.scheduling.models import OpeningRange

MORNING = (time(8, 30), time(12, 0))
AFTERNOON = (time(13, 30), time(17, 0))


def make_agency(
    session: Session,
    *,
    agency_id: str = "AG1",
    department: str = "31",
    msa: bool = False,
    counsellors: int = 2,
    agency_hours: bool = True,
) -> list[str]:
    """An agency open Monday-Friday with counsellors working mornings and afternoons."""
    if session.get(Establishment, "EST1") is None:
        session.add(Establishment(establishment_id="EST1", name="DR Occitanie", kind="DR"))
        session.flush()
    session.add(
        Agency(
            agency_id=agency_id,
            name=f"Agence {agency_id}",
            establishment_id="EST1",
            department_code=department,
            msa_experiment=msa,
        )
    )
    session.flush()
    agent_ids = []
    for i in range(counsellors):
        agent_id = f"{agency_id}-C{i:02d}"
        agent_ids.append(agent_id)
        session.add(
            Agent(
                agent_id=agent_id,
                last_name=f"Conseiller{i}",
                first_names="Camille",
                establishment_id="EST1",
                agency_id=agency_id,
                job="conseiller",
            )
        )
        for weekday in range(5):
            for start, end in (MORNING, AFTERNOON):
                session.add(
                    OpeningRange(
                        agency_id=agency_id,
                        agent_id=agent_id,
                        weekday=weekday,
                        starts=start,
                        ends=end,
                    )
                )
    if agency_hours:
        for weekday in range(5):
            session.add(
                OpeningRange(
                    agency_id=agency_id,
                    agent_id=None,
                    weekday=weekday,
                    starts=time(8, 30),
                    ends=time(16, 30),
                )
            )
    session.flush()
    return agent_ids


# Before the tests' booking time (2026-02-01): a decision is dated at most today (booking refuses a
# later one).
DECIDED_ON = date(2026, 1, 26)


def decision(
    de_id: str, *, agency_id: str = "AG1", organisation: str = "FT", decided_on: date | None = None
) -> OrientationDecisionRef:
    return OrientationDecisionRef(
        de_id=de_id,
        organisation=organisation,
        agency_id=agency_id,
        decided_on=decided_on or DECIDED_ON,
    )
