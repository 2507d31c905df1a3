"""The web side of the one logged path to personal data.

Pages that show a job seeker's data call `open_file_for_request(...)` (never the registry tables
directly). When the file is outside the user's scope and no purpose was declared in this session, it
raises PurposeRequired, which the error handler turns into the purpose form; once declared, the user
comes back to the same page and the purpose is attached to every event of that file for a while.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request

from parcours.accounts.dossier import Action, FileView, open_file
from parcours.accounts.models import DeclaredPurpose, User
from parcours.accounts.sessions import token_hash
from parcours.errors import NotAuthenticated
from parcours.web.cookies import session_token

PURPOSE_VALIDITY = timedelta(minutes=15)


def declared_purpose(
    db: Session, request: Request, de_id: str, *, now: datetime | None = None
) -> str | None:
    token = session_token(request)
    if not token:
        return None
    now = now or datetime.now(UTC)
    rows = db.scalars(
        select(DeclaredPurpose)
        .where(DeclaredPurpose.token_hash == token_hash(token), DeclaredPurpose.de_id == de_id)
        .order_by(DeclaredPurpose.purpose_id.desc())
    ).all()
    for row in rows:
        until = row.valid_until if row.valid_until.tzinfo else row.valid_until.replace(tzinfo=UTC)
        if until > now:
            return row.purpose
    return None


def declare_purpose(db: Session, request: Request, de_id: str, purpose: str) -> None:
    token = session_token(request)
    if not token:
        raise NotAuthenticated("Session expirée.")
    now = datetime.now(UTC)
    db.add(
        DeclaredPurpose(
            token_hash=token_hash(token),
            de_id=de_id,
            purpose=purpose,
            declared_at=now,
            valid_until=now + PURPOSE_VALIDITY,
        )
    )


def open_file_for_request(
    db: Session,
    request: Request,
    user: User,
    de_id: str,
    *,
    action: Action,
    context: str | None = None,
) -> FileView:
    """open_file with the purpose this session declared for this file, if any."""
    return open_file(
        db,
        user,
        de_id,
        action=action,
        context=context,
        purpose=declared_purpose(db, request, de_id),
    )
