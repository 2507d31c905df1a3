"""The steering exports hold labels (establishments, situations, job families) that come from imported
files: a label typed as a formula must never run in the spreadsheet that opens the export.

Old code: the XLSX export wrote a text starting with `=` as a live formula (pandas hands it to openpyxl,
which takes such a text for a formula), and the CSV export wrote it as typed."""

from __future__ import annotations

import csv
import io
from datetime import date

import numpy as np
import openpyxl
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from parcours.controls import steering
from parcours.csvsafe import restore

from .test_steering import ALL, add

FORMULAS = ["=1+1", '=HYPERLINK("https://example.org";"x")', "+1", "-2", "@SUM(A1)", "'quoted"]


def cells(xlsx: bytes, sheet: str) -> list[list[tuple[object, str]]]:
    """(value, data_type) of each cell of `sheet`, as a spreadsheet reading the file finds them."""
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    return [[(c.value, c.data_type) for c in row] for row in book[sheet].iter_rows()]


def test_xlsx_text_cells_are_strings_never_formulas_and_show_no_quote() -> None:
    frame = pd.DataFrame(
        {
            "scenario": FORMULAS,
            "proven": range(len(FORMULAS)),
            "confirmed_share": [0.5, np.nan, 1.0, 0.25, 0.0, -1.5],
            "week": [date(2024, 7, 1)] * len(FORMULAS),
        }
    )
    header, *rows = cells(steering.to_xlsx({"résultats": frame}), "résultats")
    assert header == [(name, "s") for name in frame.columns]
    assert [row[0] for row in rows] == [(text, "s") for text in FORMULAS]
    # Numbers and dates keep their types: only text is concerned.
    assert [row[1] for row in rows] == [(i, "n") for i in range(len(FORMULAS))]
    assert [row[2][0] for row in rows] == [0.5, None, 1.0, 0.25, 0.0, -1.5]
    assert all(row[3][1] == "d" for row in rows)


def test_a_label_typed_as_a_formula_reaches_the_exports_as_text(engine: Engine) -> None:
    add(engine, [("=1+1", "a", '=HYPERLINK("https://example.org")', "proven", 80)])
    with Session(engine) as s:
        by_establishment = steering.results(s, ALL, ["establishment_id", "scenario"])
        status = steering.scenario_status(s, ALL)
    xlsx = steering.to_xlsx({"etablissement": by_establishment, "situation": status})
    _, row = cells(xlsx, "etablissement")
    assert row[0] == ("=1+1", "s")
    assert row[1] == ('=HYPERLINK("https://example.org")', "s")
    assert cells(xlsx, "situation")[1][0] == ('=HYPERLINK("https://example.org")', "s")
    # The CSV export of the same results: its text cells are neutralised by the shared helper.
    header, line = csv.reader(io.StringIO(steering.to_csv(by_establishment).decode(), newline=""))
    assert header == list(by_establishment.columns)
    assert line[:2] == ["'=1+1", '\'=HYPERLINK("https://example.org")']
    assert [restore(c) for c in line[:2]] == ["=1+1", '=HYPERLINK("https://example.org")']


def test_csv_neutralises_text_only_and_keeps_its_columns_and_numbers() -> None:
    frame = pd.DataFrame(
        {
            "scenario": FORMULAS,
            "proven": [3, -2, 0, 1, 2, 5],
            "confirmed_share": [0.75, np.nan, 1.0, -0.25, 0.0, 1 / 3],
        }
    )
    text = steering.to_csv(frame).decode("utf-8")
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    assert header == ["scenario", "proven", "confirmed_share"]
    assert [r[0] for r in rows] == ["'" + t for t in FORMULAS]
    assert [restore(r[0]) for r in rows] == FORMULAS
    # Negative numbers are numbers, not formulas; an undefined share stays an empty cell.
    assert [r[1] for r in rows] == ["3", "-2", "0", "1", "2", "5"]
    assert [r[2] for r in rows] == ["0.75", "", "1.0", "-0.25", "0.0", str(1 / 3)]
    assert text.endswith("\r\n")
    plain = pd.DataFrame([{"scenario": "s", "proven": 1}])
    assert steering.to_csv(plain) == b"scenario,proven\r\ns,1\r\n"


def test_xlsx_export_survives_control_characters_in_labels() -> None:
    """A label imported with a control character XML forbids (old code: openpyxl raised
    IllegalCharacterError, a server error on /pilotage/export.xlsx): replaced, the rest kept."""
    frame = pd.DataFrame({"scenario": ["a\x01b", "tab\tok"], "proven": [1, 2]})
    got = cells(steering.to_xlsx({"s": frame}), "s")
    assert [row[0][0] for row in got[1:]] == ["a\ufffdb", "tab\tok"]
