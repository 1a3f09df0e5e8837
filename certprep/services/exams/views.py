"""What a screen shows of an attempt, and the clock arithmetic every change shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from certprep.core.models import Blueprint, Item
from certprep.core.scoring import Score

if TYPE_CHECKING:
    pass


MODES = ("timed", "untimed", "tutor")
PAUSABLE = ("untimed", "tutor")
IN_PROGRESS, SUBMITTED, ABANDONED = "in_progress", "submitted", "abandoned"


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
