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
