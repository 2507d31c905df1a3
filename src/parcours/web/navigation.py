"""Navigation entries. Each route module may declare `NAV: list[NavItem]`; the header shows an entry
only to the roles that may open it (the route itself still checks: hiding is not protecting)."""

from __future__ import annotations

from dataclasses import dataclass

from parcours.accounts.roles import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    roles: frozenset[Role]
    order: int = 100
