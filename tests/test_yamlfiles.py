"""The one YAML loader of the data files: lines of keys and items, and errors naming file and line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic import BaseModel

from parcours.errors import InvalidInput, Issue
from parcours.yamlfiles import LocatedDict, LocatedList, load_mapping, load_model, require

TEXT = """\
name: demo
limits:
  low: 1
  high: two
items:
  - a
  - b
2025-01-01: dated
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "file.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_mappings_and_lists_remember_file_and_lines(tmp_path: Path) -> None:
    path = write(tmp_path, TEXT)
    doc = load_mapping(path)
    assert doc.file == str(path) and doc.line == 1
    assert doc.line_of("limits") == 2 and doc["limits"].line_of("high") == 4
    assert isinstance(doc["items"], LocatedList) and doc["items"].item_lines == [6, 7]
    # Keys keep their YAML type: dated parameters are keyed by dates.
    assert doc[date(2025, 1, 1)] == "dated" and doc.line_of(date(2025, 1, 1)) == 8


def test_require_records_missing_keys_and_wrong_types_at_their_line(tmp_path: Path) -> None:
    limits = load_mapping(write(tmp_path, TEXT))["limits"]
    issues: list[Issue] = []
    assert require(limits, "low", int, issues) == 1
    assert require(limits, "high", int, issues) is None
    assert require(limits, "step", int, issues) is None
    # A missing key is reported where its mapping starts.
    assert [(i.line, i.column) for i in issues] == [(4, "high"), (3, "step")]


class Limits(BaseModel):
    low: int
    high: int


class Doc(BaseModel):
    name: str
    limits: Limits


def test_validation_errors_point_at_the_offending_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name: demo\nlimits:\n  low: 1\n  high: two\n")
    with pytest.raises(InvalidInput) as err:
        load_model(Doc, path)
    [issue] = err.value.issues
    assert (issue.file, issue.line, issue.column) == (str(path), 4, "limits.high")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: 1\nb: [unclosed\n", 3),  # syntax error: where the parser gave up
        ("a: 1\nb: 2\na: 3\n", 3),  # a duplicated key would silently override the first one
    ],
)
def test_broken_files_name_the_line(tmp_path: Path, text: str, line: int) -> None:
    with pytest.raises(InvalidInput) as err:
        load_mapping(write(tmp_path, text))
    [issue] = err.value.issues
    assert issue.line == line and issue.reason.startswith("YAML invalide")


def test_an_unclosed_quote_names_the_line_where_it_opened(tmp_path: Path) -> None:
    """The parser only gives up at the end of the file; the message also names line 2."""
    with pytest.raises(InvalidInput) as err:
        load_mapping(write(tmp_path, 'id: x\ntitle: "Dossier\nwave: 2\nfoo: bar\n'))
    [issue] = err.value.issues
    assert issue.reason.endswith("(while scanning a quoted scalar, ligne 2)")


def test_an_impossible_date_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as err:
        load_mapping(write(tmp_path, "name: x\nvalid_from: 2025-04-31\n"))
    [issue] = err.value.issues
    assert issue.line == 2 and "date impossible '2025-04-31'" in issue.reason


def test_a_top_level_list_or_an_empty_file_is_refused(tmp_path: Path) -> None:
    for text in ("- a\n- b\n", ""):
        with pytest.raises(InvalidInput, match="dictionnaire"):
            load_mapping(write(tmp_path, text))


def test_located_containers_built_in_code_are_usable() -> None:
    empty = LocatedDict()
    assert empty.line_of("x") == 0 and LocatedList().item_lines == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a: 1\n# a\x00b\nc: 2\n", "caractère NUL (octet 0x00) interdit"),
        ("a: 1\nb: x\x01y\n", "YAML invalide : caractère de contrôle U+0001 interdit"),
    ],
)
def test_a_control_character_names_its_line(tmp_path: Path, text: str, reason: str) -> None:
    """Old code: PyYAML's ReaderError escaped as a traceback, with an offset and no line."""
    with pytest.raises(InvalidInput) as err:
        load_mapping(write(tmp_path, text))
    [issue] = err.value.issues
    assert (issue.line, issue.reason) == (2, reason)
