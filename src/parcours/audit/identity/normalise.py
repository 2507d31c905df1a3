"""Name standardisation: raw French civil-status strings into the comparison columns of the model.

Registers write the same person differently: accents or not, `DURAND-GABORIT` or `DURAND GABORIT`,
`LE NABOUR` or `LENABOUR`, `MARTIN EPOUSE DUPONT`, `Jean-Claude` or `Jean Claude`, one given name or
three. Everything here is a pure function of one string, so the same code prepares a single pair
(`match_pair`), the labelled evaluation pairs and, applied to distinct values, millions of rows.

Comparison columns produced (see `NameColumns`):
- `surname_compact`: every letter of the surname, accents removed, separators, particles and
  EPOUSE/VEUVE/NEE markers dropped ("Taché de la Pagerie" == "TACHE DE LA PAGERIE" == "TACHEDELAPAGERIE").
  Particles stay in the compact form because `LE GALL`/`LEGALL` are the same name.
- `surname_tokens`: the significant tokens (particles and markers removed), in order, for the
  "one surname is part of the other" test of maiden/married/usage compounds.
- `first_name`: the first given name, a hyphenated compound kept as one name (`JEANCLAUDE`).
- `first_names`: every given name, each compacted.
- `first_names_compact`: all given names glued together, so `Jean Claude` == `Jean-Claude`.
- `given_tokens`: the parts of given names that identify someone: for a hyphenated compound the
  leading element is dropped (JEAN- in `Jean-Claude`/`Jean-Pierre` says little), so that
  `Jean-Armand` and `Armand` still share `ARMAND`.
- `given_parts`: every part of every given name, for "one list is part of the other" across
  hyphens and spaces (`Jean-Armand`/`Jean`, `Marie Thérèse`/`Marie-Thérèse Anne`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple

# Letters that NFKD does not decompose into a base letter plus a combining mark, and the
# typographic apostrophes and dashes, all mapped to ASCII before accents are stripped (dropping
# non-ASCII characters must not glue `D’ALMEIDA` or `DURAND‑GABORIT` into one word).
_TO_ASCII = str.maketrans(
    {
        "Œ": "OE",
        "œ": "OE",
        "Æ": "AE",
        "æ": "AE",
        "ß": "SS",
        "Ø": "O",
        "ø": "O",
        "Ł": "L",
        "ł": "L",
        "Đ": "D",
        "đ": "D",
        "Ð": "D",
        "Þ": "TH",
        "ı": "I",
        "’": "'",
        "ʼ": "'",
        "‘": "'",
        "´": "'",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
    }
)

_APOSTROPHES = re.compile(r"['`]")
# Everything that separates words or name parts.
_SEPARATORS = re.compile(r"[\s,;/.()\[\]_-]+")
_GIVEN_NAME_SEPARATORS = re.compile(r"[\s,;/]+")
_COMPOUND_JOINERS = re.compile(r"[.-]+")
_NON_LETTERS = re.compile(r"[^A-Z]")

# Words that announce another surname of the same person rather than being part of a name.
MARKERS: frozenset[str] = frozenset(
    {"EPOUSE", "EP", "EPSE", "VEUVE", "VVE", "VEUF", "NEE", "NE", "DIVORCEE", "DIT", "DITE"}
)
# Particles: kept in the compact form, ignored as tokens (DE, LE… carry no identity on their own).
PARTICLES: frozenset[str] = frozenset(
    {
        "D", "DA", "DAL", "DAS", "DE", "DEL", "DELA", "DELLA", "DEN", "DER", "DES", "DI", "DO",
        "DOS", "DU", "L", "LA", "LE", "LES", "TEN", "TER", "VAN", "VANDER", "VON", "Y", "ZU",
    }
)  # fmt: skip


def fold(text: str) -> str:
    """Upper case ASCII: accents removed, typographic punctuation made plain, other scripts dropped."""
    if text.isascii():  # most names; every key of _TO_ASCII is non-ASCII
        return text.upper()
    text = text.translate(_TO_ASCII)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return text.upper()


def _words(text: str) -> list[str]:
    """Words of a folded string: apostrophes and separators split, anything but A-Z dropped."""
    if text.isalpha():  # the usual case, one plain word (folded text is ASCII: A-Z only)
        return [text]
    words = (_NON_LETTERS.sub("", w) for w in _SEPARATORS.split(_APOSTROPHES.sub(" ", text)))
    return [w for w in words if w]


def _unique(items: list[str]) -> tuple[str, ...]:
    """The items in their first order, each once."""
    return tuple(dict.fromkeys(items)) if len(items) > 1 else tuple(items)


# Named tuples rather than dataclasses: a national file has millions of distinct name strings,
# and building a frozen dataclass costs several times more than a tuple.
class Surname(NamedTuple):
    compact: str
    tokens: tuple[str, ...]


@lru_cache(maxsize=200_000)
def parse_surname(raw: str | None) -> Surname | None:
    """One surname string (possibly `X EPOUSE Y`, `X-Y`, `DE LA Z`) into its compact form and tokens."""
    if raw is None:
        return None
    words = [w for w in _words(fold(raw)) if w not in MARKERS]
    if not words:
        return None
    significant = [w for w in words if w not in PARTICLES]
    # A surname made only of particles (`LE`, `DU`) is still a surname.
    return Surname(compact="".join(words), tokens=_unique(significant or words))


class GivenNames(NamedTuple):
    first_name: str
    first_names: tuple[str, ...]
    first_names_compact: str
    given_tokens: tuple[str, ...]
    given_parts: tuple[str, ...]
    # The first name, the first two glued, ... up to all but the last, each between bars
    # (`|JEANJOSEPH|` for Jean-Joseph Quentin): another list that is one of these once glued is the
    # start of this list written with other hyphens or spaces (`Jean Joseph`); the whole list is
    # `first_names_compact`. One string, empty for a single given name, rather than a list: the
    # comparison is a substring test, and short strings cost Splink far less to carry than lists.
    name_prefixes: str


@lru_cache(maxsize=65_536)
def _given_name_parts(name: str) -> tuple[str, ...]:
    """The parts of one folded given name (a hyphen or a dot joins a compound's parts), letters only.

    Cached: a country has a few tens of thousands of given names, combined into millions of lists."""
    parts = (_NON_LETTERS.sub("", x) for x in _COMPOUND_JOINERS.split(name))
    return tuple(p for p in parts if p)


@lru_cache(maxsize=200_000)
def parse_given_names(raw: str | None) -> GivenNames | None:
    """A list of given names: spaces and commas separate names, a hyphen joins a compound name."""
    if raw is None:
        return None
    folded = _APOSTROPHES.sub("", fold(raw))
    names: list[str] = []
    tokens: list[str] = []
    all_parts: list[str] = []
    for chunk in _GIVEN_NAME_SEPARATORS.split(folded):
        parts = _given_name_parts(chunk)
        if not parts:
            continue
        names.append("".join(parts))
        all_parts.extend(parts)
        # JEAN- in Jean-Claude/Jean-Pierre, MARIE- in Marie-Claire/Marie-Hélène: the leading
        # element of a compound is shared by too many different people to count as evidence.
        tokens.extend(parts[1:] if len(parts) > 1 else parts)
    if not names:
        return None
    starts = list(accumulate(names[:-1]))  # A, AB, ... for the names A, B, ..., Z
    return GivenNames(
        names[0],
        tuple(names),
        "".join(names),
        _unique(tokens),
        _unique(all_parts),
        f"|{'|'.join(starts)}|" if starts else "",
    )


def normalise_sex(raw: str | None) -> str | None:
    """'M'/'F' from the usual spellings (M, H, 1, MASCULIN, F, 2, FEMININ); anything else unknown."""
    if raw is None:
        return None
    value = fold(raw).strip()
    if value in {"M", "H", "1", "MASCULIN", "HOMME", "MALE"}:
        return "M"
    if value in {"F", "2", "FEMININ", "FEMME", "FEMALE"}:
        return "F"
    return None


# The Ministry of the Interior's election files (candidate lists, results) code the overseas
# départements and collectivities by letters; a watch-list built from them must meet a job seeker's
# INSEE code. ZX (Saint-Martin and Saint-Barthélemy together) and ZZ (French people abroad) name no
# single département: unknown, so that they count neither for nor against a match.
ELECTION_DEPARTMENT_CODES: dict[str, str | None] = {
    "ZA": "971",  # Guadeloupe
    "ZB": "972",  # Martinique
    "ZC": "973",  # Guyane
    "ZD": "974",  # La Réunion
    "ZS": "975",  # Saint-Pierre-et-Miquelon
    "ZM": "976",  # Mayotte
    "ZW": "986",  # Wallis-et-Futuna
    "ZP": "987",  # Polynésie française
    "ZN": "988",  # Nouvelle-Calédonie
    "ZX": None,
    "ZZ": None,
}


def normalise_department(raw: str | None) -> str | None:
    """Département code as written by INSEE: `1` → `01`, `2a` → `2A`, the election files' `ZA` →
    `971`; empty (or a code naming no single département) means unknown."""
    if raw is None:
        return None
    value = fold(raw).strip()
    if not value:
        return None
    if value.isdigit() and len(value) == 1:
        return "0" + value
    return ELECTION_DEPARTMENT_CODES.get(value, value)


@dataclass(frozen=True)
class NameColumns:
    """One comparable record: one surname variant of a person with their given names."""

    surname_compact: str | None
    surname_tokens: tuple[str, ...] | None
    first_name: str | None
    first_names: tuple[str, ...] | None
    first_names_compact: str | None
    given_tokens: tuple[str, ...] | None
    given_parts: tuple[str, ...] | None


def surname_variants(last_name: str | None, birth_name: str | None) -> list[Surname | None]:
    """The distinct surnames a person can be found under: usage (or married) name and birth name.

    A record with neither still yields one (null) variant so that it is compared on the rest.
    """
    variants: dict[str, Surname] = {}
    for raw in (last_name, birth_name):
        parsed = parse_surname(raw)
        if parsed is not None:
            variants.setdefault(parsed.compact, parsed)
    return list(variants.values()) or [None]


def name_columns(surname: Surname | None, given: GivenNames | None) -> NameColumns:
    return NameColumns(
        surname_compact=surname.compact if surname else None,
        surname_tokens=surname.tokens if surname else None,
        first_name=given.first_name if given else None,
        first_names=given.first_names if given else None,
        first_names_compact=given.first_names_compact if given else None,
        given_tokens=given.given_tokens if given else None,
        given_parts=given.given_parts if given else None,
    )
