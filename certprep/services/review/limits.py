"""The learner's study day, what "due" means, and the daily limits, defined once.

- The study day runs from ``rollover_hour`` local time to the next, in the learner's IANA zone.
- A card is *due* when it is not suspended or buried and either it is in review and due before
  the study day ends, or it is (re)learning and due within ``LEARN_AHEAD`` of now. That is what
  a review session offers, and what home counts as "due now" (``due_counts``).
- The daily limits (``new_per_day``, ``reviews_per_day``) are the learner's, per study day,
  whatever exam, section or topic a session is scoped to: new cards are counted as first
  ratings of a new card in review today, reviews as ratings of cards in review state today,
  over every scope. Exam answers and imports never use either quota.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from certprep.core.scheduling import LEARNING, NEW, RELEARNING, REVIEW, SchedulerSettings
from certprep.core.studyday import next_study_day, study_day_start
from certprep.services.review.model import Counts, ReviewFilter
from certprep.services.settings import exam_day_start, learner_zone
from certprep.store.tables import CARD, ITEM, ITEM_COUNT, ITEM_EXAM, ITEM_TOPIC, REVIEW_LOG

if TYPE_CHECKING:
    from certprep.services.services import Services

LEARN_AHEAD = timedelta(minutes=20)


@dataclass(frozen=True)
class StudyDay:
    """Now, and the study day it falls in, in the learner's zone."""

    now: datetime
    start: datetime
    end: datetime
    zone: tzinfo


def study_day(services: Services, now: datetime | None = None) -> StudyDay:
    """The learner's current study day (rolling over at their local ``rollover_hour``)."""
    now = now or services.clock()
    zone = learner_zone(services)
    hour = int(services.settings["rollover_hour"])
    return StudyDay(now, study_day_start(now, hour, zone), next_study_day(now, hour, zone), zone)


def settings_for(services: Services, exam: str | None) -> SchedulerSettings:
    """The learner's FSRS settings, with the exam's desired retention, and, when exam-date
    mode is on for the exam, its exam-day start and exam-day target retention."""
    s = services.settings
    retention = float(s.get("retention_by_exam", {}).get(exam or "", s["desired_retention"]))
    params = s.get("fsrs_parameters")
    target = s.get("exam_mode", {}).get(exam or "")
    exam_date = exam_day_start(services, exam) if exam and target else None
    base = SchedulerSettings(
        desired_retention=retention,
        exam_date=exam_date,
        exam_retention=float(target) if exam_date is not None else None,
        zone=learner_zone(services),
    )
    return replace(base, parameters=tuple(params)) if params else base


def scoped(q: Any, filt: ReviewFilter) -> Any:
    """Restrict a query over ITEM to the filter's exam, section, topic, and to live items."""
    return _linked(q.where(ITEM.c.retired.is_(False)), filt, ITEM.c.id)


def scoped_cards(q: Any, filt: ReviewFilter, item_id: Any = CARD.c.item_id) -> Any:
    """``scoped`` for a query that names an item by ``item_id`` (a card's) without reading the
    wide item rows: live through the partial index of retired items, the rest through the
    link tables' keys."""
    return _linked(q.where(live(item_id)), filt, item_id)


def _linked(q: Any, filt: ReviewFilter, item_id: Any) -> Any:
    """The filter's exam, section and topic, through the link tables' keys for ``item_id``."""
    if filt.exam or filt.section:
        conds = [ITEM_EXAM.c.item_id == item_id]
        if filt.exam:
            conds.append(ITEM_EXAM.c.exam == filt.exam)
        if filt.section:
            conds.append(ITEM_EXAM.c.section == filt.section)
        q = q.where(sa.exists().where(*conds))
    if filt.topic:
        q = q.where(
            sa.exists().where(ITEM_TOPIC.c.item_id == item_id, ITEM_TOPIC.c.topic == filt.topic)
        )
    return q


def utc_of(value: Any) -> datetime | None:
    """A stored datetime read raw (``raw_time``), as the aware UTC datetime it stands for:
    SQLite hands back the ISO text, PostgreSQL a naive UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]


def naive(value: Any) -> datetime:
    """A time as the naive UTC datetime the review queue keeps (cheap for raw stored times:
    SQLite's ISO text is parsed without a zone, PostgreSQL's naive UTC passes through)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value  # type: ignore[no-any-return]


def raw_time(column: Any) -> Any:
    """A datetime column read without the per-row type processing (see ``utc_of``)."""
    return sa.type_coerce(column, sa.String).label(column.name)


def active(now: datetime) -> Any:
    """Not suspended, not buried at ``now``."""
    return sa.and_(
        CARD.c.suspended.is_(False),
        sa.or_(CARD.c.buried_until.is_(None), CARD.c.buried_until <= now),
    )


def review_due(day: StudyDay) -> Any:
    """A card in review, due before the study day ends."""
    return sa.and_(CARD.c.state == REVIEW, CARD.c.due < day.end, active(day.now))


def learning_due(day: StudyDay) -> Any:
    """A (re)learning card due within the learn-ahead window."""
    return sa.and_(
        CARD.c.state.in_((LEARNING, RELEARNING)),
        CARD.c.due <= day.now + LEARN_AHEAD,
        active(day.now),
    )


def unseen(lid: int, now: datetime) -> tuple[Any, Any]:
    """(ITEM left-joined with the learner's cards, condition) for cards never studied."""
    joined = ITEM.outerjoin(CARD, sa.and_(CARD.c.item_id == ITEM.c.id, CARD.c.learner_id == lid))
    cond = sa.or_(CARD.c.item_id.is_(None), sa.and_(CARD.c.state == NEW, active(now)))
    return joined, cond


def done_today(conn: Any, lid: int, day: StudyDay) -> tuple[int, int]:
    """(new cards studied, reviews of cards in review) by the learner today, in any scope."""
    row = conn.execute(
        sa.select(
            sa.func.coalesce(
                sa.func.sum(sa.case((REVIEW_LOG.c.state_before == NEW, 1), else_=0)), 0
            ),
            sa.func.coalesce(
                sa.func.sum(sa.case((REVIEW_LOG.c.state_before == REVIEW, 1), else_=0)), 0
            ),
        ).where(
            REVIEW_LOG.c.learner_id == lid,
            REVIEW_LOG.c.source == "review",
            REVIEW_LOG.c.reviewed_at >= day.start,
        )
    ).one()
    return int(row[0]), int(row[1])


def caps(
    services: Services, conn: Any, day: StudyDay, extra_new: int = 0, extra_reviews: int = 0
) -> tuple[int, int]:
    """(new cards, reviews) the learner may still do today."""
    new_done, rev_done = done_today(conn, services.learner_id, day)
    s = services.settings
    return (
        max(0, int(s["new_per_day"]) + extra_new - new_done),
        max(0, int(s["reviews_per_day"]) + extra_reviews - rev_done),
    )


def due_counts(
    services: Services,
    filt: ReviewFilter | None = None,
    *,
    extra_new: int = 0,
    extra_reviews: int = 0,
) -> Counts:
    """What a review session with this filter would offer now, counted without building it."""
    filt = filt or ReviewFilter()
    lid = services.learner_id
    day = study_day(services)
    joined = CARD.join(ITEM, ITEM.c.id == CARD.c.item_id)

    def count(cond: Any, cap: int | None = None, source: Any = joined) -> int:
        """Rows matching, counted up to ``cap`` (the limits make larger counts moot)."""
        q = scoped(sa.select(sa.literal(1)).select_from(source).where(cond), filt)
        if cap is not None:
            q = q.limit(cap)
        return int(conn.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar_one())

    mine = CARD.c.learner_id == lid
    with services.engine.connect() as conn:
        new_cap, rev_cap = caps(services, conn, day, extra_new, extra_reviews)
        all_learning = count(
            sa.and_(mine, CARD.c.state.in_((LEARNING, RELEARNING)), active(day.now))
        )
        learning = count(sa.and_(mine, learning_due(day)))
        reviews = count(sa.and_(mine, review_due(day)), rev_cap)
        new_from, new_cond = unseen(lid, day.now)
        new = count(new_cond, new_cap, new_from) if new_cap else 0
    c = Counts(min(int(new), new_cap), int(learning), min(int(reviews), rev_cap))
    if filt.limit is not None:
        from certprep.services.review.queue import interleave

        room = max(0, filt.limit - int(all_learning))
        main = interleave(["r"] * c.review, ["n"] * c.new)[:room]
        c.new = sum(1 for _, q in main if q == "new")
        c.review = len(main) - c.new
    return c


@dataclass(frozen=True)
class ExamDue:
    """Home's line for one exam: items, cards in (re)learning, and what review offers now."""

    exam: str
    items: int
    learning: int
    offered: Counts


BATCH = 500  # ids per IN (...) list: under SQLite's 999 bound parameters
ALL_ITEMS = "*"  # item_count's scope for every item


def retired_ids() -> Any:
    """The ids of retired items, read from their partial index (``retired = 1`` there)."""
    return sa.select(ITEM.c.id).where(ITEM.c.retired == sa.true())


def live(item_id: Any) -> Any:
    """The item is not retired (without reading the wide item rows)."""
    return item_id.not_in(retired_ids())


def due_by_exam(services: Services) -> list[ExamDue]:
    """``due_counts`` for every exam with items (home's "due now" and "new today" per exam),
    with the exam's live items and cards in (re)learning.

    In time that does not grow with the bank: items per exam from the ``item_count`` counters
    less the retired ones (their partial index); (re)learning cards per exam in one pass over
    ``ix_card_learner_state_due`` (each card carries its item's exams); reviews due and new
    cards counted only up to what the daily limits let a session offer (reviews streamed in due
    order, each exam's unseen items from its walk index, both stopping at the limit).
    """
    lid = services.learner_id
    day = study_day(services)
    mine = CARD.c.learner_id == lid
    with services.engine.connect() as conn:
        new_cap, rev_cap = caps(services, conn, day)
        items: dict[str, int] = {
            scope: int(n)
            for scope, n in conn.execute(sa.select(ITEM_COUNT.c.scope, ITEM_COUNT.c.total))
            if scope != ALL_ITEMS
        }
        retired = conn.execute(
            sa.select(ITEM_EXAM.c.exam, sa.func.count())
            .where(ITEM_EXAM.c.item_id.in_(retired_ids()))
            .group_by(ITEM_EXAM.c.exam)
        ).all()
        for exam, n in retired:
            items[exam] = items.get(exam, 0) - int(n)
        exams = sorted(e for e, n in items.items() if n > 0)
        all_l = dict.fromkeys(exams, 0)
        learning = dict.fromkeys(exams, 0)
        horizon = sa.case((CARD.c.due <= day.now + LEARN_AHEAD, 1), else_=0)
        for key, n, due in conn.execute(
            sa.select(CARD.c.exams, sa.func.count(), sa.func.sum(horizon))
            .where(
                mine,
                CARD.c.state.in_((LEARNING, RELEARNING)),
                active(day.now),
                live(CARD.c.item_id),
            )
            .group_by(CARD.c.exams)
        ):
            for exam in (key or "").split(","):
                if exam in all_l:
                    all_l[exam] += int(n)
                    learning[exam] += int(due or 0)
        reviews = _capped(
            conn,
            exams,
            rev_cap,
            sa.select(CARD.c.exams)
            .where(mine, review_due(day), live(CARD.c.item_id))
            .order_by(CARD.c.due),
        )
        new = dict.fromkeys(exams, 0)
        if new_cap:
            for exam in exams:
                new[exam] = conn.execute(
                    sa.select(sa.func.count()).select_from(
                        sa.select(ITEM_EXAM.c.item_id)
                        .where(
                            ITEM_EXAM.c.exam == exam,
                            live(ITEM_EXAM.c.item_id),
                            ~sa.exists().where(
                                mine,
                                CARD.c.item_id == ITEM_EXAM.c.item_id,
                                sa.not_(sa.and_(CARD.c.state == NEW, active(day.now))),
                            ),
                        )
                        # in the walk index's order (random within a section): unseen items
                        # come up as often as they are among the exam's items
                        .limit(new_cap)
                        .subquery()
                    )
                ).scalar_one()
    return [
        ExamDue(
            e,
            int(items[e]),
            all_l[e],
            Counts(min(new[e], new_cap), learning[e], min(reviews[e], rev_cap)),
        )
        for e in exams
    ]


def _capped(conn: Any, exams: list[str], cap: int, q: Any) -> dict[str, int]:
    """Cards of ``q`` (selecting their ``exams``) per exam, counted until every exam has
    ``cap`` (streamed in batches)."""
    out = dict.fromkeys(exams, 0)
    if cap <= 0 or not exams:
        return out
    result = conn.execute(q.execution_options(stream_results=True, yield_per=BATCH))
    try:
        for part in result.partitions(BATCH):
            for (key,) in part:
                for exam in (key or "").split(","):
                    if exam in out:
                        out[exam] += 1
            if all(n >= cap for n in out.values()):
                break
    finally:
        result.close()
    return out
