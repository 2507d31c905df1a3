"""From the orientation domain's decision to what booking needs. The decision in force (the latest,
a reorientation included) says which organisation accompanies the person and from which agency."""

from __future__ import annotations

from sqlalchemy.orm import Session

from parcours.orientation.models import OrientationDecision
from parcours.orientation.service import current_decision
from parcours.scheduling.booking import OrientationDecisionRef
from parcours.scheduling.territory import zone_for_department


def decision_ref(decision: OrientationDecision) -> OrientationDecisionRef:
    # The decision date is the agency's local day: the one-month deadline counts from it.
    local = decision.decided_at.astimezone(zone_for_department(decision.department_code))
    return OrientationDecisionRef(
        de_id=decision.de_id,
        organisation=decision.organisation,
        agency_id=decision.agency_id,
        decided_on=local.date(),
        decision_id=decision.decision_id,
    )


def current_decision_ref(session: Session, *, de_id: str) -> OrientationDecisionRef | None:
    decision = current_decision(session, de_id=de_id)
    return decision_ref(decision) if decision is not None else None
