"""Synthetic interviews give the regional spread; the what-if re-runs them under a draft."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from parcours.orientation.library import RULES_DIR, default_library
from parcours.orientation.models import (
    BenefitClaim,
    OrientationDecision,
    OrientationInterview,
)
from parcours.orientation.synth import (
    STANDALONE_AGENCIES,
    organisation_shares,
    sample_columns,
    synthesize_interviews,
)
from parcours.orientation.vectorised import evaluate_columns
from parcours.orientation.whatif import previous_month, whatif_interviews

LIBRARY = default_library()
DRAFT = LIBRARY.load_draft(RULES_DIR / "drafts" / "2026-01-projet.yaml")


def test_sampled_interviews_give_the_regional_spread() -> None:
    rng = np.random.default_rng(11)
    n = 60_000
    columns = sample_columns(rng, n, LIBRARY)
    deps = np.array([d for _, d, _ in STANDALONE_AGENCIES])[rng.integers(0, 15, n)]
    result = evaluate_columns(columns, deps, at=date(2025, 5, 15), library=LIBRARY)
    shares = organisation_shares(result["organisation"], LIBRARY)
    for organisation, expected in {"FT": 0.80, "ML": 0.15, "CAP_EMPLOI": 0.02, "CD": 0.03}.items():
        assert shares[organisation] == pytest.approx(expected, abs=0.012), shares


def test_synthetic_month_through_the_service(engine: Engine) -> None:
    with Session(engine) as session:
        summary = synthesize_interviews(
            session, start=date(2025, 5, 5), end=date(2025, 5, 9), per_day=12, seed=3
        )
        session.commit()
        assert summary.interviews == 60
        assert summary.decisions + summary.drafts == 60
        stored = session.scalar(select(func.count()).select_from(OrientationDecision))
        assert stored == summary.decisions
        drafts = session.scalar(
            select(func.count())
            .select_from(OrientationInterview)
            .where(OrientationInterview.status == "draft")
        )
        assert drafts == summary.drafts
        claims = session.scalar(select(func.count()).select_from(BenefitClaim))
        assert claims == summary.claims_requested
        changed = session.scalars(
            select(OrientationDecision).where(OrientationDecision.changed.is_(True))
        ).all()
        assert len(changed) == summary.changed
        assert all(d.change_reason and d.change_comment for d in changed)

        same = whatif_interviews(
            session,
            start=date(2025, 5, 1),
            end=date(2025, 5, 31),
            draft=LIBRARY.chart_at(date(2025, 5, 1)),
            at=date(2025, 5, 7),
        )
        assert same.interviews == summary.decisions
        assert all(s.moved == 0 for s in same.stages.values())  # same rules, same proposals
        moved = whatif_interviews(
            session, start=date(2025, 5, 1), end=date(2025, 5, 31), draft=DRAFT
        )
        assert moved.stages["path"].before.get("professional", 0) >= moved.stages["path"].after.get(
            "professional", 0
        )  # lower thresholds only move people away from the professional path


def test_previous_month() -> None:
    assert previous_month(date(2025, 3, 14)) == (date(2025, 2, 1), date(2025, 2, 28))
    assert previous_month(date(2025, 1, 2)) == (date(2024, 12, 1), date(2024, 12, 31))


def test_synthetic_interviews_use_the_registry_when_it_has_people(engine: Engine) -> None:
    from datetime import date as day

    from parcours.registry.models import Agent, JobSeeker

    from .factories import agency

    with Session(engine) as session:
        agency(session, agency_id="A81001", department="81", msa=True)
        session.add(
            Agent(
                agent_id="AGT-81",
                last_name="ROUX",
                first_names="Anne",
                establishment_id="DR-OCC",
                agency_id="A81001",
                job="conseiller",
            )
        )
        for k in range(5):
            session.add(
                JobSeeker(
                    de_id=f"DE-81-{k}",
                    last_name="NOM",
                    first_names="Prénom",
                    agency_id="A81001",
                    registered_on=day(2025, 5, 1),
                )
            )
        session.flush()
        synthesize_interviews(
            session, start=date(2025, 5, 5), end=date(2025, 5, 5), per_day=10, seed=1
        )
        rows = session.scalars(select(OrientationInterview)).all()
        assert {r.agency_id for r in rows} == {"A81001"}
        assert {r.agent_id for r in rows} == {"AGT-81"}
        # Each registrant once (old code: cycled through them, a second initial orientation each),
        # so 5 interviews of the 10 asked for; a second run finds nobody left to interview.
        assert sorted(r.de_id for r in rows) == [f"DE-81-{k}" for k in range(5)]
        assert all(r.msa_experiment and r.department_code == "81" for r in rows)
        again = synthesize_interviews(
            session, start=date(2025, 5, 6), end=date(2025, 5, 6), per_day=10, seed=2
        )
        assert again.interviews == 0
