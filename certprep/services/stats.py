"""Review statistics: reviews per day, due forecast, true retention, counts by state."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from certprep.core.scheduling import REVIEW
from certprep.core.studyday import local_instant, study_day_start
from certprep.services.settings import learner_zone
from certprep.store.tables import CARD, ITEM, ITEM_EXAM, REVIEW_LOG

if TYPE_CHECKING:
    from certprep.services.services import Services

MATURE_DAYS = 21


@dataclass
class Retention:
    """True retention: share of reviews of cards in review that were not forgotten."""

    exam: str
    young_passed: int = 0
    young_total: int = 0
    mature_passed: int = 0
    mature_total: int = 0

    @staticmethod
    def rate(passed: int, total: int) -> float | None:
        return passed / total if total else None


@dataclass
class ReviewStats:
    days: list[str] = field(default_factory=list)  # ISO dates, oldest first
    reviews_per_day: list[int] = field(default_factory=list)
    forecast_days: list[str] = field(default_factory=list)
    due_per_day: list[int] = field(default_factory=list)
    retention: list[Retention] = field(default_factory=list)
    states: dict[str, int] = field(default_factory=dict)
    weeks: list[str] = field(default_factory=list)  # first study day of each week, oldest first
    retention_per_week: list[float | None] = field(default_factory=list)  # None: no reviews


WEEKS = 12


def review_stats(
    services: Services, *, history_days: int = 90, forecast_days: int = 30
) -> ReviewStats:
    """Everything the statistics screen shows, computed in a few grouped queries."""
    lid = services.learner_id
    now = services.clock()
    rollover = int(services.settings["rollover_hour"])
    zone = learner_zone(services)
    today = study_day_start(now, rollover, zone)
    today_date = today.astimezone(zone).date()
    since_date = today_date - timedelta(days=history_days - 1)
    since = local_instant(since_date, rollover, zone)

    def day_of(ts: datetime) -> str:
        return study_day_start(ts, rollover, zone).astimezone(zone).date().isoformat()

    out = ReviewStats()
    with services.engine.connect() as conn:
        per_day: dict[str, int] = defaultdict(int)
        for (ts,) in conn.execute(
            sa.select(REVIEW_LOG.c.reviewed_at).where(
                REVIEW_LOG.c.learner_id == lid, REVIEW_LOG.c.reviewed_at >= since
            )
        ):
            per_day[day_of(ts)] += 1
        due: dict[str, int] = defaultdict(int)
        horizon = local_instant(today_date + timedelta(days=forecast_days), rollover, zone)
        for (ts,) in conn.execute(
            sa.select(CARD.c.due)
            .select_from(CARD.join(ITEM, ITEM.c.id == CARD.c.item_id))
            .where(
                CARD.c.learner_id == lid,
                CARD.c.state > 0,
                CARD.c.suspended.is_(False),
                ITEM.c.retired.is_(False),
                CARD.c.due < horizon,
            )
        ):
            due[day_of(max(ts, today))] += 1
        ret: dict[str, Retention] = {}
        # 30 study days back, on the learner's clock (30 x 24 h would be an hour off across a
        # daylight-saving change)
        month = local_instant(today_date - timedelta(days=30), rollover, zone)
        q = (
            sa.select(
                ITEM_EXAM.c.exam,
                REVIEW_LOG.c.rating,
                REVIEW_LOG.c.reviewed_at,
                REVIEW_LOG.c.card_before,
            )
            .select_from(REVIEW_LOG.join(ITEM_EXAM, ITEM_EXAM.c.item_id == REVIEW_LOG.c.item_id))
            .where(
                REVIEW_LOG.c.learner_id == lid,
                REVIEW_LOG.c.state_before == REVIEW,
                REVIEW_LOG.c.source == "review",
                REVIEW_LOG.c.reviewed_at >= month,
            )
        )
        for exam, rating, ts, before in conn.execute(q):
            r = ret.setdefault(exam, Retention(exam))
            last = (before or {}).get("last_review")
            interval = (ts - datetime.fromisoformat(last)).days if last else 0
            passed = int(rating > 1)
            if interval >= MATURE_DAYS:
                r.mature_total += 1
                r.mature_passed += passed
            else:
                r.young_total += 1
                r.young_passed += passed
        # true retention week by week, last 12 weeks: reviews of cards in review not forgotten
        first_week = today_date - timedelta(days=7 * WEEKS - 1)
        weekly: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for rating, ts in conn.execute(
            sa.select(REVIEW_LOG.c.rating, REVIEW_LOG.c.reviewed_at).where(
                REVIEW_LOG.c.learner_id == lid,
                REVIEW_LOG.c.state_before == REVIEW,
                REVIEW_LOG.c.source == "review",
                REVIEW_LOG.c.reviewed_at >= local_instant(first_week, rollover, zone),
            )
        ):
            week = (date.fromisoformat(day_of(ts)) - first_week).days // 7
            weekly[week][0] += int(rating > 1)
            weekly[week][1] += 1
        stats = services.stats()["cards"]
    for i in range(history_days):
        d = (since_date + timedelta(days=i)).isoformat()
        out.days.append(d)
        out.reviews_per_day.append(per_day.get(d, 0))
    for i in range(forecast_days):
        d = (today_date + timedelta(days=i)).isoformat()
        out.forecast_days.append(d)
        out.due_per_day.append(due.get(d, 0))
    out.retention = sorted(ret.values(), key=lambda r: r.exam)
    for w in range(WEEKS):
        out.weeks.append((first_week + timedelta(days=7 * w)).isoformat())
        passed, total = weekly.get(w, [0, 0])
        out.retention_per_week.append(passed / total if total else None)
    out.states = {k: stats[k] for k in ("new", "learning", "review", "relearning", "suspended")}
    return out
