"""Typed dependencies every route uses: the database session, the current user, role checks.

    @router.get("/alertes/{alert_id}")
    def show(alert_id: int, db: DbSession, user: Annotated[User, Depends(require_roles(*ROLES_HANDLING_ALERTS))]):
        alert = db.get(Alert, alert_id)
        if alert is None or not user.scope.covers(establishment_id=..., agency_id=...):
            raise NotFound(...)          # out of scope: 404, its existence does not leak

A missing or expired session raises NotAuthenticated (→ redirect to the login page); a role not in
the list raises Forbidden (→ 403). Scope is checked by the route on the object it loads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from parcours.accounts.models import User, WebSession
from parcours.accounts.roles import Role
from parcours.accounts.sessions import load_session
from parcours.db import get_engine, session_factory
from parcours.errors import Forbidden, NotAuthenticated
from parcours.web.cookies import session_token

# Integer primary keys are INTEGER columns (32 bits on PostgreSQL). An id taken from a URL outside
# that range names no row, and handing it to the driver overflows (a 500 on both backends): routes
# load such rows through `get_by_id`, which answers None, as for any unknown id (hence a 404).
MAX_ROW_ID = 2**31 - 1
_Row = TypeVar("_Row")


def get_by_id(db: Session, model: type[_Row], row_id: int) -> _Row | None:
    """`db.get` for an integer id from the request: None when no row can have that id."""
    if not 1 <= row_id <= MAX_ROW_ID:
        return None
    return db.get(model, row_id)


def get_db(request: Request) -> Iterator[Session]:
    """One unit of work per request, committed when the route returns (before the response is sent)."""
    engine = getattr(request.app.state, "engine", None) or get_engine()
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        # Detach first: the rollback would expire the loaded objects, and the error page still
        # shows the current user's name and menu.
        session.expunge_all()
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response leaves, so the browser's next request sees the writes.
DbSession = Annotated[Session, Depends(get_db, scope="function")]


def get_web_session(request: Request, db: DbSession) -> tuple[WebSession, User] | None:
    """The live session (fully authenticated or not) behind the cookie; cached on request.state."""
    if not hasattr(request.state, "web_session"):
        request.state.web_session = load_session(db, session_token(request))
    found: tuple[WebSession, User] | None = request.state.web_session
    return found


WebSessionDep = Annotated[tuple[WebSession, User] | None, Depends(get_web_session)]

# The dependencies below do no I/O of their own: `async def` keeps them on the event loop instead of
# costing a thread-pool hop each on every request.


async def get_current_user(request: Request, found: WebSessionDep) -> User:
    if found is None or not found[0].fully_authenticated:
        raise NotAuthenticated("Connectez-vous pour accéder à cette page.")
    request.state.user = found[1]
    return found[1]


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_roles(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets only the given roles through (403 otherwise)."""
    allowed = frozenset(roles)

    async def check(user: CurrentUser) -> User:
        if user.role_enum not in allowed:
            raise Forbidden("Votre rôle ne donne pas accès à cette page.")
        return user

    check.__name__ = "require_" + "_".join(sorted(r.value for r in allowed))
    return check


async def optional_user(request: Request, found: WebSessionDep) -> User | None:
    """The user when logged in, else None (public pages such as the login form)."""
    if found is None or not found[0].fully_authenticated:
        return None
    request.state.user = found[1]
    return found[1]


OptionalUser = Annotated[User | None, Depends(optional_user)]


async def posted_form(request: Request) -> FormData:
    """The submitted form, read on the event loop so that the route itself stays a plain `def`.

    A route that uses the database must not be `async def`: its blocking calls would run on the event
    loop, and a request waiting there for a lock (SQLite's write lock, a PostgreSQL row lock) would stop
    the loop from committing the request that holds it. FastAPI runs `def` routes in its thread pool.
    """
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]
