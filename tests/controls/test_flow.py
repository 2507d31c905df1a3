"""Detection in flow on a tiny synthetic region: a crash between import and dispatch loses nothing and
counts nothing twice; re-delivered files change nothing; the flow raises the same situations as a batch
campaign over the same window."""

from __future__ import annotations

import csv
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import parcours.audit.campaign as campaign_module
from parcours.config import get_settings
from parcours.consultlog.store import ConsultLog
from parcours.controls.flow import FlowWatcher
from parcours.controls.models import Campaign, Control
from parcours.registry.importer import import_directory
from parcours.synth.generator import generate

pytestmark = pytest.mark.slow


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture(scope="module")
def tiny_region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    generate(scale="tiny", seed=7, out=out, progress=False, consultations_format="csv")
    return out


def _split(src: Path, dest: Path, parts: int) -> list[int]:
    with src.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    size = -(-len(body) // parts)
    counts = []
    for i in range(parts):
        chunk = body[i * size : (i + 1) * size]
        with (dest / f"export-{i}.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(chunk)
        counts.append(len(chunk))
    return counts


def test_flow_survives_a_crash_and_matches_the_batch_campaign(
    tiny_region: Path, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    reference = tmp_path / "reference"
    reference.mkdir()
    for f in tiny_region.glob("*.csv"):
        if f.name not in {"consultations.csv", "truth.csv", "truth_identities.csv"}:
            shutil.copy(f, reference / f.name)
    assert import_directory(reference, settings=settings, progress=False).ok
    watcher = FlowWatcher(settings, lookback_days=30)
    counts = _split(tiny_region / "consultations.csv", watcher.inbox, parts=3)

    # A crash after the import, before detection and dispatch (as kill -9 would leave it).
    def crash(**_: object) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(campaign_module, "run_campaign", crash)
    with pytest.raises(RuntimeError):
        watcher.process(watcher.claim())
    logbook = ConsultLog(settings.log_dir)
    assert logbook.count() == sum(counts)
    assert len(list(watcher.claimed.iterdir())) == 3  # still claimed, nothing marked done
    monkeypatch.undo()

    # Restart: the claimed files are processed again; nothing is loaded twice.
    restarted = FlowWatcher(settings, lookback_days=30)
    cycle = restarted.run_once()
    assert cycle is not None and len(cycle.files) == 3 and cycle.rows_loaded == 0
    assert logbook.count() == sum(counts)
    assert cycle.pairs > 0 and cycle.created > 0
    assert len(list(restarted.done.iterdir())) == 3 and not list(restarted.claimed.iterdir())

    with Session(engine) as s:
        flow_pairs = {(c.agent_id, c.de_id) for c in s.scalars(select(Control))}
        consultations_before = dict(
            s.execute(select(Control.control_id, Control.consultations)).all()
        )
        flow = s.scalar(select(Campaign).where(Campaign.mode == "flow"))
        assert flow is not None
        start, end = flow.period_start, flow.period_end
    assert end - start > timedelta(
        days=30
    )  # the claimed events span the quarter, plus the lookback

    # The same window as a batch campaign raises the same situations.
    batch = campaign_module.run_campaign(start=start, end=end, settings=settings, progress=False)
    assert flow_pairs == {(a.agent_id, a.de_id) for a in batch.alerts}

    # Re-delivery of the same export: nothing new, no control duplicated, no consultation counted twice.
    _split(tiny_region / "consultations.csv", restarted.inbox, parts=3)
    again = restarted.run_once()
    assert again is not None and again.rows_loaded == 0 and again.created == 0
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Control)) == len(flow_pairs)
        assert (
            dict(s.execute(select(Control.control_id, Control.consultations)).all())
            == consultations_before
        )
