"""Accounts, server-side sessions and the purposes declared before opening a file out of scope."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from parcours.accounts.roles import Role
from parcours.accounts.scope import Scope, scope_for
from parcours.db import Base
from parcours.registry.models import JobSeeker


class User(Base):
    __tablename__ = "users"

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # a parcours.accounts.roles.Role value
    establishment_id: Mapped[str] = mapped_column(
        ForeignKey("establishments.establishment_id"), index=True
    )
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.agency_id"), index=True)
    # The registry agent this account is, when it is one: links app events to detection.
    agent_id: Mapped[str | None] = mapped_column(String(32), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # Last accepted TOTP time step: a code is accepted once (no replay within its window).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def scope(self) -> Scope:
        return scope_for(
            role=self.role_enum, establishment_id=self.establishment_id, agency_id=self.agency_id
        )

    def has_role(self, *roles: Role) -> bool:
        return self.role_enum in roles


class LoginThrottle(Base):
    """The failure counters of a login that names no usable account (unknown or disabled):
    `accounts.throttling.UnknownLogins`. Keyed by a keyed hash of the login, never its text; a row
    whose lock and window have passed (`expires_at`) changes no answer and is purged."""

    __tablename__ = "login_throttle"

    name_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # HMAC-SHA256, hex
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class WebSession(Base):
    """A server-side session. The cookie holds a random token; only its SHA-256 is stored here."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id"), index=True)
    # False between the password step and the TOTP step: such a session opens no page.
    fully_authenticated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeclaredPurpose(Base):
    """A purpose declared before opening a file outside one's scope, valid for a short while.

    The consultation events carry the purpose themselves; this row only lets the next views of the same
    file in the same session reuse it without asking again.
    """

    __tablename__ = "declared_purposes"

    purpose_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(
        ForeignKey("web_sessions.token_hash", ondelete="CASCADE"), index=True
    )
    de_id: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# The file search looks job seekers up by upper-case name prefix (accounts.dossier.search_job_seekers).
# Declared here, on the registry's table, because the search is this package's; migration accounts_0001.
Index("ix_job_seekers_upper_last_name", func.upper(JobSeeker.last_name))
Index("ix_job_seekers_upper_birth_name", func.upper(JobSeeker.birth_name))
