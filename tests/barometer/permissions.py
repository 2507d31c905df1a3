"""Permission rules of the barometer dashboard (see RouteRule in parcours.web.testing).

Readers: managers, regional correspondents, works-council members (their establishment's region and
the nation) and the national team (every region). The seeded establishment DR-A is in region 76
(Occitanie, OCC); DR-B in 11 (Île-de-France, IDF), the other scope.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from sqlalchemy import func, select

from parcours.accounts.roles import Role
from parcours.barometer.definitions import default_definitions
from parcours.barometer.models import BarometerResponse, BarometerWave
from parcours.barometer.synth import ATTRIBUTES, generate_wave
from parcours.web.testing import MatrixContext, RouteRule

READERS = frozenset({Role.MANAGER, Role.CORRESPONDANT, Role.NATIONAL, Role.CSE})


def _own_region(ctx: MatrixContext) -> dict[str, str]:
    """Occitanie, with two small waves of responses (added once) so that every page has figures."""
    if not ctx.session.scalar(select(func.count()).select_from(BarometerResponse)):
        d = default_definitions()
        for wave in ("2024-03", "2024-10"):
            ctx.session.add(
                BarometerWave(wave_id=wave, label=wave, first_imported_at=datetime.now(UTC))
            )
            ctx.session.flush()
            for row in generate_wave(wave, 40, np.random.default_rng(7), d):
                attrs = dict(zip(ATTRIBUTES, row[2:10], strict=True)) | {"region": "OCC"}
                answers = {
                    c: int(v) for c, v in zip(d.questionnaire.items, row[10:], strict=True) if v
                }
                ctx.session.add(
                    BarometerResponse(wave_id=wave, respondent_id=row[1], region="OCC",
                                      attributes=attrs, answers=answers, batch_id="matrice")
                )  # fmt: skip
        ctx.session.flush()
    return {"scope": "OCC"}


def _other_region(ctx: MatrixContext) -> dict[str, str]:
    return {"scope": "IDF"}


RULES: list[RouteRule] = [
    RouteRule("GET", "/barometre", roles=READERS, ok=frozenset({303})),
    RouteRule(
        "GET", "/barometre/{scope}", roles=READERS, params=_own_region, other_scope=_other_region
    ),
    RouteRule(
        "GET",
        "/barometre/{scope}/rapport.pdf",
        roles=READERS,
        params=_own_region,
        other_scope=_other_region,
    ),
]
