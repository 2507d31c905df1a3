"""Quality of a campaign against a ground truth.

The truth is a CSV file with one misuse pair per row: `agent_id` and `de_id` are required; `kind`
(colleague, ex_colleague, protected, curiosity, or any other label) and `level` (the examination the
pair deserves: mandatory or optional, also in French, case ignored; empty means mandatory, as when the
column is absent) are optional; other columns are ignored, so truth files from
other generators or from past campaigns' findings are read as they are. The delimiter (comma,
semicolon or tab) is taken from the header line; a UTF-8 byte-order mark is accepted. A file without
any pair, or one the csv module cannot read whole (`csv_records`), is refused; repeated pairs (the first row's kind kept, mandatory winning over optional) and
fields beyond the header are counted and reported (`Truth.summary`), never dropped silently.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from parcours.errors import InvalidInput, Issue

TRUTH_REQUIRED = ("agent_id", "de_id")
KINDS = ("colleague", "ex_colleague", "protected", "curiosity")
UNLABELLED = "non précisé"
# Spellings of the expected level accepted in truth files (case ignored); empty = not stated, the
# default of a truth without levels (the pair deserves mandatory examination).
LEVEL_SPELLINGS = {
    "mandatory": "mandatory",
    "obligatoire": "mandatory",
    "": "mandatory",
    "optional": "optional",
    "facultatif": "optional",
    "facultative": "optional",
}

Pair = tuple[str, str]


@dataclass(frozen=True)
class TruthReading:
    """What reading the truth file set aside, so that nothing is dropped silently."""

    rows: int = 0  # data rows read (header excluded)
    duplicates: int = 0  # rows repeating an earlier pair, ignored
    kind_conflicts: int = 0  # repeated pairs whose kind differs from the first row's
    level_conflicts: int = 0  # repeated pairs whose level differs from an earlier row's
    surplus_fields: int = 0  # rows with more fields than the header, the extra fields ignored


@dataclass(frozen=True)
class Truth:
    kinds: dict[Pair, str]
    # The expected level of each pair, when the truth file says (column `level`).
    levels: dict[Pair, str] | None = None
    reading: TruthReading = field(default_factory=TruthReading)

    def summary(self) -> str:
        """One line for `parcours evaluate`: rows, distinct pairs and what was set aside."""
        r = self.reading
        parts = [
            _count(r.rows, "ligne", "lignes"),
            _count(len(self.kinds), "paire distincte", "paires distinctes"),
        ]
        if r.duplicates:
            parts.append(_count(r.duplicates, "doublon ignoré", "doublons ignorés"))
        if r.kind_conflicts:
            parts.append(
                _count(r.kind_conflicts, "type contradictoire", "types contradictoires")
                + " (le premier est gardé)"
            )
        if r.level_conflicts:
            parts.append(
                _count(r.level_conflicts, "niveau contradictoire", "niveaux contradictoires")
                + " (obligatoire l'emporte)"
            )
        if r.surplus_fields:
            parts.append(
                _count(r.surplus_fields, "ligne", "lignes") + " avec des champs en trop (ignorés)"
            )
        return "vérité : " + ", ".join(parts)


def _count(n: int, singular: str, plural: str) -> str:
    # French: 0 and 1 take the singular.
    return f"{n} {singular if n < 2 else plural}"


@dataclass
class _TruthRows:
    """The truth file's rows as they are read: pairs, their kind and level, and every anomaly."""

    path: Path
    with_levels: bool
    kinds: dict[Pair, str] = field(default_factory=dict)
    levels: dict[Pair, str] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    rows: int = 0
    duplicates: int = 0
    kind_conflicts: int = 0
    level_conflicts: int = 0
    surplus_fields: int = 0

    def add(self, line: int, row: dict[str | None, Any]) -> None:
        self.rows += 1
        if row.get(None):  # `_as_row` files fields beyond the header under the key None
            self.surplus_fields += 1
        agent, de = (row.get("agent_id") or "").strip(), (row.get("de_id") or "").strip()
        if not agent or not de:
            self.issues.append(Issue(str(self.path), line, None, "agent_id et de_id obligatoires"))
            return
        level = self._level(line, row) if self.with_levels else None
        if self.with_levels and level is None:
            return
        pair = (agent, de)
        kind = (row.get("kind") or "").strip() or UNLABELLED
        if pair not in self.kinds:
            self.kinds[pair] = kind
        else:
            self.duplicates += 1
            if self.kinds[pair] != kind:
                self.kind_conflicts += 1
        if level is not None:
            self._keep_level(pair, level)

    def _level(self, line: int, row: dict[str | None, Any]) -> str | None:
        spelled = (row.get("level") or "").strip().lower()
        if spelled not in LEVEL_SPELLINGS:
            reason = f"level « {spelled} » : mandatory (obligatoire), optional (facultatif) ou vide"
            self.issues.append(Issue(str(self.path), line, "level", reason))
            return None
        return LEVEL_SPELLINGS[spelled]

    def _keep_level(self, pair: Pair, level: str) -> None:
        known = self.levels.get(pair)
        if known is not None and known != level:
            self.level_conflicts += 1
        # The same pair twice: the higher expectation holds.
        if known != "mandatory":
            self.levels[pair] = level

    def truth(self) -> Truth:
        if self.issues:
            raise InvalidInput(self.issues)
        if not self.kinds:
            reason = "aucune paire agent_id,de_id : rien à évaluer"
            raise InvalidInput([Issue(str(self.path), None, None, reason)])
        reading = TruthReading(
            rows=self.rows,
            duplicates=self.duplicates,
            kind_conflicts=self.kind_conflicts,
            level_conflicts=self.level_conflicts,
            surplus_fields=self.surplus_fields,
        )
        return Truth(
            kinds=self.kinds, levels=self.levels if self.with_levels else None, reading=reading
        )


def csv_records(fh: TextIO, file: str, *, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """Each record of an evaluation CSV (truth, labelled pairs) with the physical line it starts on
    (the header is line 1), blank lines skipped.

    Such a file is used whole or not at all, so what the csv module cannot read ends the reading with
    the record's line: a quote never closed (it would swallow every record after it), text after a
    closing quote, a field beyond the module's size limit; so does a NUL character, which the module
    passes through (a binary file, or an export gone wrong, not an identifier).
    """
    reader = csv.reader(fh, delimiter=delimiter, strict=True)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = _csv_error_reason(exc, start, reader.line_num)
            raise InvalidInput([Issue(file, start, None, reason)]) from None
        if any("\0" in cell for cell in cells):
            reason = "caractère NUL : fichier binaire ou export défectueux, pas un CSV texte"
            raise InvalidInput([Issue(file, start, None, reason)])
        if cells:
            yield start, cells


def _csv_error_reason(exc: csv.Error, start: int, line: int) -> str:
    message = str(exc)
    if message == "unexpected end of data":
        return "guillemet ouvert et jamais refermé : le fichier se termine dans ce champ"
    if message.startswith("field larger than field limit"):
        # In a large file, a quote never closed usually ends here, before the end of the file.
        return (
            f"champ de plus de {csv.field_size_limit()} caractères "
            "(un guillemet ouvert et jamais refermé ?)"
        )
    where = f" (ligne {line} de l'enregistrement)" if line > start else ""
    if message.endswith("expected after '\"'"):  # the delimiter expected after a closing quote
        return f"guillemets incorrects : du texte suit le guillemet qui ferme un champ{where}"
    return f"CSV illisible{where} : {message}"


def _truth_columns(line: int, header: list[str], path: Path) -> list[str]:
    """The header's column names, stripped; the contract columns checked."""
    columns = [c.strip() for c in header]
    missing = [c for c in TRUTH_REQUIRED if c not in columns]
    if missing:
        reason = (
            "colonnes attendues : agent_id,de_id (et, facultatives, kind, level) ; "
            f"absentes : {','.join(missing)}"
        )
        raise InvalidInput([Issue(str(path), line, None, reason)])
    return columns


def _as_row(columns: list[str], cells: list[str]) -> dict[str | None, Any]:
    """A record keyed by column as `csv.DictReader` keys it: fields beyond the header under None."""
    row: dict[str | None, Any] = dict(zip(columns, cells, strict=False))
    if len(cells) > len(columns):
        row[None] = cells[len(columns) :]
    return row


def read_truth(path: Path) -> Truth:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            delimiter = max(",;\t", key=fh.readline().count)
            fh.seek(0)
            records = csv_records(fh, str(path), delimiter=delimiter)
            columns = _truth_columns(*next(records, (1, [])), path)
            rows = _TruthRows(path, with_levels="level" in columns)
            for line, cells in records:
                # The line a record starts on, blank lines and quoted line breaks counted.
                rows.add(line, _as_row(columns, cells))
    except OSError as exc:
        raise InvalidInput([Issue(str(path), None, None, f"lecture impossible : {exc}")]) from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput([Issue(str(path), None, None, f"fichier non UTF-8 : {exc}")]) from exc
    return rows.truth()


@dataclass(frozen=True)
class Scores:
    flagged: int
    true_positives: int  # flagged pairs that are in the truth
    truth: int  # pairs expected at this level
    found: int  # expected pairs flagged at this level

    @property
    def precision(self) -> float:
        return self.true_positives / self.flagged if self.flagged else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.truth if self.truth else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    # The ratios above read 0.0 when undefined (benchmarks compare them with floors); the report
    # shows a dash instead, since nothing flagged or nothing expected is not a failure.
    @property
    def precision_defined(self) -> bool:
        return self.flagged > 0

    @property
    def recall_defined(self) -> bool:
        return self.truth > 0

    @property
    def f1_defined(self) -> bool:
        return self.precision_defined and self.recall_defined

    def cells(self) -> str:
        """Precision, recall and F1 in the report's columns ("—" when undefined)."""
        return (
            _ratio_cell(self.precision, self.precision_defined, 9)
            + _ratio_cell(self.recall, self.recall_defined, 8)
            + _ratio_cell(self.f1, self.f1_defined, 7)
        )


UNDEFINED = "—"


def _ratio_cell(value: float, defined: bool, width: int) -> str:
    return f"{value:>{width}.3f}" if defined else f"{UNDEFINED:>{width}}"


@dataclass
class Evaluation:
    mandatory: Scores
    examined: Scores  # mandatory + optional
    per_kind: dict[str, tuple[int, int, int]]  # kind -> (truth, found mandatory, found examined)
    situations: int
    agents: int
    mandatory_situations: int
    mandatory_agents: int
    naive_situations: int | None = None
    naive_agents: int | None = None
    misses: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def reduction(self) -> float | None:
        if self.naive_situations is None or not self.situations:
            return None
        return self.naive_situations / self.situations

    def lines(self) -> list[str]:
        """A plain-text report (French labels, as printed by `parcours evaluate`)."""
        out = ["niveau        précision  rappel  F1     signalées"]
        for name, s in (("obligatoire", self.mandatory), ("oblig.+facult.", self.examined)):
            out.append(f"{name:<14}{s.cells()}{s.flagged:>11}")
        out.append("type          vrais  trouvés oblig.  trouvés oblig.+facult.")
        for kind, (n, m, e) in sorted(self.per_kind.items()):
            out.append(f"{kind:<14}{n:>5}{m:>15}{e:>24}")
        out.append(
            f"situations à examiner : {self.situations} ({self.mandatory_situations} obligatoires) ; "
            f"agents concernés : {self.agents} ({self.mandatory_agents} en examen obligatoire)"
        )
        if self.naive_situations is not None:
            out.append(self._naive_line())
        return out

    def _naive_line(self) -> str:
        # The baseline's own counts are always shown: an empty evaluated run says nothing about it.
        line = f"référence naïve : {self.naive_situations} situations, {self.naive_agents} agents"
        red = self.reduction
        if not self.situations:
            return line + " ; charge divisée par — (aucune situation dans la campagne évaluée)"
        if red:
            return line + f" ; charge divisée par {red:.1f}"
        return line


def evaluate(
    alerts: Iterable[tuple[str, str, str]],
    truth: Truth,
    *,
    naive: Iterable[tuple[str, str, str]] | None = None,
) -> Evaluation:
    """`alerts`: (agent_id, de_id, level) with level mandatory|optional.

    Mandatory recall counts the truth pairs found at the mandatory level among those that deserve
    it: every pair, or those whose `level` is mandatory when the truth says. Precision counts a flag
    on any truth pair as right.
    """
    level = {(a, d): lvl for a, d, lvl in alerts if lvl in ("mandatory", "optional")}
    mand = {p for p, lvl in level.items() if lvl == "mandatory"}
    exam = set(level)
    kinds = truth.kinds
    truth_pairs = set(kinds)
    expected_mand = (
        truth_pairs
        if truth.levels is None
        else {p for p, lvl in truth.levels.items() if lvl == "mandatory"}
    )
    per_kind: dict[str, tuple[int, int, int]] = {}
    counts = Counter(kinds.values())
    for kind in sorted((set(KINDS) if UNLABELLED not in counts else set()) | set(counts)):
        pairs = {p for p, k in kinds.items() if k == kind}
        per_kind[kind] = (len(pairs), len(pairs & mand), len(pairs & exam))
    ev = Evaluation(
        mandatory=Scores(
            len(mand), len(mand & truth_pairs), len(expected_mand), len(mand & expected_mand)
        ),
        examined=Scores(
            len(exam), len(exam & truth_pairs), len(truth_pairs), len(exam & truth_pairs)
        ),
        per_kind=per_kind,
        situations=len(exam),
        agents=len({a for a, _ in exam}),
        mandatory_situations=len(mand),
        mandatory_agents=len({a for a, _ in mand}),
        misses=sorted((a, d, kinds[(a, d)]) for a, d in truth_pairs - exam),
    )
    if naive is not None:
        naive_pairs = {(a, d) for a, d, lvl in naive if lvl in ("mandatory", "optional")}
        ev.naive_situations = len(naive_pairs)
        ev.naive_agents = len({a for a, _ in naive_pairs})
    return ev
