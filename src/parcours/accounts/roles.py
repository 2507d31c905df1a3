"""The roles of the web application and what each one is for.

A role says WHAT a user may do; the scope (see `scope.py`) says ON WHOM. Both are checked on every route.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CONSEILLER = (
        "conseiller"  # counsellor: files of their portfolio, others with a declared purpose
    )
    MANAGER = "manager"  # local management (ELD): one agency
    CORRESPONDANT = "correspondant"  # regional correspondent: one establishment
    NATIONAL = "national"  # national data-protection team: everything
    CSE = "cse"  # works council member: aggregates only, never a person
    ADMIN = "admin"  # account administration of one establishment; no personal data


LABELS: dict[Role, str] = {
    Role.CONSEILLER: "Conseiller",
    Role.MANAGER: "Manager (ELD)",
    Role.CORRESPONDANT: "Correspondant régional",
    Role.NATIONAL: "Équipe nationale protection des données",
    Role.CSE: "Membre du CSE",
    Role.ADMIN: "Administrateur",
}

# Roles that see alerts about agents, hence a second factor is mandatory (CNIL; SAN-2026-003).
ROLES_REQUIRING_TOTP: frozenset[Role] = frozenset(
    {Role.MANAGER, Role.CORRESPONDANT, Role.NATIONAL, Role.ADMIN}
)

# Roles that may open a job seeker's file at all (through the logged file view).
ROLES_READING_FILES: frozenset[Role] = frozenset(
    {Role.CONSEILLER, Role.MANAGER, Role.CORRESPONDANT, Role.NATIONAL}
)

# Roles that handle alerts about agents (the control protocol), each in their own scope.
ROLES_HANDLING_ALERTS: frozenset[Role] = frozenset(
    {Role.MANAGER, Role.CORRESPONDANT, Role.NATIONAL}
)

# Roles whose account must name an agency (their scope is the agency).
ROLES_WITH_AGENCY: frozenset[Role] = frozenset({Role.CONSEILLER, Role.MANAGER})
