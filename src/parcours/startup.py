"""Start-up check of the long-running processes (`parcours serve`, `parcours watch`).

They read the settings once, before anything else: a refused setting (the development secret outside
development, a short secret in production, an out-of-range retention...) stops the process with exit
code 2 and one log line saying why, as JSON in production so the log collector keeps it, instead of a
traceback that systemd would restart forever."""

from __future__ import annotations

import logging
import os

import typer
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from parcours.config import Settings, get_settings
from parcours.logs import configure_logging

log = logging.getLogger("parcours.startup")

EXIT_REFUSED = 2


def _declared_mode() -> str:
    # The Settings object could not be built, so the mode comes from the raw environment: it decides
    # only the shape of the refusal line, never whether the process starts.
    return os.environ.get("PARCOURS_MODE", "development").strip().lower()


def checked_settings(*, process: str) -> Settings:
    """The settings of a long-running process, or exit 2 after logging why they were refused."""
    try:
        settings = get_settings()
    except ValidationError as exc:
        configure_logging(json_lines=_declared_mode() == "production")
        reasons = [
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        ]
        log.error(
            "démarrage refusé : configuration invalide (%s)",
            " ; ".join(reasons),
            extra={"event": "startup_refused", "component": process, "reasons": reasons},
        )
        raise typer.Exit(EXIT_REFUSED) from None
    configure_logging(json_lines=settings.mode == "production")
    log.info(
        "démarrage",
        extra={
            "event": "startup",
            "component": process,
            "mode": settings.mode,
            # The URL without its password: the log must never carry a credential.
            "database": make_url(settings.sqlalchemy_url).render_as_string(hide_password=True),
        },
    )
    return settings
