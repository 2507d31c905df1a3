from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from parcours.consultlog.buffer import flush_buffer
from parcours.consultlog.models import BufferedConsultation
from parcours.consultlog.store import ConsultLog
from parcours.db import session_scope
from parcours.engagement.dates import add_months
from parcours.engagement.financing import Period, cej_period, financing_warnings
from parcours.engagement.models import EngagementContract, FinancingPeriod
from parcours.engagement.pdf import contract_document, print_contract, render_contract_pdf
from parcours.engagement.service import (
    SigningSession,
    contract_intensity,
    contract_warnings,
    create_contract,
    record_reorientation,
    renew_esf_period,
    set_action,
    set_intensity_target,
    sign_contract,
    signature_deadline,
)
from parcours.errors import Conflict, Forbidden, InvalidInput
from parcours.registry.models import Agency, Establishment
from parcours.scheduling.booking import OrientationDecisionRef, book
from parcours.scheduling.models import Booking, OpeningRange

# Bookings are made before the appointments they book (past slots are refused).
BEFORE = datetime(2026, 2, 21, tzinfo=UTC)  # after the decisions it books against
PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2026, 3, 2)


def _dpa(s: Session, de_id: str = "DE1", decided_on: date = date(2026, 2, 20)) -> Booking:
    if s.get(Establishment, "EST1") is None:
        s.add(Establishment(establishment_id="EST1", name="DR", kind="DR"))
        s.flush()
        s.add(
            Agency(
                agency_id="AG1",
                name="Agence de Toulouse Nord",
                establishment_id="EST1",
                department_code="31",
            )
        )
        s.flush()
        for wd in range(5):
            s.add(
                OpeningRange(
                    agency_id="AG1", agent_id="C1", weekday=wd, starts=time(8, 30), ends=time(17)
                )
            )
            s.add(
                OpeningRange(
                    agency_id="AG1", agent_id="C1", weekday=wd, starts=time(8, 30), ends=time(17)
                )
            )
        s.flush()
    hour = 9 + int(de_id.removeprefix("DE"))
    return book(
        s,
        now=BEFORE,
        decision=OrientationDecisionRef(de_id, "FT", "AG1", decided_on),
        agent_id="C1",
        starts_at=datetime.combine(MONDAY, time(hour), tzinfo=PARIS),
        actor_id="C1",
    )


def test_deadlines_are_dated_parameters() -> None:
    assert signature_deadline(decided_on=date(2026, 1, 31)) == date(2026, 2, 28)
    assert signature_deadline(decided_on=date(2026, 1, 10), reoriented_on=date(2026, 2, 5)) == date(
        2026, 3, 5
    )
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_plan_intensity_and_target(engine: Engine) -> None:
    with session_scope(engine) as s:
        b = _dpa(s)
        c = create_contract(
            s, booking_id=b.booking_id, portfolio="guide", modality="parcours_emploi", actor_id="C1",
            with_default_plan=["recherche_emploi", "atelier_cv"],
        )  # fmt: skip
        it = contract_intensity(s, c.contract_id)
        assert (it.planned_hours, it.target_hours, it.meets_target, it.gap_hours) == (
            7,
            15,
            False,
            8,
        )
        with pytest.raises(InvalidInput, match="motif"):
            set_action(
                s, contract_id=c.contract_id, activity_code="recherche_emploi", weekly_hours=10
            )
        set_action(s, contract_id=c.contract_id, activity_code="recherche_emploi", weekly_hours=10,
                   adjustment_reason="Projet de reprise rapide dans la logistique")  # fmt: skip
        set_action(s, contract_id=c.contract_id, activity_code="projet_professionnel")
        assert contract_intensity(s, c.contract_id).meets_target  # 10 + 2 + 3 = 15
        with pytest.raises(InvalidInput, match="catalogue"):
            set_action(s, contract_id=c.contract_id, activity_code="inconnue")
        # Lowering the target needs a documented difficulty and a justification.
        with pytest.raises(InvalidInput, match="difficulté"):
            set_intensity_target(
                s,
                contract_id=c.contract_id,
                hours=8,
                difficulties=[],
                justification="fatigue chronique",
            )
        set_intensity_target(
            s, contract_id=c.contract_id, hours=8, difficulties=["sante", "garde_enfants"],
            justification="Soins réguliers et garde de deux jeunes enfants",
        )  # fmt: skip
        it = contract_intensity(s, c.contract_id)
        assert it.target_adjusted and it.meets_target and "référence légale 15 h" in it.summary_fr()
        with pytest.raises(InvalidInput, match="bornes"):
            set_intensity_target(
                s, contract_id=c.contract_id, hours=40, difficulties=[], justification="x" * 20
            )


def test_signature_is_individual(engine: Engine) -> None:
    with session_scope(engine) as s:
        b = _dpa(s)
        c = create_contract(s, booking_id=b.booking_id, portfolio="suivi", modality="parcours_emploi",
                            actor_id="C1", with_default_plan=["recherche_emploi"])  # fmt: skip
        with pytest.raises(Forbidden, match="individuellement"):
            sign_contract(
                s,
                contract_id=c.contract_id,
                signer_agent_id="C1",
                signing=SigningSession("collective"),
            )
        # A collective session booked for the same person is refused even if called "individual".
        icol = Booking(**{k: getattr(b, k) for k in (
            "agency_id", "agent_id", "de_id", "ends_at", "break_until", "local_day", "organisation", "decided_on",
            "created_at", "updated_at")}, booking_id="rdv-icol", activity="ICOL", status="done",
            starts_at=b.starts_at + timedelta(days=1))  # fmt: skip
        s.add(icol)
        s.flush()
        with pytest.raises(Forbidden):
            sign_contract(s, contract_id=c.contract_id, signer_agent_id="C1",
                          signing=SigningSession("individual", booking_id="rdv-icol"))  # fmt: skip
        signed = sign_contract(s, contract_id=c.contract_id, signer_agent_id="C1",
                               signing=SigningSession("individual", booking_id=b.booking_id),
                               now=datetime(2026, 3, 2, 9, 40, tzinfo=PARIS))  # fmt: skip
        assert signed.status == "signed" and signed.starts_on == date(2026, 3, 2)
        with pytest.raises(Conflict):
            set_action(s, contract_id=c.contract_id, activity_code="atelier_cv")


def test_no_signature_in_an_appointment_cancelled_or_missed(engine: Engine) -> None:
    """Old code: the contract of a cancelled DPA appointment was signed (and its PDF printed) as if the
    interview had been held."""
    for n, status in ((2, "cancelled"), (3, "no_show")):
        with session_scope(engine) as s:
            b = _dpa(s, de_id=f"DE{n}")
            c = create_contract(s, booking_id=b.booking_id, portfolio="suivi", modality="m",
                                actor_id="C1", with_default_plan=["recherche_emploi"])  # fmt: skip
            b.status = status
            s.flush()
            with pytest.raises(InvalidInput, match="annulé ou manqué"):
                sign_contract(s, contract_id=c.contract_id, signer_agent_id="C1",
                              signing=SigningSession("individual", booking_id=b.booking_id))  # fmt: skip
            assert c.status == "draft"


def test_signature_deadline_and_reorientation_warnings(engine: Engine) -> None:
    with session_scope(engine) as s:
        b = _dpa(s, decided_on=date(2026, 2, 3))
        c = create_contract(
            s, booking_id=b.booking_id, portfolio="suivi", modality="m", actor_id="C1"
        )
        assert c.signature_due == date(2026, 3, 3)
        [w] = contract_warnings(s, c.contract_id, today=date(2026, 3, 1))
        assert w.code == "signature_due" and "03/03/2026" in w.message
        assert "dépassé" in contract_warnings(s, c.contract_id, today=date(2026, 3, 4))[0].message
        record_reorientation(s, contract_id=c.contract_id, reoriented_on=date(2026, 3, 1))
        assert c.signature_due == date(2026, 4, 1)
        assert contract_warnings(s, c.contract_id, today=date(2026, 3, 4)) == []


def test_cej_and_esf_clocks(engine: Engine) -> None:
    with session_scope(engine) as s:
        b = _dpa(s)
        c = create_contract(s, booking_id=b.booking_id, portfolio="renforce", modality="cej", programme="CEJ",
                            esf_financed=True, actor_id="C1", with_default_plan=["formation"])  # fmt: skip
        sign_contract(s, contract_id=c.contract_id, signer_agent_id="C1", signing=SigningSession("individual"),
                      now=datetime(2026, 3, 2, 10, tzinfo=UTC))  # fmt: skip
        assert contract_warnings(s, c.contract_id, today=date(2026, 6, 1)) == []
        [w] = contract_warnings(s, c.contract_id, today=date(2026, 8, 15))
        assert w.code == "esf_period_ending" and w.due == date(2026, 9, 1)
        assert "CEJ court jusqu'au 01/03/2027" in w.message
        renewed = renew_esf_period(s, contract_id=c.contract_id)
        assert (renewed.starts_on, renewed.ends_on) == (date(2026, 9, 2), date(2027, 3, 1))
        assert contract_warnings(s, c.contract_id, today=date(2026, 8, 15)) == []
        codes = {w.code for w in contract_warnings(s, c.contract_id, today=date(2027, 2, 15))}
        # The second period ends with the CEJ: only the CEJ end is announced.
        assert codes == {"cej_ending"}


def test_financing_warning_when_nothing_covers_today() -> None:
    cej = cej_period(date(2026, 1, 1), 12)
    ws = financing_warnings(today=date(2026, 8, 1), warn_days=30, cej=cej,
                            esf_periods=[Period(date(2026, 1, 1), date(2026, 6, 30))], esf_financed=True)  # fmt: skip
    assert [w.code for w in ws] == ["esf_not_covered"]


def test_pdf_is_real_and_logged(engine: Engine, tmp_path: Path) -> None:
    log = ConsultLog(tmp_path / "log")
    with session_scope(engine) as s:
        b = _dpa(s)
        c = create_contract(s, booking_id=b.booking_id, portfolio="guide", modality="parcours_emploi",
                            actor_id="C1", with_default_plan=["recherche_emploi", "immersion"])  # fmt: skip
        set_intensity_target(s, contract_id=c.contract_id, hours=12, difficulties=["mobilite"],
                             justification="Pas de véhicule, zone rurale mal desservie")  # fmt: skip
        sign_contract(s, contract_id=c.contract_id, signer_agent_id="C1", signing=SigningSession("individual"),
                      now=datetime(2026, 3, 2, 9, 40, tzinfo=UTC))  # fmt: skip
        data = print_contract(
            s, contract_id=c.contract_id, holder_name="Łucja Dupré-Œillet Nguyễn", agent_id="C1"
        )
        contract_id, booking_id, sha = c.contract_id, b.booking_id, c.pdf_sha256
    assert data.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    for expected in ("Contrat d'engagement", "Łucja Dupré-Œillet Nguyễn", "Période de mise en situation",
                     "15 h prévues par semaine pour un objectif de 12 h", "Mobilité",
                     "Signé individuellement le 02/03/2026 à 10h40", "Agence de Toulouse Nord"):  # fmt: skip
        assert expected in text.replace("\n", " "), expected
    import hashlib

    assert sha == hashlib.sha256(data).hexdigest()
    assert flush_buffer(engine, log).rows == 1
    rows = duckdb.sql(f"SELECT action, purpose FROM {log.relation_sql()}").fetchall()
    assert rows == [("print", f"contrat d'engagement {contract_id} (rendez-vous {booking_id})")]


def test_unsigned_pdf_says_so(engine: Engine) -> None:
    with session_scope(engine) as s:
        b = _dpa(s)
        c = create_contract(s, booking_id=b.booking_id, portfolio="suivi", modality="m", actor_id="C1",
                            with_default_plan=["atelier_cv"])  # fmt: skip
        doc = contract_document(s, contract_id=c.contract_id, holder_name="X")
    text = PdfReader(io.BytesIO(render_contract_pdf(doc))).pages[0].extract_text()
    assert "Projet non signé" in text


def test_simultaneous_drafts_and_renewals_record_one(
    engine: Engine, race: Callable[..., list[str]]
) -> None:
    """Two counsellors draw up the contract of one DPA appointment at the same time, then two renew
    its ESF period at the same time: both pass the service's checks before either commits, and the
    database keeps one draft per registrant and one renewal per period."""
    with session_scope(engine) as s:
        booking_id = _dpa(s).booking_id

    def draft(s: Session) -> object:
        return create_contract(
            s, booking_id=booking_id, portfolio="renforce", modality="cej", programme="CEJ",
            esf_financed=True, actor_id="C1", with_default_plan=["formation"],
        )  # fmt: skip

    assert race(draft) == ["recorded", "conflict"]
    with session_scope(engine) as s:
        [contract_id] = s.scalars(select(EngagementContract.contract_id)).all()
        sign_contract(s, contract_id=contract_id, signer_agent_id="C1",
                      signing=SigningSession("individual"), now=datetime(2026, 3, 2, 10, tzinfo=UTC))  # fmt: skip
    outcomes = race(lambda s: renew_esf_period(s, contract_id=contract_id))
    with session_scope(engine) as s:
        renewed = [p.renewal_of for p in s.scalars(select(FinancingPeriod)) if p.renewal_of]
    # Never two renewals of one period: the second is refused. (On SQLite the savepoint's release
    # committed the first renewal at once before the savepoints nested in the unit of work's
    # transaction, so the second one, starting after it, renewed the renewal.)
    assert len(renewed) == len(set(renewed))
    assert outcomes == ["recorded", "conflict"]


def test_contract_commands_list_warnings_and_refuse_bad_input_with_a_message(
    engine: Engine, tmp_path: Path
) -> None:
    """Old code: a bad `--on` date or an unknown contract raised a traceback, and an unknown agency
    was listed as having nothing to do."""
    from typer.testing import CliRunner

    from parcours.cli.main import app

    with session_scope(engine) as s:
        b = _dpa(s, decided_on=date(2026, 2, 3))
        c = create_contract(
            s, booking_id=b.booking_id, portfolio="suivi", modality="m", actor_id="C1"
        )
        contract_id = c.contract_id
    with session_scope(engine) as s:
        logged = s.scalar(select(func.count()).select_from(BufferedConsultation))
    runner = CliRunner()
    out = runner.invoke(app, ["contract", "warnings", "--agency", "AG1", "--on", "2026-03-01"])
    assert out.exit_code == 0, out.output
    assert f"{contract_id}\tDE1\tsignature_due\t2026-03-03" in out.output
    assert "1 contrat(s) à traiter" in out.output
    for args, said in (
        (["warnings", "--agency", "AG1", "--on", "2026-02-30"], "date attendue"),
        (["warnings", "--agency", "AG9"], "agence inconnue : AG9"),
        (["pdf", "C404", "--holder", "X", "--agent", "C1", "-o", str(tmp_path / "c.pdf")],
         "contrat inconnu : C404"),
        (["pdf", contract_id, "--holder", "X", "--agent", "C1", "-o", str(tmp_path / "no" / "c.pdf")],
         "écriture impossible"),
    ):  # fmt: skip
        out = runner.invoke(app, ["contract", *args])
        assert out.exit_code == 2 and said in out.output, out.output
    assert not (tmp_path / "c.pdf").exists()
    # The print that could not be written was not logged as a consultation.
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(BufferedConsultation)) == logged
