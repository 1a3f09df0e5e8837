"""The instructor's view: every learner on one database, per student and per section.

Built from a handful of set queries for the whole class (learners, review counts, the exam's pool
and topics, every card on it, every submitted attempt and its answers), then each learner's
figures from the same core functions as their own report, so the two always agree.
"""

from __future__ import annotations

import csv
import io
import json
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
    readiness,
    section_evidence,
    weak_topics,
)
from certprep.core.scheduling import REVIEW, CardState, SchedulerSettings, retrievability
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
    readiness: float
    pass_probability: float
    sections: dict[str, float | None] = field(default_factory=dict)  # accuracy on exams
    weakest: str | None = None


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
            if counted:
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
        students.append(
            StudentLine(
                profile=learner.name,
                reviews=reviews.get(learner.id, 0),
                attempts=len(mine),
                last_score=scores[-1] if scores else None,
                best_score=max(scores) if scores else None,
                readiness=ready.expected,
                pass_probability=ready.pass_probability,
                sections={g.key: g.accuracy for g in ordered},
                weakest=weak[0].key if weak else None,
            )
        )
    return ClassReport(bp.key, bp.name, [s.key for s in bp.sections], students)


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


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


def render_class(report: ClassReport, fmt: str) -> str:
    """The class report as text, md, json or csv."""
    if fmt == "json":
        data: dict[str, Any] = {
            "schema": "certprep-class-report/1",
            "exam": report.exam,
            "name": report.name,
            "students": [
                {
                    "profile": s.profile,
                    "reviews": s.reviews,
                    "attempts": s.attempts,
                    "last_score": s.last_score,
                    "best_score": s.best_score,
                    "readiness": round(s.readiness, 4),
                    "pass_probability": round(s.pass_probability, 4),
                    "sections": s.sections,
                    "weakest_topic": s.weakest,
                }
                for s in report.students
            ],
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(
            [
                "profile",
                "reviews",
                "attempts",
                "last_score",
                "best_score",
                "readiness",
                "pass_probability",
                "weakest_topic",
                *report.sections,
            ]
        )
        for s in report.students:
            w.writerow(
                [
                    s.profile,
                    s.reviews,
                    s.attempts,
                    s.last_score,
                    s.best_score,
                    round(s.readiness, 4),
                    round(s.pass_probability, 4),
                    s.weakest,
                    *(s.sections.get(k) for k in report.sections),
                ]
            )
        return buf.getvalue()
    head = ["Student", "Reviews", "Attempts", "Last", "Best", "Ready", "P(pass)", "Weakest topic"]
    rows = [
        [
            s.profile,
            str(s.reviews),
            str(s.attempts),
            _pct(s.last_score),
            _pct(s.best_score),
            _pct(s.readiness),
            _pct(s.pass_probability),
            s.weakest or "—",
        ]
        for s in report.students
    ]
    sec_head = ["Student", *report.sections]
    sec_rows = [
        [s.profile, *(_pct(s.sections.get(k)) for k in report.sections)] for s in report.students
    ]
    if fmt == "md":

        def table(h: list[str], rs: list[list[str]]) -> list[str]:
            from certprep.services.report_format import md_cell

            esc = [[md_cell(c) for c in r] for r in rs]
            return ["| " + " | ".join(h) + " |", "|" + "---|" * len(h)] + [
                "| " + " | ".join(r) + " |" for r in esc
            ]

        out = [
            f"# Class report — {report.name}",
            "",
            *table(head, rows),
            "",
            "## Exam accuracy by section",
            "",
            *table(sec_head, sec_rows),
            "",
        ]
        return "\n".join(out)
    widths = (
        [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
        if rows
        else [len(h) for h in head]
    )
    lines = [f"Class report — {report.name}", ""]
    lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines += ["", "Exam accuracy by section:"]
    lines += [
        "  "
        + s[0]
        + ": "
        + ", ".join(f"{k} {v}" for k, v in zip(report.sections, s[1:], strict=True))
        for s in sec_rows
    ]
    return "\n".join(lines) + "\n"
