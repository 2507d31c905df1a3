"""The written report of a proven misuse: rendered from a versioned template to PDF, stored with its SHA-256."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any

import yaml
from fpdf import FPDF
from sqlalchemy.orm import Session

from parcours.controls.models import Campaign, Control, ControlReport
from parcours.db import add_or_conflict
from parcours.errors import Conflict

TEMPLATE = Path(__file__).parent / "templates" / "report_v1.yaml"
REPORT_EXISTS = "le compte rendu existe déjà"

# The PDF core fonts are Latin-1: map the few French typographic characters outside it.
_LATIN1_FALLBACKS = str.maketrans(
    {
        "œ": "oe",
        "Œ": "OE",
        "’": "'",
        "‘": "'",
        "“": '"',
        "”": '"',
        "—": "-",
        "–": "-",
        "…": "...",
        "→": "->",
        "\u202f": " ",
    }
)


def latin1(text: str) -> str:
    return text.translate(_LATIN1_FALLBACKS).encode("latin-1", "replace").decode("latin-1")


@lru_cache(maxsize=1)
def _template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    return loaded


def _fields(control: Control, campaign: Campaign, author: str, now: datetime) -> dict[str, str]:
    data = control.data or {}
    return {
        "control_id": str(control.control_id),
        "created_on": control.created_at.date().isoformat(),
        "campaign": campaign.name,
        "establishment_id": control.establishment_id,
        "agent_id": control.agent_id,
        "de_id": control.de_id,
        "consultations": str(control.consultations),
        "first_seen": control.first_seen.date().isoformat(),
        "last_seen": control.last_seen.date().isoformat(),
        "scenarios": ", ".join(control.scenarios),
        "reasons": " ; ".join(control.reasons) or "-",
        "pre_examination_notes": str(data.get("pre_examination_notes", "-")),
        "interview_date": str(data.get("interview_date", "-")),
        "participants": str(data.get("participants", "-")),
        "agent_explanation": str(data.get("agent_explanation", "-")),
        "justification": str(data.get("justification", "-")),
        "rules_reminder_acknowledged": "oui" if data.get("rules_reminder_acknowledged") else "non",
        "author": author,
        "concluded_on": now.date().isoformat(),
    }


def render_report_pdf(control: Control, campaign: Campaign, *, author: str, now: datetime) -> bytes:
    tpl = _template()
    values = _fields(control, campaign, author, now)
    pdf = FPDF(format="A4")
    pdf.set_creation_date(now)
    pdf.set_title(latin1(tpl["title"]))
    pdf.set_author("Parcours")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 8, latin1(tpl["title"]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for section in tpl["sections"]:
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 6, latin1(section["heading"]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        body = Template(section["body"]).safe_substitute(values)
        pdf.multi_cell(0, 5, latin1(body), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(
        0,
        4,
        latin1(f"Modèle {tpl['version']} — document généré par Parcours"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def generate_report(
    session: Session, *, control: Control, fields: dict[str, Any], author: str, now: datetime
) -> ControlReport:
    """Render and store the report of a proven misuse, from the finding being written (`fields`).

    A control has at most one report, never regenerated once stored; concluding "proven" requires it.
    """
    if control.state != "finding":
        raise Conflict("le compte rendu se rédige à l'étape du constat")
    draft = {**(control.data or {}), **{k: v for k, v in fields.items() if v not in (None, "")}}
    if draft.get("outcome") != "proven":
        raise Conflict("un compte rendu n'est établi que pour un détournement avéré")
    if not str(draft.get("justification", "")).strip():
        raise Conflict("la justification du constat est requise pour le compte rendu")
    control.data = draft
    if session.query(ControlReport).filter_by(control_id=control.control_id).first() is not None:
        raise Conflict(REPORT_EXISTS)
    campaign = session.get(Campaign, control.campaign_id)
    assert campaign is not None
    pdf = render_report_pdf(control, campaign, author=author, now=now)
    report = ControlReport(
        control_id=control.control_id,
        created_at=now,
        sha256=hashlib.sha256(pdf).hexdigest(),
        pdf=pdf,
        template_version=str(_template()["version"]),
    )
    add_or_conflict(session, report, REPORT_EXISTS)
    control.data = {**draft, "report_generated": True, "report_sha256": report.sha256}
    return report
