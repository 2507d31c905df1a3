"""The weekly interview forecast read by `parcours scheduling capacity --interviews`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from parcours.errors import InvalidInput
from parcours.scheduling.capacity import read_interview_forecast


def test_any_day_names_its_week_and_a_spreadsheet_bom_is_read(tmp_path: Path) -> None:
    """Old code: a week given by another day than its Monday matched no week and was ignored."""
    f = tmp_path / "flow.csv"
    f.write_text("\ufeffweek,interviews\n2026-02-04,12\n2026-02-09, 40.5 \n", encoding="utf-8")
    assert read_interview_forecast(f) == {date(2026, 2, 2): 12.0, date(2026, 2, 9): 40.5}


def test_two_days_of_one_week_are_refused_rather_than_one_silently_kept(tmp_path: Path) -> None:
    f = tmp_path / "flow.csv"
    f.write_text("week,interviews\n2026-02-02,40\n2026-02-06,12\n")
    with pytest.raises(InvalidInput) as err:
        read_interview_forecast(f)
    [issue] = err.value.issues
    assert (issue.line, issue.column) == (3, "week") and "ligne 2" in issue.reason


def test_an_unreadable_file_is_one_clear_issue(tmp_path: Path) -> None:
    f = tmp_path / "flow.csv"
    f.write_bytes(b"week,interviews\n2026-02-02,\xff\n")
    with pytest.raises(InvalidInput, match="lecture impossible"):
        read_interview_forecast(f)
