"""Benchmark: the identity model on spelling variants written by the labelling rules themselves.

    PYTHONPATH=src python benchmarks/identity_variants.py [--pairs .../pairs_dev.csv] [--seed 1]

`pairs_dev.csv` holds the variants real registers happened to contain (128 `same_variant` pairs).
The holdout half is labelled by the same rules (its README, "Labels"), so a model that only learned
the dev pairs' variants could still miss others the rules accept. This script rewrites the left
record of every dev positive once per rule, exactly within that rule, and scores the new pair with
the production model, as `parcours identity evaluate` does:

- a: accents, case, hyphens and spaces (`VEZAT-BARONIA`/`VEZAT BARONIA`, `Laëtitia`/`Laetitia`);
- b: a compound surname (another surname of the file beside it, hyphen or space, either order, or
  `X EPOUSE Y`), given names equal or extended;
- c: one given-name list extends the other in order (`Jacqueline`/`Jacqueline Germaine`,
  `Jean-Armand`/`Armand`);
- d1, d2: one or two edits in the surname (insertion, deletion, substitution or two adjacent letters
  swapped; two only when both surnames have at least five letters);
- e: one edit in a given name of at least five letters.

Variants are scored in rounds of at most one per dev pair, so that the term frequencies stay those
of a file like the dev one. Prints, per rule, the variants found at the production threshold and
the weakest ones by `pair_id` and match probability (no names: they are real people's).
"""

from __future__ import annotations

import argparse
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from parcours.audit.identity import DEFAULT_THRESHOLD
from parcours.audit.identity.evaluate import (
    POSITIVE_LABELS,
    LabelledPair,
    load_pairs,
    score_pairs,
)

DEFAULT_PAIRS = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "linkage" / "pairs_dev.csv"
)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MARKERS = ("EPOUSE", "NEE", "VEUVE")
Name = tuple[str, str]  # (last name, given names)
Rule = Callable[[str, str, random.Random], list[Name]]


def plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        diagonal, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (ca != cb))
    return row[-1]


def one_edit(word: str, rnd: random.Random) -> str:
    i = rnd.randrange(len(word))
    match rnd.choice(("substitute", "insert", "delete", "swap")):
        case "substitute":
            return word[:i] + rnd.choice(LETTERS.replace(word[i], "")) + word[i + 1 :]
        case "insert":
            return word[:i] + rnd.choice(LETTERS) + word[i:]
        case "delete" if len(word) > 2:
            return word[:i] + word[i + 1 :]
        case _:
            i = min(i, len(word) - 2)
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


@dataclass(frozen=True)
class Pools:
    """Names drawn from the dev file itself, for compounds and extensions."""

    surnames: list[str]
    given_names: list[str]


def rule_a(last: str, given: str, rnd: random.Random) -> list[Name]:
    out = [(plain(last).upper(), plain(given)), (last.title(), given.upper())]
    for sep, other in (("-", " "), (" ", "-"), ("-", ""), (" ", "")):
        if sep in last:
            out.append((last.replace(sep, other), given))
        if sep in given and other:
            out.append((last, given.replace(sep, other)))
    return out


def rule_b(pools: Pools) -> Rule:
    def variants(last: str, given: str, rnd: random.Random) -> list[Name]:
        other = rnd.choice([s for s in pools.surnames if plain(s).upper() != plain(last).upper()])
        extended = f"{given} {rnd.choice(pools.given_names)}"
        return [
            (f"{last}-{other}", given),
            (f"{other}-{last}", given),
            (f"{other} {last}", given),
            (f"{last} {rnd.choice(MARKERS)} {other}", given),
            (f"{other} {rnd.choice(MARKERS)} {last}", given),
            (f"{last}-{other}", extended),
        ]

    return variants


def rule_c(pools: Pools) -> Rule:
    def variants(last: str, given: str, rnd: random.Random) -> list[Name]:
        extra = rnd.choice(pools.given_names)
        out = [
            (last, f"{given} {extra}"),
            (last, f"{given} {extra} {rnd.choice(pools.given_names)}"),
        ]
        parts = given.split()
        if len(parts) > 1:
            out.append((last, parts[0]))
        compound = given.split("-")
        if len(compound) == 2 and " " not in given:
            out.append((last, compound[1]))  # Jean-Armand / Armand
        return out

    return variants


def surname_edits(edits: int) -> Rule:
    def variants(last: str, given: str, rnd: random.Random) -> list[Name]:
        word = plain(last).upper()
        if edits == 2 and len(word) < 5:
            return []
        out: list[Name] = []
        for _ in range(6):
            changed = word
            for _ in range(edits):
                changed = one_edit(changed, rnd)
            if levenshtein(word, changed) == edits and (edits == 1 or len(changed) >= 5):
                out.append((changed, given))
            if len(out) == 3:
                break
        return out

    return variants


def rule_e(last: str, given: str, rnd: random.Random) -> list[Name]:
    parts = given.split(" ")
    out: list[Name] = []
    for i, part in enumerate(parts):
        word = plain(part).upper()
        if len(word) >= 5:
            changed = one_edit(word, rnd).capitalize()
            if levenshtein(word, changed.upper()) == 1:
                out.append((last, " ".join([*parts[:i], changed, *parts[i + 1 :]])))
    return out


def score_rule(
    positives: list[LabelledPair], rule: Rule, rnd: random.Random
) -> list[tuple[str, float]]:
    """(pair_id, match probability) of every variant the rule writes."""
    planned = [
        (pair, rule(pair.right["last_name"] or "", pair.right["first_names"] or "", rnd))
        for pair in positives
    ]
    results: list[tuple[str, float]] = []
    for k in range(max((len(v) for _, v in planned), default=0)):
        batch = []
        for pair, names in planned:
            if k < len(names):
                last, given = names[k]
                left = {**pair.left, "last_name": last, "first_names": given}
                batch.append(replace(pair, pair_id=f"{pair.pair_id}#{k}", left=left))
            else:
                batch.append(pair)  # keeps the file's term frequencies whole
        scores = score_pairs(batch)
        results += [(p.pair_id, scores.get(p.pair_id, 0.0)) for p in batch if "#" in p.pair_id]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", type=int, default=8, help="weakest variants listed per rule")
    args = parser.parse_args()
    pairs = load_pairs(args.pairs)
    positives = [p for p in pairs if p.label in POSITIVE_LABELS]
    pools = Pools(
        surnames=sorted({p.right["last_name"] or "" for p in pairs} - {""}),
        given_names=sorted({(p.right["first_names"] or "").split(" ")[0] for p in pairs} - {""}),
    )
    rules: dict[str, Rule] = {
        "a": rule_a,
        "b": rule_b(pools),
        "c": rule_c(pools),
        "d1": surname_edits(1),
        "d2": surname_edits(2),
        "e": rule_e,
    }
    print(f"{len(positives)} dev positives, threshold {DEFAULT_THRESHOLD}, seed {args.seed}")
    print(f"{'rule':<5}{'variants':>9}{'found':>8}{'recall':>9}")
    for name, rule in rules.items():
        scored = score_rule(positives, rule, random.Random(f"{args.seed}-{name}"))
        found = sum(p > DEFAULT_THRESHOLD for _, p in scored)
        recall = found / len(scored) if scored else 1.0
        print(f"{name:<5}{len(scored):>9,}{found:>8,}{recall:>9.4f}")
        weakest = sorted((p, pid) for pid, p in scored if p <= DEFAULT_THRESHOLD)[: args.show]
        for p, pid in weakest:
            print(f"       missed {pid}  p={p:.3f}")


if __name__ == "__main__":
    main()
