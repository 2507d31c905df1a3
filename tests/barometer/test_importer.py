"""`parcours barometer import`: validation with located errors, rejects file, idempotent upsert."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from parcours.barometer.importer import import_file
from parcours.barometer.models import BarometerResponse, BarometerWave
from parcours.barometer.synth import SynthOptions, write_survey
from parcours.errors import InvalidInput
from parcours.registry.models import ImportBatch


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])


@pytest.fixture
def survey(tmp_path: Path) -> Path:
    path = tmp_path / "vagues.csv"
    write_survey(path, SynthOptions(waves=("2024-03", "2024-10"), respondents_per_wave=60, seed=5))
    return path


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(BarometerResponse)) or 0)


def test_import_is_idempotent(engine: Engine, survey: Path) -> None:
    first = import_file(survey, engine=engine)
    assert (first.rows_read, first.inserted, first.rejected) == (120, 120, 0)
    assert first.rejects_path is None
    second = import_file(survey, engine=engine)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 120)
    assert count(engine) == 120
    with engine.connect() as conn:
        waves = conn.execute(select(BarometerWave.wave_id, BarometerWave.label)).all()
        batches = conn.scalar(select(func.count()).select_from(ImportBatch))
    assert sorted(waves) == [("2024-03", "Mars 2024"), ("2024-10", "Octobre 2024")]
    assert batches == 2


def test_changed_answer_updates_the_row(engine: Engine, survey: Path, tmp_path: Path) -> None:
    import_file(survey, engine=engine)
    header, rows = read_rows(survey)
    q01 = header.index("Q01")
    rows[0][q01] = "1" if rows[0][q01] != "1" else "2"
    changed = tmp_path / "corrige.csv"
    write_rows(changed, header, rows)
    report = import_file(changed, engine=engine)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 119)
    with engine.connect() as conn:
        answers = conn.scalar(
            select(BarometerResponse.answers).where(BarometerResponse.respondent_id == rows[0][1])
        )
    assert answers["Q01"] == int(rows[0][q01])


def test_invalid_rows_are_rejected_with_file_line_column(
    engine: Engine, survey: Path, tmp_path: Path
) -> None:
    header, rows = read_rows(survey)
    col = {name: i for i, name in enumerate(header)}
    rows = rows[:10]
    rows[0][col["Q05"]] = "6"  # line 2: out of the Likert range
    rows[1][col["job_family"]] = "ASTRONAUTE"  # line 3: not in the enumeration
    rows[2][col["Q07"]] = "trois"  # line 4: not an integer
    rows[3][col["wave"]] = "2024-13"  # line 5: bad wave
    rows[4][col["respondent_id"]] = rows[5][col["respondent_id"]]  # line 6 duplicates line 7
    rows[6][col["job_family"]], rows[6][col["portfolio"]] = "GDD", "SUIVI"  # line 8: inconsistent
    rows[7] = rows[7][:5]  # line 9: truncated
    bad = tmp_path / "mauvais.csv"
    write_rows(bad, header, rows)

    report = import_file(bad, engine=engine)
    located = {(i.line, i.column) for i in report.issues}
    assert {(2, "Q05"), (3, "job_family"), (4, "Q07"), (5, "wave"), (7, "respondent_id"),
            (8, "portfolio"), (9, None)} <= located  # fmt: skip
    assert all(i.file == str(bad) for i in report.issues)
    assert report.rejected == 7 and report.inserted == 3
    assert count(engine) == 3
    assert report.rejects_path is not None and report.rejects_path.exists()
    rejects_header, rejected = read_rows(report.rejects_path)
    assert rejects_header[:3] == ["_line", "_column", "_reason"]
    assert [r[0] for r in rejected] == ["2", "3", "4", "5", "7", "8", "9"]
    assert "hors échelle" in rejected[0][2]


def test_unusable_header_rejects_the_file(engine: Engine, survey: Path, tmp_path: Path) -> None:
    header, rows = read_rows(survey)
    header[header.index("Q03")] = "Q3"
    bad = tmp_path / "entete.csv"
    write_rows(bad, header, rows)
    with pytest.raises(InvalidInput) as info:
        import_file(bad, engine=engine)
    found = {(i.line, i.column, i.reason) for i in info.value.issues}
    assert (1, "Q03", "colonne manquante") in found
    assert any(col == "Q3" for _, col, _ in found)
    assert count(engine) == 0
