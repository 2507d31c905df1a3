"""Who is told about an establishment's controls (campaign mails, reminders): its regional
correspondents or, when it has none, the national team; never the agent a control is about."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from parcours.accounts.models import User
from parcours.accounts.roles import Role


def correspondent_emails(
    session: Session, establishment_id: str, *, except_agent_id: str | None = None
) -> list[str]:
    """Addresses of the establishment's active regional correspondents (who receive its controls),
    leaving out the one who is `except_agent_id` (a control about them is not theirs to handle)."""
    query = select(User.email).where(
        User.role == Role.CORRESPONDANT.value,
        User.establishment_id == establishment_id,
        User.disabled.is_(False),
        User.email.is_not(None),
    )
    if except_agent_id is not None:
        # `agent_id IS NULL` kept explicitly: SQL's `!=` would drop correspondents who are no agent.
        query = query.where(or_(User.agent_id.is_(None), User.agent_id != except_agent_id))
    return [r for r in session.scalars(query).all() if r]


def national_emails(session: Session, *, except_agent_id: str | None = None) -> list[str]:
    """Addresses of the active national team, leaving out the one who is `except_agent_id`."""
    query = select(User.email).where(
        User.role == Role.NATIONAL.value, User.disabled.is_(False), User.email.is_not(None)
    )
    if except_agent_id is not None:
        query = query.where(or_(User.agent_id.is_(None), User.agent_id != except_agent_id))
    return [r for r in session.scalars(query).all() if r]


def handler_emails(
    session: Session, establishment_id: str, *, except_agent_id: str | None = None
) -> list[str]:
    """Who is told about an establishment's controls: its correspondents or, when it has none (the
    `INCONNU` establishment of agents absent from the registry), the national team that handles them."""
    return correspondent_emails(
        session, establishment_id, except_agent_id=except_agent_id
    ) or national_emails(session, except_agent_id=except_agent_id)
