"""Mock exams: start (draw a form), answer, strike, flag, move, keep time, pause, submit.

Every change a learner makes is committed at once, in its own transaction, together with the
time used since the last committed tick. A killed process therefore loses nothing shown as done,
and on resume the time between the last tick and now counts as used: a long absence is not free
(unless the attempt was paused in a mode that allows pausing).
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from certprep.core.assembly import (
    AssemblyError,
    Form,
    PoolItem,
    ShortPoolError,
    assemble,
    form_counts,
    time_limit_s,
)
from certprep.core.grading import is_correct
from certprep.core.models import Blueprint, Item, ItemKind
from certprep.core.problems import InputError
from certprep.core.scoring import Score, ScoredAnswer, score
from certprep.services.review import settings_for
from certprep.store.engine import writing
from certprep.store.tables import (
    CARD,
    CASE,
    EXAM_ANSWER,
    EXAM_ATTEMPT,
    ITEM,
    ITEM_EXAM,
)

if TYPE_CHECKING:
    from certprep.services.services import Services

MODES = ("timed", "untimed", "tutor")
PAUSABLE = ("untimed", "tutor")
IN_PROGRESS, SUBMITTED = "in_progress", "submitted"


class ExamClosed(Exception):
    """The attempt takes no more changes: it was submitted, or its time is up."""


class ExamModeError(ValueError):
    """An action the attempt's mode does not allow (pausing a timed exam)."""


@dataclass
class ExamQuestion:
    """One question of an attempt with everything the learner did to it."""

    position: int
    item: Item
    section: str
    section_title: str
    pretest: bool
    choice_order: list[str]  # written keys in display order: display letters a, b, c … follow it
    response: list[str]  # written choice keys, or typed codes
    struck: list[str]
    flagged: bool
    correct: bool | None
    time_spent_s: float
    case_title: str | None = None
    case_text: str | None = None

    @property
    def answered(self) -> bool:
        return bool(self.response)

    def display_letter(self, key: str) -> str:
        """The letter the learner sees for a written choice key."""
        order = self.choice_order or [c.key for c in self.item.choices]
        return "abcdef"[order.index(key)]


@dataclass
class ExamView:
    """An attempt as a screen shows it."""

    id: int
    title: str
    blueprint: Blueprint
    mode: str
    status: str
    seed: int
    started_at: datetime
    position: int
    paused: bool
    time_limit_s: int | None
    time_used_s: float  # including the time since the last committed tick
    remaining_s: float | None  # None without a time limit
    questions: list[ExamQuestion] = field(default_factory=list)
    result: Score | None = None

    @property
    def answered(self) -> int:
        return sum(1 for q in self.questions if q.answered)

    @property
    def unanswered(self) -> int:
        return len(self.questions) - self.answered

    @property
    def flagged(self) -> int:
        return sum(1 for q in self.questions if q.flagged)

    @property
    def timed(self) -> bool:
        return self.time_limit_s is not None


@dataclass
class AttemptSummary:
    """One line of the attempt history."""

    id: int
    title: str
    blueprint_key: str
    mode: str
    status: str
    started_at: datetime
    submitted_at: datetime | None
    questions: int
    score: float | None
    passed: bool | None


@dataclass
class Result:
    """What submit returns: the score and how many missed items went to review."""

    attempt_id: int
    score: Score
    sent_to_review: int = 0


def _used_now(row: Any, now: datetime) -> float:
    """Time used by ``now``: the committed time plus the time since the last tick."""
    used = float(row.time_used_s)
    if row.status == IN_PROGRESS and not row.paused and row.last_seen_at is not None:
        used += max(0.0, (now - row.last_seen_at).total_seconds())
    if row.time_limit_s is not None:
        used = min(used, float(row.time_limit_s))
    return used


def _remaining(row: Any, now: datetime) -> float | None:
    if row.time_limit_s is None:
        return None
    return max(0.0, float(row.time_limit_s) - _used_now(row, now))


class ExamService:
    """Mock exams for one learner."""

    def __init__(self, services: Services) -> None:
        self.services = services

    # -- starting --------------------------------------------------------------------------
    def pool(
        self,
        blueprint: Blueprint,
        *,
        counts: dict[str, int] | None = None,
        seed: int = 0,
    ) -> tuple[list[PoolItem], dict[str, datetime | None]]:
        """The live items of the blueprint's exam in allowed kinds, and when each was last seen.

        Seen means reviewed (the card's last review) or shown in an earlier attempt. With
        ``counts`` (questions per section), the database ranks each section's items (never
        seen first, then the longest ago, ties by a seeded hash) and returns only the first
        few times what the section needs, plus the rest of any scenario series among them:
        assembly then works on hundreds of items instead of the whole bank.
        """
        lid = self.services.learner_id
        kinds = [str(k) for k in blueprint.item_kinds if k is not ItemKind.FLASHCARD]
        shown = (
            sa.select(EXAM_ANSWER.c.item_id, sa.func.max(EXAM_ATTEMPT.c.started_at).label("at"))
            .select_from(
                EXAM_ANSWER.join(EXAM_ATTEMPT, EXAM_ATTEMPT.c.id == EXAM_ANSWER.c.attempt_id)
            )
            .where(EXAM_ATTEMPT.c.learner_id == lid)
            .group_by(EXAM_ANSWER.c.item_id)
            .subquery()
        )
        reviewed = CARD.c.last_review
        seen_at = sa.case(
            (reviewed.is_(None), shown.c.at),
            (shown.c.at.is_(None), reviewed),
            (reviewed > shown.c.at, reviewed),
            else_=shown.c.at,
        )
        joined = (
            ITEM.join(
                ITEM_EXAM,
                sa.and_(ITEM_EXAM.c.item_id == ITEM.c.id, ITEM_EXAM.c.exam == blueprint.key),
            )
            .outerjoin(CARD, sa.and_(CARD.c.item_id == ITEM.c.id, CARD.c.learner_id == lid))
            .outerjoin(shown, shown.c.item_id == ITEM.c.id)
        )
        live = sa.and_(ITEM.c.retired.is_(False), ITEM.c.kind.in_(kinds))
        cols = [
            ITEM.c.id,
            ITEM_EXAM.c.section,
            ITEM.c.case_id,
            ITEM.c.bank_id,
            ITEM.c.position,
            ITEM.c.kind,
            seen_at.label("seen"),
        ]
        with self.services.engine.connect() as conn:
            rows: list[Any]
            if counts is None:
                rows = list(conn.execute(sa.select(*cols).select_from(joined).where(live)))
            else:
                mix = (
                    sa.cast(ITEM.c.bank_id, sa.BigInteger) * 1000003
                    + ITEM.c.position
                    + seed % 1000003
                )
                ranked = (
                    sa.select(
                        *cols,
                        sa.func.row_number()
                        .over(
                            partition_by=ITEM_EXAM.c.section,
                            order_by=[
                                seen_at.is_not(None),
                                seen_at,
                                (mix * 2654435761) % 2147483647,
                            ],
                        )
                        .label("rank"),
                    )
                    .select_from(joined)
                    .where(live, ITEM_EXAM.c.section.in_(list(counts)))
                    .subquery()
                )
                limits = sa.case(
                    *[(ranked.c.section == k, 4 * n + 20) for k, n in counts.items()], else_=0
                )
                rows = list(conn.execute(sa.select(ranked).where(ranked.c.rank <= limits)))
                cases = {r.case_id for r in rows if r.case_id}
                if cases:  # a series is drawn whole: bring in the rest of its questions
                    have = {r.id for r in rows}
                    rows += [
                        r
                        for r in conn.execute(
                            sa.select(*cols)
                            .select_from(joined)
                            .where(live, ITEM.c.case_id.in_(cases))
                        )
                        if r.id not in have
                    ]
            ids = [r.id for r in rows if r.kind != ItemKind.CODE.value]
            keys: dict[str, tuple[tuple[str, ...], bool]] = {}
            for start in range(0, len(ids), 900):
                for item_id, payload in conn.execute(
                    sa.select(ITEM.c.id, ITEM.c.payload).where(
                        ITEM.c.id.in_(ids[start : start + 900])
                    )
                ):
                    keys[item_id] = (
                        tuple(c["key"] for c in payload.get("choices", [])),
                        # True before False reads oddly shuffled: true/false items keep their order
                        bool(payload.get("pin_choices", False))
                        or payload.get("kind") == ItemKind.TRUE_FALSE.value,
                    )
        pool = [
            PoolItem(
                id=r.id,
                section=r.section,
                case=r.case_id,
                bank=int(r.bank_id),
                position=int(r.position),
                choice_keys=keys.get(r.id, ((), False))[0],
                pin_choices=keys.get(r.id, ((), False))[1],
            )
            for r in rows
        ]
        seen = {r.id: r.seen for r in rows if r.seen is not None}
        return pool, seen

    def draw(self, blueprint: str | Blueprint, seed: int, **options: Any) -> Form:
        """Draw a form without starting an attempt (what `start` writes; used by benchmarks)."""
        bp = blueprint if isinstance(blueprint, Blueprint) else self.services.blueprint(blueprint)
        counts = form_counts(
            bp, sections=options.get("sections"), questions=options.get("questions")
        )
        pool, seen = self.pool(bp, counts=counts, seed=seed)
        return assemble(bp, pool, seed=seed, last_seen=seen, **options)

    def start(
        self,
        blueprint: str | Blueprint,
        seed: int | None = None,
        mode: str = "timed",
        sections: Sequence[str] | None = None,
        questions: int | None = None,
        unseen_only: bool = False,
    ) -> int:
        """Draw a form and write the attempt with all its answer rows in one transaction.

        Raises ShortPoolError (with a shorter form that would fit) or AssemblyError.
        """
        if mode not in MODES:
            raise ExamModeError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        svc = self.services
        bp = blueprint if isinstance(blueprint, Blueprint) else svc.blueprint(blueprint)
        if seed is None:
            seed = random.SystemRandom().randrange(2**31)
        counts = form_counts(bp, sections=sections, questions=questions)
        pool, seen = self.pool(bp, counts=counts, seed=seed)
        form = assemble(
            bp,
            pool,
            seed=seed,
            last_seen=seen,
            unseen_only=unseen_only,
            sections=sections,
            questions=questions,
        )
        limit = time_limit_s(bp, form.size) if mode == "timed" else None
        title = f"{bp.key.upper()} {'mock exam' if mode == 'timed' else 'practice'}"
        title += f", {form.size} questions"
        if mode != "timed":
            title += f", {mode}"
        if sections:
            title += f" ({', '.join(sections)})"
        lid = svc.learner_id
        now = svc.clock()
        with writing(svc.engine) as conn:
            attempt_id = int(
                conn.execute(
                    sa.insert(EXAM_ATTEMPT).values(
                        learner_id=lid,
                        blueprint_key=bp.key,
                        blueprint=bp.model_dump(mode="json"),
                        title=title[:200],
                        seed=seed,
                        mode=mode,
                        status=IN_PROGRESS,
                        started_at=now,
                        time_limit_s=limit,
                        time_used_s=0.0,
                        last_seen_at=now,
                        paused=False,
                        position=0,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
            conn.execute(
                sa.insert(EXAM_ANSWER),
                [
                    {
                        "attempt_id": attempt_id,
                        "position": i,
                        "item_id": fq.item_id,
                        "section": fq.section,
                        "pretest": fq.pretest,
                        "choice_order": list(fq.choice_order),
                        "response": [],
                        "struck": [],
                        "flagged": False,
                        "correct": None,
                        "time_spent_s": 0.0,
                        "answered_at": None,
                    }
                    for i, fq in enumerate(form.questions)
                ],
            )
        return attempt_id

    # -- reading ---------------------------------------------------------------------------
    def _attempt(self, conn: Connection, attempt_id: int) -> Any:
        row = conn.execute(
            sa.select(EXAM_ATTEMPT).where(
                EXAM_ATTEMPT.c.id == attempt_id,
                EXAM_ATTEMPT.c.learner_id == self.services.learner_id,
            )
        ).first()
        if row is None:
            raise InputError(f"no exam attempt {attempt_id} for profile {self.services.profile}")
        return row

    def in_progress(self) -> int | None:
        """The most recent attempt not yet submitted, if any."""
        lid = self.services.learner_id
        with self.services.engine.connect() as conn:
            found = conn.execute(
                sa.select(EXAM_ATTEMPT.c.id)
                .where(EXAM_ATTEMPT.c.learner_id == lid, EXAM_ATTEMPT.c.status == IN_PROGRESS)
                .order_by(EXAM_ATTEMPT.c.started_at.desc(), EXAM_ATTEMPT.c.id.desc())
                .limit(1)
            ).scalar()
        return None if found is None else int(found)

    def load(self, attempt_id: int) -> ExamView:
        """The attempt with its questions, responses, flags, struck choices and the clock."""
        now = self.services.clock()
        _ = self.services.learner_id
        with self.services.engine.connect() as conn:
            row = self._attempt(conn, attempt_id)
            answers = conn.execute(
                sa.select(EXAM_ANSWER)
                .where(EXAM_ANSWER.c.attempt_id == attempt_id)
                .order_by(EXAM_ANSWER.c.position)
            ).all()
            ids = [a.item_id for a in answers]
            items = {
                r.id: r
                for r in conn.execute(
                    sa.select(ITEM.c.id, ITEM.c.payload, ITEM.c.case_id).where(ITEM.c.id.in_(ids))
                )
            }
            case_ids = {r.case_id for r in items.values() if r.case_id}
            cases = {
                r.id: r
                for r in conn.execute(
                    sa.select(CASE.c.id, CASE.c.title, CASE.c.text).where(CASE.c.id.in_(case_ids))
                )
            }
        bp = Blueprint.model_validate(row.blueprint)
        titles = {s.key: s.title for s in bp.sections}
        questions = []
        for a in answers:
            it = items[a.item_id]
            case = cases.get(it.case_id) if it.case_id else None
            questions.append(
                ExamQuestion(
                    position=a.position,
                    item=Item.model_validate(it.payload),
                    section=a.section,
                    section_title=titles.get(a.section, a.section),
                    pretest=bool(a.pretest),
                    choice_order=list(a.choice_order or []),
                    response=list(a.response or []),
                    struck=list(a.struck or []),
                    flagged=bool(a.flagged),
                    correct=a.correct,
                    time_spent_s=float(a.time_spent_s),
                    case_title=case.title if case else None,
                    case_text=case.text if case else None,
                )
            )
        return ExamView(
            id=row.id,
            title=row.title,
            blueprint=bp,
            mode=row.mode,
            status=row.status,
            seed=int(row.seed),
            started_at=row.started_at,
            position=int(row.position),
            paused=bool(row.paused),
            time_limit_s=row.time_limit_s,
            time_used_s=_used_now(row, now),
            remaining_s=_remaining(row, now),
            questions=questions,
            result=Score.from_dict(row.result) if row.result else None,
        )

    def remaining(self, attempt: int | ExamView) -> float | None:
        """Seconds left now (None without a time limit); the time since the last tick is spent."""
        attempt_id = attempt.id if isinstance(attempt, ExamView) else attempt
        now = self.services.clock()
        _ = self.services.learner_id
        with self.services.engine.connect() as conn:
            row = self._attempt(conn, attempt_id)
        return _remaining(row, now)

    def time_used(self, attempt_id: int) -> float:
        """Seconds used so far, the time since the last tick included (paused: none of it)."""
        now = self.services.clock()
        _ = self.services.learner_id
        with self.services.engine.connect() as conn:
            row = self._attempt(conn, attempt_id)
        return _used_now(row, now)

    def history(self, limit: int | None = None) -> list[AttemptSummary]:
        """Every attempt of this learner, newest first."""
        lid = self.services.learner_id
        n = (
            sa.select(sa.func.count())
            .where(EXAM_ANSWER.c.attempt_id == EXAM_ATTEMPT.c.id)
            .scalar_subquery()
        )
        q = (
            sa.select(EXAM_ATTEMPT, n.label("n"))
            .where(EXAM_ATTEMPT.c.learner_id == lid)
            .order_by(EXAM_ATTEMPT.c.started_at.desc(), EXAM_ATTEMPT.c.id.desc())
        )
        if limit is not None:
            q = q.limit(limit)
        with self.services.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [
            AttemptSummary(
                r.id,
                r.title,
                r.blueprint_key,
                r.mode,
                r.status,
                r.started_at,
                r.submitted_at,
                int(r.n),
                (r.result or {}).get("score"),
                (r.result or {}).get("passed"),
            )
            for r in rows
        ]

    # -- changing --------------------------------------------------------------------------
    def _spend(self, conn: Connection, row: Any, now: datetime) -> float:
        """Commit the time since the last tick to the attempt and the question on screen."""
        used = _used_now(row, now)
        delta = max(0.0, used - float(row.time_used_s))
        conn.execute(
            sa.update(EXAM_ATTEMPT)
            .where(EXAM_ATTEMPT.c.id == row.id)
            .values(time_used_s=used, last_seen_at=now)
        )
        if delta:
            conn.execute(
                sa.update(EXAM_ANSWER)
                .where(
                    EXAM_ANSWER.c.attempt_id == row.id,
                    EXAM_ANSWER.c.position == row.position,
                )
                .values(time_spent_s=EXAM_ANSWER.c.time_spent_s + delta)
            )
        return used

    def _change(
        self, attempt_id: int, apply: Callable[[Connection, Any, datetime], None] | None = None
    ) -> None:
        """One transaction: spend the time since the last tick, then apply the change.

        Raises ExamClosed (after committing the time) when the attempt was submitted or its
        time has run out.
        """
        _ = self.services.learner_id
        now = self.services.clock()
        closed = ""
        with writing(self.services.engine) as conn:
            row = self._attempt(conn, attempt_id)
            if row.status != IN_PROGRESS:
                closed = "this exam was submitted"
            else:
                used = self._spend(conn, row, now)
                if row.time_limit_s is not None and used >= row.time_limit_s:
                    closed = "time is up"
                elif apply is not None:
                    apply(conn, row, now)
        if closed:
            raise ExamClosed(closed)

    def _answer_row(self, conn: Connection, attempt_id: int, position: int) -> Any:
        found = conn.execute(
            sa.select(EXAM_ANSWER, ITEM.c.payload)
            .select_from(EXAM_ANSWER.join(ITEM, ITEM.c.id == EXAM_ANSWER.c.item_id))
            .where(EXAM_ANSWER.c.attempt_id == attempt_id, EXAM_ANSWER.c.position == position)
        ).first()
        if found is None:
            raise InputError(f"exam attempt {attempt_id} has no question {position + 1}")
        return found

    def tick(self, attempt_id: int) -> float | None:
        """Commit the time used since the last tick; returns the seconds left (None: no limit)."""
        with contextlib.suppress(ExamClosed):
            self._change(attempt_id)
        return self.remaining(attempt_id)

    def answer(self, attempt_id: int, position: int, response: Sequence[str]) -> bool | None:
        """Save a response (written choice keys or typed codes; empty clears it).

        Returns whether it is right (the screen shows it only in tutor mode).
        """
        result: list[bool | None] = [None]

        def apply(conn: Connection, row: Any, now: datetime) -> None:
            a = self._answer_row(conn, attempt_id, position)
            item = Item.model_validate(a.payload)
            given = [str(r) for r in response]
            if item.choices:
                keys = {c.key for c in item.choices}
                bad = [g for g in given if g not in keys]
                if bad:
                    raise InputError(f"question {position + 1} has no choice {', '.join(bad)}")
                if item.kind is not ItemKind.MULTIPLE and len(given) > 1:
                    raise InputError(f"question {position + 1} takes one answer")
                given = sorted(set(given))
            correct = is_correct(item, given) if given else None
            result[0] = correct
            conn.execute(
                sa.update(EXAM_ANSWER)
                .where(EXAM_ANSWER.c.attempt_id == attempt_id, EXAM_ANSWER.c.position == position)
                .values(response=given, correct=correct, answered_at=now if given else None)
            )

        self._change(attempt_id, apply)
        return result[0]

    def strike(self, attempt_id: int, position: int, key: str) -> list[str]:
        """Strike a choice out, or bring it back; returns the struck keys."""
        out: list[str] = []

        def apply(conn: Connection, row: Any, now: datetime) -> None:
            a = self._answer_row(conn, attempt_id, position)
            if key not in {c["key"] for c in a.payload.get("choices", [])}:
                raise InputError(f"question {position + 1} has no choice {key}")
            struck = set(a.struck or [])
            struck ^= {key}
            out.extend(sorted(struck))
            conn.execute(
                sa.update(EXAM_ANSWER)
                .where(EXAM_ANSWER.c.attempt_id == attempt_id, EXAM_ANSWER.c.position == position)
                .values(struck=out)
            )

        self._change(attempt_id, apply)
        return out

    def flag(self, attempt_id: int, position: int, on: bool | None = None) -> bool:
        """Flag a question for review (toggle unless ``on`` is given); returns the new flag."""
        out = [False]

        def apply(conn: Connection, row: Any, now: datetime) -> None:
            a = self._answer_row(conn, attempt_id, position)
            out[0] = (not a.flagged) if on is None else on
            conn.execute(
                sa.update(EXAM_ANSWER)
                .where(EXAM_ANSWER.c.attempt_id == attempt_id, EXAM_ANSWER.c.position == position)
                .values(flagged=out[0])
            )

        self._change(attempt_id, apply)
        return out[0]

    def goto(self, attempt_id: int, position: int) -> int:
        """Move to another question; the time so far is spent on the one being left."""

        def apply(conn: Connection, row: Any, now: datetime) -> None:
            self._answer_row(conn, attempt_id, position)  # it must exist
            conn.execute(
                sa.update(EXAM_ATTEMPT)
                .where(EXAM_ATTEMPT.c.id == attempt_id)
                .values(position=position)
            )

        self._change(attempt_id, apply)
        return position

    def pause(self, attempt_id: int) -> None:
        """Stop the clock (untimed and tutor modes only)."""
        self._set_paused(attempt_id, True)

    def unpause(self, attempt_id: int) -> None:
        """Start the clock again from now."""
        self._set_paused(attempt_id, False)

    def _set_paused(self, attempt_id: int, paused: bool) -> None:
        def apply(conn: Connection, row: Any, now: datetime) -> None:
            if row.mode not in PAUSABLE:
                raise ExamModeError("a timed exam cannot be paused: the clock keeps running")
            conn.execute(
                sa.update(EXAM_ATTEMPT)
                .where(EXAM_ATTEMPT.c.id == attempt_id)
                .values(paused=paused, last_seen_at=now)
            )

        self._change(attempt_id, apply)

    # -- submitting ------------------------------------------------------------------------
    def submit(self, attempt_id: int) -> Result:
        """Score the attempt, store the result and (if the setting is on) send misses to review.

        All in one transaction. Submitting twice returns the stored result.
        """
        svc = self.services
        lid = svc.learner_id
        now = svc.clock()
        to_review = bool(svc.settings.get("exam_misses_to_review", True))
        with svc.engine.connect() as conn:
            key = self._attempt(conn, attempt_id).blueprint_key
        sched = settings_for(svc, key)
        sent = 0
        with writing(svc.engine) as conn:
            row = self._attempt(conn, attempt_id)
            if row.status == SUBMITTED:
                return Result(attempt_id, Score.from_dict(row.result or {}))
            used = self._spend(conn, row, now)
            rows = conn.execute(
                sa.select(EXAM_ANSWER, ITEM.c.payload)
                .select_from(EXAM_ANSWER.join(ITEM, ITEM.c.id == EXAM_ANSWER.c.item_id))
                .where(EXAM_ANSWER.c.attempt_id == attempt_id)
                .order_by(EXAM_ANSWER.c.position)
            ).all()
            scored: list[ScoredAnswer] = []
            missed: dict[str, float] = {}
            for a in rows:
                item = Item.model_validate(a.payload)
                correct = is_correct(item, list(a.response)) if a.response else None
                spent = float(a.time_spent_s) + (
                    used - float(row.time_used_s) if a.position == row.position else 0.0
                )
                if correct != a.correct:
                    conn.execute(
                        sa.update(EXAM_ANSWER)
                        .where(
                            EXAM_ANSWER.c.attempt_id == attempt_id,
                            EXAM_ANSWER.c.position == a.position,
                        )
                        .values(correct=correct)
                    )
                scored.append(ScoredAnswer(a.section, correct, bool(a.pretest), spent))
                if correct is False:
                    missed.setdefault(a.item_id, spent)
            bp = Blueprint.model_validate(row.blueprint)
            result = score(bp, scored, time_used_s=used, time_limit_s=row.time_limit_s)
            conn.execute(
                sa.update(EXAM_ATTEMPT)
                .where(EXAM_ATTEMPT.c.id == attempt_id)
                .values(status=SUBMITTED, submitted_at=now, result=result.to_dict())
            )
            if to_review and missed:
                sent = self._misses_to_review(conn, lid, missed, now, sched)
        return Result(attempt_id, result, sent)

    def _misses_to_review(
        self,
        conn: Connection,
        lid: int,
        missed: dict[str, float],
        now: datetime,
        settings: Any,
    ) -> int:
        """Exam answers are reviews: see ``certprep.services.review.exam_answers`` for the rule."""
        from certprep.services.review import exam_answers_to_memory

        return exam_answers_to_memory(conn, lid, missed, now, settings)


def parse_sections(sections: str | Sequence[str] | None) -> list[str] | None:
    """``"a,b"`` or ``["a", "b"]`` to a list of section keys (None when empty)."""
    if sections is None:
        return None
    parts = sections.split(",") if isinstance(sections, str) else list(sections)
    keys = [p.strip() for p in parts if p.strip()]
    return keys or None


def short_pool_message(
    exc: ShortPoolError, blueprint_key: str, form_sections: Sequence[str] = ()
) -> str:
    """The short sections, a --questions N that would fit, and --sections without empty ones."""
    kind = "unseen items" if exc.unseen_only else "items"
    lines = [f"not enough {kind} in the {blueprint_key} pool for this form:"]
    lines += [
        f"  {s.section}: needs {s.wanted}, has {s.available} ({s.missing} short)"
        for s in exc.shortfalls
    ]
    if exc.suggested_questions:
        lines.append(
            f"a shorter form fits: try --questions {exc.suggested_questions}, "
            "or import more items for these sections"
        )
    else:
        lines.append("no shorter form fits either: import items for these sections")
    empty = {s.section for s in exc.shortfalls if s.available == 0}
    rest = [k for k in form_sections if k not in empty]
    if empty and rest:
        lines.append(f"or leave out the sections with no items: --sections {','.join(rest)}")
    return "\n".join(lines)


def start_from_cli(
    services: Services,
    blueprint: str,
    seed: int | None,
    untimed: bool,
    sections: str | Sequence[str] | None,
    questions: int | None,
) -> int:
    """``certprep exam …``: start an attempt, or raise InputError with a message for people.

    ``--untimed`` means tutor mode (no clock, the rationale after each answer).
    """
    bp = services.blueprint(blueprint)  # InputError for an unknown blueprint
    keys = parse_sections(sections)
    try:
        counts = form_counts(bp, sections=keys, questions=questions)
        return ExamService(services).start(
            bp,
            seed=seed,
            mode="tutor" if untimed else "timed",
            sections=keys,
            questions=questions,
        )
    except ShortPoolError as exc:
        raise InputError(
            short_pool_message(exc, bp.key, [k for k, n in counts.items() if n]),
            source=f"exam {bp.key}",
        ) from exc
    except AssemblyError as exc:
        raise InputError(str(exc), source=f"exam {bp.key}") from exc
