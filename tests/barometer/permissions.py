"""Permission rules of the barometer dashboard (see RouteRule in parcours.web.testing).

Readers: managers, regional correspondents, works-council members (their establishment's region and
the nation) and the national team (every region). The seeded establishment DR-A is in region 76
(Occitanie, OCC); DR-B in 11 (Île-de-France, IDF), the other scope.
"""

from __future__ import annotations

from parcours.accounts.roles import Role
from parcours.web.testing import MatrixContext, RouteRule

READERS = frozenset({Role.MANAGER, Role.CORRESPONDANT, Role.NATIONAL, Role.CSE})


def _own_region(ctx: MatrixContext) -> dict[str, str]:
    return {"scope": "OCC"}


def _other_region(ctx: MatrixContext) -> dict[str, str]:
    return {"scope": "IDF"}


RULES: list[RouteRule] = [
    RouteRule("GET", "/barometre", roles=READERS, ok=frozenset({303})),
    RouteRule(
        "GET", "/barometre/{scope}", roles=READERS, params=_own_region, other_scope=_other_region
    ),
    # Without imported waves the report has nothing to show: 404 for every reader of the scope.
    RouteRule(
        "GET",
        "/barometre/{scope}/rapport.pdf",
        roles=READERS,
        params=_own_region,
        other_scope=_other_region,
        ok=frozenset({404}),
    ),
]
