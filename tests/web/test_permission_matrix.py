"""The permission matrix: every route of the application, every role, in and out of scope.

Routes are ENUMERATED from the application: a route without a rule in some tests/<domain>/permissions.py
fails this test, so a new page cannot ship without saying who may open it. Expectations:
anonymous → redirect to the login page (public routes: success); a role not allowed → 403; an allowed
role on an object of another establishment → 404 (or the rule's status); an allowed role → success.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from parcours.accounts.roles import Role
from parcours.web.testing import (
    MatrixContext,
    RouteRule,
    World,
    csrf_token_from,
    csrf_token_of,
    enumerate_routes,
    login,
)

TESTS = Path(__file__).resolve().parents[1]


def load_rules() -> list[RouteRule]:
    rules: list[RouteRule] = []
    for path in sorted(TESTS.glob("*/permissions.py")):
        spec = importlib.util.spec_from_file_location(f"permissions_{path.parent.name}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        rules.extend(module.RULES)
    return rules


def test_every_route_has_a_rule(app: FastAPI) -> None:
    rules = {(r.method, r.path) for r in load_rules()}
    routes = enumerate_routes(app)
    assert not routes - rules, (
        f"routes missing from the permission matrix: {sorted(routes - rules)}"
    )
    assert not rules - routes, f"rules for routes that do not exist: {sorted(rules - routes)}"


def _call(client: TestClient, rule: RouteRule, ctx: MatrixContext, params: dict[str, str]) -> int:
    url = rule.path.format(**params)
    if rule.method == "GET":
        return client.get(url, follow_redirects=False).status_code
    token = csrf_token_of(client) if ctx.role else csrf_token_from(client.get("/connexion").text)
    data = rule.form(ctx) | {"csrf_token": token}
    return client.request(rule.method, url, data=data, follow_redirects=False).status_code


def test_permission_matrix(app: FastAPI, engine: Engine, world: World) -> None:
    rules = load_rules()
    clients: dict[Role | None, TestClient] = {None: TestClient(app)}
    for role in Role:
        clients[role] = TestClient(app)
        login(clients[role], world.accounts[role], engine=engine)
    failures: list[str] = []

    def check(
        rule: RouteRule, role: Role | None, which: str, expected: set[int] | frozenset[int]
    ) -> None:
        client = clients[role]
        with Session(engine) as session:
            ctx = MatrixContext(session=session, world=world, role=role, client=client)
            fn = rule.params if which == "own" else rule.other_scope
            assert fn is not None
            params = fn(ctx)
            session.commit()
            status = _call(client, rule, ctx, params)
            session.commit()
        if status not in expected:
            failures.append(
                f"{rule.method} {rule.path} as {role.value if role else 'anonymous'} "
                f"({which} scope): got {status}, expected {sorted(expected)}"
            )

    for rule in rules:
        if (
            rule.roles is None
        ):  # public: checked anonymously only (logging out a role would end its session)
            check(rule, None, "own", rule.ok)
            continue
        check(rule, None, "own", {303})
        for role in Role:
            if role not in rule.roles:
                check(rule, role, "own", {403})
                continue
            check(rule, role, "own", rule.ok)
            if rule.other_scope is not None:
                national = role is Role.NATIONAL and rule.other_scope_status == 404
                check(rule, role, "other", rule.ok if national else {rule.other_scope_status})
    for c in clients.values():
        c.close()
    assert not failures, "permission matrix mismatches:\n" + "\n".join(failures)


def test_anonymous_is_sent_to_login_with_return_path(client: TestClient) -> None:
    r = client.get("/dossiers?q=dur", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/connexion?suite=/dossiers%3Fq%3Ddur"
