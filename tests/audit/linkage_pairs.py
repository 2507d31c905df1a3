"""Where the real-name linkage pairs (`shared/data/linkage/pairs_dev.csv`) are on this machine.

The identity measurement and the generators written from the real names read them. They live beside
the repository in CI (`../shared`), at /work/shared on the development machines, or wherever
`PARCOURS_LINKAGE_PAIRS` says; a checkout cloned elsewhere still finds them at /work/shared.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def candidates() -> list[Path]:
    given = os.environ.get("PARCOURS_LINKAGE_PAIRS")
    return [
        *([Path(given)] if given else []),
        REPO.parent / "shared/data/linkage/pairs_dev.csv",  # CI: shared/ beside the clone
        Path("/work/shared/data/linkage/pairs_dev.csv"),
    ]


def pairs_file() -> Path:
    """The first pairs file found; in CI a missing file fails the test, elsewhere it skips it."""
    for candidate in candidates():
        if candidate.is_file():
            return candidate
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("pairs_dev.csv not found beside the repository (shared/data/linkage/)")
    pytest.skip("pairs_dev.csv not available on this machine")
