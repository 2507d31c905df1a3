"""Name standardisation: the spellings registers use must land on the same comparison columns."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parcours.audit.identity.normalise import (
    normalise_department,
    normalise_sex,
    parse_given_names,
    parse_surname,
    surname_variants,
)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("VEZAT-BARONIA", "VEZAT BARONIA"),
        ("Taché de la Pagerie", "TACHE DE LA PAGERIE"),
        ("LE GALL", "LEGALL"),
        ("D'ALMEIDA", "D’Almeida"),
        ("Lœuillet", "LOEUILLET"),
        ("  DUPONT  ", "dupont"),
    ],
)
def test_spelling_variants_share_the_compact_form(left: str, right: str) -> None:
    a, b = parse_surname(left), parse_surname(right)
    assert a is not None and b is not None
    assert a.compact == b.compact


def test_particles_and_markers_are_not_tokens() -> None:
    parsed = parse_surname("MARTIN épouse DE LA FONTAINE")
    assert parsed is not None
    assert parsed.tokens == ("MARTIN", "FONTAINE")
    assert "EPOUSE" not in parsed.compact
    # A surname made only of a particle stays a surname.
    only = parse_surname("Le")
    assert only is not None and only.tokens == ("LE",)


def test_compound_surname_contains_the_simple_one() -> None:
    compound, simple = parse_surname("DURAND-GABORIT"), parse_surname("Gaborit")
    assert compound is not None and simple is not None
    assert set(simple.tokens) <= set(compound.tokens)


def test_given_names_hyphenated_compound_is_one_name() -> None:
    hyphen = parse_given_names("Jean-Claude")
    space = parse_given_names("Jean Claude")
    assert hyphen is not None and space is not None
    assert hyphen.first_names == ("JEANCLAUDE",)
    assert space.first_names == ("JEAN", "CLAUDE")
    assert hyphen.first_names_compact == space.first_names_compact
    # The leading element of a compound does not identify anyone.
    assert hyphen.given_tokens == ("CLAUDE",)
    other = parse_given_names("Jean-Pierre")
    assert other is not None and not set(other.given_tokens) & set(hyphen.given_tokens)
    # Every part, for "one list is part of the other": Jean within Jean-Claude, not Jean-Pierre.
    assert hyphen.given_parts == ("JEAN", "CLAUDE")
    assert not set(other.given_parts) >= set(hyphen.given_parts)


def test_given_names_list_and_accents() -> None:
    parsed = parse_given_names("Laëtitia, Marie-Hélène  Anne")
    assert parsed is not None
    assert parsed.first_name == "LAETITIA"
    assert parsed.first_names == ("LAETITIA", "MARIEHELENE", "ANNE")
    # The starts of the list, glued: what another list written with other hyphens is compared to.
    assert parsed.name_prefixes == "|LAETITIA|LAETITIAMARIEHELENE|"
    single = parse_given_names("Anne")
    assert single is not None and single.name_prefixes == ""


def test_surname_variants_usage_and_birth_names() -> None:
    variants = surname_variants("Dupont", "MARTIN")
    assert [v.compact for v in variants if v] == ["DUPONT", "MARTIN"]
    assert [v.compact for v in surname_variants("Dupont", "DUPONT") if v] == ["DUPONT"]
    assert surname_variants(None, "") == [None]


def test_codes() -> None:
    assert normalise_sex("f") == "F" and normalise_sex("H") == "M" and normalise_sex("X") is None
    assert normalise_department("1") == "01" and normalise_department("2a") == "2A"
    assert normalise_department(" ") is None
    # The election files' letters for overseas départements meet the registers' INSEE codes.
    assert normalise_department("ZA") == "971" and normalise_department("zd") == "974"
    assert normalise_department("ZZ") is None  # French people abroad: no département


@given(st.text(max_size=40))
def test_surname_parsing_is_total_and_stable(raw: str) -> None:
    parsed = parse_surname(raw)
    if parsed is None:
        return
    assert parsed.compact.isalpha() and parsed.compact.isascii() and parsed.compact.isupper()
    assert all(t.isalpha() and t.isascii() for t in parsed.tokens)
    # Parsing the compact form again gives the same compact form (idempotent).
    again = parse_surname(parsed.compact)
    assert again is not None and again.compact == parsed.compact


@given(st.text(max_size=40))
def test_given_names_parsing_is_total(raw: str) -> None:
    parsed = parse_given_names(raw)
    if parsed is None:
        return
    assert parsed.first_name == parsed.first_names[0]
    assert parsed.first_names_compact == "".join(parsed.first_names)
    assert all(n.isalpha() and n.isascii() for n in parsed.first_names)
