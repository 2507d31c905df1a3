"""Plain typed factories for the orientation tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from parcours.registry.models import Agency, Establishment

BASE_ANSWERS: dict[str, Any] = {
    "work_situation": "within_2_years",
    "inactivity_months": 6,
    "trade": "Vendeur en magasin",
    "age": 35,
    "asks_mission_locale": False,
    "boeth": False,
    "rsa": False,
    "qualification": "cap_bep",
    "aspiration": "ready_now",
    "difficulty_health": "none",
    "difficulty_housing": "none",
    "difficulty_mobility": "none",
    "difficulty_childcare": "none",
    "difficulty_caregiving": "none",
    "difficulty_language": "none",
    "difficulty_digital": "none",
    "difficulty_financial": "none",
    "difficulty_other": "none",
    "benefit_claim_requested": False,
}


def answers(**overrides: Any) -> dict[str, Any]:
    return {**BASE_ANSWERS, **overrides}


def agency(
    session: Session, *, agency_id: str = "A31001", department: str = "31", msa: bool = False
) -> Agency:
    if session.get(Establishment, "DR-OCC") is None:
        session.add(Establishment(establishment_id="DR-OCC", name="DR Occitanie", kind="DR"))
        session.flush()  # no relationship() between the two: flush the parent first
    row = Agency(
        agency_id=agency_id,
        name=f"Agence {agency_id}",
        establishment_id="DR-OCC",
        department_code=department,
        msa_experiment=msa,
    )
    session.add(row)
    session.flush()
    return row
