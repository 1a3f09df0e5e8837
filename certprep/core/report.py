"""Weak topics, readiness and history: pure functions over answers, cards and a blueprint.

The model, stated once (the report prints it too; the forecast itself is in core/readiness.py):

* Evidence per section and topic: exam answers (right/wrong) and the FSRS memory state of the
  cards in it. Accuracy is shown with a Wilson 95 % interval; fewer than 10 answers is a small
  sample and the report says so. "Memory" is the mean FSRS retrievability of the studied cards
  on the forecast day; never-studied items are counted apart (unseen), not as guesses.
* Predicted correctness of a section is the readiness model's (core/readiness.py): mock
  answers, memory projected to exam day and calibrated by review outcomes, the unseen share,
  and a population prior that thin data shrinks toward. A topic's is its own mock answers
  shrunk toward its section's forecast, with its own memory.
* Weak-topic score = points the topic is expected to cost on exam day
  = questions of its section on the exam × the topic's share of the section's pool × (1 − p).
  An item tagged with several topics counts once in total: its share is split evenly among
  its topics, so a section's topics together never lose more points than it has questions.
  A topic's score depends only on its own evidence, its section's and the blueprint.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from certprep.core.readiness import (
    Forecast,
    MockEvidence,
    ReviewEvidence,
    SectionEvidence,
    forecast,
    memory_share,
    topic_correctness,
)

SMALL_SAMPLE = 10

ASSUMPTIONS = [
    "Accuracy intervals are Wilson 95% intervals; under 10 answers is a small sample.",
    "Memory is the mean FSRS retrievability of the studied cards on the forecast day, "
    "calibrated by how often you actually forgot at reviews; never-studied items are unknown "
    "(not counted as guesses): the model learns what you know of them from your mock exams.",
    "Chance of passing = probability that your score on a fresh form of the real exam, on the "
    "forecast day, reaches the pass mark (whole questions, unscored pretest items left out). "
    "It combines mock answers (the most direct evidence), memory projected to that day, and a "
    "population prior that thin data shrinks toward; the interval is 95% of likely scores. "
    "Questions left unanswered in a mock are not evidence of what you know (the pacing says "
    "whether you finish in time).",
    "Checked on 10,000 simulated learners (benchmarks/readiness.py): see README, Readiness.",
    "Weak-topic score = expected points lost on exam day = the topic's share of its section's "
    "questions × (1 − predicted correctness); an item with several topics counts once in total.",
    "Memory decays as FSRS predicts if you stop reviewing; keeping up with reviews does better.",
]


@dataclass(frozen=True)
class AnswerFact:
    """One scored exam answer."""

    attempt_id: int
    item_id: str
    section: str
    topics: tuple[str, ...]
    correct: bool
    answered_at: datetime


@dataclass(frozen=True)
class CardFact:
    """One item of the exam's pool with the learner's memory of it."""

    item_id: str
    section: str
    topics: tuple[str, ...]
    retrievability: float | None  # at the forecast date; None = never studied
    due: datetime | None = None
    suspended: bool = False


@dataclass(frozen=True)
class AttemptFact:
    id: int
    started_at: datetime
    title: str
    score: float | None  # fraction of scored questions right
    passed: bool | None
    time_used_s: float
    sections: dict[str, float]  # fraction right per section


@dataclass
class Group:
    """Figures for a section or a topic."""

    key: str
    section: str
    answered: int = 0
    right: int = 0
    cards: int = 0
    studied: int = 0
    mean_r: float | None = None  # mean retrievability of the studied cards
    due: int = 0
    overdue: int = 0
    trend: list[float] = field(default_factory=list)  # accuracy per recent attempt, oldest first
    weight: float = 0.0  # expected questions on the exam
    predicted: float = 0.0
    score: float = 0.0  # expected points lost
    share: float = 0.0  # of the section's pool, items with several topics split among them

    @property
    def accuracy(self) -> float | None:
        return self.right / self.answered if self.answered else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.right, self.answered) if self.answered else None

    @property
    def small_sample(self) -> bool:
        return self.answered < SMALL_SAMPLE

    @property
    def unseen(self) -> float | None:
        """Share of the pool never studied."""
        return (self.cards - self.studied) / self.cards if self.cards else None


@dataclass
class Readiness:
    expected: float  # fraction of scored questions
    low: float
    high: float
    pass_mark: float
    pass_probability: float
    basis: str  # "exam date 2027-03-01" or "today"
    need: int = 0  # scored questions right needed to pass
    total: int = 0  # scored questions on a form
    lapse_ratio: float = 1.0  # observed / FSRS-predicted lapses at reviews (shrunk)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for k successes in n trials."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, centre - half), min(1.0, centre + half))


def _topics_of(topics: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(topics)) or ("(untagged)",)


def build_groups(
    answers: list[AnswerFact],
    cards: list[CardFact],
    section_questions: Mapping[str, int],
    now: datetime,
    *,
    by: str = "section",
    recent_attempts: int = 5,
) -> list[Group]:
    """Counts per section (by="section") or per topic (by="topic"); predictions come later.

    ``weight`` is the expected number of questions on a form: the section's count, or for a
    topic its share of the section's pool (an item's share split among its topics).
    """

    def keys_of(section: str, topics: tuple[str, ...]) -> list[tuple[str, str]]:
        if by == "section":
            return [(section, section)]
        return [(t, section) for t in _topics_of(topics)]

    groups: dict[tuple[str, str], Group] = {}
    pool: dict[tuple[str, str], list[CardFact]] = defaultdict(list)
    share: dict[tuple[str, str], float] = defaultdict(float)
    section_pool: dict[str, int] = defaultdict(int)
    for c in cards:
        section_pool[c.section] += 1
        keys = keys_of(c.section, c.topics)
        for key in keys:
            pool[key].append(c)
            share[key] += 1 / len(keys)
    per_attempt: dict[tuple[str, str], dict[int, list[bool]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for a in answers:
        for key in keys_of(a.section, a.topics):
            g = groups.setdefault(key, Group(key[0], key[1]))
            g.answered += 1
            g.right += int(a.correct)
            per_attempt[key][a.attempt_id].append(a.correct)
    for key, members in pool.items():
        g = groups.setdefault(key, Group(key[0], key[1]))
        g.cards = len(members)
        studied = [c.retrievability for c in members if c.retrievability is not None]
        g.studied = len(studied)
        g.mean_r = sum(studied) / len(studied) if studied else None
        g.due = sum(1 for c in members if c.due is not None and c.due <= now and not c.suspended)
        g.overdue = sum(
            1 for c in members if c.due is not None and (now - c.due).days >= 1 and not c.suspended
        )
    for key, g in groups.items():
        attempts = sorted(per_attempt.get(key, {}).items())[-recent_attempts:]
        g.trend = [sum(v) / len(v) for _, v in attempts]
        total = section_pool.get(g.section, 0)
        g.share = share.get(key, 0.0) / total if total else 0.0
        g.weight = section_questions.get(g.section, 0) * (g.share if by == "topic" else 1.0)
    return list(groups.values())


def section_evidence(
    sections: list[Group],
    section_questions: Mapping[str, int],
    answers: list[AnswerFact],
    attempt_memory: Mapping[int, Mapping[str, tuple[int, float | None]]],
) -> list[SectionEvidence]:
    """The forecast's inputs per section of the blueprint (scored questions only).

    ``attempt_memory[attempt][section]`` = (pool items studied before the attempt, their mean
    retrievability then).
    """
    by_key = {g.key: g for g in sections}
    counts: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for a in answers:
        cell = counts[a.section][a.attempt_id]
        cell[0] += int(a.correct)
        cell[1] += 1
    out = []
    for key, q in section_questions.items():
        g = by_key.get(key)
        mocks = tuple(
            MockEvidence(r, n, *attempt_memory.get(att, {}).get(key, (0, None)))
            for att, (r, n) in sorted(counts.get(key, {}).items())
        )
        out.append(
            SectionEvidence(
                key,
                q,
                g.cards if g else 0,
                g.studied if g else 0,
                g.mean_r if g else None,
                mocks,
            )
        )
    return out


def apply_forecast(
    sections: list[Group],
    topics: list[Group],
    fc: Forecast,
) -> None:
    """Fill in predicted correctness and expected points lost from the forecast."""
    per_section = {s.key: s for s in fc.sections}
    for g in sections:
        sf = per_section.get(g.key)
        g.predicted = sf.expected if sf else 0.0
        g.score = g.weight * (1 - g.predicted)
    for g in topics:
        sf = per_section.get(g.section)
        if sf is None:
            g.predicted, g.score = 0.0, 0.0
            continue
        memory = memory_share(g.cards, g.studied, g.mean_r, fc.lapse_ratio)
        g.predicted = topic_correctness(sf, g.right, g.answered, memory)
        g.score = g.weight * (1 - g.predicted)


def has_evidence(attempts: int, sections: Iterable[Group]) -> bool:
    """Whether anything of a learner's bears on an exam: a mock submitted, or a card of its pool
    studied or answered. Without it the forecast is the population prior alone, which says
    nothing about the learner: reports say "no evidence yet" instead of a score."""
    return attempts > 0 or any(g.answered or g.studied for g in sections)


def weak_topics(groups: list[Group], limit: int = 10) -> list[Group]:
    """Topics ranked by expected points lost on exam day (highest first; ties by name)."""
    ranked = sorted(groups, key=lambda g: (-round(g.score, 9), g.key))
    return [g for g in ranked if g.weight > 0][:limit]


def readiness(
    evidence: list[SectionEvidence],
    reviews: ReviewEvidence,
    pass_mark: float,
    basis: str,
) -> tuple[Readiness, Forecast]:
    """The chance of passing a fresh form, the expected score and its 95 % interval."""
    fc = forecast(evidence, reviews, pass_mark)
    return (
        Readiness(
            expected=fc.expected,
            low=fc.low,
            high=fc.high,
            pass_mark=pass_mark,
            pass_probability=fc.pass_probability,
            basis=basis,
            need=fc.need,
            total=fc.total,
            lapse_ratio=fc.lapse_ratio,
        ),
        fc,
    )
