"""The written report of a proven misuse: rendered from a versioned template to PDF, stored with its SHA-256."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any

import yaml
from sqlalchemy.orm import Session

from parcours.controls.models import Campaign, Control, ControlReport
from parcours.controls.protocol import Protocol, check_fields, load_protocol
from parcours.controls.queries import current_report, reports
from parcours.controls.service import check_actor
from parcours.db import add_or_conflict
from parcours.errors import Conflict, InvalidInput
from parcours.unicode_pdf import FONT, new_pdf, printable

TEMPLATES = Path(__file__).parent / "templates"
# New reports use the current template; a stored report names its own (`template_version`), and every
# version stays here so that it re-renders identically.
CURRENT_TEMPLATE = "report-v2"
REPORT_EXISTS = "le compte rendu existe déjà"


@lru_cache(maxsize=1)
def _templates() -> dict[str, dict[str, Any]]:
    """Every version of the template, by the `version` it declares (`report-v1`, `report-v2`, ...)."""
    loaded: dict[str, dict[str, Any]] = {}
    for path in sorted(TEMPLATES.glob("report_v*.yaml")):
        tpl: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        loaded[str(tpl["version"])] = tpl
    return loaded


def _template(version: str = CURRENT_TEMPLATE) -> dict[str, Any]:
    try:
        return _templates()[version]
    except KeyError:
        raise InvalidInput(f"modèle de compte rendu inconnu : {version}") from None


def _fields(
    control: Control,
    campaign: Campaign,
    author: str,
    now: datetime,
    protocol: Protocol,
    superseded: ControlReport | None,
) -> dict[str, str]:
    data = control.data or {}
    day = protocol.local_day  # dates as the people concerned lived them (Europe/Paris), not UTC
    replaced_on = superseded.superseded_at if superseded else None
    return {
        "control_id": str(control.control_id),
        "created_on": day(control.created_at).isoformat(),
        "campaign": campaign.name,
        "establishment_id": control.establishment_id,
        "agent_id": control.agent_id,
        "de_id": control.de_id,
        "consultations": str(control.consultations),
        "first_seen": day(control.first_seen).isoformat(),
        "last_seen": day(control.last_seen).isoformat(),
        "scenarios": ", ".join(control.scenarios),
        "reasons": " ; ".join(control.reasons) or "-",
        "pre_examination_notes": str(data.get("pre_examination_notes", "-")),
        "interview_date": str(data.get("interview_date", "-")),
        "participants": str(data.get("participants", "-")),
        "agent_explanation": str(data.get("agent_explanation", "-")),
        "justification": str(data.get("justification", "-")),
        "rules_reminder_acknowledged": "oui" if data.get("rules_reminder_acknowledged") else "non",
        "author": author,
        "concluded_on": day(now).isoformat(),
        # Empty without a superseded report: the template's `when` leaves its section out.
        "superseded_on": day(superseded.created_at).isoformat() if superseded else "",
        "superseded_sha256": superseded.sha256 if superseded else "",
        "reopened_on": day(replaced_on).isoformat() if replaced_on else "",
    }


def render_report_pdf(
    control: Control,
    campaign: Campaign,
    *,
    author: str,
    now: datetime,
    superseded: ControlReport | None = None,
    template_version: str = CURRENT_TEMPLATE,
) -> bytes:
    """The report's PDF. `superseded`: the earlier report of the control this one replaces after a
    reopening (named from `report-v2` on); `template_version`: the stored report's, to re-render it."""
    tpl = _template(template_version)
    values = _fields(control, campaign, author, now, load_protocol(), superseded)
    pdf = new_pdf(title=tpl["title"], author="Parcours", created=now)
    pdf.add_page()
    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(0, 8, printable(tpl["title"]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for section in tpl["sections"]:
        if "when" in section and not values.get(section["when"]):
            continue
        pdf.set_font(FONT, "B", 11)
        pdf.multi_cell(0, 6, printable(section["heading"]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 10)
        body = Template(section["body"]).safe_substitute(values)
        pdf.multi_cell(0, 5, printable(body), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.set_font(FONT, "I", 8)
    pdf.multi_cell(
        0,
        4,
        printable(f"Modèle {tpl['version']} — document généré par Parcours"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def generate_report(
    session: Session, *, control: Control, fields: dict[str, Any], author: str, now: datetime
) -> ControlReport:
    """Render and store the report of a proven misuse, from the finding being written (`fields`: the
    conclusion's own fields, checked by the protocol like the conclusion itself).

    A control has at most one current report, never regenerated once stored; concluding "proven"
    requires it, and the finding it states (outcome, justification, rules reminder) can then no longer
    change (`locked_by`, on the `report_generated` flag of the control's data). Reopening the control
    supersedes the report and clears that flag with the rest of the examination: the next "proven"
    conclusion needs a new report, rendered from the new examination.
    """
    check_actor(session, control, author)
    if control.state != "finding":
        raise Conflict("le compte rendu se rédige à l'étape du constat")
    if current_report(session, control.control_id) is not None:
        raise Conflict(REPORT_EXISTS)
    protocol = load_protocol()
    draft, issues = check_fields(
        protocol=protocol,
        data=dict(control.data or {}),
        transition="conclude",
        fields={k: v for k, v in fields.items() if v != ""},
        today=protocol.local_day(now),
        opened_on=protocol.local_day(control.created_at),
        ignore_generated=True,
    )
    if draft.get("outcome") != "proven":
        raise Conflict("un compte rendu n'est établi que pour un détournement avéré")
    if issues:
        raise InvalidInput(issues)
    control.data = draft
    campaign = session.get(Campaign, control.campaign_id)
    assert campaign is not None
    # After a reopening, the report says which one it replaces: the latest superseded one.
    superseded = [r for r in reports(session, control.control_id) if r.superseded_at is not None]
    pdf = render_report_pdf(
        control, campaign, author=author, now=now, superseded=superseded[-1] if superseded else None
    )
    report = ControlReport(
        control_id=control.control_id,
        created_at=now,
        sha256=hashlib.sha256(pdf).hexdigest(),
        pdf=pdf,
        template_version=CURRENT_TEMPLATE,
    )
    add_or_conflict(session, report, REPORT_EXISTS)
    control.data = {**draft, "report_generated": True, "report_sha256": report.sha256}
    # The finding is now fixed: a form loaded before the report cannot overwrite it (`version`).
    control.updated_at = now
    control.version += 1
    return report
