"""Enqueueing: the only way the product sends a message, and cancelling what is no longer wanted.
Nothing is sent here."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from parcours.errors import InvalidInput
from parcours.notify.models import CANCELLED, PENDING, SENDING, OutboxMessage


def _new_message(
    session: Session,
    *,
    channel: str,
    to: str,
    subject: str,
    body: str,
    kind: str,
    ref: str,
    now: datetime | None,
) -> OutboxMessage:
    at = now or datetime.now(UTC)
    msg = OutboxMessage(
        # Also the RFC 5322 Message-ID of the email: a receiver can drop a redelivery after a crash.
        message_id=uuid.uuid4().hex,
        channel=channel,
        kind=kind,
        ref=ref,
        recipient=to,
        subject=subject,
        body=body,
        status=PENDING,
        attempts=0,
        created_at=at,
        next_attempt_at=at,
    )
    session.add(msg)
    return msg


def enqueue_email(
    session: Session,
    *,
    to: str,
    subject: str,
    body: str,
    kind: str,
    ref: str,
    now: datetime | None = None,
) -> OutboxMessage:
    """Add an email to the outbox inside the caller's transaction (sent only if it commits)."""
    if "@" not in to or any(c in to for c in "\r\n ,;"):
        raise InvalidInput(f"adresse électronique invalide : {to!r}")
    if "\n" in subject or "\r" in subject:
        raise InvalidInput("le sujet d'un courriel tient sur une ligne")
    return _new_message(
        session, channel="email", to=to, subject=subject, body=body, kind=kind, ref=ref, now=now
    )


def enqueue_sms(
    session: Session,
    *,
    to: str,
    body: str,
    kind: str,
    ref: str,
    now: datetime | None = None,
) -> OutboxMessage:
    """Add a text message to the outbox inside the caller's transaction."""
    digits = to.replace(" ", "").removeprefix("+")
    if not digits.isdigit() or not 8 <= len(digits) <= 15:
        raise InvalidInput(f"numéro de téléphone invalide : {to!r}")
    return _new_message(
        session, channel="sms", to=to, subject="", body=body, kind=kind, ref=ref, now=now
    )


def cancel_unsent(session: Session, *, ref_prefix: str, reason: str) -> int:
    """Cancel, inside the caller's transaction, the messages about `ref_prefix` not sent yet; returns
    how many. A message a dispatcher is sending at that moment may still go out (it is then marked
    sent); if that attempt fails, it is not retried (`dispatch`)."""
    if not ref_prefix:
        raise ValueError("a reference prefix is required")  # never cancel the whole outbox
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.ref.startswith(ref_prefix, autoescape=True),
            OutboxMessage.status.in_((PENDING, SENDING)),
        )
        .values(status=CANCELLED, claimed_at=None, last_error=f"annulé : {reason}"[:1000])
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
