"""Scope rules: on whom a user may act. Pure functions over plain values, so they are property-tested.

- national team: every establishment;
- regional correspondent, works-council member, administrator: their establishment;
- local manager and counsellor: their agency.

A job seeker's file is "in scope" of a user only through a working relation (see `file_relation`);
every other opening needs a declared purpose, whatever the role.
"""

from __future__ import annotations

from dataclasses import dataclass

from parcours.accounts.roles import Role


@dataclass(frozen=True)
class Scope:
    """None means "every": establishment_id None covers all establishments, agency_id None all agencies
    of the establishment."""

    establishment_id: str | None
    agency_id: str | None

    def covers(self, *, establishment_id: str | None, agency_id: str | None) -> bool:
        """Whether an object located in (establishment, agency) lies inside this scope."""
        if self.establishment_id is None:
            return True
        if establishment_id != self.establishment_id:
            return False
        if self.agency_id is None:
            return True
        return agency_id == self.agency_id

    def covers_scope(self, other: Scope) -> bool:
        """Whether everything `other` covers is covered here (e.g. may an admin manage that account)."""
        if self.establishment_id is None:
            return True
        if other.establishment_id != self.establishment_id:
            return False
        return self.agency_id is None or other.agency_id == self.agency_id


def scope_for(*, role: Role, establishment_id: str, agency_id: str | None) -> Scope:
    if role is Role.NATIONAL:
        return Scope(establishment_id=None, agency_id=None)
    if role in (Role.CORRESPONDANT, Role.CSE, Role.ADMIN):
        return Scope(establishment_id=establishment_id, agency_id=None)
    # Counsellor and manager: their agency. Such an account always names one (service.create_user);
    # if one does not, fail closed rather than widen the scope to the whole establishment.
    if agency_id is None:
        raise ValueError(f"a {role.value} account must belong to an agency")
    return Scope(establishment_id=establishment_id, agency_id=agency_id)
