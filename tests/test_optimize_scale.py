"""The optimiser's one-pass histories equal the simple reference, in every zone and across DST.

``optimize_parameters`` streams (card, UTC epoch second, rating) from the database and builds
every card's history in one pass, turning seconds into study days once per hour of the log
(``EpochDays.span``). ``build_items`` is the plain reference: a datetime per review, each card's
reviews sorted, its study days from ``study_day_number``. Both must give the same items, in the
same order, for any review sequence, zone, rollover hour and batching, so the fitted parameters
are the ones the reference would give.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from certprep.core.optimize import LogEntry, build_items, histories
from certprep.core.studyday import EpochDays, study_day_number

# zones with a DST switch of an hour, of 30 minutes (Lord Howe), inside a UTC hour (St John's,
# Kolkata has none: a half-hour offset), south of the equator (Sydney, Santiago), and UTC
ZONES = (
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/St_Johns",
    "America/Santiago",
    "Asia/Kolkata",
    "UTC",
)


def switches(zone: ZoneInfo, year: int = 2025) -> list[int]:
    """The epoch seconds at which ``zone``'s UTC offset changes in ``year`` (minute precision)."""
    t = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
    found, prev = [], datetime.fromtimestamp(t, zone).utcoffset()
    while t < end:
        off = datetime.fromtimestamp(t + 1800, zone).utcoffset()
        if off != prev:
            s = t
            while datetime.fromtimestamp(s, zone).utcoffset() == prev:
                s += 60
            found.append(s)
            prev = off
        t += 1800
    return found


def reference(logs: list[LogEntry], rollover: int, zone: ZoneInfo) -> list[list[tuple[int, int]]]:
    return [h for _, h in build_items(logs, rollover, zone=zone)]


def one_pass(
    logs: list[LogEntry], rollover: int, zone: ZoneInfo, batch: int
) -> tuple[list[list[tuple[int, int]]], int, int]:
    rows = [(e.card, int(e.reviewed_at.timestamp()), e.rating) for e in logs]
    batches = [rows[i : i + batch] for i in range(0, len(rows), batch)]
    found = histories(batches, EpochDays(rollover, zone))
    return found.items, found.reviews, found.days


@st.composite
def review_logs(draw: st.DrawFn) -> tuple[str, int, list[LogEntry], int]:
    """A zone, a rollover hour, reviews of a few cards in time order around one of the zone's
    DST switches (whole seconds, as the database hands them over), and a batch size."""
    name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(name)
    centre = draw(st.sampled_from(switches(zone) or [int(datetime(2025, 3, 9).timestamp())]))
    seconds = draw(
        st.lists(
            st.integers(-4 * 86400, 4 * 86400) | st.integers(-7200, 7200),
            min_size=1,
            max_size=120,
            unique=True,
        )
    )
    seconds.sort()
    cards = draw(st.lists(st.integers(0, 5), min_size=len(seconds), max_size=len(seconds)))
    ratings = draw(st.lists(st.integers(1, 4), min_size=len(seconds), max_size=len(seconds)))
    logs = [
        LogEntry(f"c{c}", datetime.fromtimestamp(centre + s, UTC), r)
        for s, c, r in zip(seconds, cards, ratings, strict=True)
    ]
    return name, draw(st.integers(0, 23)), logs, draw(st.integers(1, 50))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(review_logs())
def test_one_pass_histories_equal_the_reference(case: tuple[str, int, list[LogEntry], int]) -> None:
    name, rollover, logs, batch = case
    zone = ZoneInfo(name)
    items, reviews, days = one_pass(logs, rollover, zone, batch)
    assert items == reference(logs, rollover, zone)
    assert reviews == len(logs)
    assert days == len({study_day_number(e.reviewed_at, rollover, zone) for e in logs})


@pytest.mark.parametrize(
    "name", ["America/New_York", "Europe/London", "Australia/Lord_Howe", "America/St_Johns"]
)
@pytest.mark.parametrize("rollover", [0, 1, 2, 3, 4])
def test_reviews_each_minute_across_a_switch_fall_on_the_reference_days(
    name: str, rollover: int
) -> None:
    """Three cards reviewed every 7 minutes for two days around each DST switch of 2025: every
    review's day, hence every delta, is the reference's (St John's switches inside a UTC hour:
    that hour is read second by second)."""
    zone = ZoneInfo(name)
    for switch in switches(zone):
        logs = [
            LogEntry(f"c{k % 3}", datetime.fromtimestamp(switch + m * 60 + k, UTC), 1 + k % 4)
            for k, m in enumerate(range(-26 * 60, 26 * 60, 7))
        ]
        items, _, days = one_pass(logs, rollover, zone, 64)
        assert items == reference(logs, rollover, zone) and len(items) >= 6
        assert days == len({study_day_number(e.reviewed_at, rollover, zone) for e in logs})


def test_the_span_of_a_second_is_its_study_day_and_no_wider() -> None:
    """``span`` gives the day of a second and a range of seconds that all share it."""
    zone = ZoneInfo("America/New_York")
    days = EpochDays(4, zone)
    for switch in switches(zone):
        for t in range(switch - 3 * 3600, switch + 3 * 3600, 97):
            day, lo, hi = days.span(t)
            assert lo <= t < hi and hi - lo <= 3600
            for s in (lo, hi - 1):
                at = datetime.fromtimestamp(s, UTC)
                assert study_day_number(at, 4, zone) == day
            assert study_day_number(datetime.fromtimestamp(hi, UTC), 4, zone) >= day


@example(seconds=[0, 3600, 86400 * 3])
@given(st.lists(st.integers(0, 30 * 86400), min_size=1, max_size=60, unique=True))
def test_items_come_as_the_item_factory_makes_them(seconds: list[int]) -> None:
    """``item`` is given the history so far and must copy it: later reviews do not leak in."""
    seconds.sort()
    rows = [("c", t, 3) for t in seconds]
    items = histories([rows], EpochDays(4, ZoneInfo("UTC"))).items
    for item in items:
        assert item[-1][1] > 0  # each item ends on a review a day or more after the one before
    assert [len(i) for i in items] == sorted({len(i) for i in items})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(review_logs(), st.data())
def test_a_cut_splits_the_items_where_the_reviews_split(
    case: tuple[str, int, list[LogEntry], int], data: st.DataObject
) -> None:
    """The training items are those of the older reviews: ``before_cut`` counts the items the
    first ``cut`` reviews alone make, and a pass that makes items only ``make_from`` the cut
    (the optimiser's second process) makes exactly the rest, whatever the batching."""
    name, rollover, logs, batch = case
    days = EpochDays(rollover, ZoneInfo(name))
    rows = [(e.card, int(e.reviewed_at.timestamp()), e.rating) for e in logs]
    batches = [rows[i : i + batch] for i in range(0, len(rows), batch)]
    cut = data.draw(st.integers(0, len(rows)))
    whole = histories(batches, days, cut=cut)
    older = histories([rows[:cut]], days).items
    assert whole.before_cut == len(older) and whole.items[: whole.before_cut] == older
    rest = histories(batches, days, make_from=cut)
    assert rest.items == whole.items[whole.before_cut :]
    assert (rest.reviews, rest.days) == (whole.reviews, whole.days)
