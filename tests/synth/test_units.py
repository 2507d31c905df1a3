"""Units of the generator: the pattern grammar, spelling variants, ids, empty chunks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from parcours.synth.ids import hex_ids, job_seeker_ids, splitmix64
from parcours.synth.names import Identity, strip_accents, typo, variant_of
from parcours.synth.traffic import Episodes, expand
from parcours.synth.work_patterns import DAYS, minutes_per_day, parse_work_pattern


def test_work_pattern_grammar() -> None:
    week = parse_work_pattern("mon-thu 08:30-12:30,13:30-17:00;fri 08:30-12:00")
    assert minutes_per_day(week) == [450, 450, 450, 450, 210, 0, 0]
    assert parse_work_pattern("mon/wed/fri 09:00-12:00")[1] == ()
    for bad in ("mon-fri", "mon-fri 8:30-12:00", "fri-mon 08:00-12:00", "mon 12:00-08:00",
                "mon 08:00-12:00;mon 13:00-17:00", "lun 08:00-12:00"):  # fmt: skip
        with pytest.raises(ValueError):
            parse_work_pattern(bad)


@given(
    days=st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True),
    start=st.integers(0, 22 * 60),
    length=st.integers(1, 120),
)
def test_any_rendered_pattern_parses_back(days: list[str], start: int, length: int) -> None:
    end = start + length
    text = f"{'/'.join(days)} {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
    week = parse_work_pattern(text)
    assert sum(minutes_per_day(week)) == length * len(days)


def test_variants_keep_the_birth_date_and_record_their_edits() -> None:
    rng = np.random.default_rng(0)
    person = Identity("Durand-Gaborit", "Gaborit", "Anne-Sophie Hélène", "1975-03-02", "F")
    seen: set[str] = set()
    for _ in range(300):
        variant, edits = variant_of(rng, person)
        assert variant.birth_date == person.birth_date and variant.sex == person.sex
        seen.update(edits)
        if not edits:
            assert variant == person
    assert seen == {"maiden", "compound", "accents", "hyphen", "first_names", "typo"}
    assert strip_accents("Hélène Lefèvre") == "Helene Lefevre"
    assert typo(rng, "Martin") != "Martin"


def test_ids_are_unique_and_opaque() -> None:
    counters = np.arange(100_000, dtype=np.uint64)
    assert len(np.unique(splitmix64(counters))) == len(counters)
    ids = hex_ids(counters, salt=7)
    assert len(set(ids.tolist())) == len(ids) and len(ids[0]) == 16
    # Neighbouring counters do not give neighbouring ids.
    assert ids[0][:4] != ids[1][:4] or ids[1][:4] != ids[2][:4]
    de = job_seeker_ids(np.random.default_rng(1), 5000)
    assert len(set(de)) == 5000 and all(len(x) == 8 and x[:7].isdigit() for x in de)


def test_an_empty_chunk_expands_to_no_events() -> None:
    empty = np.zeros(0, dtype=np.int64)

    class Model:
        app_preference = np.array([0.5])

    events = expand(Model(), np.random.default_rng(0), Episodes.of(empty, empty, empty, 0))  # type: ignore[arg-type]
    assert all(len(v) == 0 for v in events.values())
