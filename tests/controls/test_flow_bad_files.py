"""Detection in flow with bad files in the inbox: each is refused with its reason and set aside, the files
beside it are processed in the same cycle, and a file dropped again under the same name never overwrites
one claimed before it, nor its rejects.

Old code: a file the import refused (not UTF-8, not Parquet, no `event_id` column) made every cycle fail
after the import and stayed claimed, so the flow stopped for good; a claimed file was renamed over by a
new drop of the same name, and each cycle's rejects replaced the previous ones."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine

from parcours.config import get_settings
from parcours.consultlog.store import ConsultLog
from parcours.controls.flow import FlowWatcher, dropped_name, unstamped

HEADER = "event_id,ts,agent_id,de_id,application,action\n"


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


def _drop(watcher: FlowWatcher, name: str, content: bytes) -> None:
    (watcher.inbox / name).write_bytes(content)


def test_refused_files_are_set_aside_and_the_good_ones_processed(engine: Engine) -> None:
    settings = get_settings()
    watcher = FlowWatcher(settings, lookback_days=30)
    _drop(watcher, "a-bon.csv", (HEADER + "e1,2024-05-02T10:00:00Z,A1,D1,AUDE,view\n").encode())
    _drop(watcher, "b-latin1.csv", "événement,ts\n".encode("latin-1"))
    _drop(watcher, "c-tronque.parquet", b"PAR1xx")
    _drop(watcher, "d-sans-id.csv", b"id,ts\n1,2\n")

    cycle = watcher.run_once()

    assert cycle is not None and len(cycle.files) == 4
    assert [unstamped(n)[1] for n in cycle.files_refused] == [
        "b-latin1.csv", "c-tronque.parquet", "d-sans-id.csv"
    ]  # fmt: skip
    assert cycle.rows_loaded == 1 and ConsultLog(settings.log_dir).count() == 1
    assert cycle.pairs == 1  # the good file's situation was looked at in flow
    assert not list(watcher.claimed.iterdir())
    assert sorted(dropped_name(p.name) for p in watcher.refused.iterdir()) == [
        "b-latin1.csv", "c-tronque.parquet", "d-sans-id.csv"
    ]  # fmt: skip
    assert [dropped_name(p.name) for p in watcher.done.iterdir()] == ["a-bon.csv"]
    reasons = {p.name: p.read_text(encoding="utf-8") for p in settings.rejects_dir.iterdir()}
    assert len(reasons) == 3  # the three refused files, each with its reason
    assert any("UTF-8" in r for r in reasons.values())
    assert any("Parquet illisible" in r for r in reasons.values())
    checkpoint = json.loads((watcher.work / "checkpoint.json").read_text())
    assert checkpoint["files_refused"] == 3 and checkpoint["files"] == 4

    # The next cycle is not blocked by them.
    _drop(watcher, "e-bon.csv", (HEADER + "e2,2024-05-03T10:00:00Z,A1,D1,AUDE,view\n").encode())
    again = watcher.run_once()
    assert again is not None and again.rows_loaded == 1 and not again.files_refused


def test_a_file_dropped_again_under_the_same_name_keeps_both_and_both_rejects(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    watcher = FlowWatcher(settings, lookback_days=30)
    _drop(watcher, "export.csv", (HEADER + "e1,pas une date,A1,D1,AUDE,view\n").encode())

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed")

    with monkeypatch.context() as m:  # the cycle dies before its import
        m.setattr("parcours.registry.importer.import_directory", crash)
        with pytest.raises(RuntimeError):
            watcher.process(watcher.claim())
    _drop(
        watcher, "export.csv", (HEADER + "e2,2024-05-03T10:00:00Z,A1,D1,AUDE,imprimer\n").encode()
    )
    cycle = watcher.run_once()

    assert cycle is not None and len(cycle.files) == 2 and cycle.rows_rejected == 2
    rejects = sorted(settings.rejects_dir.iterdir())
    assert len(rejects) == 2
    text = "".join(p.read_text(encoding="utf-8") for p in rejects)
    assert "pas une date" in text and "e2" in text


def test_a_file_with_a_ragged_line_is_looked_at_in_flow(engine: Engine) -> None:
    """Old code: the situations were read back by the dropped file's event ids, read again with DuckDB's
    CSV reader, which refuses a whole file for one line with a field too many: the import loaded its
    good rows, but none of them was looked at in flow."""
    settings = get_settings()
    watcher = FlowWatcher(settings, lookback_days=30)
    _drop(
        watcher,
        "export.csv",
        (
            HEADER
            + "e1,2024-05-02T10:00:00Z,A1,D1,AUDE,view\n"
            + "e2,2024-05-02T10:05:00Z,A1,D1,AUDE,view,en trop\n"
            + "e3,2024-05-02T10:10:00Z,A2,D2,AUDE,view\n"
        ).encode(),
    )

    cycle = watcher.run_once()

    assert cycle is not None and not cycle.files_refused
    assert cycle.rows_loaded == 2 and cycle.rows_rejected == 1
    assert cycle.pairs == 2  # both agent × file pairs of the loaded rows
