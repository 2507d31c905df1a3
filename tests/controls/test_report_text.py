"""The written report prints free text as typed: names in any Latin script (and Greek, Cyrillic),
markup as plain text, control characters harmless, long text on several pages; dates are Paris days."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from parcours.controls import service
from parcours.controls.report import render_report_pdf
from parcours.unicode_pdf import MISSING_GLYPH, printable

from .test_protocol import one_control


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def flat(text: str) -> str:
    return " ".join(text.split())


NAMES = "Łukasz Wałęsa, Ștefan Țurcanu, Nguyễn Văn Đức, Ayşe Gökçe, Ørjan Æsir, Ελένη, Ольга"


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        # Old code: every character outside Latin-1 became "?": "?ukasz Wa??sa", "?tefan", "Nguy?n".
        (f"Participants : {NAMES}.", f"Participants : {NAMES}."),
        ("« Ça » — l'œuvre… 12 000 €", "« Ça » — l'œuvre… 12 000 €"),
        (
            "<script>alert('x')</script> &amp; ${agent_id}",
            "<script>alert('x')</script> &amp; ${agent_id}",
        ),
        ("e\u0301te\u0301", "été"),  # decomposed accents (typed on some systems) are composed
        ("avant\x00\x07\tapr\u00e8s\u200b!", "avant   après!"),  # control characters: spaces
        ("李 🙂", f"{MISSING_GLYPH} {MISSING_GLYPH}"),  # outside the font: marked, not dropped
    ],
)
def test_free_text_prints_as_typed(engine: Engine, typed: str, printed: str) -> None:
    assert printable(typed) == printed
    with Session(engine) as s:
        campaign, cid = one_control(s)
        control = service.get_control(s, cid)
        control.data = {
            "justification": typed,
            "participants": typed,
            "interview_date": "2024-07-15",
        }
        pdf = render_report_pdf(control, campaign, author="m.dupont", now=datetime.now(UTC))
    assert flat(printed) in flat(text_of(pdf))


def test_a_long_justification_flows_onto_more_pages(engine: Engine) -> None:
    with Session(engine) as s:
        campaign, cid = one_control(s)
        control = service.get_control(s, cid)
        words = " ".join(f"mot{i}" for i in range(1500))
        control.data = {
            "justification": words,
            "agent_explanation": "x" * 3000,
        }  # one unbroken word too
        pdf = render_report_pdf(control, campaign, author="m", now=datetime.now(UTC))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    assert "mot1499" in text_of(pdf)


def test_report_dates_are_paris_days(engine: Engine) -> None:
    """Old code: dates were UTC dates, a day early for a consultation or a conclusion between midnight
    and 02:00 in Paris."""
    with Session(engine) as s:
        campaign, cid = one_control(s)
        control = service.get_control(s, cid)
        control.last_seen = datetime(2024, 7, 13, 22, 30, tzinfo=UTC)  # 14 July, 00:30 in Paris
        concluded = datetime(2024, 7, 14, 23, 15, tzinfo=UTC)  # 15 July, 01:15 in Paris
        text = flat(text_of(render_report_pdf(control, campaign, author="m", now=concluded)))
    assert "au 2024-07-14." in text and "m, le 2024-07-15." in text
