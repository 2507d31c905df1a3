"""Account administration and authentication. No web code here: the CLI and the web layer both call it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from parcours.accounts import passwords, throttling, totp
from parcours.accounts.models import User
from parcours.accounts.roles import ROLES_REQUIRING_TOTP, ROLES_WITH_AGENCY, Role
from parcours.accounts.scope import Scope
from parcours.accounts.sessions import close_all_sessions
from parcours.db import add_or_conflict
from parcours.errors import Conflict, InvalidInput, Issue, NotFound
from parcours.registry.models import Agency, Establishment


def _now() -> datetime:
    return datetime.now(UTC)


def _problem(reason: str, column: str | None = None) -> Issue:
    return Issue(file="compte", line=None, column=column, reason=reason)


def create_user(
    session: Session,
    *,
    login: str,
    display_name: str,
    role: Role,
    establishment_id: str,
    password: str | None,
    password_hash: str | None = None,
    agency_id: str | None = None,
    agent_id: str | None = None,
    email: str | None = None,
    now: datetime | None = None,
) -> User:
    """Create an account. A TOTP secret is generated for the roles that require a second factor.

    `password_hash` (with `password=None`) takes an argon2 hash computed elsewhere: accounts moved from
    another system, and test fixtures that would otherwise pay one argon2 computation per account.
    """
    issues: list[Issue] = []
    login = login.strip()
    if not login:
        issues.append(_problem("L'identifiant est obligatoire.", "login"))
    elif session.scalar(select(User.user_id).where(User.login == login)) is not None:
        raise Conflict(f"Un compte existe déjà avec l'identifiant {login!r}.")
    if password is not None:
        issues += [
            _problem(p, "password") for p in passwords.policy_problems(password, login=login)
        ]
    elif password_hash is None:
        issues.append(_problem("Le mot de passe est obligatoire.", "password"))
    if session.get(Establishment, establishment_id) is None:
        issues.append(_problem(f"Établissement inconnu : {establishment_id}", "establishment_id"))
    if role in ROLES_WITH_AGENCY and not agency_id:
        issues.append(_problem(f"Le rôle {role.value} exige une agence.", "agency_id"))
    if agency_id:
        agency = session.get(Agency, agency_id)
        if agency is None:
            issues.append(_problem(f"Agence inconnue : {agency_id}", "agency_id"))
        elif agency.establishment_id != establishment_id:
            issues.append(
                _problem(
                    f"L'agence {agency_id} n'appartient pas à {establishment_id}.", "agency_id"
                )
            )
    if issues:
        raise InvalidInput(issues)
    user = User(
        login=login,
        display_name=display_name.strip() or login,
        role=role.value,
        establishment_id=establishment_id,
        agency_id=agency_id,
        agent_id=agent_id,
        email=email,
        password_hash=passwords.hash_password(password) if password is not None else password_hash,
        totp_secret=totp.new_secret() if role in ROLES_REQUIRING_TOTP else None,
        disabled=False,
        failed_attempts=0,
        created_at=now or _now(),
    )
    add_or_conflict(session, user, f"Un compte existe déjà avec l'identifiant {login!r}.")
    return user


def get_by_login(session: Session, login: str) -> User:
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        raise NotFound(f"Aucun compte {login!r}.")
    return user


def disable_user(session: Session, *, login: str) -> User:
    """Disable an account and end its sessions at once."""
    user = get_by_login(session, login)
    user.disabled = True
    close_all_sessions(session, user_id=user.user_id)
    return user


def unlock_user(session: Session, *, login: str) -> User:
    user = get_by_login(session, login)
    _lock_counters(session, user)  # a failure recorded meanwhile is cleared too
    user.failed_attempts = 0
    user.last_failed_at = None
    user.locked_until = None
    return user


def set_password(session: Session, *, login: str, password: str) -> User:
    """Set a new password (policy checked). The caller decides which sessions to end."""
    user = get_by_login(session, login)
    problems = passwords.policy_problems(password, login=user.login)
    if problems:
        raise InvalidInput([_problem(p, "password") for p in problems])
    user.password_hash = passwords.hash_password(password)
    return user


def change_password(
    session: Session,
    *,
    user: User,
    current: str,
    new: str,
    confirmation: str,
    now: datetime | None = None,
) -> None:
    """A user changing their own password: the current one is required, the new one must follow the
    policy and differ from it. Wrong current passwords count towards the throttling like logins,
    and, as there, a right one checked while concurrent failures closed the gate is answered and
    counted like them (`check_password`)."""
    now = now or _now()
    if not _gate(user, now).open:
        raise InvalidInput([_TOO_MANY])
    if not passwords.verify_password(user.password_hash, current):
        raise _wrong_current(_record_failure(session, user, now))
    _lock_counters(session, user)
    if not _gate(user, now).open:
        # Not told it was right (a burst of guesses would get past the delay that way).
        raise _wrong_current(_count_failure(user, now))
    issues = [_problem(p, "new") for p in passwords.policy_problems(new, login=user.login)]
    if new != confirmation:
        issues.append(
            _problem("La confirmation ne correspond pas au nouveau mot de passe.", "confirmation")
        )
    if new == current:
        issues.append(_problem("Le nouveau mot de passe doit différer de l'actuel.", "new"))
    if issues:
        raise InvalidInput(issues)
    user.password_hash = passwords.hash_password(new)


_TOO_MANY = _problem("Trop de tentatives : patientez avant de réessayer.", "current")


def _wrong_current(after: throttling.Gate) -> InvalidInput:
    """The answer to a wrong current password; says so too when this failure closed the gate."""
    issues = [_problem("Le mot de passe actuel est incorrect.", "current")]
    return InvalidInput(issues if after.open else [*issues, _TOO_MANY])


def may_manage(admin: User, target: User) -> bool:
    """Whether `admin` may manage `target`'s account (disable, unlock, ...): only when the account's
    whole scope lies within the admin's. Where the account is registered is not enough: a national
    account belongs to one establishment but reaches all of them, and an establishment's administrator
    must not be able to switch off the team that audits the establishment's handling of alerts.
    An account whose scope cannot be computed (unknown role, agency missing) is out of reach: fail
    closed; `parcours users disable` still handles it."""
    try:
        target_scope = target.scope
    except ValueError:
        return False
    return admin.scope.covers_scope(target_scope)


def active_accounts_within(
    session: Session, *, scope: Scope, roles: Collection[Role]
) -> list[User]:
    """The enabled accounts of the given roles whose whole scope lies within `scope` (the rule of
    `may_manage`), by display name: whom a user of `scope` may choose, e.g. to assign a control."""
    query = select(User).where(
        User.disabled.is_(False), User.role.in_(sorted(r.value for r in roles))
    )
    if scope.establishment_id is not None:
        query = query.where(User.establishment_id == scope.establishment_id)
    found = []
    for user in session.scalars(query.order_by(User.display_name, User.login)):
        try:
            if scope.covers_scope(user.scope):
                found.append(user)
        except ValueError:  # an account whose scope cannot be computed is nobody's choice
            continue
    return found


def list_users(session: Session, *, establishment_id: str | None = None) -> Sequence[User]:
    query = select(User).order_by(User.establishment_id, User.login)
    if establishment_id is not None:
        query = query.where(User.establishment_id == establishment_id)
    return session.scalars(query).all()


@dataclass(frozen=True)
class LoginOutcome:
    """Result of one authentication step. `user` is set only on success."""

    user: User | None
    locked: bool = False
    retry_after: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None


# What concurrent attempts at one account read and write: its failure counters, its last TOTP step.
_COUNTERS = ("failed_attempts", "last_failed_at", "locked_until", "totp_last_step")


def _lock_counters(session: Session, user: User) -> None:
    """Lock `user`'s row until the transaction ends and reload its counters as they are now.

    What is then decided from them (one more failure, a reset, the TOTP step used) holds against the
    attempts other workers make at the same time: they wait for this transaction, then see its
    result. (Read with the account before the argon2 check and written back after it, ten wrong
    passwords checked at once used to count as one, and a burst of guesses never met the lock.)

    A no-op UPDATE takes the lock on both engines: on PostgreSQL the row's lock (FOR NO KEY UPDATE,
    which leaves the account's sessions free to be inserted), on SQLite the write lock, which no
    SELECT takes there (no FOR UPDATE, and pysqlite begins the transaction at the first write). Its
    RETURNING reads the row under that lock, as `UnknownLogins.record_failure` does for its rows.
    """
    row = session.execute(
        update(User)
        .where(User.user_id == user.user_id)
        .values(failed_attempts=User.failed_attempts)  # unchanged: only the lock is wanted
        .returning(*(getattr(User, name) for name in _COUNTERS))
        .execution_options(synchronize_session=False)
    ).one()
    for name, value in zip(_COUNTERS, row, strict=True):
        # As loaded: a later assignment is compared with the row's value, not with a stale one.
        set_committed_value(user, name, value)


def _count_failure(user: User, now: datetime) -> throttling.Gate:
    """One more failure at `now` (the row locked by `_lock_counters`); the gate after it."""
    user.failed_attempts, lock = throttling.after_failure(
        user.failed_attempts, last_failed_at=_aware(user.last_failed_at), now=now
    )
    user.last_failed_at = now
    if lock is not None:
        user.locked_until = lock
    return _gate(user, now)


def _record_failure(session: Session, user: User, now: datetime) -> throttling.Gate:
    """Count one more failure at `now` from the row's current counters; the gate after it."""
    _lock_counters(session, user)
    return _count_failure(user, now)


def _gate(user: User, now: datetime) -> throttling.Gate:
    return throttling.gate(
        failures=user.failed_attempts,
        last_failed_at=_aware(user.last_failed_at),
        locked_until=_aware(user.locked_until),
        now=now,
    )


def _aware(ts: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes for timezone-aware columns; they were stored in UTC.
    if ts is not None and ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    return ts


def check_password(
    session: Session,
    *,
    login: str,
    password: str,
    now: datetime | None = None,
    unknown_logins: throttling.UnknownLogins | None = None,
) -> LoginOutcome:
    """The password step. Counts failures; refuses any check while a delay or a lock is running.

    A login that names no usable account (unknown, or disabled) is answered exactly like an account
    whose password is wrong: its failures are counted (`unknown_logins`; by default under the
    settings' secret key) in the database like an account's, and delayed and locked by the same
    rules, and while the gate is open it costs the same argon2 verification (against a dummy hash).
    Neither the answer nor its timing tells whether it exists, in any worker, before or after a
    restart.

    An account's failures are counted under its row's lock, like those names' under theirs, so that
    attempts checked at the same time by several workers all count; a right password checked while
    they delayed or locked the account is answered like them.
    """
    now = now or _now()
    name = login.strip()
    user = session.scalar(select(User).where(User.login == name))
    if user is None or user.disabled:
        unknown = unknown_logins if unknown_logins is not None else throttling.UnknownLogins()
        g = unknown.gate(session, name, now=now)
        if not g.open:
            return LoginOutcome(user=None, locked=g.locked, retry_after=g.retry_after)
        passwords.verify_password(None, password)  # same cost as a real check
        g = unknown.record_failure(session, name, now=now)
        return LoginOutcome(user=None, locked=g.locked, retry_after=g.retry_after)
    g = _gate(user, now)
    if not g.open:
        return LoginOutcome(user=None, locked=g.locked, retry_after=g.retry_after)
    if not passwords.verify_password(user.password_hash, password):
        g = _record_failure(session, user, now)
        return LoginOutcome(user=None, locked=g.locked, retry_after=g.retry_after)
    _lock_counters(session, user)
    if not _gate(user, now).open:
        # Failures that other workers recorded while this password was checked have delayed or
        # locked the account: checked a moment later, it would have been refused unchecked. Its
        # being right is not told (a burst of guesses would get past the lock that way): it is
        # answered, and counted, like the wrong passwords checked with it.
        g = _count_failure(user, now)
        return LoginOutcome(user=None, locked=g.locked, retry_after=g.retry_after)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    if user.totp_secret is None:
        _record_success(user, now)
    return LoginOutcome(user=user)


def check_second_factor(
    session: Session, *, user: User, code: str, now: datetime | None = None
) -> LoginOutcome:
    """The TOTP step; its failures count towards the same delay and lock as passwords.

    Decided under the account's row lock (the check is cheap): codes sent at once are checked one
    after the other, so a burst gets no more checks than the delay allows, and a code sent twice at
    once opens one session only."""
    now = now or _now()
    if user.disabled or user.totp_secret is None:
        return LoginOutcome(user=None)
    _lock_counters(session, user)
    g = _gate(user, now)
    if not g.open:
        return LoginOutcome(user=None, locked=g.locked, retry_after=g.retry_after)
    step = totp.accepted_step(
        user.totp_secret, code, last_step=user.totp_last_step, at=now.timestamp()
    )
    if step is None:
        g = _count_failure(user, now)
        return LoginOutcome(user=None, locked=g.locked, retry_after=g.retry_after)
    user.totp_last_step = step
    _record_success(user, now)
    return LoginOutcome(user=user)


def _record_success(user: User, now: datetime) -> None:
    """Clear the failures (the row locked by `_lock_counters`, so those recorded meanwhile too)."""
    user.failed_attempts = 0
    user.last_failed_at = None
    user.locked_until = None
    user.last_login_at = now
