"""Build the report for one learner and exam from the store: the facts, then core/report.py."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from certprep.core.models import Blueprint
from certprep.core.pacing import Pacing, Timed, pacing
from certprep.core.readiness import Forecast, ReviewEvidence, scored_split
from certprep.core.report import (
    ASSUMPTIONS,
    AnswerFact,
    AttemptFact,
    CardFact,
    Group,
    Readiness,
    apply_forecast,
    build_groups,
    has_evidence,
    readiness,
    section_evidence,
    weak_topics,
)
from certprep.core.scheduling import REVIEW, CardState, SchedulerSettings, retrievability
from certprep.core.scoring import Score
from certprep.core.studyday import local_zone
from certprep.services.settings import exam_day_start
from certprep.store.tables import (
    CARD,
    EXAM_ANSWER,
    EXAM_ATTEMPT,
    ITEM,
    ITEM_EXAM,
    ITEM_TOPIC,
    REVIEW_LOG,
)

if TYPE_CHECKING:
    from certprep.services.services import Services


@dataclass
class ExamReport:
    """Everything the report shows for one exam."""

    exam: str
    name: str
    generated_at: datetime
    forecast_for: str  # "today" or the exam date
    pass_mark: float
    pass_note: str | None
    sections: list[Group]
    topics: list[Group]
    weak: list[Group]
    readiness: Readiness
    attempts: list[AttemptFact]
    section_titles: dict[str, str] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=lambda: list(ASSUMPTIONS))
    forecast: Forecast | None = None  # the model's per-section detail
    scored_questions: dict[str, int] = field(default_factory=dict)  # pretest items left out
    pacing: Pacing | None = None  # the last timed mock's pace against the exam's budget

    @property
    def has_evidence(self) -> bool:
        """``core.report.has_evidence``: without it the report says "no evidence yet"."""
        return has_evidence(len(self.attempts), self.sections)

    @property
    def no_evidence(self) -> str:
        """What the report says in place of the forecast when there is no evidence."""
        return (
            "no evidence yet: no question of this exam answered in review or a mock, so no "
            f"forecast (start with `certprep review --exam {self.exam}` or "
            f"`certprep exam {self.exam}`)"
        )

    @property
    def pace_warning(self) -> str | None:
        """Said with the readiness when the last timed mock's pace would not reach every
        question of the real exam: those questions would score nothing."""
        if self.pacing is None or self.pacing.finishes:
            return None
        return (
            f"At your last timed mock's pace you reach question {self.pacing.reaches} of "
            f"{self.pacing.total} when time runs out; the rest would score nothing."
        )


def _topics(conn: sa.Connection, item_ids: set[str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = defaultdict(list)
    for r in conn.execute(sa.select(ITEM_TOPIC.c.item_id, ITEM_TOPIC.c.topic)):
        if r.item_id in item_ids:
            out[r.item_id].append(r.topic)
    return {k: tuple(sorted(v)) for k, v in out.items()}


REVIEW_SAMPLE = 5000  # the newest scheduled reviews that calibrate forgetting


def _review_evidence(conn: sa.Connection, lid: int, settings: SchedulerSettings) -> ReviewEvidence:
    """The learner's newest scheduled reviews of cards in review state (any exam): how many,
    how many recalled, and how many FSRS expected recalled."""
    rows = conn.execute(
        sa.select(REVIEW_LOG.c.rating, REVIEW_LOG.c.reviewed_at, REVIEW_LOG.c.card_before)
        .where(
            REVIEW_LOG.c.learner_id == lid,
            REVIEW_LOG.c.source == "review",
            REVIEW_LOG.c.state_before == REVIEW,
        )
        .order_by(REVIEW_LOG.c.reviewed_at.desc())
        .limit(REVIEW_SAMPLE)
    )
    return review_evidence(rows, settings)


def review_evidence(rows: Iterable[Any], settings: SchedulerSettings) -> ReviewEvidence:
    """Forgetting evidence from review-log rows (rating, reviewed_at, card_before), newest
    first: the learner's own report and the class report read the same rows this way."""
    reviews = recalled = 0
    expected = 0.0
    for r in rows:
        if not r.card_before:
            continue
        try:
            before = CardState.from_dict(r.card_before)
        except (KeyError, TypeError, ValueError):
            continue
        if before.stability is None or before.last_review is None:
            continue
        reviews += 1
        recalled += int(r.rating > 1)
        expected += retrievability(before, r.reviewed_at, settings)
    return ReviewEvidence(reviews, recalled, expected)


def memory_at(
    pool_rows: Sequence[Any], at: datetime, settings: SchedulerSettings
) -> dict[str, tuple[int, float | None]]:
    """Per section: items studied before ``at`` and their mean retrievability then.

    Rebuilt from today's card states: a card not reviewed since ``at`` has the state it had
    then; one reviewed since was being kept at the desired retention, so it counts as that.
    """
    n: dict[str, int] = defaultdict(int)
    total: dict[str, float] = defaultdict(float)
    for r in pool_rows:
        if r.stability is None or r.last_review is None or not r.state:
            continue
        first = r.introduced_at or r.last_review
        if first > at:
            continue
        n[r.section] += 1
        if r.last_review <= at:
            total[r.section] += retrievability(
                CardState(state=r.state, stability=r.stability, last_review=r.last_review),
                at,
                settings,
            )
        else:
            total[r.section] += settings.desired_retention
    return {k: (v, total[k] / v) for k, v in n.items()}


def build_report(services: Services, exam: str) -> ExamReport:
    """The report for one exam (a key with a blueprint)."""
    from certprep.services.review import settings_for

    bp = services.blueprint(exam)
    lid = services.learner_id
    now = services.clock()
    settings = settings_for(services, bp.key)
    raw_date = services.settings.get("exam_dates", {}).get(bp.key)
    at = now
    basis = "today"
    if raw_date:
        exam_day = exam_day_start(services, bp.key) or datetime.combine(
            date.fromisoformat(raw_date), time(9), local_zone()
        ).astimezone(UTC)
        if exam_day > now:
            at, basis = exam_day, f"exam date {raw_date}"
    section_questions = {s.key: s.questions for s in bp.sections}
    scored = scored_split(section_questions, bp.pretest_questions)
    with services.engine.connect() as conn:
        pool_rows = conn.execute(
            sa.select(
                ITEM_EXAM.c.item_id,
                ITEM_EXAM.c.section,
                CARD.c.stability,
                CARD.c.last_review,
                CARD.c.due,
                CARD.c.state,
                CARD.c.suspended,
                CARD.c.introduced_at,
            )
            .select_from(
                ITEM_EXAM.join(ITEM, ITEM.c.id == ITEM_EXAM.c.item_id).outerjoin(
                    CARD, sa.and_(CARD.c.item_id == ITEM_EXAM.c.item_id, CARD.c.learner_id == lid)
                )
            )
            .where(ITEM_EXAM.c.exam == bp.key, ITEM.c.retired.is_(False))
        ).all()
        attempts = conn.execute(
            sa.select(EXAM_ATTEMPT)
            .where(
                EXAM_ATTEMPT.c.learner_id == lid,
                EXAM_ATTEMPT.c.blueprint_key == bp.key,
                EXAM_ATTEMPT.c.status == "submitted",
            )
            .order_by(EXAM_ATTEMPT.c.started_at, EXAM_ATTEMPT.c.id)
        ).all()
        attempt_ids = [a.id for a in attempts]
        answer_rows = (
            conn.execute(
                sa.select(
                    EXAM_ANSWER.c.attempt_id,
                    EXAM_ANSWER.c.item_id,
                    EXAM_ANSWER.c.section,
                    EXAM_ANSWER.c.correct,
                    EXAM_ANSWER.c.answered_at,
                    EXAM_ANSWER.c.pretest,
                    EXAM_ANSWER.c.position,
                    EXAM_ANSWER.c.time_spent_s,
                ).where(EXAM_ANSWER.c.attempt_id.in_(attempt_ids))
            ).all()
            if attempt_ids
            else []
        )
        item_ids = {r.item_id for r in pool_rows} | {r.item_id for r in answer_rows}
        topics = _topics(conn, item_ids)
        reviews = _review_evidence(conn, lid, settings)
    cards = []
    for r in pool_rows:
        rr = None
        if r.stability is not None and r.last_review is not None and r.state:
            rr = retrievability(
                CardState(state=r.state, stability=r.stability, last_review=r.last_review),
                at,
                settings,
            )
        cards.append(
            CardFact(r.item_id, r.section, topics.get(r.item_id, ()), rr, r.due, bool(r.suspended))
        )
    started = {a.id: a.started_at for a in attempts}
    answers = [
        AnswerFact(
            r.attempt_id,
            r.item_id,
            r.section,
            topics.get(r.item_id, ()),
            bool(r.correct),
            r.answered_at or started[r.attempt_id],
        )
        for r in answer_rows
        if not r.pretest
    ]
    per_attempt: dict[int, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for ans in answers:
        per_attempt[ans.attempt_id][ans.section].append(ans.correct)
    attempt_facts = []
    for a in attempts:
        secs = per_attempt.get(a.id, {})
        n_scored = sum(1 for r in answer_rows if r.attempt_id == a.id and not r.pretest)
        right = sum(sum(v) for v in secs.values())
        score = right / n_scored if n_scored else None
        if a.result and n_scored:  # the submitted result: partial credit counts, as it did there
            stored = Score.from_dict(a.result)
            score = stored.fraction
            by_section = {s.key: s.fraction for s in stored.sections if s.total}
        else:
            by_section = {k: sum(v) / len(v) for k, v in secs.items() if v}
        attempt_facts.append(
            AttemptFact(
                a.id,
                a.started_at,
                a.title,
                score,
                None if score is None else score >= bp.pass_mark,
                float(a.time_used_s or 0),
                by_section,
            )
        )
    # what the learner knows: a question left unanswered (a mock submitted early) says nothing
    # of it, and is no miss for review either; the attempt's own score above still counts it
    blank = {(r.attempt_id, r.item_id) for r in answer_rows if r.answered_at is None}
    answers = [a for a in answers if (a.attempt_id, a.item_id) not in blank]
    sections = build_groups(answers, cards, scored, now, by="section")
    known = {g.key for g in sections}
    sections += [Group(s.key, s.key) for s in bp.sections if s.key not in known]
    order = {s.key: i for i, s in enumerate(bp.sections)}
    sections = sorted((g for g in sections if g.key in order), key=lambda g: order[g.key])
    for g in sections:
        g.weight = scored[g.key]
    topic_groups = build_groups(answers, cards, scored, now, by="topic")
    attempt_memory = {a.id: memory_at(pool_rows, a.started_at, settings) for a in attempts}
    evidence = section_evidence(sections, scored, answers, attempt_memory)
    ready, fc = readiness(evidence, reviews, bp.pass_mark, basis)
    apply_forecast(sections, topic_groups, fc)
    return ExamReport(
        pacing=_last_timed_pacing(attempts, answer_rows, bp),
        exam=bp.key,
        name=bp.name,
        generated_at=now,
        forecast_for=basis,
        pass_mark=bp.pass_mark,
        pass_note=bp.pass_note,
        sections=sections,
        topics=sorted(topic_groups, key=lambda g: (g.section, g.key)),
        weak=weak_topics(topic_groups),
        readiness=ready,
        attempts=attempt_facts,
        section_titles={s.key: s.title for s in bp.sections},
        forecast=fc,
        scored_questions=scored,
    )


def _last_timed_pacing(attempts: Any, answer_rows: Any, bp: Blueprint) -> Pacing | None:
    """Pacing of the newest submitted timed attempt, projected onto the full exam's budget."""
    timed = [a for a in attempts if a.time_limit_s is not None]
    if not timed:
        return None
    last = timed[-1]
    rows = sorted((r for r in answer_rows if r.attempt_id == last.id), key=lambda r: r.position)
    if not rows:
        return None
    times = [
        Timed(r.position, r.section, float(r.time_spent_s or 0), r.correct is not None)
        for r in rows
    ]
    # the real exam's budget per question, whatever the size of the mock
    per_q = bp.time_limit_minutes * 60 / bp.questions
    full = pacing(
        times, time_limit_s=per_q * len(times), titles={s.key: s.title for s in bp.sections}
    )
    limit_s = bp.time_limit_minutes * 60
    reaches = (
        bp.questions
        if full.per_question_s <= 0
        else min(bp.questions, int(limit_s // full.per_question_s))
    )
    return Pacing(
        per_q,
        full.per_question_s,
        bp.questions,
        full.answered,
        full.used_s,
        reaches,
        full.sections,
        full.slowest,
    )


def exams_with_items(services: Services) -> list[str]:
    """Exams that have a blueprint and at least one item."""
    return [c.exam for c in services.exam_counts() if c.has_blueprint and c.items]
