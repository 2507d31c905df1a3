"""CSRF, session fixation, throttling, logout, cookie flags, headers, open redirects (SQLite: the
database plays no part in these; the permission matrix and the trail run on both backends)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from parcours.accounts import totp
from parcours.accounts.models import User, WebSession
from parcours.accounts.roles import Role
from parcours.accounts.throttling import MAX_ATTEMPTS, MAX_DELAY
from parcours.config import reset_settings_cache
from parcours.web.app import create_app
from parcours.web.cookies import PRESESSION_COOKIE, SESSION_COOKIE
from parcours.web.testing import World, csrf_token_from, csrf_token_of, fresh_totp_code, login


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


def _post_login(c: TestClient, login_: str, password: str) -> int:
    token = csrf_token_from(c.get("/connexion").text)
    r = c.post(
        "/connexion",
        data={"login": login_, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    return r.status_code


def test_post_without_csrf_token_is_refused(
    client_as: Callable[[Role], TestClient], world: World
) -> None:
    c = client_as(Role.CONSEILLER)
    r = c.post(
        f"/dossiers/{world.de_other_scope}/motif",
        data={"choice": "Appel 3949 — demande de la personne"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    r = c.post(
        f"/dossiers/{world.de_other_scope}/motif",
        data={"choice": "Appel 3949 — demande de la personne", "csrf_token": "0" * 64},
        follow_redirects=False,
    )
    assert r.status_code == 403
    r = c.post(
        f"/dossiers/{world.de_other_scope}/motif",
        data={"choice": "Appel 3949 — demande de la personne", "csrf_token": csrf_token_of(c)},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_csrf_header_works_for_htmx_and_foreign_origin_is_refused(
    client_as: Callable[[Role], TestClient], world: World
) -> None:
    c = client_as(Role.CONSEILLER)
    token = csrf_token_of(c)
    data = {"choice": "Appel 3949 — demande de la personne"}
    url = f"/dossiers/{world.de_other_scope}/motif"
    assert (
        c.post(url, data=data, headers={"X-CSRF-Token": token}, follow_redirects=False).status_code
        == 303
    )
    r = c.post(
        url,
        data=data | {"csrf_token": token},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert r.status_code == 403


def test_token_of_another_session_is_refused(
    client_as: Callable[[Role], TestClient], world: World
) -> None:
    a, b = client_as(Role.CONSEILLER), client_as(Role.MANAGER)
    r = b.post("/deconnexion", data={"csrf_token": csrf_token_of(a)}, follow_redirects=False)
    assert r.status_code == 403


def test_login_form_itself_needs_the_token(client: TestClient, world: World) -> None:
    acc = world.accounts[Role.CONSEILLER]
    r = client.post(
        "/connexion", data={"login": acc.login, "password": acc.password}, follow_redirects=False
    )
    assert r.status_code == 403


def test_session_id_is_renewed_at_each_login_step(
    client: TestClient, engine: Engine, world: World
) -> None:
    """A session id planted before login (fixation) is worthless after it."""
    acc = world.accounts[Role.MANAGER]
    client.cookies.set(SESSION_COOKIE, "planted-by-attacker", domain="testserver.local")
    token = csrf_token_from(client.get("/connexion").text)
    r = client.post(
        "/connexion",
        data={"login": acc.login, "password": acc.password, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/connexion/code")
    pending = client.cookies.get(SESSION_COOKIE)
    assert pending and pending != "planted-by-attacker"
    # The half-authenticated session opens no page.
    assert client.get("/", follow_redirects=False).status_code == 303
    assert acc.totp_secret
    code = fresh_totp_code(acc.totp_secret, engine=engine, login=acc.login)
    page = client.get("/connexion/code")
    r = client.post(
        "/connexion/code",
        data={"code": code, "csrf_token": csrf_token_from(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    full = client.cookies.get(SESSION_COOKIE)
    assert full and full != pending
    assert client.get("/").status_code == 200
    # The pending id is dead: replaying it gives nothing.
    replay = TestClient(client.app)
    replay.cookies.set(SESSION_COOKIE, pending)
    assert replay.get("/", follow_redirects=False).status_code == 303
    with Session(engine) as s:
        user = s.scalar(select(User).where(User.login == acc.login))
        assert user is not None
        assert s.query(WebSession).filter_by(user_id=user.user_id).count() == 1


def test_throttling_then_lock_after_ten_failures(
    client: TestClient, engine: Engine, world: World
) -> None:
    acc = world.accounts[Role.CONSEILLER]
    statuses = [_post_login(client, acc.login, "Wrong-password-123!") for _ in range(3)]
    # The third failure starts the delay, and the answer says so.
    assert statuses == [401, 401, 429]
    # Now a delay runs: even the right password is not checked during it.
    assert _post_login(client, acc.login, acc.password) == 429
    # Simulate the passing of the delay by moving the last failure back (by the longest delay: further
    # back than FAILURE_WINDOW, the failures would no longer be consecutive), up to the 10th failure.
    for _ in range(MAX_ATTEMPTS - 3):
        with Session(engine) as s:
            u = s.scalar(select(User).where(User.login == acc.login))
            assert u is not None and u.last_failed_at is not None
            u.last_failed_at = u.last_failed_at - MAX_DELAY
            s.commit()
        _post_login(client, acc.login, "Wrong-password-123!")
    with Session(engine) as s:
        u = s.scalar(select(User).where(User.login == acc.login))
        assert u is not None and u.failed_attempts == MAX_ATTEMPTS and u.locked_until is not None
        assert u.last_failed_at is not None
        u.last_failed_at = u.last_failed_at - MAX_DELAY
        s.commit()
    # Locked: the right password is refused until the lock ends or an admin unlocks.
    assert _post_login(client, acc.login, acc.password) == 429


def test_wrong_totp_codes_count_as_failures(
    client: TestClient, engine: Engine, world: World
) -> None:
    acc = world.accounts[Role.NATIONAL]
    assert _post_login(client, acc.login, acc.password) == 303
    page = client.get("/connexion/code")
    r = client.post(
        "/connexion/code",
        data={"code": "000000", "csrf_token": csrf_token_from(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 401
    with Session(engine) as s:
        assert s.scalar(select(User.failed_attempts).where(User.login == acc.login)) == 1


def test_totp_code_is_single_use(client: TestClient, engine: Engine, world: World) -> None:
    acc = world.accounts[Role.ADMIN]
    assert acc.totp_secret
    code = fresh_totp_code(acc.totp_secret, engine=engine, login=acc.login)
    for expected in (303, 401):
        other = TestClient(client.app)
        assert _post_login(other, acc.login, acc.password) == 303
        page = other.get("/connexion/code")
        r = other.post(
            "/connexion/code",
            data={"code": code, "csrf_token": csrf_token_from(page.text)},
            follow_redirects=False,
        )
        assert r.status_code == expected
    assert totp.STEP_SECONDS == 30


def test_logout_ends_the_session(client_as: Callable[[Role], TestClient]) -> None:
    c = client_as(Role.CSE)
    old = c.cookies.get(SESSION_COOKIE)
    r = c.post("/deconnexion", data={"csrf_token": csrf_token_of(c)}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/", follow_redirects=False).status_code == 303
    replay = TestClient(c.app)
    replay.cookies.set(SESSION_COOKIE, old or "")
    assert replay.get("/", follow_redirects=False).status_code == 303


def test_disabling_an_account_ends_its_sessions(
    client_as: Callable[[Role], TestClient], world: World
) -> None:
    victim = client_as(Role.CONSEILLER)
    admin = client_as(Role.ADMIN)
    uid = world.accounts[Role.CONSEILLER].user_id
    r = admin.post(
        f"/admin/comptes/{uid}/desactiver",
        data={"csrf_token": csrf_token_of(admin)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert victim.get("/", follow_redirects=False).status_code == 303


def test_cookie_flags(client: TestClient, world: World) -> None:
    acc = world.accounts[Role.CSE]
    token = csrf_token_from(client.get("/connexion").text)
    r = client.post(
        "/connexion",
        data={"login": acc.login, "password": acc.password, "csrf_token": token},
        follow_redirects=False,
    )
    set_cookie = [
        v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith(SESSION_COOKIE)
    ]
    assert (
        set_cookie
        and "httponly" in set_cookie[0].lower()
        and "samesite=lax" in set_cookie[0].lower()
    )
    assert "secure" not in set_cookie[0].lower()  # development mode serves plain http on loopback


def test_cookies_are_secure_outside_development(
    engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARCOURS_MODE", "production")
    monkeypatch.setenv("PARCOURS_SECRET_KEY", "p" * 40)
    reset_settings_cache()
    app: FastAPI = create_app(engine=engine)
    with TestClient(app, base_url="https://testserver") as c:
        r = c.get("/connexion")
        pre = [
            v
            for k, v in r.headers.multi_items()
            if k == "set-cookie" and v.startswith(PRESESSION_COOKIE)
        ]
        assert pre and "secure" in pre[0].lower()
        acc = world.accounts[Role.CSE]
        r = c.post(
            "/connexion",
            data={
                "login": acc.login,
                "password": acc.password,
                "csrf_token": csrf_token_from(r.text),
            },
            follow_redirects=False,
        )
        cookie = [
            v
            for k, v in r.headers.multi_items()
            if k == "set-cookie" and v.startswith(SESSION_COOKIE)
        ]
        assert cookie and "secure" in cookie[0].lower()


def test_security_headers(client: TestClient) -> None:
    r = client.get("/connexion")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["vary"] == "HX-Request"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
    ],
)
def test_login_never_redirects_off_site(client: TestClient, world: World, target: str) -> None:
    acc = world.accounts[Role.CSE]
    token = csrf_token_from(client.get("/connexion").text)
    r = client.post(
        "/connexion",
        data={"login": acc.login, "password": acc.password, "csrf_token": token, "suite": target},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_unknown_login_and_wrong_password_look_the_same(client: TestClient, world: World) -> None:
    a = client.post(
        "/connexion",
        data={
            "login": "nobody",
            "password": "x",
            "csrf_token": csrf_token_from(client.get("/connexion").text),
        },
    )
    b = client.post(
        "/connexion",
        data={
            "login": world.accounts[Role.CSE].login,
            "password": "x",
            "csrf_token": csrf_token_from(client.get("/connexion").text),
        },
    )
    assert a.status_code == b.status_code == 401
    assert (
        "Identifiant, mot de passe ou code incorrect." in a.text
        and "Identifiant, mot de passe ou code incorrect." in b.text
    )


def test_full_login_helper_for_every_role(
    client_as: Callable[[Role], TestClient], engine: Engine
) -> None:
    for role in Role:
        c = client_as(role)
        assert c.get("/").status_code == 200
    assert login  # the helper used above goes through the real routes


def test_password_change(
    client_as: Callable[[Role], TestClient], world: World, engine: Engine
) -> None:
    acc = world.accounts[Role.CONSEILLER]
    me, elsewhere = client_as(Role.CONSEILLER), client_as(Role.CONSEILLER)
    new = "Nouveau-Mot-De-Passe-2026"
    r = me.post(
        "/compte/mot-de-passe",
        data={
            "current": acc.password,
            "new": "court",
            "confirmation": "court",
            "csrf_token": csrf_token_of(me),
        },
    )
    assert r.status_code == 422 and "12 caractères" in r.text
    r = me.post(
        "/compte/mot-de-passe",
        data={
            "current": acc.password,
            "new": new,
            "confirmation": new,
            "csrf_token": csrf_token_of(me),
        },
    )
    assert r.status_code == 200 and "Mot de passe changé" in r.text
    assert me.get("/").status_code == 200  # this session continues (under a new id)
    # ...and its forms carry a token valid for the new id.
    r = me.post(
        "/compte/mot-de-passe",
        data={
            "current": new,
            "new": new + "x",
            "confirmation": new + "x",
            "csrf_token": csrf_token_of(me),
        },
    )
    assert r.status_code == 200 and "Mot de passe changé" in r.text
    new = new + "x"
    assert elsewhere.get("/", follow_redirects=False).status_code == 303  # the others are closed
    fresh = TestClient(me.app)
    assert _post_login(fresh, acc.login, acc.password) == 401
    assert _post_login(fresh, acc.login, new) == 303


def test_wrong_current_password_counts_as_a_failure(
    client_as: Callable[[Role], TestClient], world: World, engine: Engine
) -> None:
    me = client_as(Role.CSE)
    r = me.post(
        "/compte/mot-de-passe",
        data={"current": "faux", "new": "x", "confirmation": "x", "csrf_token": csrf_token_of(me)},
    )
    assert r.status_code == 422 and "actuel est incorrect" in r.text
    with Session(engine) as s:
        assert (
            s.scalar(
                select(User.failed_attempts).where(User.login == world.accounts[Role.CSE].login)
            )
            == 1
        )
