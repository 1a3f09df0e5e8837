"""The statistics screen: reviews per day, the forecast, retention week by week."""

from __future__ import annotations

from textual.widgets import Static

from certprep.services import Services
from certprep.tui.app import make_app


async def test_stats_screen_shows_reviews_and_forecast(sample_services: Services, clock) -> None:
    from certprep.core.scheduling import Rating
    from certprep.services.review import ReviewSession
    from certprep.tui.screens.stats import StatsScreen
    from certprep.tui.widgets.charts import Chart

    session = ReviewSession(sample_services)
    for _ in range(3):
        card = session.next_card()
        session.rate(card, Rating.EASY)
    app = make_app(sample_services)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("s")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen)
        history = app.screen.query_one("#history", Chart)
        assert history.values[-1] == 3 and history.display
        assert "Reviews per day" in str(history.render())
        assert sum(app.screen.query_one("#forecast", Chart).values) == 3
        assert "total 3" in str(app.screen.query_one("#history-axis", Static).render())


async def test_retention_over_time_is_charted_week_by_week(
    sample_services: Services, clock
) -> None:
    """Reviews of cards in review, recalled or not, give one bar per week."""
    from certprep.core.scheduling import Rating
    from certprep.services.review import ReviewSession
    from certprep.services.stats import review_stats
    from certprep.tui.screens.stats import StatsScreen
    from certprep.tui.widgets.charts import Chart

    session = ReviewSession(sample_services)
    while (card := session.next_card()) is not None:
        session.rate(card, Rating.EASY)
    clock.advance(days=60)  # every card is in review and due: one forgotten, the rest recalled
    session = ReviewSession(sample_services)
    ratings = iter([Rating.AGAIN] + [Rating.GOOD] * 10)
    while (card := session.next_card()) is not None and card.queue == "review":
        session.rate(card, next(ratings))
    stats = review_stats(sample_services)
    rates = [r for r in stats.retention_per_week if r is not None]
    assert len(stats.weeks) == 12 and len(rates) == 1 and 0 < rates[0] < 1
    app = make_app(sample_services)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await app.push_screen(StatsScreen(sample_services))
        await app.workers.wait_for_complete()
        await pilot.pause()
        chart = app.screen.query_one("#retention-weeks", Chart)
        assert chart.display and round(100 * rates[0]) in chart.values


def test_the_30_day_retention_counts_30_study_days_across_the_autumn_change(
    sample_services: Services, clock
) -> None:
    """New York: a review at 04:30 EDT on 30 October is in the study day 30 days before
    29 November (after the clocks went back). 30 x 24 h from 04:00 EST on the 29th ends an hour
    later, at 05:00 EDT, and left it out."""
    from datetime import UTC, datetime

    from certprep.core.scheduling import Rating
    from certprep.services.review import ReviewSession
    from certprep.services.stats import review_stats

    sample_services.update_settings(time_zone="America/New_York")
    clock.now = datetime(2026, 9, 1, 16, 0, tzinfo=UTC)
    session = ReviewSession(sample_services)
    while (card := session.next_card()) is not None:
        session.rate(card, Rating.EASY)
    clock.now = datetime(2026, 10, 30, 8, 30, tzinfo=UTC)  # 04:30 EDT, study day 30 October
    session = ReviewSession(sample_services)
    card = session.next_card()
    assert card is not None and card.queue == "review"
    session.rate(card, Rating.GOOD)
    clock.now = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # noon EST, study day 29 November
    counted = sum(r.young_total + r.mature_total for r in review_stats(sample_services).retention)
    assert counted == 1
    clock.now = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # a day later it has left the window
    counted = sum(r.young_total + r.mature_total for r in review_stats(sample_services).retention)
    assert counted == 0
