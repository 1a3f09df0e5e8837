"""Scoring a submitted exam: raw scores per section and in total, pass or fail, time used.

Only raw scores. Where the real exam reports a scaled score (CCS), we say how far the raw
percentage is from our stand-in pass line and how sure that is; we never invent a scaled score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from certprep.core.models import Blueprint

Z95 = 1.96


@dataclass(frozen=True)
class ScoredAnswer:
    """One question of an attempt as scoring sees it."""

    section: str
    correct: bool | None  # None: not answered
    pretest: bool = False
    time_spent_s: float = 0.0
    credit: float | None = None  # a partial-credit item's share of the point; None: 1 or 0

    @property
    def points(self) -> float:
        if self.credit is not None:
            return self.credit
        return 1.0 if self.correct else 0.0


@dataclass(frozen=True)
class SectionScore:
    key: str
    title: str
    right: int
    total: int  # scored questions
    unanswered: int
    points: float | None = None  # with partial credit: right answers plus shares; None = right

    @property
    def earned(self) -> float:
        return self.right if self.points is None else self.points

    @property
    def fraction(self) -> float:
        return self.earned / self.total if self.total else 0.0


@dataclass(frozen=True)
class PassLine:
    """An honest reading of a raw score against a stand-in pass line (no scaled score)."""

    pass_mark: float
    low: float  # 95% interval of the learner's true rate on items like these
    high: float
    verdict: str  # above | below | too_close
    statement: str


@dataclass(frozen=True)
class Score:
    """A submitted attempt's result."""

    right: int
    total: int  # scored questions
    answered: int
    unanswered: int
    pretest: int
    pass_mark: float
    passed: bool
    sections: list[SectionScore] = field(default_factory=list)
    pass_line: PassLine | None = None
    time_used_s: float = 0.0
    time_limit_s: int | None = None
    per_question_s: float = 0.0  # average over all questions of the form
    slowest_s: float = 0.0
    points: float | None = None  # with partial credit: right answers plus shares; None = right

    @property
    def earned(self) -> float:
        return self.right if self.points is None else self.points

    @property
    def fraction(self) -> float:
        return self.earned / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; ``score`` and ``passed`` are what the home screen lists."""
        d = asdict(self)
        d["score"] = self.fraction
        for s, raw in zip(self.sections, d["sections"], strict=True):
            raw["fraction"] = s.fraction
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Score:
        """Inverse of to_dict."""
        sections = [
            SectionScore(
                s["key"], s["title"], s["right"], s["total"], s["unanswered"], s.get("points")
            )
            for s in d.get("sections", [])
        ]
        pl = d.get("pass_line")
        return cls(
            right=d["right"],
            total=d["total"],
            answered=d["answered"],
            unanswered=d["unanswered"],
            pretest=d["pretest"],
            pass_mark=d["pass_mark"],
            passed=d["passed"],
            sections=sections,
            pass_line=PassLine(**pl) if pl else None,
            time_used_s=d.get("time_used_s", 0.0),
            time_limit_s=d.get("time_limit_s"),
            per_question_s=d.get("per_question_s", 0.0),
            slowest_s=d.get("slowest_s", 0.0),
            points=d.get("points"),
        )


def wilson_interval(right: float, total: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (sane at 0% and 100%)."""
    if total <= 0:
        return (0.0, 1.0)
    p = right / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def pass_line(right: float, total: int, pass_mark: float) -> PassLine:
    """Raw percentage against the stand-in line, with a 95% binomial margin."""
    low, high = wilson_interval(right, total)
    pct = right / total if total else 0.0
    if low > pass_mark:
        verdict, reading = "above", "clearly above"
    elif high < pass_mark:
        verdict, reading = "below", "clearly below"
    else:
        verdict, reading = "too_close", "too close to call against"
    statement = (
        f"Raw score {format_points(right)}/{total} = {pct:.0%} of the scored questions. "
        f"With {total} questions the margin is wide: your true rate on questions like these is "
        f"likely between {low:.0%} and {high:.0%} (95%, binomial). That is {reading} "
        f"certprep's stand-in pass line of {pass_mark:.0%} raw. This is not a scaled score: "
        f"the real exam's scaling is not public, so no scaled score is shown."
    )
    return PassLine(pass_mark, low, high, verdict, statement)


def score(
    blueprint: Blueprint,
    answers: Sequence[ScoredAnswer],
    *,
    time_used_s: float = 0.0,
    time_limit_s: int | None = None,
) -> Score:
    """Raw scores over scored (non-pretest) questions, pass/fail against the pass mark."""
    titles = {s.key: s.title for s in blueprint.sections}
    order = [s.key for s in blueprint.sections]
    per: dict[str, list[ScoredAnswer]] = {}
    for a in answers:
        if not a.pretest:
            per.setdefault(a.section, []).append(a)
    keys = [k for k in order if k in per] + sorted(k for k in per if k not in titles)
    sections = [
        SectionScore(
            k,
            titles.get(k, k),
            sum(1 for a in per[k] if a.correct),
            len(per[k]),
            sum(1 for a in per[k] if a.correct is None),
            _points(per[k]),
        )
        for k in keys
    ]
    right = sum(s.right for s in sections)
    total = sum(s.total for s in sections)
    partial = any(s.points is not None for s in sections)
    points = round(sum(s.earned for s in sections), 4) if partial else None
    earned = right if points is None else points
    answered = sum(1 for a in answers if a.correct is not None)
    passed = total > 0 and earned / total >= blueprint.pass_mark
    times = [a.time_spent_s for a in answers]
    return Score(
        right=right,
        total=total,
        answered=answered,
        unanswered=len(answers) - answered,
        pretest=sum(1 for a in answers if a.pretest),
        pass_mark=blueprint.pass_mark,
        passed=passed,
        sections=sections,
        pass_line=pass_line(earned, total, blueprint.pass_mark) if blueprint.pass_note else None,
        time_used_s=time_used_s,
        time_limit_s=time_limit_s,
        per_question_s=(sum(times) / len(times)) if times else 0.0,
        slowest_s=max(times, default=0.0),
        points=points,
    )


def _points(answers: list[ScoredAnswer]) -> float | None:
    """A section's points when one of its answers earned partial credit, else None."""
    if all(a.credit is None or a.credit in (0.0, 1.0) for a in answers):
        return None
    return round(sum(a.points for a in answers), 4)


def format_points(points: float) -> str:
    """71, or 71.5 when partial credit left a fraction (two places at most)."""
    return f"{points:.2f}".rstrip("0").rstrip(".")


def format_duration(seconds: float) -> str:
    """h:mm:ss, as the exam clock shows it."""
    s = max(0, math.ceil(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
