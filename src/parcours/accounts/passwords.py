"""Password hashing (argon2id) and the password policy.

The policy follows the CNIL authentication recommendation (délibération 2022-100), which asks for about
80 bits of entropy when a password is the only factor: at least 12 characters mixing upper case, lower
case, digits and special characters; or at least 14 characters mixing upper case, lower case and digits;
or a long passphrase (20 characters and more). The password may not contain the login.
"""

from __future__ import annotations

import string
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# argon2-cffi's defaults are the RFC 9106 "low memory" profile (argon2id, 64 MiB, t=3).
_HASHER = PasswordHasher()

# Each argon2 computation holds 64 MiB: bound how many run at once, so that a burst of logins
# (or an attacker's) queues instead of exhausting memory. Measured: 20 simultaneous logins took the
# server to 1.1 GB peak RSS without this bound (benchmarks/web_load.py).
MAX_CONCURRENT_HASHES = 4
_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)

# Verifying against this hash when the login is unknown costs the same time as a real check,
# so response times do not reveal which logins exist.
_DUMMY_HASH = _HASHER.hash("parcours-dummy-password-for-timing")

PASSPHRASE_LENGTH = 20


def hash_password(password: str) -> str:
    with _SLOTS:
        return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        with _SLOTS:
            ok = _HASHER.verify(password_hash or _DUMMY_HASH, password)
        return ok and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


def policy_problems(password: str, *, login: str) -> list[str]:
    """What is wrong with a new password, in French for the person choosing it (empty when fine)."""
    problems: list[str] = []
    classes = {
        "upper": any(c.isupper() for c in password),
        "lower": any(c.islower() for c in password),
        "digit": any(c.isdigit() for c in password),
        "special": any(c in string.punctuation or c.isspace() for c in password)
        or any(not c.isalnum() and not c.isspace() for c in password),
    }
    n = len(password)
    strong_enough = (
        n >= PASSPHRASE_LENGTH
        or (n >= 14 and classes["upper"] and classes["lower"] and classes["digit"])
        or (n >= 12 and all(classes.values()))
    )
    if not strong_enough:
        problems.append(
            "Le mot de passe doit compter au moins 12 caractères mêlant majuscules, minuscules, "
            "chiffres et caractères spéciaux, ou au moins 14 caractères mêlant majuscules, "
            f"minuscules et chiffres, ou être une phrase de passe d'au moins {PASSPHRASE_LENGTH} "
            "caractères."
        )
    if login and login.casefold() in password.casefold():
        problems.append("Le mot de passe ne doit pas contenir l'identifiant.")
    if n and len(set(password)) < 5:
        problems.append("Le mot de passe doit comporter au moins 5 caractères différents.")
    return problems
