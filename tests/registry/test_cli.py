"""The `parcours import` and `parcours db upgrade` commands, through the real Typer app."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from parcours.cli.main import app
from parcours.config import get_settings

from . import files as f

runner = CliRunner()


def test_db_upgrade_creates_the_schema(parcours_home: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = create_engine(get_settings().sqlalchemy_url)
    assert {"agents", "job_seekers", "import_batches"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def summary_rows(output: str) -> dict[str, list[str]]:
    """The cells of each file's row of the summary table."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│┃ ").split("│")]
        if len(cells) == 7 and cells[0].endswith(".csv"):
            rows[cells[0]] = cells[1:]
    return rows


def test_import_exit_status_and_summary(parcours_home: Path, tmp_path: Path) -> None:
    clean = f.good_directory(tmp_path / "clean")
    ok = runner.invoke(app, ["import", str(clean), "--no-progress"], env={"COLUMNS": "160"})
    assert ok.exit_code == 0, ok.output
    assert "consultations.csv" in ok.output and "non résolues" in ok.output
    assert "mises à jour" in ok.output and "déjà là" in ok.output

    dirty = tmp_path / "dirty"
    f.write(dirty, "establishments", [*f.ESTABLISHMENTS, ["DG", "Siège", "HQ", ""]])
    bad = runner.invoke(app, ["import", str(dirty), "--no-progress"])
    assert bad.exit_code == 1
    assert "establishments.csv:4 [kind]" in bad.output
    assert "establishments.rejects.csv" in bad.output

    missing = runner.invoke(app, ["import", str(tmp_path / "nowhere"), "--no-progress"])
    assert missing.exit_code == 2


def test_a_folder_without_contract_files_fails_and_names_what_it_left(
    parcours_home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "Agents.csv").write_text("agent_id\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(folder), "--no-progress"])
    assert result.exit_code == 1
    assert "Aucun fichier du contrat" in result.output
    assert "Agents.csv (nom attendu agents.csv ou agents.parquet, en minuscules)" in result.output


def test_a_reimport_reports_unchanged_rows_as_already_there(
    parcours_home: Path, tmp_path: Path
) -> None:
    """The same files twice: nothing loaded, every row already there; then one row changed and
    one added. On an 80-column terminal the headers wrap, no count is cut."""
    folder = f.good_directory(tmp_path / "in")
    first = runner.invoke(app, ["import", str(folder), "--no-progress"])
    assert first.exit_code == 0, first.output
    # read, loaded, updated, rejected, already there, unresolved
    assert summary_rows(first.output)["agents.csv"] == ["3", "3", "0", "0", "0", "0"]
    again = runner.invoke(app, ["import", str(folder), "--no-progress"])
    assert again.exit_code == 0, again.output
    rows = summary_rows(again.output)
    assert rows["agents.csv"] == ["3", "0", "0", "0", "3", "0"]
    assert rows["establishments.csv"] == ["2", "0", "0", "0", "2", "0"]
    # Its two references to people absent from the reference files are still the file's.
    assert rows["consultations.csv"] == ["4", "0", "—", "0", "4", "2"]
    changed = [list(r) for r in f.AGENTS]
    changed[1][10] = ""  # AG2 re-hired
    extra = ["AG9", "Neuf", "", "Nina", "", "", "DR76", "", "gdd", "", "", ""]
    f.write(folder, "agents", [*changed, extra])
    third = runner.invoke(app, ["import", str(folder), "--no-progress"])
    assert summary_rows(third.output)["agents.csv"] == ["4", "1", "1", "0", "2", "0"]
