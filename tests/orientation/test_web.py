"""Orientation pages over HTTP: the interview flow and the permission matrix of every route."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from parcours.accounts.roles import Role
from parcours.config import get_settings
from parcours.consultlog.buffer import flush_buffer
from parcours.consultlog.store import ConsultLog
from parcours.db import session_scope
from parcours.orientation import service
from parcours.orientation.library import default_library
from parcours.web.testing import World, csrf_token_of

from .factories import answers

ClientAs = Callable[[Role | None], TestClient]


def _form(**overrides: object) -> dict[str, str]:
    return {
        k: str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in answers(**overrides).items()
    }


def _interview_in(engine: Engine, agency_id: str, de_id: str, *, complete: bool) -> str:
    with session_scope(engine) as s:
        interview = service.start_interview(
            s,
            de_id=de_id,
            agent_id="AG-X",
            agency_id=agency_id,
            channel="phone",
            started_at=datetime(2026, 1, 12, 9, tzinfo=UTC),
        )
        if complete:
            service.save_answers(
                s,
                interview_id=interview.interview_id,
                answers=answers(),
                saved_at=datetime.now(UTC),
            )
            service.complete_interview(
                s,
                interview_id=interview.interview_id,
                completed_at=datetime(2026, 1, 12, 9, 14, tzinfo=UTC),
            )
        return interview.interview_id


def test_interview_from_first_answer_to_changed_decision(
    client_as: ClientAs, world: World, engine: Engine
) -> None:
    c = client_as(Role.CONSEILLER)
    assert c.get("/orientation").status_code == 200
    page = c.get(f"/orientation/nouveau?de_id={world.de_portfolio}")
    assert page.status_code == 200 and "Commencer l'entretien" in page.text
    token = csrf_token_of(c)
    r = c.post(
        "/orientation/entretiens",
        data={"csrf_token": token, "de_id": world.de_portfolio, "channel": "phone"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    url = r.headers["location"]
    interview_id = url.rsplit("/", 1)[1]
    form = c.get(url)
    assert form.status_code == 200 and "Quel âge avez-vous ?" in form.text

    # Autosave through HTMX: only the status line comes back.
    saved = c.post(
        f"{url}/reponses",
        data={"age": "22"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert saved.status_code == 200 and saved.text.startswith("Brouillon enregistré")
    wrong = c.post(
        f"{url}/reponses", data={"age": "7"}, headers={"HX-Request": "true", "X-CSRF-Token": token}
    )
    assert "Non enregistré" in wrong.text and "valeur minimale 16" in wrong.text
    # Closing with answers missing keeps the draft and lists what is missing.
    early = c.post(f"{url}/terminer", data={"csrf_token": token, "rsa": "false"})
    assert early.status_code == 422 and "réponse manquante" in early.text
    assert 'value="22"' in early.text  # nothing typed was lost

    done = c.post(
        f"{url}/terminer",
        data={"csrf_token": token, **_form(age=24, qualification="bac3plus")},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("/proposition")
    proposal = c.get(done.headers["location"])
    # Today the APEC commitment (2025) is over: a 24-year-old graduate gets the youth modality.
    assert "24 ans : accompagnement intensif jeunes." in proposal.text
    assert "Code du travail, art. L5314-2" in proposal.text  # the legal reference of the age

    no_reason = c.post(
        f"{url}/decision",
        data={
            "csrf_token": token,
            "action": "modifier",
            "organisation": "FT",
            "path": "professional",
            "modality": "suivi",
            "change_reason": "",
            "change_comment": "",
        },
    )
    assert no_reason.status_code == 422 and "motif obligatoire" in no_reason.text
    changed = c.post(
        f"{url}/decision",
        data={
            "csrf_token": token,
            "action": "modifier",
            "organisation": "FT",
            "path": "professional",
            "modality": "suivi",
            "change_reason": "person_choice",
            "change_comment": "Souhaite un suivi autonome.",
        },
    )
    assert changed.status_code == 200
    assert "modifiée — Choix exprimé par la personne" in changed.text
    again = c.post(f"{url}/decision", data={"csrf_token": token, "action": "confirmer"})
    assert again.status_code == 409  # one decision per interview; later: a reorientation
    target = {"organisation": "CAP_EMPLOI", "path": "professional", "modality": "cap_emploi"}
    refused = c.post(f"{url}/reorientation", data={"csrf_token": token, **target})
    assert refused.status_code == 422 and "motif obligatoire" in refused.text
    reoriented = c.post(
        f"{url}/reorientation",
        data={
            "csrf_token": token,
            **target,
            "change_reason": "health_disability",
            "change_comment": "RQTH obtenue.",
        },
    )
    assert reoriented.status_code == 200
    assert "Réorientation du" in reoriented.text and "RQTH obtenue." in reoriented.text
    assert "modifiée — Choix exprimé par la personne" in reoriented.text  # history kept

    log = ConsultLog(get_settings().log_dir)
    flush_buffer(engine, log)
    events = log.events_for(de_id=world.de_portfolio)
    contexts = {str(e["purpose"]) for e in events}
    assert f"contexte : entretien d'orientation {interview_id}" in contexts


def test_the_decision_page_refuses_a_decision_dated_before_the_interview(
    client_as: ClientAs, world: World, engine: Engine
) -> None:
    """The page records decisions through `service.decide`, dated now: an interview completed
    later than now (a clock set wrong) cannot be decided before it."""
    later = datetime.now(UTC) + timedelta(hours=1)
    with session_scope(engine) as s:
        interview = service.start_interview(
            s,
            de_id=world.de_portfolio,
            agent_id="AG-X",
            agency_id="AG-A1",
            channel="phone",
            started_at=later,
        )
        interview_id = interview.interview_id
        service.save_answers(s, interview_id=interview_id, answers=answers(), saved_at=later)
        service.complete_interview(s, interview_id=interview_id, completed_at=later)
    c = client_as(Role.CONSEILLER)
    page = c.get(f"/orientation/entretiens/{interview_id}/proposition")
    assert page.status_code == 200
    token = csrf_token_of(c)
    refused = c.post(
        f"/orientation/entretiens/{interview_id}/decision",
        data={"csrf_token": token, "action": "confirmer"},
    )
    assert refused.status_code == 422 and "ne peut pas précéder" in refused.text


def test_out_of_scope_registrant_needs_a_purpose(client_as: ClientAs, world: World) -> None:
    c = client_as(Role.CONSEILLER)
    r = c.get(f"/orientation/nouveau?de_id={world.de_same_agency}", follow_redirects=False)
    assert r.status_code == 303 and "/motif" in r.headers["location"]


ALL_ROLES: list[Role | None] = [None, *Role]


def _expected(role: Role | None, allowed: frozenset[Role]) -> int:
    if role is None:
        return 303  # to the login page
    return 200 if role in allowed else 403


def test_permission_matrix(client_as: ClientAs, world: World, engine: Engine) -> None:
    # The completed one first: a second interview is refused beside a draft.
    own_done = _interview_in(engine, "AG-A1", world.de_portfolio, complete=True)
    own_draft = _interview_in(engine, "AG-A1", world.de_portfolio, complete=False)
    other_agency = _interview_in(engine, "AG-A2", world.de_appointment, complete=True)
    other_region = _interview_in(engine, "AG-B1", world.de_other_scope, complete=True)
    interviewers = frozenset({Role.CONSEILLER, Role.MANAGER})
    steering = frozenset({Role.MANAGER, Role.CORRESPONDANT, Role.NATIONAL})
    gets = [
        ("/orientation", interviewers),
        (f"/orientation/nouveau?de_id={world.de_portfolio}", frozenset({Role.CONSEILLER})),
        (f"/orientation/entretiens/{own_draft}", interviewers),
        (f"/orientation/entretiens/{own_done}/proposition", interviewers),
        ("/orientation/pilotage", steering),
        ("/orientation/pilotage/ecarts.csv", steering),
        ("/orientation/pilotage/ecarts-motifs.csv", steering),
        ("/orientation/pilotage/ecarts.json", steering),
    ]
    posts = [
        f"/orientation/entretiens/{own_done}/reorientation",
        f"/orientation/entretiens/{own_draft}/reponses",
        f"/orientation/entretiens/{own_draft}/terminer",
        f"/orientation/entretiens/{own_done}/decision",
        "/orientation/entretiens",
    ]
    for role in ALL_ROLES:
        c = client_as(role)
        for url, allowed in gets:
            expected = _expected(role, allowed)
            if role is Role.MANAGER and "nouveau" in url:
                expected = 200  # a manager opens the files of their agency
            got = c.get(url, follow_redirects=False).status_code
            assert got == expected, f"GET {url} as {role}: {got} != {expected}"
        token = csrf_token_of(c) if role is not None else ""
        for url in posts:
            got = c.post(url, data={"csrf_token": token}, follow_redirects=False).status_code
            if role is None:
                assert got in (303, 403), f"POST {url} anonymous: {got}"
            elif role not in interviewers:
                assert got == 403, f"POST {url} as {role}: {got}"
        if role in interviewers:
            for foreign in (other_agency, other_region):
                for suffix in ("", "/proposition"):
                    got = c.get(f"/orientation/entretiens/{foreign}{suffix}").status_code
                    assert got == 404, f"{role} reads another agency's interview: {got}"
                got = c.post(
                    f"/orientation/entretiens/{foreign}/decision",
                    data={"csrf_token": token, "action": "confirmer"},
                ).status_code
                assert got == 404


def test_steering_is_scoped(client_as: ClientAs, world: World, engine: Engine) -> None:
    places = (
        ("AG-A1", world.de_portfolio),
        ("AG-A2", world.de_appointment),
        ("AG-B1", world.de_other_scope),
    )
    for agency, de_id in places:
        interview_id = _interview_in(engine, agency, de_id, complete=True)
        with session_scope(engine) as s:
            service.decide(
                s,
                interview_id=interview_id,
                agent_id="AG-X",
                decided_at=datetime(2026, 1, 12, 10, tzinfo=UTC),
            )
    expected = {
        Role.MANAGER: {"AG-A1"},
        Role.CORRESPONDANT: {"AG-A1", "AG-A2"},
        Role.NATIONAL: {"AG-A1", "AG-A2", "AG-B1"},
    }
    period = "debut=2026-01-01&fin=2026-01-31"
    for role, agencies in expected.items():
        c = client_as(role)
        data = json.loads(c.get(f"/orientation/pilotage/ecarts.json?{period}").text)
        assert {row["agency_id"] for row in data["matrix"]} == agencies, role
        page = c.get(f"/orientation/pilotage?{period}&par=agence")
        assert page.status_code == 200 and f"{len(agencies)} décisions" in page.text
        fragment = c.get(f"/orientation/pilotage?{period}", headers={"HX-Request": "true"})
        assert "<html" not in fragment.text and "Orientations par organisme" in fragment.text


def test_concurrent_saves_lose_nothing_and_a_double_completion_records_one_proposal(
    client_as: ClientAs, world: World, engine: Engine
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func, select

    from parcours.orientation.models import OrientationInterview, OrientationProposal

    interview_id = _interview_in(engine, "AG-A1", world.de_portfolio, complete=False)
    url = f"/orientation/entretiens/{interview_id}"
    c = client_as(Role.CONSEILLER)
    token = csrf_token_of(c)
    headers = {"HX-Request": "true", "X-CSRF-Token": token}
    fields = {"age": "34", "rsa": "false", "boeth": "false", "qualification": "bac2"}
    with ThreadPoolExecutor(max_workers=4) as pool:
        saved = list(
            pool.map(
                lambda kv: c.post(f"{url}/reponses", data=dict([kv]), headers=headers).status_code,
                fields.items(),
            )
        )
    assert saved == [200] * len(fields)
    with session_scope(engine) as s:
        stored = s.get(OrientationInterview, interview_id)
        assert stored is not None
        # Each save merged into what the others had written: no answer lost.
        assert {k: str(v).lower() for k, v in stored.answers.items()} == {
            "age": "34",
            "rsa": "false",
            "boeth": "false",
            "qualification": "bac2",
        }

    form = {"csrf_token": token, **_form(age=34)}
    with ThreadPoolExecutor(max_workers=3) as pool:
        done = list(
            pool.map(
                lambda _: c.post(f"{url}/terminer", data=form, follow_redirects=False),
                range(3),
            )
        )
    assert [r.status_code for r in done] == [303] * 3
    assert all(r.headers["location"].endswith("/proposition") for r in done)
    with session_scope(engine) as s:
        proposals = s.scalar(
            select(func.count())
            .select_from(OrientationProposal)
            .where(OrientationProposal.interview_id == interview_id)
        )
    assert proposals == 1


def test_changing_an_interview_needs_the_file_not_just_the_agency(
    client_as: ClientAs, world: World, engine: Engine
) -> None:
    """A colleague's interview on a file the counsellor has no link to: answering, completing,
    deciding or reorienting it goes through the purpose form like reading it, changes nothing
    before, and each change is in the consultation log after."""
    # The completed one first: a second interview is refused beside a draft.
    done = _interview_in(engine, "AG-A1", world.de_same_agency, complete=True)
    draft = _interview_in(engine, "AG-A1", world.de_same_agency, complete=False)
    c = client_as(Role.CONSEILLER)
    token = csrf_token_of(c)
    attempts = [
        (f"/orientation/entretiens/{draft}/reponses", _form()),
        (f"/orientation/entretiens/{draft}/terminer", _form()),
        (f"/orientation/entretiens/{done}/decision", {"action": "confirmer"}),
        (
            f"/orientation/entretiens/{done}/reorientation",
            {"organisation": "FT", "path": "professional", "modality": "suivi",
             "change_reason": "person_choice", "change_comment": "sans lien au dossier"},
        ),
    ]  # fmt: skip
    for url, data in attempts:
        r = c.post(url, data={"csrf_token": token, **data}, follow_redirects=False)
        assert r.status_code == 303 and "/motif" in r.headers["location"], url
    from parcours.orientation.models import OrientationInterview

    with session_scope(engine) as s:
        assert s.get(OrientationInterview, draft).status == "draft"  # type: ignore[union-attr]
        assert service.decision_history(s, de_id=world.de_same_agency) == []
    flush_buffer(engine, ConsultLog(get_settings().log_dir))
    assert ConsultLog(get_settings().log_dir).events_for(de_id=world.de_same_agency) == []


def test_a_refused_change_comes_back_to_the_page_it_was_sent_from(
    client_as: ClientAs, world: World, engine: Engine
) -> None:
    """After the purpose form, a refused post cannot be replayed as a GET: the user returns to
    the page the form was on (this site only), or to the file."""
    draft = _interview_in(engine, "AG-A1", world.de_same_agency, complete=False)
    c = client_as(Role.CONSEILLER)
    url = f"/orientation/entretiens/{draft}/reponses"
    data = {"csrf_token": csrf_token_of(c)}
    page = f"http://testserver/orientation/entretiens/{draft}"
    r = c.post(url, data=data, headers={"referer": page}, follow_redirects=False)
    assert r.headers["location"].endswith(f"motif?suite=/orientation/entretiens/{draft}")
    r = c.post(
        url, data=data, headers={"referer": "https://evil.example/x"}, follow_redirects=False
    )
    assert r.headers["location"].endswith(f"motif?suite=/dossiers/{world.de_same_agency}")


def test_the_agency_list_says_whether_decided_not_the_outcome(
    client_as: ClientAs, world: World, engine: Engine
) -> None:
    """Old code: the list of the agency's interviews showed each person's decided organisation and
    modality (an RSA or social path among them) without any file being opened, hence unlogged."""
    interview_id = _interview_in(engine, "AG-A1", world.de_portfolio, complete=True)
    with session_scope(engine) as s:
        decision = service.decide(
            s, interview_id=interview_id, agent_id="AG-X",
            decided_at=datetime(2026, 1, 12, 10, tzinfo=UTC),
        )  # fmt: skip
        label = default_library().vocabulary.label("modality", decision.modality)
    flush_buffer(engine, ConsultLog(get_settings().log_dir))
    before = len(ConsultLog(get_settings().log_dir).events_for(de_id=world.de_portfolio))
    page = client_as(Role.CONSEILLER).get("/orientation").text
    assert world.de_portfolio in page and "décidée" in page
    assert label not in page
    flush_buffer(engine, ConsultLog(get_settings().log_dir))
    assert len(ConsultLog(get_settings().log_dir).events_for(de_id=world.de_portfolio)) == before
