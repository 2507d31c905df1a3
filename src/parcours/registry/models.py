"""Reference data: the organisation, its agents, job seekers, protected persons and their contacts.

Ids are the external ids of the interchange contract (strings), so that imports are idempotent by id.
Protected persons hold identity and validity dates only: never a party or a political nuance (GDPR art. 9).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from parcours.db import Base


class Establishment(Base):
    __tablename__ = "establishments"

    establishment_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))  # DR|DG|DSI|PES
    region_code: Mapped[str | None] = mapped_column(String(8))


class Agency(Base):
    __tablename__ = "agencies"

    agency_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    establishment_id: Mapped[str] = mapped_column(
        ForeignKey("establishments.establishment_id"), index=True
    )
    department_code: Mapped[str] = mapped_column(String(3), index=True)
    msa_experiment: Mapped[bool] = mapped_column(Boolean, default=False)


class Agent(Base):
    __tablename__ = "agents"

    agent_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_name: Mapped[str] = mapped_column(String(200))
    birth_name: Mapped[str | None] = mapped_column(String(200))
    first_names: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1))
    establishment_id: Mapped[str] = mapped_column(
        ForeignKey("establishments.establishment_id"), index=True
    )
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.agency_id"), index=True)
    job: Mapped[str] = mapped_column(
        String(16)
    )  # conseiller|gdd|manager|plateforme|support|direction
    hired_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    work_pattern: Mapped[str | None] = mapped_column(String(400))


class JobSeeker(Base):
    __tablename__ = "job_seekers"

    de_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_name: Mapped[str] = mapped_column(String(200))
    birth_name: Mapped[str | None] = mapped_column(String(200))
    first_names: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1))
    department_code: Mapped[str | None] = mapped_column(String(3))
    commune_code: Mapped[str | None] = mapped_column(String(5))
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.agency_id"), index=True)
    # Not a foreign key: a referent may belong to another region's reference files.
    referent_agent_id: Mapped[str | None] = mapped_column(String(32), index=True)
    registered_on: Mapped[date | None] = mapped_column(Date)
    deregistered_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_job_seekers_name", "last_name", "first_names"),)


class ProtectedPerson(Base):
    __tablename__ = "protected_persons"

    person_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    category: Mapped[str] = mapped_column(String(16))  # elected|candidate
    last_name: Mapped[str] = mapped_column(String(200))
    birth_name: Mapped[str | None] = mapped_column(String(200))
    first_names: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1))
    department_code: Mapped[str | None] = mapped_column(String(3))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)  # inclusive


# Contact tables are facts from other systems: agent and job-seeker ids are kept as plain strings,
# since a log may name people absent from the reference files (other regions, national platforms).


class Appointment(Base):
    __tablename__ = "appointments"

    appointment_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    de_id: Mapped[str] = mapped_column(String(32), index=True)
    agent_id: Mapped[str] = mapped_column(String(32), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # stored in UTC
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # planned|done|no_show|cancelled


class Call(Base):
    __tablename__ = "calls"

    call_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    de_id: Mapped[str | None] = mapped_column(String(32), index=True)
    agent_id: Mapped[str] = mapped_column(String(32), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Task(Base):
    __tablename__ = "tasks"

    task_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    de_id: Mapped[str | None] = mapped_column(String(32), index=True)
    agent_id: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str | None] = mapped_column(String(32))


class ImportBatch(Base):
    """One run of `parcours import` over one file: makes re-runs idempotent and crash-safe."""

    __tablename__ = "import_batches"

    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    file_name: Mapped[str] = mapped_column(String(400))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    table_name: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_loaded: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    unresolved_refs: Mapped[int] = mapped_column(default=0)
