"""Server-side sessions. The browser holds a random token; the database holds its SHA-256 only, so a
copy of the database does not give anyone a session."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from parcours.accounts.models import User, WebSession

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=10)  # a working day
# Between the password and the TOTP step.
PENDING_TIMEOUT = timedelta(minutes=5)
# last_seen_at is written at most this often, to keep page views from writing on every request.
TOUCH_EVERY = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def open_session(
    session: Session, *, user: User, fully_authenticated: bool, now: datetime | None = None
) -> str:
    """A brand-new session (new token) for the user; returns the token to put in the cookie."""
    now = now or datetime.now(UTC)
    purge_expired_sessions(session, now=now)
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_hash(token),
            user_id=user.user_id,
            fully_authenticated=fully_authenticated,
            created_at=now,
            last_seen_at=now,
            expires_at=now + (ABSOLUTE_TIMEOUT if fully_authenticated else PENDING_TIMEOUT),
        )
    )
    session.flush()
    return token


def load_session(
    session: Session, token: str | None, *, now: datetime | None = None
) -> tuple[WebSession, User] | None:
    """The live session behind a cookie and its (enabled) user, or None. Expired sessions are deleted."""
    if not token:
        return None
    now = now or datetime.now(UTC)
    row = session.get(WebSession, _hash(token))
    if row is None:
        return None
    expired = now >= _aware(row.expires_at) or (
        row.fully_authenticated and now - _aware(row.last_seen_at) >= IDLE_TIMEOUT
    )
    user = session.get(User, row.user_id)
    if expired or user is None or user.disabled:
        session.delete(row)
        session.flush()
        return None
    if now - _aware(row.last_seen_at) >= TOUCH_EVERY:
        row.last_seen_at = now
    return row, user


def purge_expired_sessions(session: Session, *, now: datetime) -> int:
    """Delete sessions past their absolute or idle limit (and, by cascade, their declared purposes).
    Run at each login, so abandoned sessions do not pile up."""
    result = session.execute(
        delete(WebSession).where(
            (WebSession.expires_at <= now)
            | (WebSession.fully_authenticated & (WebSession.last_seen_at <= now - IDLE_TIMEOUT))
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def close_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == _hash(token)))


def close_all_sessions(session: Session, *, user_id: int) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def token_hash(token: str) -> str:
    return _hash(token)


def live_session_count(session: Session, *, user_id: int) -> int:
    return len(
        session.scalars(select(WebSession.token_hash).where(WebSession.user_id == user_id)).all()
    )
