"""Time-based one-time passwords (RFC 6238), the second factor of the roles that see alerts."""

from __future__ import annotations

import time

import pyotp

ISSUER = "Parcours"
STEP_SECONDS = 30


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, login: str) -> str:
    """The otpauth:// URI an authenticator application reads (usually from a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=ISSUER)


def current_code(secret: str, *, at: float | None = None) -> str:
    """For tests and the demo: the code an authenticator would show now."""
    return pyotp.TOTP(secret).at(at if at is not None else time.time())


def accepted_step(
    secret: str, code: str, *, last_step: int | None, at: float | None = None
) -> int | None:
    """The time step the code belongs to (one step of clock drift tolerated either way), or None.

    A step at or before `last_step` is refused: each code opens one session only (no replay).
    """
    now = at if at is not None else time.time()
    code = code.strip().replace(" ", "")
    if not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    here = int(now // STEP_SECONDS)
    for step in (here, here - 1, here + 1):
        if totp.at(step * STEP_SECONDS) == code and (last_step is None or step > last_step):
            return step
    return None
