"""Transports. Email goes over real SMTP; SMS goes through an adapter behind a small protocol,
with a file adapter that appends JSON lines (the operator's SMS gateway plugs in the same way)."""

from __future__ import annotations

import json
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

from parcours.config import get_settings
from parcours.notify.models import OutboxMessage


class TemporaryFailure(Exception):
    """The transport could not deliver now; the dispatcher retries later."""


class EmailSender(Protocol):
    def send_email(self, message: OutboxMessage) -> None: ...


class SmsSender(Protocol):
    def send_sms(self, *, to: str, body: str, message_id: str) -> None: ...


@dataclass(frozen=True)
class SmtpEmailSender:
    host: str
    port: int
    sender: str
    timeout_s: float = 10.0

    @classmethod
    def from_settings(cls) -> SmtpEmailSender:
        s = get_settings()
        return cls(host=s.smtp_host, port=s.smtp_port, sender=s.smtp_sender)

    def send_email(self, message: OutboxMessage) -> None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(message.created_at)
        mail["Message-ID"] = make_msgid(idstring=message.message_id, domain="parcours.local")
        mail["X-Parcours-Kind"] = message.kind
        mail["X-Parcours-Ref"] = message.ref
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            # Refused connection, 4xx or 5xx: all retried; the dispatcher gives up after max attempts.
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True)
class FileSmsSender:
    """Appends one JSON object per text message to a file: for development, tests and audits."""

    path: Path

    def send_sms(self, *, to: str, body: str, message_id: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"id": message_id, "to": to, "body": body}, ensure_ascii=False)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
