"""`parcours barometer import`: validation with located errors, rejects file, idempotent upsert."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from parcours.barometer.importer import _records, import_file, rejects_path
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


def _lines(survey: Path, count: int) -> list[str]:
    return survey.read_text(encoding="utf-8").splitlines()[: count + 1]


def test_a_field_beyond_the_csv_limit_is_one_rejected_row(
    engine: Engine, survey: Path, tmp_path: Path
) -> None:
    """Old code: a `_csv.Error: field larger than field limit` traceback, nothing loaded."""
    lines = _lines(survey, 4)
    huge = '"' + "x" * 200_000 + '"'
    on_one_line = lines[2].split(",")
    on_one_line[2] = huge
    over_two_lines = lines[3].split(",")
    over_two_lines[2] = huge[:100_000] + "\n" + huge[100_000:]
    bad = tmp_path / "enorme.csv"
    bad.write_text(
        "\n".join([*lines[:2], ",".join(on_one_line), ",".join(over_two_lines), lines[4]]) + "\n",
        encoding="utf-8",
    )
    report = import_file(bad, engine=engine)
    assert [(i.line, "champ de plus de 131072 caractères" in i.reason) for i in report.issues] == [
        (3, True),
        (4, True),
    ]
    assert (report.rows_read, report.inserted, report.rejected) == (4, 2, 2)


def test_a_quote_never_closed_is_named_where_it_opens(
    engine: Engine, survey: Path, tmp_path: Path
) -> None:
    """Old code: "3 colonnes au lieu de 40" at line 5, the last line the open quote swallowed."""
    lines = _lines(survey, 3)
    cells = lines[2].split(",")
    cells[2] = '"' + cells[2]
    bad = tmp_path / "guillemet.csv"
    bad.write_text("\n".join([*lines[:2], ",".join(cells), lines[3]]) + "\n", encoding="utf-8")
    report = import_file(bad, engine=engine)
    [issue] = report.issues
    assert issue.line == 3
    assert issue.reason.startswith("un guillemet ouvert et jamais refermé a fait lire 2 lignes")
    assert (report.inserted, report.rejected) == (1, 1)


def test_a_record_over_several_lines_is_named_at_its_first(
    engine: Engine, survey: Path, tmp_path: Path
) -> None:
    """Old code: line 4, the record's last line (csv's line_num)."""
    lines = _lines(survey, 3)
    cells = lines[2].split(",")
    cells[3] = '"D\nR"'  # an establishment code broken by a line end
    bad = tmp_path / "coupure.csv"
    bad.write_text("\n".join([*lines[:2], ",".join(cells), lines[3]]) + "\n", encoding="utf-8")
    report = import_file(bad, engine=engine)
    assert [(i.line, i.column) for i in report.issues] == [(3, "establishment")]
    assert (report.inserted, report.rejected) == (2, 1)


def test_a_clean_import_removes_the_rejects_of_the_last(
    engine: Engine, survey: Path, tmp_path: Path
) -> None:
    """Old code: the rejects of the first import stayed beside a corrected file that had none."""
    path = tmp_path / "vague.csv"
    lines = _lines(survey, 3)
    path.write_text("\n".join([*lines[:3], lines[3][:20]]) + "\n", encoding="utf-8")
    first = import_file(path, engine=engine)
    assert first.rejects_path is not None and first.rejects_path.exists()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert import_file(path, engine=engine).rejected == 0
    assert not first.rejects_path.exists()


def test_surveys_of_one_name_in_two_folders_keep_their_own_rejects(
    engine: Engine, survey: Path, tmp_path: Path
) -> None:
    """Old code: both wrote rejects/barometer_vague_rejects.csv, the second over the first."""
    lines = _lines(survey, 2)
    reports = []
    for folder in ("mars", "octobre"):
        (tmp_path / folder).mkdir()
        path = tmp_path / folder / "vague.csv"
        path.write_text("\n".join([*lines, f"{folder},x"]) + "\n", encoding="utf-8")
        reports.append(import_file(path, engine=engine))
    paths = [r.rejects_path for r in reports]
    assert paths[0] is not None and paths[1] is not None and paths[0] != paths[1]
    assert paths[1] == rejects_path(tmp_path / "octobre" / ".." / "octobre" / "vague.csv")
    assert paths[1].name.endswith("__octobre__vague.rejects.csv")
    assert "mars,x" in paths[0].read_text(encoding="utf-8")


@given(st.text(alphabet='a,"\n\r ', max_size=40))
def test_records_are_split_as_the_csv_module_reads_them(text: str) -> None:
    """The walk ends a record where csv.reader does: their fields agree on any text."""
    expected = list(csv.reader(io.StringIO(text, newline="")))
    assert [record.cells() for record in _records(text)] == expected
