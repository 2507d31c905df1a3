"""Property-based tests of the pure slot generator: no overlap, breaks kept, DST, holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from parcours.scheduling.activities import ActivityRule
from parcours.scheduling.slots import (
    Busy,
    CounsellorCalendar,
    Interval,
    WeeklyRange,
    generate_slots,
    local_day,
    open_intervals,
    slot_problems,
)
from parcours.scheduling.territory import public_holidays, zone_for_department

ZONES = [zone_for_department(d) for d in ("75", "971", "972", "973", "974", "976")]
# Days around the 2026 clock changes in Paris (29 March, 25 October) and ordinary ones.
DAYS = st.dates(min_value=date(2026, 3, 23), max_value=date(2026, 4, 5)) | st.dates(
    min_value=date(2026, 10, 19), max_value=date(2026, 11, 13)
)


@st.composite
def weekly_ranges(draw: st.DrawFn) -> tuple[WeeklyRange, ...]:
    out = []
    for weekday in draw(st.sets(st.integers(0, 6), min_size=1, max_size=7)):
        # Include night hours so that ranges cross the 02:00-03:00 clock change.
        start_min = draw(st.integers(0, 22 * 60)) // 5 * 5
        length = draw(st.integers(30, 8 * 60)) // 5 * 5
        end_min = min(start_min + length, 23 * 60 + 55)
        out.append(
            WeeklyRange(
                weekday, time(start_min // 60, start_min % 60), time(end_min // 60, end_min % 60)
            )
        )
    return tuple(out)


@st.composite
def calendars(draw: st.DrawFn) -> tuple[CounsellorCalendar, ActivityRule, date, date]:
    zone: ZoneInfo = draw(st.sampled_from(ZONES))
    first = draw(DAYS)
    last = first + timedelta(days=draw(st.integers(0, 9)))
    anchor = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    busy = []
    for _ in range(draw(st.integers(0, 6))):
        start = anchor + timedelta(minutes=draw(st.integers(0, 10 * 24 * 60)) // 5 * 5)
        end = start + timedelta(minutes=draw(st.sampled_from([15, 20, 45, 60])))
        pause = timedelta(minutes=draw(st.sampled_from([0, 15])))
        busy.append(
            Busy(
                start,
                end,
                end + pause,
                draw(st.sampled_from(["DPA", "EDO"])),
                local_day(start, zone),
            )
        )
    absences = []
    for _ in range(draw(st.integers(0, 3))):
        start = anchor + timedelta(minutes=draw(st.integers(0, 10 * 24 * 60)))
        absences.append(Interval(start, start + timedelta(minutes=draw(st.integers(30, 600)))))
    holidays = draw(st.sets(st.dates(min_value=first, max_value=last), max_size=3))
    cal = CounsellorCalendar(
        agent_id="C1",
        zone=zone,
        ranges=draw(weekly_ranges()),
        agency_ranges=draw(st.none() | weekly_ranges()),
        holidays=frozenset(holidays) | public_holidays("75", first, last),
        absences=tuple(absences),
        busy=tuple(busy),
    )
    rule = ActivityRule(
        activity="DPA",
        minutes=draw(st.sampled_from([45, 50, 60])),
        break_minutes=draw(st.sampled_from([0, 10, 15])),
        max_per_day=draw(st.none() | st.integers(1, 8)),
        individual=True,
    )
    return cal, rule, first, last


@settings(max_examples=300, deadline=None)
@given(calendars())
def test_generated_slots_respect_every_rule(
    case: tuple[CounsellorCalendar, ActivityRule, date, date],
) -> None:
    cal, rule, first, last = case
    slots = generate_slots(cal, first_day=first, last_day=last, rule_for_day=lambda _d: rule)
    duration, pause = timedelta(minutes=rule.minutes), timedelta(minutes=rule.break_minutes)
    per_day: dict[date, int] = {}
    for i, s in enumerate(slots):
        day = local_day(s.start, cal.zone)
        # Real elapsed duration, whatever the clock change.
        assert s.end - s.start == duration and s.break_until - s.end == pause
        assert first <= day <= last and day not in cal.holidays
        assert any(iv.start <= s.start and s.end <= iv.end for iv in open_intervals(cal, day))
        assert not any(a.overlaps(Interval(s.start, s.end)) for a in cal.absences)
        assert not any(b.blocked.overlaps(Interval(s.start, s.break_until)) for b in cal.busy)
        # No two generated slots overlap, breaks included.
        for other in slots[i + 1 :]:
            assert not Interval(s.start, s.break_until).overlaps(
                Interval(other.start, other.break_until)
            )
        per_day[day] = per_day.get(day, 0) + 1
        # The booking check accepts what the listing offers.
        assert slot_problems(cal, start=s.start, rule=rule) == []
    if rule.max_per_day is not None:
        for day, n in per_day.items():
            already = sum(1 for b in cal.busy if b.activity == "DPA" and b.local_day == day)
            assert n + already <= rule.max_per_day


@settings(max_examples=200, deadline=None)
@given(calendars(), st.integers(0, 10 * 24 * 12))
def test_booking_check_refuses_what_breaks_a_rule(
    case: tuple[CounsellorCalendar, ActivityRule, date, date], offset: int
) -> None:
    cal, rule, first, _last = case
    start = datetime.combine(first, time(0), tzinfo=cal.zone).astimezone(UTC) + timedelta(
        minutes=5 * offset
    )
    problems = slot_problems(cal, start=start, rule=rule)
    slot = Interval(start, start + timedelta(minutes=rule.minutes))
    with_break = Interval(start, slot.end + timedelta(minutes=rule.break_minutes))
    day = local_day(start, cal.zone)
    breaks_a_rule = (
        day in cal.holidays
        or not any(iv.start <= slot.start and slot.end <= iv.end for iv in open_intervals(cal, day))
        or any(a.overlaps(slot) for a in cal.absences)
        or any(b.blocked.overlaps(with_break) for b in cal.busy)
        or (
            rule.max_per_day is not None
            and sum(1 for b in cal.busy if b.activity == "DPA" and b.local_day == day)
            >= rule.max_per_day
        )
    )
    assert bool(problems) == breaks_a_rule


def test_dst_spring_forward_keeps_real_durations() -> None:
    paris = ZoneInfo("Europe/Paris")
    # Sunday 29 March 2026: 02:00 -> 03:00. A range 01:00-05:00 local lasts 3 real hours.
    cal = CounsellorCalendar(
        "C1", paris, (WeeklyRange(6, time(1), time(5)),), None, frozenset(), (), ()
    )
    rule = ActivityRule("DPA", 45, 15, None, True)
    slots = generate_slots(
        cal, first_day=date(2026, 3, 29), last_day=date(2026, 3, 29), rule_for_day=lambda _d: rule
    )
    assert len(slots) == 3  # 3 h of real time = 3 x (45 + 15)
    assert [s.start.astimezone(paris).strftime("%H:%M") for s in slots] == [
        "01:00",
        "03:00",
        "04:00",
    ]


def test_dst_fall_back_gives_an_extra_hour() -> None:
    paris = ZoneInfo("Europe/Paris")
    cal = CounsellorCalendar(
        "C1", paris, (WeeklyRange(6, time(1), time(5)),), None, frozenset(), (), ()
    )
    rule = ActivityRule("DPA", 45, 15, None, True)
    slots = generate_slots(
        cal, first_day=date(2026, 10, 25), last_day=date(2026, 10, 25), rule_for_day=lambda _d: rule
    )
    assert len(slots) == 5


def test_holidays_follow_the_departement() -> None:
    # Good Friday is a holiday in Moselle and Alsace only; 27 May (abolition of slavery) in Martinique.
    assert date(2026, 4, 3) in public_holidays("57", date(2026, 1, 1), date(2026, 12, 31))
    assert date(2026, 4, 3) in public_holidays("67", date(2026, 1, 1), date(2026, 12, 31))
    assert date(2026, 4, 3) not in public_holidays("31", date(2026, 1, 1), date(2026, 12, 31))
    assert date(2026, 5, 22) in public_holidays("972", date(2026, 1, 1), date(2026, 12, 31))
    assert date(2026, 7, 14) in public_holidays("31", date(2026, 7, 1), date(2026, 7, 31))


def test_overseas_time_zones() -> None:
    assert str(zone_for_department("974")) == "Indian/Reunion"
    assert str(zone_for_department("973")) == "America/Cayenne"
    assert str(zone_for_department("2A")) == "Europe/Paris"


def test_opening_hours_past_midnight_keep_the_evenings_break() -> None:
    """Found by the property above: Monday 21:35-23:50 and Tuesday 00:00-01:00 offered a Tuesday
    00:00 slot inside the break of Monday's 22:50 slot."""
    cal = CounsellorCalendar(
        agent_id="C1",
        zone=ZoneInfo("Europe/Paris"),
        ranges=(
            WeeklyRange(weekday=0, start=time(21, 35), end=time(23, 50)),
            WeeklyRange(weekday=1, start=time(0, 0), end=time(1, 0)),
        ),
        agency_ranges=None,
        holidays=frozenset(),
        absences=(),
        busy=(),
    )
    rule = ActivityRule(
        activity="DPA", minutes=60, break_minutes=15, max_per_day=None, individual=True
    )
    slots = generate_slots(
        cal, first_day=date(2026, 3, 23), last_day=date(2026, 3, 24), rule_for_day=lambda _d: rule
    )
    assert slots
    for a, b in pairwise(slots):
        assert a.break_until <= b.start
