"""The learner's study day at its edges: the rollover hour, daylight-saving changes (an hour, and
Lord Howe's half hour), a zone half an hour off UTC, and the fast per-hour path the optimiser
streams a million reviews through. Written against mutants that survived `mutmut` on
core/studyday.py (session 6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from certprep.core.studyday import (
    EpochDays,
    UnknownZone,
    next_study_day,
    study_date,
    study_day_number,
    study_day_start,
    zone_named,
)

NEW_YORK = ZoneInfo("America/New_York")
ZONES = ["America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Australia/Sydney", "UTC"]
# 2026's daylight-saving changes: New York 8 March and 1 November, Sydney and Lord Howe
# 5 April and 4 October; the strategy keeps to the days around them
CHANGES = [datetime(2026, m, d, tzinfo=UTC) for m, d in ((3, 8), (4, 5), (10, 4), (11, 1))]


def test_before_the_rollover_hour_is_still_yesterday_across_new_yorks_spring_change() -> None:
    # 8 March 2026, 2:00 EST becomes 3:00 EDT; 07:30 UTC is 3:30 EDT, before a 4 am rollover
    assert study_date(datetime(2026, 3, 8, 7, 30, tzinfo=UTC), 4, NEW_YORK) == "2026-03-07"
    assert study_date(datetime(2026, 3, 8, 8, 30, tzinfo=UTC), 4, NEW_YORK) == "2026-03-08"
    # the same instants in Sydney (UTC+11 then) are evening of the 8th
    sydney = ZoneInfo("Australia/Sydney")
    assert study_date(datetime(2026, 3, 8, 7, 30, tzinfo=UTC), 4, sydney) == "2026-03-08"
    # with a midnight rollover 3:30 EDT is already the 8th
    assert study_date(datetime(2026, 3, 8, 7, 30, tzinfo=UTC), 0, NEW_YORK) == "2026-03-08"


def test_the_study_day_starts_at_the_local_rollover_hour_even_on_a_23_hour_day() -> None:
    now = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 3:30 EDT: still the study day of the 7th
    start = study_day_start(now, 4, NEW_YORK)
    assert start == datetime(2026, 3, 7, 4, 0, tzinfo=NEW_YORK)  # 4:00 EST
    nxt = next_study_day(now, 4, NEW_YORK)
    assert nxt == datetime(2026, 3, 8, 4, 0, tzinfo=NEW_YORK)  # 4:00 EDT
    assert nxt - start == timedelta(hours=23)
    later = datetime(2026, 3, 8, 15, 0, tzinfo=UTC)  # 11:00 EDT: the 8th, a 24-hour day
    assert next_study_day(later, 4, NEW_YORK) - study_day_start(later, 4, NEW_YORK) == (
        timedelta(hours=24)
    )
    with pytest.raises(ValueError, match="timezone-aware"):
        study_day_start(datetime(2026, 3, 8, 15, 0), 4, NEW_YORK)


def test_a_zone_name_that_is_a_path_is_refused() -> None:
    for bad in ("", "/etc/passwd", "../../etc/passwd", "./UTC", "America/../UTC", "Mars/Olympus"):
        with pytest.raises(UnknownZone, match="is not an IANA time zone"):
            zone_named(bad)
    assert zone_named("America/New_York") == NEW_YORK


@settings(max_examples=500, deadline=None)
# Lord Howe's spring change at 15:30 UTC: the hour before 16:00 goes second by second
@example(zone="Australia/Lord_Howe", rollover=0, change=CHANGES[2], seconds=-28801)
@given(
    zone=st.sampled_from(ZONES),
    rollover=st.integers(0, 23),
    change=st.sampled_from(CHANGES),
    seconds=st.integers(-3 * 86400, 3 * 86400),
)
def test_a_span_holds_one_study_day_and_ends_where_the_day_or_the_hour_does(
    zone: str, rollover: int, change: datetime, seconds: int
) -> None:
    tz = ZoneInfo(zone)
    days = EpochDays(rollover, tz)
    epoch = int(change.timestamp()) + seconds

    def slow(t: int) -> int:
        return study_day_number(datetime.fromtimestamp(t, UTC), rollover, tz)

    day, lo, hi = days.span(epoch)
    assert lo <= epoch < hi
    assert day == days(epoch) == slow(epoch)
    assert slow(lo) == day and slow(hi - 1) == day
    hour = epoch // 3600 * 3600
    assert hour <= lo and hi <= hour + 3600
    if hi - lo == 1:  # an hour holding an offset change goes second by second
        assert days.hour_offset(epoch // 3600) is None
        return
    if lo > hour:  # the span starts at the day's first second
        assert slow(lo - 1) == day - 1
    if hi < hour + 3600:  # it ends where the next day starts
        assert slow(hi) == day + 1


def test_the_hour_of_lord_howes_half_hour_change_is_counted_second_by_second() -> None:
    tz = ZoneInfo("Australia/Lord_Howe")
    days = EpochDays(4, tz)
    # 5 April 2026, 2:00 LHDT (UTC+11) falls back to 1:30 LHST (UTC+10:30): 15:00 UTC on the 4th
    switch = int(datetime(2026, 4, 4, 15, 0, tzinfo=UTC).timestamp())
    assert days.hour_offset(switch // 3600 - 1) == 11 * 3600
    assert days.hour_offset(switch // 3600) == int(10.5 * 3600)
    # Kolkata's half-hour offset never changes: one offset for every hour
    kolkata = EpochDays(4, ZoneInfo("Asia/Kolkata"))
    assert kolkata.hour_offset(switch // 3600) == int(5.5 * 3600)
    # an hour that holds a change has no single offset
    new_york = EpochDays(4, NEW_YORK)
    spring = int(datetime(2026, 3, 8, 7, 0, tzinfo=UTC).timestamp())  # the 2:00 EST jump
    assert new_york.hour_offset(spring // 3600 - 1) == -5 * 3600
    assert new_york.hour_offset(spring // 3600) == -4 * 3600
    # Lord Howe springs forward half an hour at 2:00 LHST (UTC+10:30) on 4 October: 15:30 UTC
    # on the 3rd, inside a UTC hour, which then holds two offsets
    half = EpochDays(0, tz)
    spring_lh = int(datetime(2026, 10, 3, 15, 30, tzinfo=UTC).timestamp())
    assert half.hour_offset(spring_lh // 3600) is None
    for t in (spring_lh - 1, spring_lh, spring_lh + 10):
        assert half.span(t)[1:] == (t, t + 1)
        assert half(t) == study_day_number(datetime.fromtimestamp(t, UTC), 0, tz)


def test_the_machines_zone_comes_from_tz_and_a_wrong_tz_falls_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from certprep.core.studyday import system_zone

    monkeypatch.setenv("TZ", ":Australia/Sydney")  # POSIX allows a leading colon
    assert system_zone() == ZoneInfo("Australia/Sydney")
    monkeypatch.setenv("TZ", "America/New_York")
    assert system_zone() == NEW_YORK
    monkeypatch.delenv("TZ")
    machine = system_zone()  # /etc/localtime, else UTC
    for wrong in ("Mars/Olympus", "../etc/passwd", ":"):
        monkeypatch.setenv("TZ", wrong)
        assert system_zone() == machine
