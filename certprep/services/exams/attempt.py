"""The attempt while it runs: reading it, and every change (answer, strike, flag, move, pause)
committed at once with the time used since the last tick."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from certprep.core.grading import is_correct
from certprep.core.models import Blueprint, Item, ItemKind
from certprep.core.problems import InputError
from certprep.core.scoring import Score
from certprep.store.engine import writing
from certprep.store.tables import (
    CASE,
    EXAM_ANSWER,
    EXAM_ATTEMPT,
    ITEM,
)

if TYPE_CHECKING:
    from certprep.services.services import Services

from certprep.services.exams.views import (
    ABANDONED,
    IN_PROGRESS,
    PAUSABLE,
    AttemptSummary,
    ExamClosed,
    ExamModeError,
    ExamQuestion,
    ExamView,
    _remaining,
    _used_now,
)


class ExamAttemptOps:
    """Read and change an attempt in progress."""

    services: Services

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

    def unfinished(self) -> list[AttemptSummary]:
        """Every attempt not yet submitted nor abandoned, newest first."""
        return [a for a in self.history() if a.status == IN_PROGRESS]

    def abandon(self, attempt_id: int) -> None:
        """Stop an unfinished attempt without scoring it: its clock stops, it is kept in the
        history as abandoned, and nothing goes to review. Raises ExamClosed if it was submitted."""
        now = self.services.clock()
        _ = self.services.learner_id
        with writing(self.services.engine) as conn:
            row = self._attempt(conn, attempt_id)
            if row.status != IN_PROGRESS:
                raise ExamClosed(f"this exam was {row.status.replace('_', ' ')}")
            self._spend(conn, row, now)
            conn.execute(
                sa.update(EXAM_ATTEMPT)
                .where(EXAM_ATTEMPT.c.id == attempt_id)
                .values(status=ABANDONED, submitted_at=now)
            )

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
