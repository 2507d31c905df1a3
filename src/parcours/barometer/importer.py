"""`parcours barometer import`: validate a survey file, write the rejected rows aside, load the rest.

One row per respondent and wave. Every problem is reported with file, line, column and reason; a row
with any problem is rejected as a whole (and copied to the rejects file with its reasons); valid rows
are upserted by (wave, respondent), so importing the same file twice changes nothing.

A row's line is the physical line its record starts on. The file is split into records before the csv
module reads them (`_records`), so a record it cannot read (a field beyond its size limit) or a quote
never closed is one rejected row, not a traceback or a shapeless row at the wrong line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, select, update

from parcours.barometer.definitions import Definitions, default_definitions
from parcours.barometer.models import BarometerResponse, BarometerWave
from parcours.barometer.synth import WAVE_PATTERN
from parcours.config import get_settings
from parcours.db import get_engine, session_scope
from parcours.errors import InvalidInput, Issue
from parcours.registry.models import ImportBatch

RESPONDENT_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def wave_label(wave_id: str) -> str:
    year, month = wave_id.split("-")
    return f"{MONTHS[int(month) - 1].capitalize()} {year}"


@dataclass(frozen=True)
class ValidRow:
    line: int
    wave_id: str
    respondent_id: str
    attributes: dict[str, str]
    answers: dict[str, int]


@dataclass
class ImportReport:
    file: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    issues: list[Issue] = field(default_factory=list)
    rejects_path: Path | None = None

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged


def _check_header(header: list[str], file: str, definitions: Definitions) -> None:
    expected = [
        "wave",
        "respondent_id",
        *definitions.population.attributes,
        *definitions.questionnaire.items,
    ]
    issues = [Issue(file, 1, col, "colonne manquante") for col in expected if col not in header]
    issues += [
        Issue(file, 1, col, "colonne inconnue (ni attribut ni item du questionnaire)")
        for col in header
        if col not in expected
    ]
    issues += [
        Issue(file, 1, col, "colonne en double")
        for col in sorted(set(header))
        if header.count(col) > 1
    ]
    if issues:
        raise InvalidInput(issues)


def validate_rows(
    rows: Iterable[tuple[int, dict[str, str]]], file: str, definitions: Definitions
) -> tuple[list[ValidRow], list[tuple[int, dict[str, str], list[Issue]]]]:
    """Split rows into valid ones and rejected ones (with every issue of each rejected row)."""
    q, pop = definitions.questionnaire, definitions.population
    seen: dict[tuple[str, str], int] = {}
    valid: list[ValidRow] = []
    rejected: list[tuple[int, dict[str, str], list[Issue]]] = []
    for line, raw in rows:
        row = {k: (v or "").strip() for k, v in raw.items()}
        issues: list[Issue] = []
        wave, respondent = row["wave"], row["respondent_id"]
        if not WAVE_PATTERN.match(wave):
            issues.append(
                Issue(file, line, "wave", f"vague {wave!r} invalide : format AAAA-MM attendu")
            )
        if not RESPONDENT_PATTERN.match(respondent):
            issues.append(
                Issue(
                    file,
                    line,
                    "respondent_id",
                    "jeton de répondant vide ou invalide (A-Z, 0-9, _ -, 40 max.)",
                )
            )
        elif (wave, respondent) in seen:
            issues.append(
                Issue(
                    file,
                    line,
                    "respondent_id",
                    f"répondant déjà présent pour la vague {wave} (ligne {seen[(wave, respondent)]})",
                )
            )
        for name, attribute in pop.attributes.items():
            if row[name] not in attribute.values:
                allowed = ", ".join(attribute.values)
                issues.append(
                    Issue(file, line, name, f"valeur {row[name]!r} hors liste ({allowed})")
                )
        if not any(i.column in pop.attributes for i in issues):
            for rule in pop.consistency:
                if not rule.allows(row):
                    issues.append(
                        Issue(
                            file,
                            line,
                            rule.then_attribute,
                            f"{row[rule.then_attribute]!r} : {rule.reason}",
                        )
                    )
        answers: dict[str, int] = {}
        for code in q.items:
            cell = row[code]
            if cell == "":
                continue
            if not re.fullmatch(r"-?\d+", cell):
                issues.append(Issue(file, line, code, f"réponse {cell!r} : un entier attendu"))
            elif not q.scale_min <= int(cell) <= q.scale_max:
                issues.append(
                    Issue(
                        file, line, code, f"réponse {cell} hors échelle {q.scale_min}-{q.scale_max}"
                    )
                )
            else:
                answers[code] = int(cell)
        if not answers and not any(i.column in q.items for i in issues):
            issues.append(Issue(file, line, None, "aucune réponse au questionnaire"))
        if issues:
            rejected.append((line, raw, issues))
            continue
        seen[(wave, respondent)] = line
        valid.append(ValidRow(line, wave, respondent, {n: row[n] for n in pop.attributes}, answers))
    return valid, rejected


def _write_rejects(
    path: Path, header: list[str], rejected: list[tuple[int, dict[str, str], list[Issue]]]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["_line", "_column", "_reason", *header])
        for line, raw, issues in rejected:
            writer.writerow(
                [
                    line,
                    "; ".join(i.column or "" for i in issues),
                    "; ".join(i.reason for i in issues),
                    *(raw.get(c, "") for c in header),
                ]
            )


def _upsert(engine: Engine, rows: list[ValidRow], batch_id: str, report: ImportReport) -> None:
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        known = set(session.scalars(select(BarometerWave.wave_id)))
        for wave_id in sorted({r.wave_id for r in rows} - known):
            session.add(
                BarometerWave(wave_id=wave_id, label=wave_label(wave_id), first_imported_at=now)
            )
        session.flush()
        existing: dict[tuple[str, str], tuple[int, dict[str, Any], dict[str, Any]]] = {}
        keys = {(r.wave_id, r.respondent_id) for r in rows}
        table = BarometerResponse.__table__
        assert isinstance(table, Table)
        # One scan per wave of the file (a wave is one survey: tens of thousands of rows at most) is
        # much faster than looking the keys up in chunks.
        for wave in sorted({r.wave_id for r in rows}):
            found = session.execute(
                select(
                    table.c.wave_id,
                    table.c.respondent_id,
                    table.c.response_id,
                    table.c.attributes,
                    table.c.answers,
                ).where(table.c.wave_id == wave)
            )
            for wave_id, respondent_id, response_id, attributes, answers in found:
                if (wave_id, respondent_id) in keys:
                    existing[(wave_id, respondent_id)] = (response_id, attributes, answers)
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for r in rows:
            values = {
                "wave_id": r.wave_id,
                "respondent_id": r.respondent_id,
                "region": r.attributes["region"],
                "attributes": r.attributes,
                "answers": r.answers,
                "batch_id": batch_id,
            }
            old = existing.get((r.wave_id, r.respondent_id))
            if old is None:
                inserts.append(values)
            elif old[1] == r.attributes and old[2] == r.answers:
                report.unchanged += 1
            else:
                updates.append({"response_id": old[0], **values})
        if inserts:
            session.execute(table.insert(), inserts)
        if updates:
            session.execute(update(BarometerResponse), updates)
        report.inserted += len(inserts)
        report.updated += len(updates)


def _utf8_text(path: Path) -> str:
    """The file's text, its byte-order mark dropped. Survey tools often export Latin-1: name the first
    line that is not UTF-8 rather than fail half-way through the file with a decoding traceback."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        reason = (
            f"texte qui n'est pas en UTF-8 (octet {exc.start + 1}) : réenregistrez le fichier "
            "en CSV UTF-8"
        )
        raise InvalidInput([Issue(str(path), line, None, reason)]) from exc


@dataclass(frozen=True)
class _Record:
    line: int  # the physical line it starts on (the header is line 1)
    lines: list[str]  # its physical lines, line ends included
    unclosed: bool  # a quote opened and never closed: the record runs to the end of the file

    def cells(self) -> list[str]:
        """Its fields, as the csv module reads them (`csv.Error` beyond the module's limits)."""
        return next(csv.reader(self.lines), [])


# States of the walk through a line that has quotes, as the csv module's default dialect reads it.
_START, _UNQUOTED, _QUOTED, _QUOTE = range(4)


def _records(text: str) -> Iterator[_Record]:
    """Split `text` into records as `csv.reader` does: a line end inside a quoted field belongs to
    the record, any other ends it. Knowing where each record starts and ends, the import names its
    first line and goes on after one the csv module refuses."""
    pending: list[str] = []
    start, state = 0, _START
    # newline="" splits at \r\n, \r and \n, as the csv module wants its lines.
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if not pending:
            start = number
            if '"' not in line:  # the common case: the line is a record
                yield _Record(number, [line], unclosed=False)
                continue
            state = _START
        state = _walk(state, line.rstrip("\r\n"))
        pending.append(line)
        if state != _QUOTED:
            yield _Record(start, pending, unclosed=False)
            pending = []
    if pending:
        yield _Record(start, pending, unclosed=True)


def _walk(state: int, text: str) -> int:
    """The state after `text`, a line without its line end, from `state`."""
    i, n = 0, len(text)
    while i < n:
        if state == _QUOTED:
            quote = text.find('"', i)
            if quote < 0:
                return _QUOTED
            state, i = _QUOTE, quote + 1
        elif state == _UNQUOTED:  # a quote inside an unquoted field is text
            comma = text.find(",", i)
            if comma < 0:
                return _UNQUOTED
            state, i = _START, comma + 1
        else:  # at a field's start, or after a quote inside a quoted field
            c = text[i]
            # A quote opens a quoted field, or is a doubled one; text after a closing quote is kept
            # as text (the csv module is not strict).
            state = _QUOTED if c == '"' else _START if c == "," else _UNQUOTED
            i += 1
    return state


def _unreadable(exc: csv.Error) -> str:
    message = str(exc)
    if message.startswith("field larger than field limit"):
        return f"champ de plus de {csv.field_size_limit()} caractères : enregistrement illisible"
    return f"enregistrement illisible : {message}"


def _shape_problem(record: _Record, cells: int, columns: int) -> str | None:
    """Why a record is not a row of the header's columns, or None."""
    last = record.line + len(record.lines) - 1
    if record.unclosed:
        if last == record.line:
            return "un guillemet ouvert et jamais refermé : le fichier se termine dans ce champ"
        return (
            f"un guillemet ouvert et jamais refermé a fait lire {len(record.lines)} lignes du "
            f"fichier (à partir de la ligne {record.line}) comme ce seul enregistrement, "
            "rejeté avec elles"
        )
    if cells == columns:
        return None
    reason = f"{cells} colonnes au lieu de {columns}"
    return reason + (
        f" ; enregistrement des lignes {record.line} à {last}" if last > record.line else ""
    )


def rejects_path(path: Path) -> Path:
    """Where the rejected rows of `path` are written: named after its whole path, as the registry
    names its rejects after the file's path in the import folder, so that two surveys of the same
    name in different folders keep their own (vagues.csv -> barometer__data__2024__vagues.rejects.csv)."""
    whole = path.resolve()
    stem = (whole.with_suffix("") if whole.suffix.lower() == ".csv" else whole).as_posix()
    name = "barometer" + stem.replace("/", "__")
    if len(name.encode()) > 200:  # file names stop at 255 bytes: a deep path keeps a digest of it
        digest = hashlib.sha256(whole.as_posix().encode()).hexdigest()[:16]
        name = f"barometer__{whole.stem[:80]}-{digest}"
    return get_settings().rejects_dir / f"{name}.rejects.csv"


def _read_rows(
    text: str, file: str, definitions: Definitions
) -> tuple[
    list[str], list[tuple[int, dict[str, str]]], list[tuple[int, dict[str, str], list[Issue]]]
]:
    """The header, the rows of the header's shape and the records that are not (with why)."""
    records = _records(text)
    first = next(records, None)
    try:
        header = [h.strip() for h in first.cells()] if first is not None else []
    except csv.Error as exc:
        raise InvalidInput([Issue(file, 1, None, _unreadable(exc))]) from None
    if first is not None and first.unclosed:
        raise InvalidInput(
            [Issue(file, 1, None, "en-tête : un guillemet ouvert et jamais refermé")]
        )
    _check_header(header, file, definitions)
    rows: list[tuple[int, dict[str, str]]] = []
    misshapen: list[tuple[int, dict[str, str], list[Issue]]] = []
    for record in records:
        try:
            cells = record.cells()
        except csv.Error as exc:
            misshapen.append((record.line, {}, [Issue(file, record.line, None, _unreadable(exc))]))
            continue
        if not record.unclosed and not any(c.strip() for c in cells):
            continue
        row = dict(zip(header, cells, strict=False))
        reason = _shape_problem(record, len(cells), len(header))
        if reason is None:
            rows.append((record.line, row))
        else:
            misshapen.append((record.line, row, [Issue(file, record.line, None, reason)]))
    return header, rows, misshapen


def import_file(
    path: Path, *, engine: Engine | None = None, definitions: Definitions | None = None
) -> ImportReport:
    """Validate and load one survey CSV. Raises `InvalidInput` only when the header is unusable.

    The rejects file is that of the last import of `path`: removed first, written when rows are
    rejected."""
    definitions = definitions or default_definitions()
    engine = engine or get_engine()
    file = str(path)
    report = ImportReport(file=file)
    started = datetime.now(UTC)
    rejects = rejects_path(path)
    rejects.unlink(missing_ok=True)  # a previous import's rejects would mislead
    header, rows, misshapen = _read_rows(_utf8_text(path), file, definitions)
    report.rows_read = len(rows) + len(misshapen)
    valid, rejected = validate_rows(rows, file, definitions)
    rejected = sorted(misshapen + rejected, key=lambda r: r[0])
    report.rejected = len(rejected)
    report.issues = [issue for _, _, issues in rejected for issue in issues]
    if rejected:
        report.rejects_path = rejects
        _write_rejects(rejects, header, rejected)
    batch_id = uuid.uuid4().hex
    _upsert(engine, valid, batch_id, report)
    with session_scope(engine) as session:
        session.add(
            ImportBatch(
                batch_id=batch_id,
                file_name=path.name,
                file_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                table_name="barometer_responses",
                started_at=started,
                finished_at=datetime.now(UTC),
                rows_read=report.rows_read,
                rows_loaded=report.loaded,
                rows_rejected=report.rejected,
            )
        )
    return report
