"""Pacing: time per question against the exam's budget, by section, and where the pace leads.

The budget is the exam's time limit spread evenly over its questions (CPC: 240 minutes for 100
questions, 2.4 minutes each). A learner's pace is the time spent per question answered so far;
projected over the whole limit it says which question the clock would stop at. Plain data in,
plain data out: the results screen, the report and the exam's status line all read this.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Timed:
    """One question's time: its section, the seconds spent on it, and whether it was answered."""

    position: int
    section: str
    seconds: float
    answered: bool


@dataclass(frozen=True)
class SectionPace:
    key: str
    title: str
    questions: int  # the section's questions on the form
    seconds: float  # spent on the section's questions in all
    answered: int = 0  # of the section's questions

    @property
    def per_question_s(self) -> float:
        """The section's time per answered question of the section, as the overall pace (all
        its time over all its questions when none is answered): blank questions, which took
        no time, would otherwise make a slow section look fast."""
        n = self.answered or self.questions
        return self.seconds / n if n else 0.0


@dataclass(frozen=True)
class Pacing:
    """How the time went against the budget."""

    budget_s: float | None  # per question; None for an untimed attempt
    per_question_s: float  # spent per answered question (all time when none answered)
    total: int  # questions on the form
    answered: int
    used_s: float
    reaches: int | None  # the question the clock stops at, at this pace (None: untimed)
    sections: list[SectionPace] = field(default_factory=list)
    slowest: list[Timed] = field(default_factory=list)

    @property
    def finishes(self) -> bool:
        """At this pace, every question is reached before time runs out."""
        return self.reaches is None or self.reaches >= self.total

    def verdict(self) -> str:
        """One sentence for the learner."""
        if self.budget_s is None:
            return (
                f"Untimed: {mmss(self.per_question_s)} per question; "
                "the real exam allows less, so practise timed too."
            )
        if self.answered == 0:
            return f"The exam's budget is {mmss(self.budget_s)} per question."
        if self.finishes:
            return (
                f"At {mmss(self.per_question_s)} per question (budget {mmss(self.budget_s)}) "
                "you reach every question in time."
            )
        return (
            f"At {mmss(self.per_question_s)} per question (budget {mmss(self.budget_s)}) "
            f"you reach question {self.reaches} of {self.total} when time runs out."
        )


def mmss(seconds: float) -> str:
    s = max(0, round(seconds))
    return f"{s // 60}:{s % 60:02d}"


def pacing(
    times: Sequence[Timed],
    *,
    time_limit_s: float | None,
    titles: dict[str, str] | None = None,
    slowest: int = 5,
) -> Pacing:
    """Pace of an attempt (finished or under way) against its time limit."""
    total = len(times)
    answered = [t for t in times if t.answered]
    used = sum(t.seconds for t in times)
    per_q = used / len(answered) if answered else (used / total if total else 0.0)
    budget = time_limit_s / total if time_limit_s and total else None
    reaches: int | None = None
    if time_limit_s:
        reaches = total if per_q <= 0 else min(total, math.floor(time_limit_s / per_q))
    by_section: dict[str, list[Timed]] = {}
    for t in times:
        by_section.setdefault(t.section, []).append(t)
    names = titles or {}
    sections = [
        SectionPace(
            k, names.get(k, k), len(v), sum(t.seconds for t in v), sum(t.answered for t in v)
        )
        for k, v in by_section.items()
    ]
    worst = sorted(times, key=lambda t: (-t.seconds, t.position))[:slowest]
    return Pacing(budget, per_q, total, len(answered), used, reaches, sections, worst)


def pace_gap_s(*, answered: int, used_s: float, budget_s: float) -> float:
    """Seconds ahead of the budget (positive) or behind it (negative) after ``answered``
    questions and ``used_s`` seconds."""
    return answered * budget_s - used_s
