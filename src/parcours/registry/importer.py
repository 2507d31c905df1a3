"""`parcours import DIR`: validate every contract file present and load what is valid.

Per file: stage it as text in DuckDB, check every row (collect-all), write the refused rows to
`PARCOURS_HOME/rejects/<file>.rejects.csv`, then load the rest:
- reference tables: upsert by id in ONE database transaction that also records the ImportBatch,
  so a killed import leaves the table as it was and a re-run loads it whole;
- consultations: appended to the log through `ConsultLog`, deduplicated by event_id against the log
  and within the file, under a deterministic batch id; the ImportBatch row is written before (open)
  and after (finished), and a re-run first discards the files of a batch that never finished.
Afterwards the warehouse snapshots of the changed tables are rewritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Engine, delete, event, insert, select, update

from parcours.config import Settings, get_settings
from parcours.consultlog.store import ConsultLog
from parcours.db import Base, make_engine, session_scope
from parcours.errors import Issue
from parcours.migrate import upgrade
from parcours.registry.contract import ColumnType, FileSpec
from parcours.registry.loaders import upsert_batches
from parcours.registry.models import ImportBatch
from parcours.registry.progress import ImportProgress
from parcours.registry.snapshots import stale_snapshots, write_snapshots
from parcours.registry.sources import (
    MALFORMED,
    RAW,
    FileRefused,
    SourceFile,
    discover,
    drop_staged,
    engine_message,
    stage,
)
from parcours.registry.validation import (
    bad_columns_expression,
    file_checks,
    is_empty,
    literal,
    quote_ident,
    reason_expression,
    register_functions,
    typed_expression,
)
from parcours.registry.warehouse import Warehouse

ISSUES_KEPT = 100  # per file, in memory and in the summary; the rejects file has them all
FETCH_ROWS = 100_000
TYPED = "_typed_"  # prefix of the parsed timestamps of a log file in `checked`
# The log's partition of a TIMESTAMPTZ: its UTC day (the import's connection runs in UTC).
UTC_DAY = "CAST(CAST({ts} AS DATE) AS VARCHAR)"


@dataclass
class FileReport:
    label: str
    file: str  # contract file name (FileSpec.name)
    rows_read: int = 0
    rows_loaded: int = 0  # new rows (ids new to the table; events new to the log)
    rows_updated: int = 0  # reference rows whose stored values changed (the log is never updated)
    rows_rejected: int = 0
    # Already present: reference rows identical to the stored ones; consultation events already in
    # the log or repeated in the file. read = loaded + updated + rejected + skipped.
    rows_skipped: int = 0
    unresolved_refs: int = 0  # rows naming an agent or job seeker absent from the reference files
    refused: Issue | None = None  # the whole file was unusable
    issues: list[Issue] = field(default_factory=list)
    rejects_path: Path | None = None
    batch_id: str = ""
    sha256: str = ""

    @property
    def ok(self) -> bool:
        return self.refused is None and self.rows_rejected == 0


@dataclass(frozen=True)
class LogShape:
    """What the load of a log file needs to know of its valid rows, read in one pass with the
    checks: how many repeat an event id of the file, and the UTC days they fall on."""

    repeats: int
    days: list[str]


@dataclass
class ImportSummary:
    directory: Path
    files: list[FileReport] = field(default_factory=list)
    snapshots: dict[str, int] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # files left out, each with the expected name

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)


def import_directory(
    directory: Path, *, settings: Settings | None = None, progress: bool = True
) -> ImportSummary:
    """Import every contract file in `directory`; creates or upgrades the database schema first."""
    s = settings or get_settings()
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is not a folder")
    engine = make_engine(s.sqlalchemy_url)
    if engine.dialect.name == "sqlite":
        # This engine is private to the import, which checks every reference itself (in DuckDB,
        # against the ids in the database) before loading: SQLite's per-row foreign-key lookups
        # would only repeat that work, and they more than double the cost of an upsert.
        event.listen(engine, "connect", _without_foreign_key_enforcement)
    try:
        upgrade(engine)
        return _Importer(s, engine).run(directory, progress=progress)
    finally:
        engine.dispose()


def _without_foreign_key_enforcement(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA foreign_keys=OFF")


def batch_id_for(label: str, sha256: str, spec: FileSpec) -> str:
    """Deterministic: the same content under the same name is the same batch."""
    key = hashlib.sha256(f"{label}|{sha256}".encode()).hexdigest()
    return f"{spec.name}-{key[:24]}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class _Importer:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.warehouse = Warehouse.from_settings(settings)
        self.log = ConsultLog(settings.log_dir)
        self.known_loaded: set[str] = set()

    def run(self, directory: Path, *, progress: bool) -> ImportSummary:
        summary = ImportSummary(directory)
        discovery = discover(directory)
        sources, summary.ignored = discovery.sources, discovery.ignored
        with self._duckdb() as con, ImportProgress(enabled=progress) as bar:
            for source in sources:
                task = bar.start(source.label)
                report = FileReport(label=source.label, file=source.spec.name)
                summary.files.append(report)
                try:
                    self._import_file(con, source, report, bar, task)
                except FileRefused as e:
                    report.refused = e.issue
                    report.issues.append(e.issue)
                    self._write_refusal(source, report)
                if report.rows_loaded and source.spec.table:
                    self.known_loaded.discard(source.spec.name)
                bar.finish(task, report.rows_loaded + report.rows_updated)
            stale = stale_snapshots(self.engine, self.warehouse)
            if stale:
                task = bar.start("instantanés (warehouse)")
                summary.snapshots = write_snapshots(self.engine, self.warehouse, stale)
                bar.finish(task, sum(summary.snapshots.values()))
        return summary

    @contextmanager
    def _duckdb(self) -> Iterator[duckdb.DuckDBPyConnection]:
        tmp = self.settings.tmp_dir / "duckdb"
        tmp.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(
            config={
                "memory_limit": self.settings.import_memory_limit,
                "threads": self.settings.duckdb_threads,
                "temp_directory": str(tmp),
                "preserve_insertion_order": True,
            }
        )
        # The log is partitioned by UTC day: casts of a TIMESTAMPTZ must not follow the host's
        # zone (a server set to Europe/Paris filed events of 22:00-24:00 UTC under the next day).
        con.execute("SET TimeZone = 'UTC'")
        register_functions(con)
        try:
            yield con
        finally:
            con.close()

    # -- one file ---------------------------------------------------------------------------

    def _import_file(
        self,
        con: duckdb.DuckDBPyConnection,
        source: SourceFile,
        report: FileReport,
        bar: ImportProgress,
        task: int,
    ) -> None:
        spec = source.spec
        report.sha256 = file_sha256(source.path)
        report.batch_id = batch_id_for(source.label, report.sha256, spec)
        try:
            stage(con, source)
        except duckdb.Error as e:  # e.g. a Parquet column that cannot be read as text
            raise FileRefused(
                Issue(source.label, None, None, f"fichier illisible : {engine_message(e)}")
            ) from e
        bar.step(task)
        for ref in spec.references:
            self._ensure_known(con, ref.target)
        known = {ref.target: f"known_{ref.target}" for ref in spec.references}
        try:
            shape = self._check(con, spec, known)
        except duckdb.Error as e:  # a Parquet file is read here: e.g. a damaged page
            raise FileRefused(
                Issue(source.label, None, None, f"fichier illisible : {engine_message(e)}")
            ) from e
        drop_staged(con)  # `checked` holds the same rows: free the memory
        bar.step(task)
        (raw_rows,) = _one(con, "SELECT count(*) FROM checked")
        (malformed,) = _one(con, f"SELECT count(*) FROM {MALFORMED}")
        report.rows_read = raw_rows + malformed
        self._write_rejects(con, source, report)
        if shape is not None:
            self._load_log(con, source, report, known, shape)
        else:
            self._load_table(con, source, report, known, bar, task)
        bar.step(task)
        con.execute("DROP TABLE IF EXISTS checked")

    def _check(
        self, con: duckdb.DuckDBPyConnection, spec: FileSpec, known: dict[str, str]
    ) -> LogShape | None:
        """Build `checked` (every row with its reason, if refused); for a log file, also its
        shape (`LogShape`)."""
        checks = file_checks(
            spec,
            timezone=self.settings.timezone,
            known_ids={ref.target: known[ref.target] for ref in spec.references if ref.strict},
            typed_prefix=TYPED if spec.table is None else None,
        )
        reason = reason_expression(checks)
        columns = bad_columns_expression(checks)
        id_col = quote_ident(spec.id_column)
        if spec.table is None:
            # The log deduplicates repeated event ids instead of refusing them.
            # Timestamps are parsed first and the checks reuse them, so each is parsed once; the
            # load then reads them instead of parsing again. (Text columns are not copied: their
            # typed form is a NULLIF, cheaper to redo than to store.)
            typed = ", ".join(
                f"{typed_expression(c, timezone=self.settings.timezone)} AS {quote_ident(TYPED + c.name)}"
                for c in spec.columns
                if c.type is ColumnType.TIMESTAMP
            )
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE checked AS SELECT *, {reason} AS reason, "
                f"{columns} AS bad_columns FROM (SELECT *, {typed} FROM {RAW})"
            )
            return self._reject_conflicting_repeats(con, spec)
        duplicate = (
            f"CASE WHEN NOT {is_empty(id_col)} AND line > first_line THEN "
            f"{literal(spec.id_column + ' : identifiant en double (première occurrence ligne ')} "
            "|| first_line || ')' END"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE checked AS SELECT * EXCLUDE (first_line, r, b), "
            f"NULLIF(concat_ws('; ', r, {duplicate}), '') AS reason, "
            f"NULLIF(concat_ws(',', b, CASE WHEN NOT {is_empty(id_col)} AND line > first_line "
            f"THEN {literal(spec.id_column)} END), '') AS bad_columns FROM ("
            f"SELECT *, {reason} AS r, {columns} AS b, "
            f"min(line) OVER (PARTITION BY {id_col}) AS first_line FROM {RAW})"
        )
        return None

    @staticmethod
    def _reject_conflicting_repeats(con: duckdb.DuckDBPyConnection, spec: FileSpec) -> LogShape:
        """A log file's event repeated with another content (another agent, file, action, or
        instant) is rejected, with the line of the first occurrence: which one is right is the
        sender's call, and kept as a mere repeat it vanished without a word. An identical repeat
        stays a duplicate (counted as already present). The window costs a sort: only paid when
        some event id is repeated, which the file's shape, read in the same pass as its days,
        tells."""
        repeats, days = con.execute(
            f"SELECT count(*) - count(DISTINCT event_id), list(DISTINCT {UTC_DAY.format(ts=TYPED + 'ts')}) "
            "FROM checked WHERE reason IS NULL"
        ).fetchall()[0]
        shape = LogShape(repeats=int(repeats), days=list(days or []))
        if not repeats:
            return shape
        content = ", ".join(
            quote_ident(TYPED + c.name if c.type is ColumnType.TIMESTAMP else c.name)
            for c in spec.columns
            if c.name != spec.id_column
        )
        con.execute(
            "UPDATE checked SET bad_columns = 'event_id', reason = "
            "'event_id : répété avec un autre contenu (première occurrence ligne ' || "
            "d.first_line || ')' FROM ("
            "SELECT line AS l, first_value(line) OVER w AS first_line, "
            f"row({content}) IS DISTINCT FROM first_value(row({content})) OVER w AS differs "
            "FROM checked WHERE reason IS NULL "
            "WINDOW w AS (PARTITION BY event_id ORDER BY line)"
            ") d WHERE checked.line = d.l AND d.differs"
        )
        # Fewer valid rows now: the repeats and days counted before are an upper bound, which the
        # load only uses to decide whether to deduplicate and which log days to look up.
        return shape

    def _ensure_known(self, con: duckdb.DuckDBPyConnection, target: str) -> None:
        """Load the ids of a reference table from the database into DuckDB (`known_<target>`)."""
        if target in self.known_loaded:
            return
        table = Base.metadata.tables[target]
        pk = next(iter(table.primary_key.columns))
        con.execute(f"CREATE OR REPLACE TEMP TABLE known_{target} (id VARCHAR)")
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=FETCH_ROWS).execute(select(pk))
            for part in result.partitions():
                chunk = pa.table({"id": pa.array([r[0] for r in part], pa.string())})
                con.register("known_chunk", chunk)
                con.execute(f"INSERT INTO known_{target} SELECT id FROM known_chunk")
                con.unregister("known_chunk")
        self.known_loaded.add(target)

    def _unresolved_condition(self, spec: FileSpec, known: dict[str, str], alias: str) -> str:
        parts = [
            f"(NOT {is_empty(f'{alias}.{quote_ident(r.column)}')} AND {alias}.{quote_ident(r.column)} "
            f"NOT IN (SELECT id FROM {known[r.target]}))"
            for r in spec.references
            if not r.strict
        ]
        return " OR ".join(parts) if parts else "FALSE"

    def _typed_select(self, spec: FileSpec) -> str:
        return ", ".join(
            f"{typed_expression(c, timezone=self.settings.timezone)} AS {quote_ident(c.name)}"
            for c in spec.columns
        )

    # -- reference tables ---------------------------------------------------------------------

    def _load_table(
        self,
        con: duckdb.DuckDBPyConnection,
        source: SourceFile,
        report: FileReport,
        known: dict[str, str],
        bar: ImportProgress,
        task: int,
    ) -> None:
        spec = source.spec
        assert spec.table is not None
        table = Base.metadata.tables[spec.table]
        (report.unresolved_refs,) = _one(
            con,
            f"SELECT count(*) FROM checked c WHERE reason IS NULL AND "
            f"({self._unresolved_condition(spec, known, 'c')})",
        )
        reader = con.sql(
            f"SELECT {self._typed_select(spec)} FROM checked WHERE reason IS NULL ORDER BY line"
        ).to_arrow_reader(FETCH_ROWS)
        assert reader is not None
        started = datetime.now(UTC)
        with self.engine.begin() as conn:
            upserted = upsert_batches(conn, table, reader, on_rows=lambda n: bar.rows(task, n))
            conn.execute(delete(ImportBatch).where(ImportBatch.batch_id == report.batch_id))
            conn.execute(
                insert(ImportBatch).values(
                    batch_id=report.batch_id,
                    file_name=source.label,
                    file_sha256=report.sha256,
                    table_name=spec.table,
                    started_at=started,
                    finished_at=datetime.now(UTC),
                    rows_read=report.rows_read,
                    rows_loaded=upserted.inserted,  # as in the summary: new rows only
                    rows_rejected=report.rows_rejected,
                    unresolved_refs=report.unresolved_refs,
                )
            )
        report.rows_loaded = upserted.inserted
        report.rows_updated = upserted.updated
        report.rows_skipped = upserted.unchanged

    # -- the consultation log -------------------------------------------------------------------

    def _load_log(
        self,
        con: duckdb.DuckDBPyConnection,
        source: SourceFile,
        report: FileReport,
        known: dict[str, str],
        shape: LogShape,
    ) -> None:
        spec = source.spec
        batch = report.batch_id
        finished = self._open_batch(source, report)
        if not finished:
            # A previous run of this very file was killed: its files are partial, drop them.
            self.log.discard_batch(batch)
        values = ", ".join(
            f"{quote_ident(TYPED + c.name)} AS {quote_ident(c.name)}"
            if c.type is ColumnType.TIMESTAMP
            else f"{typed_expression(c, timezone=self.settings.timezone)} AS {quote_ident(c.name)}"
            for c in spec.columns
        )
        typed = f"SELECT {values}, line FROM checked WHERE reason IS NULL"
        if shape.repeats:  # the window costs a sort: only pay it when the file repeats events
            typed = (
                f"SELECT * FROM ({typed}) "
                "QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY line) = 1"
            )
        # The days on either side too: an event sent again with its time corrected (a naive time
        # re-sent with its offset, at most 14 hours) may change UTC day, and before the log was
        # filed by UTC day whatever the host's zone, a Paris-time host filed 22:00-24:00 UTC
        # under the next day. Either way a re-import must see the event already logged.
        lookup = sorted({d for day in shape.days for d in _day_and_neighbours(day)})
        existing = [str(p) for p in self.log.files_for_days(lookup)]
        fresh = "fresh"
        if existing:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE fresh AS SELECT * FROM ({typed}) "
                "WHERE event_id NOT IN (SELECT event_id FROM read_parquet($files))",
                {"files": existing},
            )
        else:
            # Nothing of these days in the log yet: no table to build, the load reads `checked`.
            fresh = f"({typed})"
        # Over the file's valid rows, as for the reference tables: a re-import says the same.
        (report.unresolved_refs,) = _one(
            con,
            f"SELECT count(*) FROM checked c WHERE reason IS NULL AND "
            f"({self._unresolved_condition(spec, known, 'c')})",
        )
        report.rows_loaded = self.log.append_query(
            con,
            "SELECT event_id, ts, agent_id, de_id, application, action, "
            "CAST(NULL AS VARCHAR) AS purpose, 'import' AS source, "
            f"{UTC_DAY.format(ts='ts')} AS day FROM {fresh}",
            batch_id=batch,
        )
        valid = report.rows_read - report.rows_rejected
        report.rows_skipped = valid - report.rows_loaded
        con.execute("DROP TABLE IF EXISTS fresh")
        self._close_batch(report)

    def _open_batch(self, source: SourceFile, report: FileReport) -> bool:
        """Record the batch as started; return True when a previous run already finished it."""
        with session_scope(self.engine) as session:
            existing = session.get(ImportBatch, report.batch_id)
            if existing is not None and existing.finished_at is not None:
                return True
            if existing is None:
                session.add(
                    ImportBatch(
                        batch_id=report.batch_id,
                        file_name=source.label,
                        file_sha256=report.sha256,
                        table_name="consultations",
                        started_at=datetime.now(UTC),
                        rows_read=report.rows_read,
                    )
                )
            return False

    def _close_batch(self, report: FileReport) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(ImportBatch)
                .where(ImportBatch.batch_id == report.batch_id)
                .values(
                    finished_at=datetime.now(UTC),
                    rows_read=report.rows_read,
                    rows_loaded=report.rows_loaded,
                    rows_rejected=report.rows_rejected,
                    unresolved_refs=report.unresolved_refs,
                )
            )

    # -- rejects --------------------------------------------------------------------------------

    def _rejects_path(self, source: SourceFile) -> Path:
        # agents.csv -> agents.rejects.csv; agents.parquet -> agents.parquet.rejects.csv (both
        # may sit in one folder); consultations/part1.csv -> consultations__part1.rejects.csv
        label = Path(source.label)
        stem = (label.with_suffix("") if label.suffix.lower() == ".csv" else label).as_posix()
        stem = stem.replace("/", "__")
        return self.settings.rejects_dir / f"{stem}.rejects.csv"

    def _write_rejects(
        self, con: duckdb.DuckDBPyConnection, source: SourceFile, report: FileReport
    ) -> None:
        cols = source.spec.column_names
        select_cols = ", ".join(quote_ident(c) for c in cols)
        nulls = ", ".join(f"NULL AS {quote_ident(c)}" for c in cols)
        query = (
            f'SELECT {select_cols}, line, bad_columns AS "column", reason FROM checked '
            f"WHERE reason IS NOT NULL UNION ALL "
            f'SELECT {nulls}, line, NULL AS "column", reason FROM {MALFORMED}'
        )
        (report.rows_rejected,) = _one(con, f"SELECT count(*) FROM ({query})")
        path = self._rejects_path(source)
        if report.rows_rejected == 0:
            path.unlink(missing_ok=True)  # a previous import's rejects would mislead
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY ({query} ORDER BY line) TO {literal(str(path))} (HEADER, DELIMITER ',')")
        report.rejects_path = path
        for line, column, reason in con.execute(
            f'SELECT line, "column", reason FROM ({query}) ORDER BY line LIMIT {ISSUES_KEPT}'
        ).fetchall():
            report.issues.append(Issue(source.label, int(line), column, str(reason)))

    def _write_refusal(self, source: SourceFile, report: FileReport) -> None:
        assert report.refused is not None
        path = self._rejects_path(source)
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect()
        try:
            con.execute(
                'COPY (SELECT ? AS line, ? AS "column", ? AS reason) TO '
                f"{literal(str(path))} (HEADER)",
                [report.refused.line, report.refused.column, report.refused.reason],
            )
        finally:
            con.close()
        report.rejects_path = path


def _day_and_neighbours(day: str) -> tuple[str, str, str]:
    d = date.fromisoformat(day)
    return ((d - timedelta(days=1)).isoformat(), day, (d + timedelta(days=1)).isoformat())


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[int, ...]:
    (row,) = con.execute(sql).fetchall()  # fetchall: DuckDB refuses new work on a half-read result
    return tuple(int(v) for v in row)
