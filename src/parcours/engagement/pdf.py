"""The contract as a PDF, in the Unicode font of `parcours.unicode_pdf` (a holder named Łukasz or
Nguyễn is printed as such, not with "?")."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from parcours.consultlog.buffer import record_events
from parcours.consultlog.store import ConsultationEvent, new_event_id
from parcours.engagement.intensity import DIFFICULTIES, Intensity
from parcours.engagement.models import EngagementContract
from parcours.engagement.reference_data import catalogue
from parcours.engagement.service import (
    PORTFOLIOS,
    actions,
    cej_clock,
    contract_intensity,
    financing_periods,
)
from parcours.errors import NotFound
from parcours.registry.models import Agency
from parcours.scheduling.territory import zone_for_department
from parcours.unicode_pdf import FONT, new_pdf, printable


@dataclass(frozen=True)
class PlanLine:
    label: str
    weekly_hours: float
    adjustment_reason: str | None


@dataclass(frozen=True)
class ContractDocument:
    """Everything printed, gathered by the caller (the holder's name comes through the file view)."""

    contract_id: str
    holder_name: str
    de_id: str
    agency_name: str
    counsellor_id: str
    portfolio: str
    modality: str
    programme: str
    plan: list[PlanLine]
    intensity: Intensity
    difficulties: list[str]
    justification: str | None
    decided_on: date
    signature_due: date
    signed_at: datetime | None
    zone: ZoneInfo
    cej_until: date | None
    esf_periods: list[tuple[date, date]]


def render_contract_pdf(doc: ContractDocument) -> bytes:
    pdf = new_pdf(
        title=f"Contrat d'engagement {doc.contract_id}",
        author="France Travail - Parcours",
        created=doc.signed_at or datetime(2000, 1, 1, tzinfo=UTC),  # reproducible bytes
    )
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 10, printable("Contrat d'engagement"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)

    def line(text: str) -> None:
        pdf.multi_cell(0, 6, printable(text), new_x="LMARGIN", new_y="NEXT")

    def heading(text: str) -> None:
        pdf.ln(3)
        pdf.set_font(FONT, "B", 12)
        pdf.cell(0, 8, printable(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 10)

    line(f"Référence : {doc.contract_id}")
    line(f"Personne accompagnée : {doc.holder_name} (identifiant {doc.de_id})")
    line(f"Agence : {doc.agency_name} - conseiller référent : {doc.counsellor_id}")
    line(
        f"Portefeuille : {PORTFOLIOS.get(doc.portfolio, doc.portfolio)} - modalité : {doc.modality}"
    )
    if doc.programme == "CEJ" and doc.cej_until:
        line(f"Contrat d'engagement jeune jusqu'au {doc.cej_until:%d/%m/%Y} (12 mois)")
    for start, end in doc.esf_periods:
        line(
            f"Période financée par le Fonds social européen : du {start:%d/%m/%Y} au {end:%d/%m/%Y}"
        )

    heading("Plan d'action")
    pdf.set_font(FONT, "B", 10)
    pdf.cell(130, 7, printable("Activité"), border=1)
    pdf.cell(40, 7, printable("Heures par semaine"), border=1, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    for p in doc.plan:
        pdf.cell(130, 7, printable(p.label[:75]), border=1)
        pdf.cell(40, 7, f"{p.weekly_hours:g}", border=1, new_x="LMARGIN", new_y="NEXT")
    for p in doc.plan:
        if p.adjustment_reason:
            line(f"Ajustement ({p.label}) : {p.adjustment_reason}")

    heading("Intensité hebdomadaire")
    line(doc.intensity.summary_fr().capitalize() + ".")
    if doc.difficulties:
        line("Difficultés documentées : " + ", ".join(DIFFICULTIES[d] for d in doc.difficulties))
    if doc.justification:
        line(f"Justification : {doc.justification}")

    heading("Délais et signature")
    line(
        f"Décision d'orientation du {doc.decided_on:%d/%m/%Y} ; signature due au plus tard le {doc.signature_due:%d/%m/%Y}."
    )
    if doc.signed_at is not None:
        local = doc.signed_at.astimezone(doc.zone)
        line(f"Signé individuellement le {local:%d/%m/%Y à %Hh%M}, lors de l'entretien DPA.")
    else:
        line("Projet non signé.")
    return bytes(pdf.output())


def contract_document(session: Session, *, contract_id: str, holder_name: str) -> ContractDocument:
    c = session.get(EngagementContract, contract_id)
    if c is None:
        raise NotFound(f"contrat inconnu : {contract_id}")
    agency = session.get(Agency, c.agency_id)
    cat = catalogue()
    cej = cej_clock(c)
    return ContractDocument(
        contract_id=c.contract_id,
        holder_name=holder_name,
        de_id=c.de_id,
        agency_name=agency.name if agency else c.agency_id,
        counsellor_id=c.agent_id,
        portfolio=c.portfolio,
        modality=c.modality,
        programme=c.programme,
        plan=[
            PlanLine(cat[a.activity_code].label, a.weekly_hours, a.adjustment_reason)
            for a in actions(session, contract_id)
        ],
        intensity=contract_intensity(session, contract_id),
        difficulties=[d for d in c.target_difficulties.split(",") if d],
        justification=c.target_justification,
        decided_on=c.decided_on,
        signature_due=c.signature_due,
        signed_at=c.signed_at,
        zone=zone_for_department(agency.department_code if agency else "75"),
        cej_until=cej.ends_on if cej else None,
        esf_periods=[(p.starts_on, p.ends_on) for p in financing_periods(session, contract_id)],
    )


def contract_pdf(session: Session, *, contract_id: str, holder_name: str) -> bytes:
    """Render the PDF and keep its hash on the contract. The caller has logged the consultation
    (the web page through the file view; the CLI through `print_contract`)."""
    data = render_contract_pdf(
        contract_document(session, contract_id=contract_id, holder_name=holder_name)
    )
    session.get_one(EngagementContract, contract_id).pdf_sha256 = hashlib.sha256(data).hexdigest()
    return data


def print_contract(
    session: Session,
    *,
    contract_id: str,
    holder_name: str,
    agent_id: str,
    now: datetime | None = None,
) -> bytes:
    """Render the PDF outside the web application, logging the print as a consultation whose
    purpose names the DPA appointment, so that detection explains it."""
    data = contract_pdf(session, contract_id=contract_id, holder_name=holder_name)
    contract = session.get_one(EngagementContract, contract_id)
    record_events(
        session,
        [
            ConsultationEvent(
                event_id=new_event_id(),
                ts=now or datetime.now(UTC),
                agent_id=agent_id,
                de_id=contract.de_id,
                application="parcours",
                action="print",
                purpose=f"contrat d'engagement {contract_id} (rendez-vous {contract.booking_id})",
            )
        ],
    )
    return data
