"""The one outbox for messages: written in the caller's transaction, sent later with retries."""

from parcours.notify.outbox import enqueue_email, enqueue_sms

__all__ = ["enqueue_email", "enqueue_sms"]
