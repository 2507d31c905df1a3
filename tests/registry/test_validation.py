"""The row validators (DuckDB SQL) against Python's own reading of the same values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from parcours.registry.contract import AGENCIES, AGENTS, CONSULTATIONS, JOB_SEEKERS
from parcours.registry.validation import timestamp_expression, validate_values

PARIS = ZoneInfo("Europe/Paris")
FAST = settings(max_examples=60, deadline=None)


@FAST
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_every_real_date_is_accepted(d: date) -> None:
    assert validate_values(AGENTS, "birth_date", [d.isoformat()]) == [None]


@FAST
@given(st.integers(1900, 2100), st.integers(0, 99), st.integers(0, 99))
def test_dates_follow_the_calendar(year: int, month: int, day: int) -> None:
    text = f"{year:04d}-{month:02d}-{day:02d}"
    try:
        date(year, month, day)
        valid = True
    except ValueError:
        valid = False
    (reason,) = validate_values(AGENTS, "birth_date", [text])
    assert (reason is None) is valid
    if not valid:
        assert reason is not None and "date invalide" in reason and text in reason


@FAST
@given(st.text(max_size=12).filter(lambda t: t != ""))
def test_non_iso_dates_are_refused(text: str) -> None:
    try:
        parsed = date.fromisoformat(text)
        iso = parsed.isoformat() == text and 1900 <= parsed.year <= 2199
    except ValueError:
        iso = False
    (reason,) = validate_values(AGENTS, "birth_date", [text])
    assert (reason is None) is iso


@FAST
@given(st.text(max_size=15))
def test_enumerations(text: str) -> None:
    (reason,) = validate_values(AGENTS, "job", [text])
    if text == "":
        assert reason == "job : valeur obligatoire manquante"
    elif text in {"conseiller", "gdd", "manager", "plateforme", "support", "direction"}:
        assert reason is None
    else:
        assert reason is not None and "inconnue" in reason


@FAST
@given(st.text(max_size=8))
def test_booleans(text: str) -> None:
    (reason,) = validate_values(AGENCIES, "msa_experiment", [text])
    assert (reason is None) is (text in {"true", "false"})


def test_empty_optional_fields_are_accepted_and_required_ones_are_not() -> None:
    assert validate_values(AGENTS, "left_on", ["", None]) == [None, None]
    assert validate_values(CONSULTATIONS, "ts", [""]) == ["ts : valeur obligatoire manquante"]
    assert validate_values(JOB_SEEKERS, "commune_code", ["31555", "2A004", "3155", ""]) == [
        None,
        None,
        "commune_code : valeur « 3155 » : attendu code commune INSEE à 5 caractères",
        None,
    ]
    (too_long,) = validate_values(JOB_SEEKERS, "de_id", ["x" * 33])
    assert too_long == "de_id : trop long (33 caractères, maximum 32)"


aware = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)
)
offsets = st.integers(-14 * 4, 14 * 4).map(lambda q: timezone(timedelta(minutes=15 * q)))


def _to_utc(texts: list[str]) -> list[datetime | None]:
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE t (i INT, v VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(texts)))
        rows = con.execute(
            f"SELECT {timestamp_expression('v', 'Europe/Paris')} FROM t ORDER BY i"
        ).fetchall()
        return [r[0] for r in rows]
    finally:
        con.close()


@FAST
@given(aware, offsets, st.sampled_from(["T", " "]), st.booleans())
def test_timestamps_with_offset_are_stored_in_utc(
    moment: datetime, offset: timezone, sep: str, zulu: bool
) -> None:
    moment = moment.replace(microsecond=0)
    local = moment.astimezone(UTC if zulu else offset)
    text = local.isoformat(sep=sep)
    if zulu:
        text = text.replace("+00:00", "Z")
    assert validate_values(CONSULTATIONS, "ts", [text]) == [None]
    (stored,) = _to_utc([text])
    assert stored == moment


@FAST
@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1)))
def test_naive_timestamps_mean_paris_time(naive: datetime) -> None:
    naive = naive.replace(microsecond=0)
    text = naive.isoformat(sep=" ")
    (stored,) = _to_utc([text])
    expected = naive.replace(tzinfo=PARIS)
    # Ambiguous autumn hours take standard time (fold=1); others agree with zoneinfo as is.
    assert stored in {expected.astimezone(UTC), expected.replace(fold=1).astimezone(UTC)}


@FAST
@given(st.text(max_size=30))
def test_timestamp_garbage_is_refused(text: str) -> None:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
        plausible = len(text) >= 16 and text[10] in "T "
    except ValueError:
        plausible = False
    (reason,) = validate_values(CONSULTATIONS, "ts", [text])
    if not plausible and text:
        assert reason is not None


def test_timestamp_forms() -> None:
    ok = [
        "2024-04-02T09:15:00+02:00",
        "2024-04-02T07:15:00Z",
        "2024-04-02 09:15",
        "2024-04-02T09:15:00.123456",
        "2024-04-02T09:15:00+0200",
    ]
    bad = ["2024-04-02", "02/04/2024 09:15", "2024-04-31T09:00:00", "2024-04-02T25:00", "hier"]
    assert validate_values(CONSULTATIONS, "ts", ok) == [None] * len(ok)
    assert all(r is not None for r in validate_values(CONSULTATIONS, "ts", bad))
    assert _to_utc(["2024-01-15 10:00", "2024-07-15 10:00"]) == [
        datetime(2024, 1, 15, 9, tzinfo=UTC),
        datetime(2024, 7, 15, 8, tzinfo=UTC),
    ]


def test_placeholders_and_impossible_offsets_are_refused() -> None:
    """Years outside 1900-2199 (0001-01-01, 9999-12-31 stand for "no value") and offsets beyond
    14 hours or with 60 minutes or more are refused, not stored as some other instant."""
    bad = [
        "0001-01-01T00:00:00",
        "9999-12-31T12:00:00Z",
        "1899-12-31 10:00",
        "2024-04-02T09:15:00+25:00",
        "2024-04-02T09:15:00+02:75",
        "2024-04-02T09:15:00+0275",
        "2024-04-02T09:15:00-15",
        "2024-04-02T09:15:00+14:30",  # old code: stored as 18:45Z the day before
        "2024-04-02T09:15:00-1401",
    ]
    reasons = validate_values(CONSULTATIONS, "ts", bad)
    assert all(r is not None and "horodatage invalide" in r for r in reasons), reasons
    ok = [
        "1900-01-01 00:30",
        "2199-12-31 23:00",
        "2024-04-02T09:15:00+14:00",
        "2024-04-02T09:15-0930",
    ]
    assert validate_values(CONSULTATIONS, "ts", ok) == [None] * len(ok)
    assert validate_values(AGENTS, "birth_date", ["0000-01-01", "1899-12-31", "1900-01-01"]) == [
        "birth_date : date invalide « 0000-01-01 » (attendu AAAA-MM-JJ, de 1900 à 2199)",
        "birth_date : date invalide « 1899-12-31 » (attendu AAAA-MM-JJ, de 1900 à 2199)",
        None,
    ]


def test_identifiers_with_spaces_around_are_refused() -> None:
    """Old code: " DRX7" and "DRX8 " were stored as given, other entities than DRX7 and DRX8, and the
    references to them dangling or unresolved without saying why."""
    reasons = validate_values(CONSULTATIONS, "agent_id", [" AG1", "AG1 ", "AG1\t", "AG 1", "AG1"])
    assert reasons == [
        "agent_id : identifiant «  AG1 » : espace ou caractère de contrôle au début ou à la fin",
        "agent_id : identifiant « AG1  » : espace ou caractère de contrôle au début ou à la fin",
        "agent_id : identifiant « AG1\t » : espace ou caractère de contrôle au début ou à la fin",
        None,
        None,
    ]


def test_work_pattern_column_uses_the_parser() -> None:
    reasons = validate_values(AGENTS, "work_pattern", ["mon-fri 09:00-17:00", "", "lun 9h"])
    assert reasons[:2] == [None, None]
    assert reasons[2] is not None and "jour inconnu" in reasons[2]
