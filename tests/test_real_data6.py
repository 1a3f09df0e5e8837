"""A new learner on real data: producers' files as the producers write them, the shipped banks
drawn and answered whole, and review days in zones with daylight saving."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from certprep.banks.importer import import_bank
from certprep.core.scheduling import REVIEW, Rating
from certprep.services import Services, open_services
from certprep.services.review import ReviewSession, due_counts

from .conftest import make_bank
from .test_zones import DST_DAY, FALL_BACK, at, travel

# -- 3. review days across a daylight-saving change -----------------------------------------


@pytest.fixture
def live(db_path: Path, blueprints_only: Path) -> Services:
    """Services on the real clock (moved by time-machine)."""
    return open_services(str(db_path), "tester", banks_dir=blueprints_only)


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Sydney"])
@pytest.mark.parametrize("change", ["autumn", "spring"])
def test_a_card_rated_1d_the_day_before_a_dst_change_is_due_the_next_study_day(
    live: Services, zone: str, change: str
) -> None:
    """Reviewed at 04:30 the day before the clocks change, a card that says "next in 1d" is due
    at the same time on the next day's wall clock. 24 hours on would be 03:30 after the clocks
    go back, before the 04:00 rollover: the card would come back the same study day."""
    live.update_settings(time_zone=zone)
    import_bank(live.engine, make_bank(1), checksum="g")
    day = (FALL_BACK if change == "autumn" else DST_DAY)[zone]
    when = at(zone, day - timedelta(days=1), 4, 30)
    for rating in (Rating.AGAIN, Rating.GOOD, Rating.GOOD):  # two learning steps, then review
        with travel(when):
            s = ReviewSession(live)
            card = s.next_card()
            assert card is not None
            result = s.rate(card, rating)
            assert result.card.due is not None
            reviewed, when = when, result.card.due
    assert result.card.state == REVIEW and result.interval == "1d"  # not "23h" in spring
    with travel(reviewed + timedelta(hours=2)):
        assert due_counts(live).due == 0  # nothing more today
    with travel(at(zone, day, 3, 59)):
        assert due_counts(live).due == 0  # still the day before's study day
    with travel(at(zone, day, 4, 0)):
        assert due_counts(live).due == 1
    assert result.card.due == at(zone, day, 4, 41)
