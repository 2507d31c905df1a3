"""The interchange contract: the files external tools write for `parcours import`, as data.

Column names are a contract with other systems: never rename them. Validation, the importer, the
warehouse snapshots and docs/formats.md all read this one description (a test checks the doc).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ColumnType(StrEnum):
    TEXT = "text"
    DATE = "date"  # YYYY-MM-DD
    TIMESTAMP = "timestamp"  # ISO 8601, offset or naive (= Settings.timezone), stored UTC
    BOOLEAN = "boolean"  # true|false
    ENUM = "enum"
    WORK_PATTERN = "work_pattern"  # see parcours.registry.work_pattern


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = ColumnType.TEXT
    required: bool = False
    values: tuple[str, ...] = ()  # allowed values of an ENUM column
    max_length: int | None = None
    pattern: str | None = None  # a full-match regular expression for TEXT columns
    pattern_hint: str | None = None  # what the pattern means, for error messages
    empty_means: str | None = None  # another column whose value an empty field takes
    # An identifier: spaces around it are refused, not stored (" DR7" would be another entity
    # than "DR7", and the references to it dangling or unresolved without saying why).
    identifier: bool = False
    description: str = ""


@dataclass(frozen=True)
class Reference:
    """A column naming the id of a row of another file.

    Strict references are checked and a dangling one rejects the row. Soft references (logs, and
    referents who may work in another region) keep the row and count it as unresolved.
    """

    column: str
    target: str  # a FileSpec.name
    strict: bool


@dataclass(frozen=True)
class FileSpec:
    name: str  # file stem: <name>.csv or <name>.parquet
    id_column: str
    columns: tuple[Column, ...]
    references: tuple[Reference, ...] = ()
    table: str | None = None  # database table; None for the consultation log
    description: str = ""
    is_log: bool = False  # facts from other systems: unknown people are kept, not rejected
    folder_allowed: bool = False  # may also come as a folder <name>/ of many files

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


_ID = 32
_LOG_ID = 40
_NAME = 200
_DEPARTMENT = r"(0[1-9]|[1-8]\d|9[0-5]|2A|2B|97[1-8]|98[4-9])"
_SEX = ("F", "M")
JOBS = ("conseiller", "gdd", "manager", "plateforme", "support", "direction")
APPOINTMENT_STATUSES = ("planned", "done", "no_show", "cancelled")
ACTIONS = ("view", "edit", "print", "export")
# The actions that take a file's data out of the application: they weigh on a situation's risk.
EXTRACTING_ACTIONS = ("print", "export")


def _id(name: str, length: int = _ID, description: str = "") -> Column:
    return Column(name, required=True, max_length=length, identifier=True, description=description)


def _ref(name: str, required: bool, description: str = "") -> Column:
    return Column(name, required=required, max_length=_ID, identifier=True, description=description)


def _identity() -> tuple[Column, ...]:
    return (
        Column("last_name", required=True, max_length=_NAME, description="Usual surname."),
        Column(
            "birth_name",
            max_length=_NAME,
            empty_means="last_name",
            description="Birth (maiden) name; empty means the same as last_name.",
        ),
        Column(
            "first_names",
            required=True,
            max_length=_NAME,
            description="Given names separated by spaces; `Jean-Pierre` is one name.",
        ),
        Column("birth_date", ColumnType.DATE),
        Column("sex", ColumnType.ENUM, values=_SEX),
    )


def _department(required: bool) -> Column:
    return Column(
        "department_code",
        required=required,
        max_length=3,
        pattern=_DEPARTMENT,
        pattern_hint="code de département (01..95, 2A, 2B, 971..978, 984..989)",
    )


ESTABLISHMENTS = FileSpec(
    name="establishments",
    table="establishments",
    id_column="establishment_id",
    description="One per regional directorate (DR), plus head office (DG), IT (DSI), platforms (PES).",
    columns=(
        _id("establishment_id"),
        Column("name", required=True, max_length=_NAME),
        Column("kind", ColumnType.ENUM, required=True, values=("DR", "DG", "DSI", "PES")),
        Column(
            "region_code", max_length=8, description="INSEE region code of a DR (76 = Occitanie)."
        ),
    ),
)

AGENCIES = FileSpec(
    name="agencies",
    table="agencies",
    id_column="agency_id",
    description="Local agencies; `msa_experiment` marks those running the MSA experiment.",
    columns=(
        _id("agency_id"),
        Column("name", required=True, max_length=_NAME),
        _ref("establishment_id", True),
        _department(required=True),
        Column("msa_experiment", ColumnType.BOOLEAN, required=True),
    ),
    references=(Reference("establishment_id", "establishments", strict=True),),
)

AGENTS = FileSpec(
    name="agents",
    table="agents",
    id_column="agent_id",
    description="Staff (HR identity); an ex-agent has `left_on`.",
    columns=(
        _id("agent_id"),
        *_identity(),
        _ref("establishment_id", True),
        _ref("agency_id", False, "Empty for staff outside agencies (DR, DG, DSI, PES)."),
        Column("job", ColumnType.ENUM, required=True, values=JOBS),
        Column("hired_on", ColumnType.DATE),
        Column("left_on", ColumnType.DATE),
        Column(
            "work_pattern",
            ColumnType.WORK_PATTERN,
            max_length=400,
            description="Usual days and hours; empty = learned from history.",
        ),
    ),
    references=(
        Reference("establishment_id", "establishments", strict=True),
        Reference("agency_id", "agencies", strict=True),
    ),
)

JOB_SEEKERS = FileSpec(
    name="job_seekers",
    table="job_seekers",
    id_column="de_id",
    description="Registered job seekers (DE).",
    columns=(
        _id("de_id"),
        *_identity(),
        _department(required=False),
        Column(
            "commune_code",
            max_length=5,
            pattern=r"(\d{5}|2[AB]\d{3})",
            pattern_hint="code commune INSEE à 5 caractères",
        ),
        _ref("agency_id", False),
        _ref("referent_agent_id", False, "May name an agent of another region's files."),
        Column("registered_on", ColumnType.DATE),
        Column("deregistered_on", ColumnType.DATE),
    ),
    references=(
        Reference("agency_id", "agencies", strict=True),
        Reference("referent_agent_id", "agents", strict=False),
    ),
)

PROTECTED_PERSONS = FileSpec(
    name="protected_persons",
    table="protected_persons",
    id_column="person_id",
    description="Elected officials and candidates: identity and validity dates only, never a party.",
    columns=(
        _id("person_id"),
        Column("category", ColumnType.ENUM, required=True, values=("elected", "candidate")),
        *_identity(),
        _department(required=False),
        Column("valid_from", ColumnType.DATE),
        Column("valid_to", ColumnType.DATE, description="Inclusive."),
    ),
)

APPOINTMENTS = FileSpec(
    name="appointments",
    table="appointments",
    id_column="appointment_id",
    is_log=True,
    description="Appointments between an agent and a job seeker.",
    columns=(
        _id("appointment_id", _LOG_ID),
        _ref("de_id", True),
        _ref("agent_id", True),
        Column("starts_at", ColumnType.TIMESTAMP, required=True),
        Column(
            "kind",
            required=True,
            max_length=16,
            description="Short code: EDO, DPA, EDA, suivi, collectif, ...",
        ),
        Column("status", ColumnType.ENUM, required=True, values=APPOINTMENT_STATUSES),
    ),
    references=(
        Reference("de_id", "job_seekers", strict=False),
        Reference("agent_id", "agents", strict=False),
    ),
)

CALLS = FileSpec(
    name="calls",
    table="calls",
    id_column="call_id",
    is_log=True,
    description="3949 phone calls; de_id is the file the telephony matched (may be empty).",
    columns=(
        _id("call_id", _LOG_ID),
        _ref("de_id", False),
        _ref("agent_id", True),
        Column("started_at", ColumnType.TIMESTAMP, required=True),
        Column("ended_at", ColumnType.TIMESTAMP),
    ),
    references=(
        Reference("de_id", "job_seekers", strict=False),
        Reference("agent_id", "agents", strict=False),
    ),
)

TASKS = FileSpec(
    name="tasks",
    table="tasks",
    id_column="task_id",
    is_log=True,
    description="Back-office tasks, e.g. benefit-claim processing.",
    columns=(
        _id("task_id", _LOG_ID),
        _ref("de_id", False),
        _ref("agent_id", True),
        Column("created_at", ColumnType.TIMESTAMP, required=True),
        Column("closed_at", ColumnType.TIMESTAMP),
        Column("kind", max_length=32),
    ),
    references=(
        Reference("de_id", "job_seekers", strict=False),
        Reference("agent_id", "agents", strict=False),
    ),
)

CONSULTATIONS = FileSpec(
    name="consultations",
    table=None,
    id_column="event_id",
    is_log=True,
    folder_allowed=True,
    description="Who opened which job seeker's file, when, where, to do what (append-only log).",
    columns=(
        _id("event_id", 64),
        Column("ts", ColumnType.TIMESTAMP, required=True),
        _ref("agent_id", True),
        _ref("de_id", True),
        Column(
            "application", max_length=32, description="Application of the access, e.g. AUDE, MAP."
        ),
        Column("action", ColumnType.ENUM, required=True, values=ACTIONS),
    ),
    references=(
        Reference("agent_id", "agents", strict=False),
        Reference("de_id", "job_seekers", strict=False),
    ),
)

# Dependency order: a file is imported after every file its strict references point to.
FILES: tuple[FileSpec, ...] = (
    ESTABLISHMENTS,
    AGENCIES,
    AGENTS,
    JOB_SEEKERS,
    PROTECTED_PERSONS,
    APPOINTMENTS,
    CALLS,
    TASKS,
    CONSULTATIONS,
)

BY_NAME: dict[str, FileSpec] = {f.name: f for f in FILES}

REJECT_COLUMNS: tuple[str, ...] = ("line", "column", "reason")


# A CSV file of the contract is comma-separated; a French spreadsheet's CSV export uses semicolons.
_OTHER_SEPARATORS = ((";", "point-virgule"), ("\t", "tabulation"), ("|", "barre verticale"))


def separator_issue(header_line: str) -> str | None:
    """Why a CSV header line is not of the contract because it uses another separator, in French;
    None when it is comma-separated (or has a single column, whose problems are told elsewhere)."""
    if "," in header_line:
        return None
    for sep, name in _OTHER_SEPARATORS:
        if sep in header_line:
            return (
                f"colonnes séparées par « {name} » : le format d'échange les sépare par des "
                "virgules"
            )
    return None


def check_contract() -> list[str]:
    """Internal consistency: ids exist, references point backwards to existing files, enums have values."""
    problems: list[str] = []
    seen: set[str] = set()
    for spec in FILES:
        names = spec.column_names
        if len(set(names)) != len(names):
            problems.append(f"{spec.name}: duplicate column")
        if spec.id_column not in names:
            problems.append(f"{spec.name}: id column {spec.id_column} missing")
        for ref in spec.references:
            if ref.column not in names:
                problems.append(f"{spec.name}: reference column {ref.column} missing")
            if ref.target not in seen:
                problems.append(
                    f"{spec.name}: {ref.column} refers to {ref.target}, not imported before"
                )
        for col in spec.columns:
            if (col.type is ColumnType.ENUM) != bool(col.values):
                problems.append(f"{spec.name}.{col.name}: enum values mismatch")
            if col.empty_means and col.empty_means not in names:
                problems.append(f"{spec.name}.{col.name}: empty_means names an unknown column")
        seen.add(spec.name)
    return problems
