"""The one font every PDF of Parcours prints people's words with (`new_pdf`, `printable`).

The PDF core fonts cover Latin-1 only: "Łukasz", "Ștefan" or "Nguyễn" came out as "?". DejaVu Sans
(subset, `fonts/dejavu-2.37/README.md`) covers Latin with all its extensions, Greek and Cyrillic; a
character outside it is printed as "�" rather than dropped silently (the stored text is kept as
typed).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF

FONT_DIR = Path(__file__).parent / "fonts" / "dejavu-2.37"
FONT = "DejaVuSans"
FONT_FILES = {"": "DejaVuSans.woff", "B": "DejaVuSans-Bold.woff", "I": "DejaVuSans-Oblique.woff"}
MISSING_GLYPH = "\ufffd"


@lru_cache(maxsize=1)
def _covered() -> frozenset[int]:
    """Code points every face of the font can print."""
    faces = [set(TTFont(FONT_DIR / name).getBestCmap()) for name in FONT_FILES.values()]
    return frozenset(set.intersection(*faces))


def printable(text: str) -> str:
    """Free text as a PDF prints it: composed (NFC), control characters as spaces (line breaks
    kept), and each character the font lacks as "�"."""
    covered = _covered()
    out = []
    for ch in unicodedata.normalize("NFC", text.replace("\r\n", "\n")):
        category = unicodedata.category(ch)
        if ch == "\n":
            out.append(ch)
        elif category in ("Cc", "Zl", "Zp"):  # tabs, NUL, bells, other line separators
            out.append(" ")
        elif category == "Cf":  # invisible: zero-width spaces, soft hyphens, direction marks
            continue
        else:
            out.append(ch if ord(ch) in covered else MISSING_GLYPH)
    return "".join(out)


def new_pdf(*, title: str, author: str, created: datetime) -> FPDF:
    """An A4 document with the font's three faces loaded (`FONT`, styles "", "B", "I") and a fixed
    creation date (the same content gives the same bytes)."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(created)
    for style, name in FONT_FILES.items():
        pdf.add_font(FONT, style, FONT_DIR / name)
    pdf.set_title(printable(title))
    pdf.set_author(author)
    return pdf
