"""Weak topics, readiness and history: pure functions over answers, cards and a blueprint.

The model, stated once (the report prints it too):

* Evidence per section and topic: exam answers (right/wrong) and the FSRS memory state of the
  cards in it. Accuracy is shown with a Wilson 95 % interval; fewer than 10 answers is a small
  sample and the report says so.
* Predicted correctness p of a section or topic = the mean of the available estimates:
  - from exams: (right + 1) / (answered + 2), which leans toward 50 % when answers are few;
  - from memory: the mean FSRS retrievability of its studied cards on the day of the exam (or
    today), where never-studied cards count as 0.25 (a guess among four choices).
* Weak-topic score = points the topic is expected to cost on exam day
  = (questions of its section on the exam × the topic's share of that section's items) × (1 − p).
  A topic's score depends only on its own evidence and the blueprint, so other topics' data
  never reorders it.
* Readiness: each section's questions are right with probability p (independent);
  the expected score and its spread come from those Bernoulli draws plus the uncertainty of p
  itself (Beta posterior); the pass probability uses the normal approximation against the
  pass mark.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

GUESS = 0.25
SMALL_SAMPLE = 10

ASSUMPTIONS = [
    "Accuracy intervals are Wilson 95% intervals; under 10 answers is a small sample.",
    "Predicted correctness averages exam accuracy ((right+1)/(answered+2)) and the mean FSRS "
    "retrievability of the cards on exam day (never-studied cards count as 0.25, a guess).",
    "Weak-topic score = expected points lost on exam day = the topic's share of its section's "
    "questions × (1 − predicted correctness).",
    "Readiness treats questions as independent draws with the section's predicted correctness; "
    "the interval and pass probability use a normal approximation.",
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
    mean_r: float | None = None
    due: int = 0
    overdue: int = 0
    trend: list[float] = field(default_factory=list)  # accuracy per recent attempt, oldest first
    weight: float = 0.0  # expected questions on the exam
    predicted: float = GUESS
    score: float = 0.0  # expected points lost

    @property
    def accuracy(self) -> float | None:
        return self.right / self.answered if self.answered else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.right, self.answered) if self.answered else None

    @property
    def small_sample(self) -> bool:
        return self.answered < SMALL_SAMPLE


@dataclass
class Readiness:
    expected: float  # fraction of scored questions
    low: float
    high: float
    pass_mark: float
    pass_probability: float
    basis: str  # "exam date 2027-03-01" or "today"


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for k successes in n trials."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, centre - half), min(1.0, centre + half))


def normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def predicted_correctness(right: int, answered: int, memory: float | None) -> float:
    """The mean of the exam estimate (with its Laplace prior) and the memory estimate."""
    estimates = []
    if answered:
        estimates.append((right + 1) / (answered + 2))
    if memory is not None:
        estimates.append(memory)
    return sum(estimates) / len(estimates) if estimates else GUESS


def _memory(cards: list[CardFact]) -> tuple[float | None, int]:
    if not cards:
        return None, 0
    studied = [c.retrievability for c in cards if c.retrievability is not None]
    total = sum(studied) + GUESS * (len(cards) - len(studied))
    return total / len(cards), len(studied)


def build_groups(
    answers: list[AnswerFact],
    cards: list[CardFact],
    section_questions: dict[str, int],
    now: datetime,
    *,
    by: str = "section",
    recent_attempts: int = 5,
) -> list[Group]:
    """Figures per section (by="section") or per topic (by="topic")."""

    def keys_of(section: str, topics: tuple[str, ...]) -> list[tuple[str, str]]:
        if by == "section":
            return [(section, section)]
        return [(t, section) for t in (topics or ("(untagged)",))]

    groups: dict[tuple[str, str], Group] = {}
    pool: dict[tuple[str, str], list[CardFact]] = defaultdict(list)
    section_pool: dict[str, int] = defaultdict(int)
    for c in cards:
        section_pool[c.section] += 1
        for key in keys_of(c.section, c.topics):
            pool[key].append(c)
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
        g.mean_r, g.studied = _memory(members)
        g.due = sum(1 for c in members if c.due is not None and c.due <= now and not c.suspended)
        g.overdue = sum(
            1 for c in members if c.due is not None and (now - c.due).days >= 1 and not c.suspended
        )
    for key, g in groups.items():
        attempts = sorted(per_attempt.get(key, {}).items())[-recent_attempts:]
        g.trend = [sum(v) / len(v) for _, v in attempts]
        share = (g.cards / section_pool[g.section]) if section_pool.get(g.section) else 1.0
        g.weight = section_questions.get(g.section, 0) * (share if by == "topic" else 1.0)
        g.predicted = predicted_correctness(g.right, g.answered, g.mean_r)
        g.score = g.weight * (1 - g.predicted)
    return list(groups.values())


def weak_topics(groups: list[Group], limit: int = 10) -> list[Group]:
    """Topics ranked by expected points lost on exam day (highest first; ties by name)."""
    ranked = sorted(groups, key=lambda g: (-round(g.score, 9), g.key))
    return [g for g in ranked if g.weight > 0][:limit]


def readiness(
    sections: list[Group], section_questions: dict[str, int], pass_mark: float, basis: str
) -> Readiness:
    """Predicted score on a full form, its 95 % interval and the chance of passing."""
    total = sum(section_questions.values())
    by_key = {g.key: g for g in sections}
    mean = var = 0.0
    for key, q in section_questions.items():
        g = by_key.get(key)
        p = g.predicted if g else GUESS
        n_evidence = (g.answered if g else 0) + (g.studied if g else 0)
        # Beta(a, b) spread of p itself, with the evidence as its weight (2 pseudo-counts)
        p_var = p * (1 - p) / (n_evidence + 3)
        mean += q * p
        var += q * p * (1 - p) + q * q * p_var
    sd = math.sqrt(var) if var > 0 else 1e-9
    cut = pass_mark * total
    prob = 1 - normal_cdf((cut - 0.5 - mean) / sd)
    return Readiness(
        expected=mean / total,
        low=max(0.0, (mean - 1.96 * sd) / total),
        high=min(1.0, (mean + 1.96 * sd) / total),
        pass_mark=pass_mark,
        pass_probability=min(1.0, max(0.0, prob)),
        basis=basis,
    )
