"""Quality of a campaign against a ground truth.

The truth is a CSV file with one misuse pair per row: `agent_id` and `de_id` are required; `kind`
(colleague, ex_colleague, protected, curiosity, or any other label) and `level` (the examination the
pair deserves: mandatory or optional, also in French, case ignored; empty means mandatory, as when the
column is absent) are optional; other columns are ignored, so truth files from
other generators or from past campaigns' findings are read as they are. The delimiter (comma,
semicolon or tab) is taken from the header line; a UTF-8 byte-order mark is accepted.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

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
class Truth:
    kinds: dict[Pair, str]
    # The expected level of each pair, when the truth file says (column `level`).
    levels: dict[Pair, str] | None = None


def read_truth(path: Path) -> Truth:
    issues: list[Issue] = []
    kinds: dict[Pair, str] = {}
    levels: dict[Pair, str] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = fh.readline()
            delimiter = max(",;\t", key=header.count)
            fh.seek(0)
            reader = csv.DictReader(fh, delimiter=delimiter)
            columns = [c.strip() for c in reader.fieldnames or ()]
            reader.fieldnames = columns
            missing = [c for c in TRUTH_REQUIRED if c not in columns]
            if missing:
                reason = (
                    "colonnes attendues : agent_id,de_id (et, facultatives, kind, level) ; "
                    f"absentes : {','.join(missing)}"
                )
                raise InvalidInput([Issue(str(path), 1, None, reason)])
            for line, row in enumerate(reader, start=2):
                agent, de = (row.get("agent_id") or "").strip(), (row.get("de_id") or "").strip()
                if not agent or not de:
                    issues.append(Issue(str(path), line, None, "agent_id et de_id obligatoires"))
                    continue
                pair = (agent, de)
                kinds.setdefault(pair, (row.get("kind") or "").strip() or UNLABELLED)
                if "level" in columns:
                    spelled = (row.get("level") or "").strip().lower()
                    if spelled not in LEVEL_SPELLINGS:
                        issues.append(
                            Issue(
                                str(path),
                                line,
                                "level",
                                f"level « {spelled} » : mandatory (obligatoire), optional "
                                "(facultatif) ou vide",
                            )
                        )
                        continue
                    level = LEVEL_SPELLINGS[spelled]
                    # The same pair twice: the higher expectation holds.
                    if levels.get(pair) != "mandatory":
                        levels[pair] = level
    except OSError as exc:
        raise InvalidInput([Issue(str(path), None, None, f"lecture impossible : {exc}")]) from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput([Issue(str(path), None, None, f"fichier non UTF-8 : {exc}")]) from exc
    if issues:
        raise InvalidInput(issues)
    return Truth(kinds=kinds, levels=levels if "level" in columns else None)


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
            out.append(f"{name:<14}{s.precision:>9.3f}{s.recall:>8.3f}{s.f1:>7.3f}{s.flagged:>11}")
        out.append("type          vrais  trouvés oblig.  trouvés oblig.+facult.")
        for kind, (n, m, e) in sorted(self.per_kind.items()):
            out.append(f"{kind:<14}{n:>5}{m:>15}{e:>24}")
        out.append(
            f"situations à examiner : {self.situations} ({self.mandatory_situations} obligatoires) ; "
            f"agents concernés : {self.agents} ({self.mandatory_agents} en examen obligatoire)"
        )
        if self.naive_situations is not None:
            red = self.reduction
            out.append(
                f"référence naïve : {self.naive_situations} situations, {self.naive_agents} agents ; "
                f"charge divisée par {red:.1f}"
                if red
                else "référence naïve : aucune situation"
            )
        return out


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
