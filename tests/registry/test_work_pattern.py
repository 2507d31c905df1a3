from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parcours.registry.work_pattern import (
    TimeRange,
    WorkGroup,
    WorkPattern,
    WorkPatternError,
    parse_work_pattern,
)


def test_contract_example() -> None:
    p = parse_work_pattern("mon-thu 08:30-12:30,13:30-17:00;fri 08:30-12:00")
    assert p.covers(0, time(9, 0))
    assert not p.covers(0, time(12, 45))  # lunch break
    assert p.covers(3, time(16, 59))
    assert not p.covers(3, time(17, 0))  # end is exclusive
    assert p.covers(4, time(11, 0))
    assert not p.covers(4, time(14, 0))
    assert not p.covers(5, time(10, 0))
    assert p.format() == "mon-thu 08:30-12:30,13:30-17:00;fri 08:30-12:00"


def test_day_list_and_late_shift() -> None:
    p = parse_work_pattern("mon/wed/fri 14:00-24:00")
    assert p.covers(2, time(23, 59))
    assert not p.covers(1, time(15, 0))


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("", 0, "motif vide"),
        ("mon 08:00-12:00;", 16, "groupe vide"),
        ("lun 08:00-12:00", 0, "jour inconnu « lun »"),
        ("fri-mon 08:00-12:00", 0, "à l'envers"),
        ("mon-fri/sat 08:00-12:00", 0, "mélange"),
        ("mon/mon 08:00-12:00", 4, "jour répété"),
        ("mon08:00-12:00", 0, "espace manquant"),
        ("mon 8:00-12:00", 4, "attendu HH:MM"),
        ("mon 12:00-08:00", 4, "la fin doit suivre"),
        ("mon 08:00-12:70", 10, "hors de 00:00-24:00"),
        ("mon 08:00-12:00,11:00-13:00", 4, "chevauchent"),
        ("tue 09:00", 4, "attendu HH:MM-HH:MM"),
    ],
)
def test_errors_name_position_and_reason(text: str, position: int, reason: str) -> None:
    with pytest.raises(WorkPatternError) as err:
        parse_work_pattern(text)
    assert err.value.position == position
    assert reason in err.value.reason


@st.composite
def patterns(draw: st.DrawFn) -> WorkPattern:
    groups = []
    for _ in range(draw(st.integers(1, 3))):
        days = draw(st.sets(st.integers(0, 6), min_size=1, max_size=7))
        bounds = sorted(draw(st.sets(st.integers(0, 24 * 60), min_size=2, max_size=6)))
        ranges = tuple(TimeRange(a, b) for a, b in zip(bounds[0::2], bounds[1::2], strict=False))
        groups.append(WorkGroup(frozenset(days), ranges))
    return WorkPattern(tuple(groups))


@given(patterns())
def test_round_trip_format_parse(pattern: WorkPattern) -> None:
    assert parse_work_pattern(pattern.format()) == pattern


@given(patterns(), st.integers(0, 6), st.integers(0, 24 * 60 - 1))
def test_covers_matches_ranges(pattern: WorkPattern, weekday: int, minute: int) -> None:
    expected = any(r.start <= minute < r.end for r in pattern.ranges_on(weekday))
    assert pattern.covers(weekday, time(minute // 60, minute % 60)) is expected


_GRAMMAR_CHARS = st.sampled_from([*"monthuwedfrsat-/;, :0123456789", "x", "\t", "é"])


@given(st.text(_GRAMMAR_CHARS, max_size=40))
def test_garbage_is_refused_or_round_trips(text: str) -> None:
    """Any input either fails with a located error or is a valid pattern that formats back stably."""
    try:
        p = parse_work_pattern(text)
    except WorkPatternError as e:
        assert 0 <= e.position <= len(text)
        return
    assert parse_work_pattern(p.format()) == p
    assert all(d in range(7) for g in p.groups for d in g.weekdays)
