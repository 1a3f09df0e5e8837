"""Time in the learner's zone: study-day rollover, buried-until, exam-day start, daily limits,
report days and the optimizer's days, under three system zones and across DST changes.

The services here run on the real clock (``utcnow``), moved with time-machine."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from certprep.banks.importer import import_bank
from certprep.core.optimize import LogEntry, build_items
from certprep.core.problems import InputError
from certprep.core.scheduling import Rating
from certprep.services import Services, open_services
from certprep.services.optimize import optimize_parameters
from certprep.services.review import (
    ReviewFilter,
    ReviewSession,
    due_counts,
    settings_for,
    study_day,
)
from certprep.services.settings import exam_day_start, learner_zone, set_time_zone
from certprep.services.stats import review_stats
from certprep.store.tables import CARD, REVIEW_LOG

from . import zones
from .conftest import make_bank

system_tz = zones.system_tz  # the fixture: each test runs under every zone in zones.ZONES

# a day on which each zone's clocks change (spring forward or fall back), and the day before
DST_DAY = {
    "Australia/Sydney": date(2026, 10, 4),  # 02:00 -> 03:00 (AEST -> AEDT)
    "America/New_York": date(2026, 3, 8),  # 02:00 -> 03:00 (EST -> EDT)
    "UTC": date(2026, 3, 8),
}
FALL_BACK = {
    "Australia/Sydney": date(2026, 4, 5),  # 03:00 -> 02:00
    "America/New_York": date(2026, 11, 1),  # 02:00 -> 01:00
    "UTC": date(2026, 11, 1),
}


def at(zone: str, day: date, hour: int, minute: int = 0) -> datetime:
    """A local wall-clock time in ``zone`` as a UTC instant."""
    return datetime.combine(day, time(hour, minute), ZoneInfo(zone)).astimezone(UTC)


def travel(instant: datetime) -> time_machine.travel:
    """Move the real clock (a timestamp: time-machine would set $TZ from an aware datetime)."""
    return time_machine.travel(instant.timestamp(), tick=False)


@pytest.fixture
def live(db_path: Path, blueprints_only: Path) -> Services:
    """Services on the real clock (moved by time-machine), with no time-zone setting."""
    return open_services(str(db_path), "tester", banks_dir=blueprints_only)


@pytest.mark.parametrize("which", ["spring", "fall"])
def test_buried_cards_come_back_at_four_local_across_a_dst_change(
    live: Services, system_tz: str, which: str
) -> None:
    day = (DST_DAY if which == "spring" else FALL_BACK)[system_tz]
    import_bank(live.engine, make_bank(3), checksum="g")
    with travel(at(system_tz, day - timedelta(days=1), 20)):
        s = ReviewSession(live)
        card = s.next_card()
        assert card is not None
        s.bury(card)
        assert due_counts(live).new == 2
        with live.engine.connect() as conn:
            until = conn.execute(sa.select(CARD.c.buried_until)).scalar_one()
    assert until == at(system_tz, day, 4)  # 04:00 on the wall clock, whatever the offset
    with travel(at(system_tz, day, 3, 59)):
        assert due_counts(live).new == 2
    with travel(at(system_tz, day, 4)):
        assert due_counts(live).new == 3


def test_the_new_card_limit_renews_at_four_local_on_the_dst_morning(
    live: Services, system_tz: str
) -> None:
    day = DST_DAY[system_tz]
    import_bank(live.engine, make_bank(20), checksum="g")
    live.update_settings(new_per_day=3)
    with travel(at(system_tz, day - timedelta(days=1), 22)):
        s = ReviewSession(live)
        while (card := s.next_card()) is not None:
            s.rate(card, Rating.EASY)
        assert s.answered == 3
    with travel(at(system_tz, day, 3, 59)):
        assert ReviewSession(live).counts().new == 0
    with travel(at(system_tz, day, 4)):
        assert ReviewSession(live).counts().new == 3


def test_exam_day_starts_at_the_local_rollover_after_a_dst_change(
    live: Services, system_tz: str
) -> None:
    exam_day = FALL_BACK[system_tz] + timedelta(days=1)
    live.update_settings(exam_dates={"cpc": exam_day.isoformat()}, exam_mode={"cpc": 0.95})
    # weeks before the exam, on the other side of the change
    with travel(at(system_tz, exam_day - timedelta(days=20), 12)):
        assert exam_day_start(live, "cpc") == at(system_tz, exam_day, 4)
        assert settings_for(live, "cpc").exam_date == at(system_tz, exam_day, 4)
        assert live.exam_counts() == []  # no items: nothing to count, and no crash
    assert exam_day_start(live, "cpb") is None


def test_the_learners_zone_setting_wins_over_the_systems(live: Services, system_tz: str) -> None:
    assert str(learner_zone(live)) == system_tz  # default: the system's IANA zone
    set_time_zone(live, "Pacific/Auckland")
    with travel(at("Pacific/Auckland", date(2026, 6, 1), 3)):
        day = study_day(live)
        assert day.start == at("Pacific/Auckland", date(2026, 5, 31), 4)
        assert day.end == at("Pacific/Auckland", date(2026, 6, 1), 4)
    with pytest.raises(InputError, match="IANA"):
        set_time_zone(live, "Mars/Olympus_Mons")
    assert live.settings["time_zone"] == "Pacific/Auckland"
    set_time_zone(live, None)
    assert str(learner_zone(live)) == system_tz


def _insert_logs(services: Services, rows: list[tuple[str, datetime, int]]) -> None:
    lid = services.learner_id
    with services.engine.begin() as conn:
        conn.execute(
            sa.insert(REVIEW_LOG),
            [
                {"learner_id": lid, "item_id": i, "rating": r, "reviewed_at": t, "source": "review"}
                for i, t, r in rows
            ],
        )


def test_same_day_reviews_are_one_study_day_for_the_optimizer(
    live: Services, system_tz: str
) -> None:
    """Morning and evening reviews of one local day: one day, a same-day step (delta 0)."""
    import_bank(live.engine, make_bank(3), checksum="g")
    start = date(2026, 2, 2)
    rows = [
        (f"gen-{c:05d}", at(system_tz, start + timedelta(days=d), h), 3)
        for c in range(3)
        for d in range(10)
        for h in (9, 20)
    ]
    _insert_logs(live, rows)
    result = optimize_parameters(live)
    assert not result.enough and result.days == 10
    items = build_items(
        [LogEntry(i, t, r) for i, t, r in rows if i == "gen-00000"], zone=learner_zone(live)
    )
    # the evening review is a same-day step (delta 0); each next morning is one day later
    assert [h[-1][1] for _, h in items] == [1] * 9
    assert all(d in (0, 1) for _, h in items for _, d in h)


def test_report_days_are_local_study_days(live: Services, system_tz: str) -> None:
    import_bank(live.engine, make_bank(3), checksum="g")
    day = DST_DAY[system_tz]
    _insert_logs(
        live,
        [
            ("gen-00000", at(system_tz, day - timedelta(days=1), 23, 30), 3),
            ("gen-00001", at(system_tz, day, 1, 30), 3),  # before 04:00: still the day before
            ("gen-00002", at(system_tz, day, 5), 3),
        ],
    )
    with travel(at(system_tz, day, 12)):
        stats = review_stats(live, history_days=5, forecast_days=3)
    per_day = dict(zip(stats.days, stats.reviews_per_day, strict=True))
    assert stats.days[-1] == day.isoformat()
    assert per_day[(day - timedelta(days=1)).isoformat()] == 2
    assert per_day[day.isoformat()] == 1
    assert stats.forecast_days[0] == day.isoformat()


def test_home_due_now_is_what_review_offers_in_every_zone(live: Services, system_tz: str) -> None:
    """A card due at 23:00 local is due all day from 04:00: home and review both count it."""
    import_bank(live.engine, make_bank(4), checksum="g")
    day = DST_DAY[system_tz]
    with travel(at(system_tz, day - timedelta(days=3), 9)):
        s = ReviewSession(live)
        while (card := s.next_card()) is not None:
            s.rate(card, Rating.EASY)
    with live.engine.begin() as conn:
        conn.execute(sa.update(CARD).values(due=at(system_tz, day, 23)))
    with travel(at(system_tz, day, 4, 30)):
        offered = ReviewSession(live, ReviewFilter(exam="cpc")).counts()
        home = {c.exam: c for c in live.exam_counts()}["cpc"]
        assert offered.review == 4 and home.due_now == offered.due == 4
        assert live.stats()["cards"]["due_now"] == 4
    with travel(at(system_tz, day, 3, 59)):  # the day before
        assert ReviewSession(live).counts().review == 0
        assert {c.exam: c for c in live.exam_counts()}["cpc"].due_now == 0


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 1, 1)),
    st.sampled_from(
        [
            "UTC",
            "America/New_York",
            "Europe/London",
            "Australia/Lord_Howe",
            "Asia/Kolkata",
            "Pacific/Chatham",
            "America/St_Johns",
            "Europe/Dublin",
        ]
    ),
    st.integers(0, 23),
)
def test_study_days_from_epoch_seconds_are_the_study_days(
    naive: datetime, zone_name: str, rollover: int
) -> None:
    """The optimiser's study days (from the database's epoch seconds) are the scheduler's."""
    import math
    from zoneinfo import ZoneInfo

    from certprep.core.studyday import EpochDays, study_day_number

    zone = ZoneInfo(zone_name)
    ts = naive.replace(tzinfo=UTC)
    days = EpochDays(rollover, zone)
    assert days(math.floor(ts.timestamp())) == study_day_number(ts, rollover, zone)
    # DST switches: the hour after each is looked up second by second
    for shift in (3599, 3600, 7199):
        t = ts + timedelta(seconds=shift)
        assert days(math.floor(t.timestamp())) == study_day_number(t, rollover, zone)


@pytest.mark.parametrize(
    ("zone_name", "switch"),
    [
        ("America/New_York", datetime(2025, 3, 9, 7, tzinfo=UTC)),
        ("America/New_York", datetime(2025, 11, 2, 6, tzinfo=UTC)),
        ("Europe/London", datetime(2025, 3, 30, 1, tzinfo=UTC)),
        ("Australia/Lord_Howe", datetime(2025, 4, 5, 15, tzinfo=UTC)),  # a 30-minute switch
        ("Australia/Lord_Howe", datetime(2025, 10, 4, 15, 30, tzinfo=UTC)),
        ("America/St_Johns", datetime(2025, 3, 9, 5, 30, tzinfo=UTC)),  # inside a UTC hour
    ],
)
@pytest.mark.parametrize("rollover", [0, 2, 3, 4])
def test_study_days_from_epoch_seconds_across_a_dst_switch(
    zone_name: str, switch: datetime, rollover: int
) -> None:
    from certprep.core.studyday import EpochDays, study_day_number

    zone = ZoneInfo(zone_name)
    days = EpochDays(rollover, zone)
    for minutes in range(-26 * 60, 26 * 60, 7):
        t = switch + timedelta(minutes=minutes, seconds=minutes % 60)
        assert days(int(t.timestamp())) == study_day_number(t, rollover, zone), t
