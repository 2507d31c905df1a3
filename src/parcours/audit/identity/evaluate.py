"""Measure the production model on labelled pairs (`pairs_dev.csv` and its holdout twin).

Each pair's two records are linked exactly as in production: same standardisation, same blocking,
same model, term frequencies counted over the people of the file. A pair that blocking never puts
together scores 0. Positives are `same` + `same_variant`, negatives `different` + `homonym`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from parcours.audit.evaluation import csv_records
from parcours.audit.identity.prepare import Source, prepare_records
from parcours.audit.identity.scoring import score, term_frequency_tables
from parcours.errors import InvalidInput, Issue

POSITIVE_LABELS = frozenset({"same", "same_variant"})
SWEEP_THRESHOLDS = (0.1, 0.3, 0.5, 0.8, 0.9, 0.95, 0.99)
NEGATIVE_LABELS = frozenset({"different", "homonym"})
SIDE_FIELDS = ("source", "last_name", "first_names", "birth_date", "department")
REQUIRED_COLUMNS = (
    "pair_id",
    "label",
    *(f"{s}_{f}" for s in ("left", "right") for f in SIDE_FIELDS),
)


@dataclass(frozen=True)
class LabelledPair:
    pair_id: str
    label: str
    left: dict[str, str | None]
    right: dict[str, str | None]


def load_pairs(path: Path) -> list[LabelledPair]:
    """Read a labelled-pairs CSV; every malformed row is reported with its line, and a file with no
    pair, or one the csv module cannot read whole (`csv_records`), is refused."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return _read_pairs(csv_records(handle, str(path)), str(path))
    except UnicodeDecodeError:
        # Decoded by blocks: the line is not known.
        reason = "le fichier n'est pas en UTF-8 : réenregistrez-le en UTF-8"
        raise InvalidInput([Issue(file=str(path), line=None, column=None, reason=reason)]) from None


def _read_pairs(records: Iterator[tuple[int, list[str]]], file: str) -> list[LabelledPair]:
    issues: list[Issue] = []
    pairs: list[LabelledPair] = []
    header_line, header = next(records, (1, []))
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        reason = f"colonnes manquantes : {', '.join(missing)}"
        raise InvalidInput([Issue(file=file, line=header_line, column=None, reason=reason)])
    # Scores are kept by pair_id: a repeated one would give both pairs the score of one of them.
    seen: dict[str, int] = {}
    for line, cells in records:
        if len(cells) != len(header):
            # A short row would read as a pair of empty records, a long one lose its extra fields.
            reason = f"{len(cells)} champs au lieu de {len(header)}"
            issues.append(Issue(file=file, line=line, column=None, reason=reason))
            continue
        row = dict(zip(header, cells, strict=True))
        pair_id, label = row["pair_id"], row["label"]
        if not pair_id:
            issues.append(Issue(file=file, line=line, column="pair_id", reason="pair_id vide"))
        elif pair_id in seen:
            reason = f"pair_id {pair_id!r} déjà vu ligne {seen[pair_id]}"
            issues.append(Issue(file=file, line=line, column="pair_id", reason=reason))
        else:
            seen[pair_id] = line
        if label not in POSITIVE_LABELS | NEGATIVE_LABELS:
            issues.append(
                Issue(file=file, line=line, column="label", reason=f"étiquette inconnue {label!r}")
            )
            continue
        sides: list[dict[str, str | None]] = []
        for side in ("left", "right"):
            values: dict[str, str | None] = {f: (row[f"{side}_{f}"] or None) for f in SIDE_FIELDS}
            date = values["birth_date"]
            if date is not None and not _is_iso_date(date):
                issues.append(
                    Issue(
                        file=file,
                        line=line,
                        column=f"{side}_birth_date",
                        reason=f"date AAAA-MM-JJ attendue, reçu {date!r}",
                    )
                )
            sides.append(values)
        pairs.append(LabelledPair(pair_id=pair_id, label=label, left=sides[0], right=sides[1]))
    if issues:
        raise InvalidInput(issues)
    if not pairs:
        reason = "aucune paire étiquetée : rien à mesurer"
        raise InvalidInput([Issue(file=file, line=None, column=None, reason=reason)])
    return pairs


def _is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def pairs_as_tables(con: duckdb.DuckDBPyConnection, pairs: list[LabelledPair]) -> tuple[str, str]:
    """Load both sides as interchange-shaped tables keyed by pair_id; returns their names."""
    names = []
    for side in ("left", "right"):
        records = [getattr(p, side) for p in pairs]
        table = pa.table(
            {
                "pair_id": [p.pair_id for p in pairs],
                "last_name": [r["last_name"] for r in records],
                "birth_name": pa.nulls(len(pairs), pa.string()),
                "first_names": [r["first_names"] for r in records],
                "birth_date": [r["birth_date"] for r in records],
                "sex": pa.nulls(len(pairs), pa.string()),
                "department_code": [r["department"] for r in records],
            }
        )
        con.register(f"pairs_{side}_arrow", table)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE pairs_{side} AS SELECT * FROM pairs_{side}_arrow"
        )
        con.unregister(f"pairs_{side}_arrow")
        names.append(f"pairs_{side}")
    return names[0], names[1]


@dataclass
class Evaluation:
    threshold: float
    positives: int = 0
    found: int = 0
    negatives: int = 0
    false_matches: int = 0
    by_label: dict[str, tuple[int, int]] = field(default_factory=dict)  # label -> (matched, total)
    missed: list[str] = field(default_factory=list)  # pair ids of missed positives
    wrongly_matched: list[str] = field(default_factory=list)  # pair ids of matched negatives
    # threshold -> (recall, false-match rate): how much room the production threshold has
    sweep: dict[float, tuple[float, float]] = field(default_factory=dict)

    @property
    def recall(self) -> float:
        return self.found / self.positives if self.positives else 1.0

    @property
    def false_match_rate(self) -> float:
        return self.false_matches / self.negatives if self.negatives else 0.0

    def report(self) -> str:
        lines = [
            f"threshold (match probability) : {self.threshold}",
            f"recall same+same_variant      : {self.recall:.4f} ({self.found}/{self.positives})",
            f"false matches different+homonym: {self.false_match_rate:.4f} ({self.false_matches}/{self.negatives})",
            "per label (matched / total):",
        ]
        for label in ("same", "same_variant", "different", "homonym"):
            matched, total = self.by_label.get(label, (0, 0))
            share = matched / total if total else 0.0
            lines.append(f"  {label:<13} {matched:>5} / {total:<5} ({share:.4f})")
        if self.sweep:
            lines.append("other thresholds (recall / false matches):")
            for threshold, (recall, fmr) in sorted(self.sweep.items()):
                lines.append(f"  {threshold:<5} {recall:.4f} / {fmr:.4f}")
        if self.missed:
            lines.append("missed positives (pair_id): " + ", ".join(self.missed))
        if self.wrongly_matched:
            lines.append("matched negatives (pair_id): " + ", ".join(self.wrongly_matched))
        return "\n".join(lines)


def score_pairs(pairs: list[LabelledPair]) -> dict[str, float]:
    """Match probability of each labelled pair as production computes it (0 when never blocked)."""
    con = duckdb.connect()
    left, right = pairs_as_tables(con, pairs)
    prepare_records(con, [Source(left, "pair_id", "'left'", "department_code")], "eval_left")
    prepare_records(con, [Source(right, "pair_id", "'right'", "department_code")], "eval_right")
    tf = term_frequency_tables(con, ["eval_left", "eval_right"], "eval")
    score(
        con,
        left="eval_left",
        right="eval_right",
        output="eval_scores",
        tf_tables=tf,
        threshold=None,
    )
    # Person keys are '<kind>:<pair_id>': keep the score of each pair's own two records (other
    # pairs sharing a birth date are blocked together too, and ignored here).
    rows = con.execute(
        """SELECT replace(person_key_l, 'left:', ''), match_probability FROM eval_scores
           WHERE replace(person_key_l, 'left:', '') = replace(person_key_r, 'right:', '')"""
    ).fetchall()
    con.close()
    return {str(pair_id): float(p) for pair_id, p in rows}


def evaluate(pairs: list[LabelledPair], threshold: float) -> Evaluation:
    probabilities = score_pairs(pairs)
    result = Evaluation(threshold=threshold)
    counts: Counter[tuple[str, bool]] = Counter()
    for pair in pairs:
        matched = probabilities.get(pair.pair_id, 0.0) > threshold
        counts[(pair.label, matched)] += 1
        if pair.label in POSITIVE_LABELS:
            result.positives += 1
            result.found += matched
            if not matched:
                result.missed.append(pair.pair_id)
        else:
            result.negatives += 1
            result.false_matches += matched
            if matched:
                result.wrongly_matched.append(pair.pair_id)
    positives = [probabilities.get(p.pair_id, 0.0) for p in pairs if p.label in POSITIVE_LABELS]
    negatives = [probabilities.get(p.pair_id, 0.0) for p in pairs if p.label in NEGATIVE_LABELS]
    for other in SWEEP_THRESHOLDS:
        result.sweep[other] = (
            sum(q > other for q in positives) / max(len(positives), 1),
            sum(q > other for q in negatives) / max(len(negatives), 1),
        )
    for label in POSITIVE_LABELS | NEGATIVE_LABELS:
        result.by_label[label] = (
            counts[(label, True)],
            counts[(label, True)] + counts[(label, False)],
        )
    return result
