"""CSV for people who open it in a spreadsheet: cells that cannot run as formulas (CSV injection).

Excel, LibreOffice and Google Sheets read a cell starting with `=`, `+`, `-` or `@` (and, after a
tab, carriage return or NUL they strip, the same) as a formula: a login or a note typed as
`=HYPERLINK("https://…";"…")` would run on the machine of whoever opens the export. As OWASP and
ASVS 5 (1.2.10) advise, such a text cell is written with a single quote in front, which the
spreadsheet shows as text and does not evaluate.

The escaping is reversible, so a file that must be checked afterwards (the trail's hash chain) can
be: a text that itself starts with a quote gets a second one, so `restore` undoes `neutralise`
exactly, and refuses a cell that `neutralise` cannot have written (an edited file).

Only for exports meant for people. Interchange files (the import contract, `parcours alerts
export`, the orientation deviation schema) are read by tools and keep their values as they are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Protocol

QUOTE = "'"
# The characters a spreadsheet reads as the start of a formula; the quote itself, so that escaping
# stays reversible.
FORMULA_STARTS = frozenset("=+-@\t\r\0")
_ESCAPED_STARTS = FORMULA_STARTS | {QUOTE}


class UnsafeCell(ValueError):
    """A cell that `neutralise` cannot have written: an unescaped formula start, or a quote that
    escapes nothing."""


class _Writable(Protocol):
    def write(self, s: str, /) -> object: ...


def neutralise(value: object) -> object:
    """The value to write in a cell: a text starting with a formula character or a quote gets a
    quote in front; anything else (other texts, numbers, None) is returned unchanged."""
    if isinstance(value, str) and value[:1] in _ESCAPED_STARTS:
        return QUOTE + value
    return value


def restore(cell: str) -> str:
    """The text `neutralise` was given, from the cell it wrote (the exact inverse)."""
    if cell[:1] == QUOTE:
        if cell[1:2] in _ESCAPED_STARTS:
            return cell[1:]
        raise UnsafeCell(f"apostrophe initiale qui n'échappe rien : {cell[:20]!r}")
    if cell[:1] in FORMULA_STARTS:
        raise UnsafeCell(f"cellule non neutralisée (formule possible) : {cell[:20]!r}")
    return cell


class SafeWriter:
    """`csv.writer` whose every cell goes through `neutralise`. Lines end with CRLF (RFC 4180): a
    text holding a lone carriage return is then quoted, so that it reads back as one cell."""

    def __init__(self, out: _Writable) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n")

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([neutralise(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)
