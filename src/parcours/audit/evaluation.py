"""Quality of a campaign against a ground truth (`truth.csv`: agent_id,de_id,kind)."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from parcours.errors import InvalidInput, Issue

TRUTH_COLUMNS = ("agent_id", "de_id", "kind")
KINDS = ("colleague", "ex_colleague", "protected", "curiosity")

Pair = tuple[str, str]


def read_truth(path: Path) -> dict[Pair, str]:
    issues: list[Issue] = []
    truth: dict[Pair, str] = {}
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            if tuple(reader.fieldnames or ()) != TRUTH_COLUMNS:
                raise InvalidInput(
                    [Issue(str(path), 1, None, f"colonnes attendues : {','.join(TRUTH_COLUMNS)}")]
                )
            for line, row in enumerate(reader, start=2):
                if not row["agent_id"] or not row["de_id"]:
                    issues.append(Issue(str(path), line, None, "agent_id et de_id obligatoires"))
                    continue
                truth[(row["agent_id"], row["de_id"])] = row["kind"]
    except OSError as exc:
        raise InvalidInput([Issue(str(path), None, None, f"lecture impossible : {exc}")]) from exc
    if issues:
        raise InvalidInput(issues)
    return truth


@dataclass(frozen=True)
class Scores:
    flagged: int
    true_positives: int
    truth: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.flagged if self.flagged else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.truth if self.truth else 0.0

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
    truth: dict[Pair, str],
    *,
    naive: Iterable[tuple[str, str, str]] | None = None,
) -> Evaluation:
    """`alerts`: (agent_id, de_id, level) with level mandatory|optional."""
    level = {(a, d): lvl for a, d, lvl in alerts if lvl in ("mandatory", "optional")}
    mand = {p for p, lvl in level.items() if lvl == "mandatory"}
    exam = set(level)
    truth_pairs = set(truth)
    per_kind: dict[str, tuple[int, int, int]] = {}
    counts = Counter(truth.values())
    for kind in sorted(set(KINDS) | set(counts)):
        pairs = {p for p, k in truth.items() if k == kind}
        per_kind[kind] = (len(pairs), len(pairs & mand), len(pairs & exam))
    ev = Evaluation(
        mandatory=Scores(len(mand), len(mand & truth_pairs), len(truth_pairs)),
        examined=Scores(len(exam), len(exam & truth_pairs), len(truth_pairs)),
        per_kind=per_kind,
        situations=len(exam),
        agents=len({a for a, _ in exam}),
        mandatory_situations=len(mand),
        mandatory_agents=len({a for a, _ in mand}),
        misses=sorted((a, d, truth[(a, d)]) for a, d in truth_pairs - exam),
    )
    if naive is not None:
        naive_pairs = {(a, d) for a, d, lvl in naive if lvl in ("mandatory", "optional")}
        ev.naive_situations = len(naive_pairs)
        ev.naive_agents = len({a for a, _ in naive_pairs})
    return ev
