"""One tiny synthetic region per test session: generating it takes about a second."""

from __future__ import annotations

from pathlib import Path

import pytest

from parcours.synth import SynthSummary, generate


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    out = tmp_path_factory.mktemp("synth") / "tiny"
    return out, generate(scale="tiny", seed=11, out=out, progress=False)
