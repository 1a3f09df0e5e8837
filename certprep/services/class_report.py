"""The instructor's view: every learner on one database, per student and per section.

Built from a handful of set queries for the whole class (learners, review counts, the exam's pool
and topics, every card on it, every submitted attempt and its answers), then each learner's
figures from the same core functions as their own report, so the two always agree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from certprep.core.readiness import scored_split
from certprep.core.report import (
    AnswerFact,
    CardFact,
    Group,
    apply_forecast,
    has_evidence,
    readiness,
    section_evidence,
    weak_topics,
)
from certprep.core.scheduling import REVIEW, CardState, SchedulerSettings, retrievability
from certprep.core.scoring import Score
from certprep.core.studyday import UnknownZone, local_instant, system_zone, zone_for
from certprep.services.class_groups import UNTAGGED, PoolGroups
from certprep.services.report import REVIEW_SAMPLE, memory_at, review_evidence
from certprep.store.tables import (
    CARD,
    EXAM_ANSWER,
    EXAM_ATTEMPT,
    ITEM,
    ITEM_EXAM,
    ITEM_TOPIC,
    LEARNER,
    REVIEW_LOG,
)

if TYPE_CHECKING:
    from certprep.services.services import Services


@dataclass
class StudentLine:
    profile: str
    reviews: int
    attempts: int
    last_score: float | None
    best_score: float | None
    readiness: float | None  # None: nothing studied for this exam (no forecast to show)
    pass_probability: float | None
    sections: dict[str, float | None] = field(default_factory=dict)  # accuracy on exams
    weakest: str | None = None
    started: bool = True  # False: a student of the classroom who has never signed in

    @property
    def evidence(self) -> bool:
        """Whether anything this student did bears on the exam (cards of it studied, mocks)."""
        return self.readiness is not None


@dataclass
class ClassReport:
    exam: str
    name: str
    sections: list[str]
    students: list[StudentLine]


def class_report(services: Services, exam: str) -> ClassReport:
    """Per-student figures for one exam (the instructor's login only, on a classroom)."""
    from certprep.services.classroom import require_instructor
    from certprep.services.services import DEFAULT_SETTINGS

    require_instructor(services.engine)
    bp = services.blueprint(exam)
    now = services.clock()
    key = bp.key
    submitted = sa.and_(EXAM_ATTEMPT.c.blueprint_key == key, EXAM_ATTEMPT.c.status == "submitted")
    with services.engine.connect() as conn:
        learners = conn.execute(
            sa.select(LEARNER.c.id, LEARNER.c.name, LEARNER.c.settings).order_by(LEARNER.c.name)
        ).all()
        reviews: dict[int, int] = {
            int(r[0]): int(r[1])
            for r in conn.execute(
                sa.select(REVIEW_LOG.c.learner_id, sa.func.count()).group_by(
                    REVIEW_LOG.c.learner_id
                )
            )
        }
        # every learner's scheduled reviews of cards in review, newest first: the same
        # evidence of forgetting each one's own report reads (one query for the class)
        review_rows = conn.execute(
            sa.select(
                REVIEW_LOG.c.learner_id,
                REVIEW_LOG.c.rating,
                REVIEW_LOG.c.reviewed_at,
                REVIEW_LOG.c.card_before,
            )
            .where(REVIEW_LOG.c.source == "review", REVIEW_LOG.c.state_before == REVIEW)
            .order_by(REVIEW_LOG.c.learner_id, REVIEW_LOG.c.reviewed_at.desc())
        ).all()
        # the exam's pool, and the topics of every item of the exam (answered ones may be
        # retired since): sizes and shares per section and topic are counted here once
        live = ITEM_EXAM.join(ITEM, ITEM.c.id == ITEM_EXAM.c.item_id)
        in_pool = (ITEM_EXAM.c.exam == key, ITEM.c.retired.is_(False))
        pool = conn.execute(
            sa.select(ITEM_EXAM.c.item_id, ITEM_EXAM.c.section).select_from(live).where(*in_pool)
        ).all()
        topic_lists: dict[str, list[str]] = defaultdict(list)
        for r in conn.execute(
            sa.select(ITEM_TOPIC.c.item_id, ITEM_TOPIC.c.topic)
            .join(ITEM_EXAM, ITEM_EXAM.c.item_id == ITEM_TOPIC.c.item_id)
            .where(ITEM_EXAM.c.exam == key)
        ):
            topic_lists[r.item_id].append(r.topic)
        # the class's cards on the pool; times come as the naive UTC the store keeps (hundreds
        # of thousands of rows: no per-value conversions)
        cards = conn.execute(
            sa.select(
                CARD.c.learner_id,
                CARD.c.item_id,
                ITEM_EXAM.c.section,
                CARD.c.stability,
                sa.type_coerce(CARD.c.last_review, sa.DateTime()).label("last_review"),
                sa.type_coerce(CARD.c.due, sa.DateTime()).label("due"),
                CARD.c.state,
                CARD.c.suspended,
                sa.type_coerce(CARD.c.introduced_at, sa.DateTime()).label("introduced_at"),
            )
            .select_from(CARD.join(ITEM_EXAM, ITEM_EXAM.c.item_id == CARD.c.item_id).join(ITEM))
            .where(*in_pool)
        ).all()
        attempts = conn.execute(
            sa.select(
                EXAM_ATTEMPT.c.id,
                EXAM_ATTEMPT.c.learner_id,
                sa.type_coerce(EXAM_ATTEMPT.c.started_at, sa.DateTime()).label("started_at"),
                EXAM_ATTEMPT.c.result,
            )
            .where(submitted)
            .order_by(EXAM_ATTEMPT.c.started_at, EXAM_ATTEMPT.c.id)
        ).all()
        answer_rows = conn.execute(
            sa.select(
                EXAM_ANSWER.c.attempt_id,
                EXAM_ANSWER.c.item_id,
                EXAM_ANSWER.c.section,
                EXAM_ANSWER.c.correct,
                EXAM_ANSWER.c.pretest,
            )
            .join(EXAM_ATTEMPT, EXAM_ATTEMPT.c.id == EXAM_ANSWER.c.attempt_id)
            .where(submitted)
        ).all()
    topics = {k: tuple(sorted(v)) for k, v in topic_lists.items()}
    section_size: dict[str, int] = defaultdict(int)
    topic_size: dict[tuple[str, str], int] = defaultdict(int)
    topic_share: dict[tuple[str, str], float] = defaultdict(float)
    for item_id, section in pool:
        section_size[section] += 1
        item_topics = tuple(dict.fromkeys(topics.get(item_id, ()))) or (UNTAGGED,)
        for t in item_topics:
            topic_size[(t, section)] += 1
            topic_share[(t, section)] += 1 / len(item_topics)
    pool_sections = PoolGroups(
        "section",
        {(k, k): n for k, n in section_size.items()},
        {(k, k): float(n) for k, n in section_size.items()},
        section_size,
    )
    pool_topics = PoolGroups("topic", dict(topic_size), dict(topic_share), section_size)
    scored = scored_split({s.key: s.questions for s in bp.sections}, bp.pretest_questions)
    evidence_rows: dict[int, list[Any]] = defaultdict(list)
    for row in review_rows:
        if len(evidence_rows[row.learner_id]) < REVIEW_SAMPLE:  # the newest, as in one's own
            evidence_rows[row.learner_id].append(row)
    cards_of: dict[int, list[Any]] = defaultdict(list)
    for card in cards:
        cards_of[card.learner_id].append(card)
    attempts_of: dict[int, list[Any]] = defaultdict(list)
    for a in attempts:
        attempts_of[a.learner_id].append(a)
    answers_of: dict[int, list[Any]] = defaultdict(list)
    for ans in answer_rows:
        answers_of[ans.attempt_id].append(ans)
    now_naive = now.astimezone(UTC).replace(tzinfo=None)  # as the cards' times are read
    students = []
    for learner in learners:
        settings = {**DEFAULT_SETTINGS, **(learner.settings or {})}
        at, basis = _forecast(settings, key, now)
        at_naive = at.astimezone(UTC).replace(tzinfo=None)
        retention = float(
            settings.get("retention_by_exam", {}).get(key, settings["desired_retention"])
        )
        params = settings.get("fsrs_parameters")
        sched = SchedulerSettings(desired_retention=retention)
        if params:
            sched = replace(sched, parameters=tuple(params))
        mine_cards = cards_of.get(learner.id, [])
        studied = []
        for c in mine_cards:
            rr = None
            if c.stability is not None and c.last_review is not None and c.state:
                rr = retrievability(
                    CardState(state=c.state, stability=c.stability, last_review=c.last_review),
                    at_naive,
                    sched,
                )
            studied.append(
                CardFact(
                    c.item_id, c.section, topics.get(c.item_id, ()), rr, c.due, bool(c.suspended)
                )
            )
        mine = attempts_of.get(learner.id, [])
        started = {a.id: a.started_at for a in mine}
        answers = [
            AnswerFact(
                r.attempt_id,
                r.item_id,
                r.section,
                topics.get(r.item_id, ()),
                bool(r.correct),
                started[r.attempt_id],  # when it was answered plays no part in the figures
            )
            for a in mine
            for r in answers_of.get(a.id, [])
            if not r.pretest
        ]
        memory = {a.id: memory_at(mine_cards, a.started_at, sched) for a in mine}
        forgetting = review_evidence(evidence_rows.get(learner.id, []), sched)
        scores = []
        for a in mine:
            counted = [r for r in answers_of.get(a.id, []) if not r.pretest]
            if counted and a.result:  # the submitted result's (partial credit counts), as own
                scores.append(Score.from_dict(a.result).fraction)
            elif counted:
                scores.append(sum(bool(r.correct) for r in counted) / len(counted))
        sections = pool_sections.groups(answers, studied, scored, now_naive)
        known = {g.key for g in sections}
        sections += [Group(s.key, s.key) for s in bp.sections if s.key not in known]
        by_key = {g.key: g for g in sections}
        ordered = [by_key[s.key] for s in bp.sections]
        for g in ordered:
            g.weight = scored[g.key]
        topic_groups = pool_topics.groups(answers, studied, scored, now_naive)
        evidence = section_evidence(ordered, scored, answers, memory)
        ready, fc = readiness(evidence, forgetting, bp.pass_mark, basis)
        apply_forecast(ordered, topic_groups, fc)
        weak = weak_topics(topic_groups)
        # with no card of this exam studied and no mock taken, the forecast is the prior alone:
        # a figure for the instructor to read as the student's would be made up (the same test
        # as the learner's own report's "no evidence yet")
        known_here = has_evidence(len(mine), ordered)
        students.append(
            StudentLine(
                profile=learner.name,
                reviews=reviews.get(learner.id, 0),
                attempts=len(mine),
                last_score=scores[-1] if scores else None,
                best_score=max(scores) if scores else None,
                readiness=ready.expected if known_here else None,
                pass_probability=ready.pass_probability if known_here else None,
                sections={g.key: g.accuracy for g in ordered},
                weakest=weak[0].key if weak and known_here else None,
            )
        )
    signed_in = {s.profile for s in students}
    students += [
        StudentLine(
            name, 0, 0, None, None, None, None, {s.key: None for s in bp.sections}, None, False
        )
        for name in _students_of(services)
        if name not in signed_in
    ]
    students.sort(key=lambda s: s.profile)
    return ClassReport(bp.key, bp.name, [s.key for s in bp.sections], students)


def _students_of(services: Services) -> list[str]:
    """The students of a classroom database (their logins), signed in yet or not; none
    elsewhere (a SQLite file's or a plain server's learners are only those who started)."""
    from certprep.store import classroom as store

    me = store.who(services.engine)
    if me is None or not me.active:
        return []
    return store.student_logins(services.engine)


def _forecast(settings: dict[str, Any], exam: str, now: datetime) -> tuple[datetime, str]:
    """When memory is forecast for, as in the learner's own report: the start of the exam day
    (the learner's rollover hour in their zone), or now."""
    raw = settings.get("exam_dates", {}).get(exam)
    if raw:
        try:
            zone = zone_for(settings.get("time_zone"))
        except UnknownZone:
            zone = system_zone()
        day = local_instant(date.fromisoformat(raw), int(settings["rollover_hour"]), zone)
        if day > now:
            return day, f"exam date {raw}"
    return now, "today"
