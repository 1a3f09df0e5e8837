"""The readiness forecast: the chance that a fresh form of the real exam, sat on exam day, passes.

The model, stated once (``benchmarks/readiness.py`` checks it on simulated learners):

* Each scored question of section *s* on exam day is right with probability
  ``p_s = c + (1 − c) · σ(θ_s + γ · K_s)`` where ``c`` is the guessing floor, ``σ`` the logistic
  function, ``θ_s`` the learner's skill in the section apart from what certprep's cards taught,
  and ``K_s`` the share of the section's pool the learner will remember on exam day: studied
  cards count with their FSRS retrievability projected to that day, never-seen items count 0
  (they are unknown, not a guess: what the learner knows of them is part of ``θ_s``).
* Review performance calibrates memory: the learner's lapses against the lapses FSRS predicted
  at those reviews give a ratio ``λ`` (shrunk toward 1 with a few pseudo-lapses); each card's
  projected forgetting ``1 − R`` is multiplied by it.
* Skills are hierarchical: ``θ_s = μ + δ_s`` with the learner's overall level
  ``μ ~ N(m₀, s₀²)`` and section deviations ``δ_s ~ N(0, τ²)`` (the population prior).
  Thin data therefore shrinks to the section's share of the learner's overall level, and
  with no data at all to the population.
* Mock-exam answers are the direct evidence: in each section, ``right`` of ``answered`` at a
  time when the learner remembered ``K_s(t)`` of the pool. Their exact binomial likelihood,
  times the population's prior for ``θ_s``, is computed on a grid; the normal likelihood that
  gives the same posterior mean and variance stands in for it (a Laplace fit at the observed
  rate would trust high scores more than low ones, whose likelihood is flat toward guessing),
  so the rest is in closed form. The projection to exam day moves ``γ · (K_s − K_s(t))``.
* Questions vary in difficulty (topics, items): ``f`` is averaged over that spread with the
  probit approximation, ``σ(x / k)``, ``k = √(1 + π·sd²/8)``.
* The score on a form: given ``μ`` (integrated on a grid over its posterior) the sections are
  independent; each is a sum of ``n_s`` Bernoulli draws with an uncertain ``p_s`` (its first two
  moments by Gauss–Hermite quadrature), and the total is normal with a continuity correction.
  The pass probability is ``P(score ≥ need)`` with ``need = ⌈pass mark × scored questions⌉``
  computed exactly; the interval is the 95 % predictive interval of the score.
* Unscored pretest questions (CCS: 10 of 107) are left out: the form's scored questions are
  split over the sections in proportion to the blueprint (largest remainder).

The population prior (``Population``) is an assumption, not fitted to real learners: the
simulator draws its learners from the same prior, so it checks the inference (combining,
shrinking, projecting, the score distribution) and its robustness to what the model leaves
out, not the prior itself. With real exam outcomes the prior is what to refit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

__all__ = [
    "POPULATION",
    "Forecast",
    "MockEvidence",
    "Population",
    "ReviewEvidence",
    "SectionEvidence",
    "SectionForecast",
    "forecast",
    "need_to_pass",
    "scored_split",
]

# Gauss–Hermite (probabilists') nodes and weights for E[g(Z)], Z ~ N(0, 1)
_GH5 = (
    (-2.856970013872806, 0.011257411327720691),
    (-1.355626179974266, 0.22207592200561266),
    (0.0, 0.5333333333333333),
    (1.355626179974266, 0.22207592200561266),
    (2.856970013872806, 0.011257411327720691),
)
_MU_GRID = 21  # points over the posterior of the overall level, ±4 sd
_LIK_GRID = 41  # points of the grid behind each section's likelihood


@dataclass(frozen=True)
class Population:
    """The prior: how skilled a learner is before we know anything about them."""

    mean: float = -0.2  # overall logit skill apart from certprep's cards
    sd: float = 0.9
    section_sd: float = 0.8  # how far one section strays from the learner's overall level
    topic_sd: float = 0.4  # how far a topic strays from its section
    memory_gain: float = 2.0  # logit gained when the whole pool is remembered
    guess: float = 0.25  # the floor: a guess among four choices
    question_sd: float = 0.64  # spread of question difficulty for one learner (topics, items)
    lapse_pseudo: float = 5.0  # pseudo-lapses shrinking the review calibration toward 1


POPULATION = Population()


@dataclass(frozen=True)
class MockEvidence:
    """One attempt's scored answers in one section, and the memory at that time."""

    right: int
    answered: int
    studied: int  # pool items studied before the attempt
    mean_r: float | None  # their mean FSRS retrievability at the attempt


@dataclass(frozen=True)
class SectionEvidence:
    key: str
    questions: int  # scored questions of this section on a real form
    pool: int  # items in the section's pool
    studied: int = 0  # pool items studied
    mean_r: float | None = None  # their mean FSRS retrievability on exam day
    mocks: tuple[MockEvidence, ...] = ()


@dataclass(frozen=True)
class ReviewEvidence:
    """Scheduled reviews: how many, how many recalled, and how many FSRS expected recalled."""

    reviews: int = 0
    recalled: int = 0
    expected: float = 0.0


@dataclass(frozen=True)
class SectionForecast:
    key: str
    questions: int
    expected: float  # predicted correctness on exam day
    low: float
    high: float
    memory: float  # K: share of the pool remembered on exam day (after calibration)
    unseen: float  # share of the pool never studied
    answered: int  # mock answers behind it


@dataclass(frozen=True)
class Forecast:
    expected: float  # expected fraction of the scored questions
    low: float  # 95 % predictive interval of the score fraction
    high: float
    pass_mark: float
    need: int  # scored questions right needed to pass
    total: int  # scored questions on a form
    pass_probability: float
    lapse_ratio: float
    sections: list[SectionForecast] = field(default_factory=list)


def need_to_pass(pass_mark: float, total: int) -> int:
    """Right answers needed: ⌈pass mark × total⌉ exactly (CPB 70 % of 135 = 94.5 → 95)."""
    return math.ceil(Fraction(repr(pass_mark)) * total)


def scored_split(questions: dict[str, int], pretest: int) -> dict[str, int]:
    """Scored questions per section once ``pretest`` unscored ones (spread in proportion) go."""
    total = sum(questions.values())
    scored = total - pretest
    if pretest <= 0 or total <= 0:
        return dict(questions)
    raw = {k: Fraction(q * scored, total) for k, q in questions.items()}
    out = {k: math.floor(v) for k, v in raw.items()}
    left = scored - sum(out.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), list(raw).index(k)))[:left]:
        out[k] += 1
    return out


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _spread(pop: Population) -> float:
    return math.sqrt(1.0 + math.pi * pop.question_sd**2 / 8.0)


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def lapse_ratio(reviews: ReviewEvidence, pop: Population = POPULATION) -> float:
    """Observed over predicted lapses, shrunk toward 1; multiplies projected forgetting."""
    observed = reviews.reviews - reviews.recalled
    predicted = max(0.0, reviews.reviews - reviews.expected)
    ratio = (observed + pop.lapse_pseudo) / (predicted + pop.lapse_pseudo)
    return min(4.0, max(0.25, ratio))


def memory_share(pool: int, studied: int, mean_r: float | None, ratio: float) -> float:
    """K: the share of a pool remembered, forgetting scaled by the review calibration."""
    if pool <= 0 or studied <= 0 or mean_r is None:
        return 0.0
    return min(studied, pool) / pool * max(0.0, 1.0 - ratio * (1.0 - mean_r))


def _likelihood(
    right: int, answered: int, memory: float, pop: Population
) -> tuple[float, float] | None:
    """Mock answers as a normal likelihood for θ: (centre, variance), or None without answers.

    The binomial likelihood is flat toward low skill (guesses) and sharp toward high skill, so
    a Laplace fit at the observed rate would trust high scores more than low ones. Instead the
    posterior under the population's prior for θ is computed on a grid, and the normal
    likelihood is what turns that prior into a normal with the same mean and variance.
    """
    if answered <= 0:
        return None
    c, k = pop.guess, _spread(pop)
    m_ref = pop.mean
    v_ref = pop.sd**2 + pop.section_sd**2
    sd_ref = math.sqrt(v_ref)
    shift = pop.memory_gain * memory
    wrong = answered - right
    logs = []
    for i in range(_LIK_GRID):
        t = m_ref + sd_ref * (-5.0 + 10.0 * i / (_LIK_GRID - 1))
        p = c + (1 - c) * _sigmoid((t + shift) / k)
        p = min(1.0 - 1e-12, p)
        logs.append(
            (t, -0.5 * (t - m_ref) ** 2 / v_ref + right * math.log(p) + wrong * math.log1p(-p))
        )
    top = max(v for _, v in logs)
    ws = [(t, math.exp(v - top)) for t, v in logs]
    z = sum(w for _, w in ws)
    mean = sum(t * w for t, w in ws) / z
    var = max(1e-4, sum((t - mean) ** 2 * w for t, w in ws) / z)
    prec = 1.0 / var - 1.0 / v_ref
    if prec <= 1e-6:
        return None
    return (mean / var - m_ref / v_ref) / prec, 1.0 / prec


@dataclass
class _Section:
    ev: SectionEvidence
    memory: float  # K on exam day
    lik: tuple[float, float] | None


def _moments(mean: float, var: float, shift: float, pop: Population) -> tuple[float, float]:
    """E[f] and E[f²] for f = c + (1 − c)σ((θ + shift) / k), θ ~ N(mean, var).

    ``k`` folds in the spread of question difficulty (the probit approximation of averaging
    the logistic over it), so ``f`` is the mean correctness on a section's questions.
    """
    c, k = pop.guess, _spread(pop)
    sd = math.sqrt(var)
    m1 = m2 = 0.0
    for x, w in _GH5:
        f = c + (1 - c) * _sigmoid((mean + sd * x + shift) / k)
        m1 += w * f
        m2 += w * f * f
    return m1, m2


def forecast(
    sections: list[SectionEvidence],
    reviews: ReviewEvidence,
    pass_mark: float,
    pop: Population = POPULATION,
) -> Forecast:
    """The pass probability, expected score and its 95 % interval on a fresh form."""
    ratio = lapse_ratio(reviews, pop)
    tau2 = pop.section_sd**2
    prepared: list[_Section] = []
    for ev in sections:
        right = sum(m.right for m in ev.mocks)
        answered = sum(m.answered for m in ev.mocks)
        then = (
            sum(m.answered * memory_share(ev.pool, m.studied, m.mean_r, ratio) for m in ev.mocks)
            / answered
            if answered
            else 0.0
        )
        prepared.append(
            _Section(
                ev,
                memory_share(ev.pool, ev.studied, ev.mean_r, ratio),
                _likelihood(right, answered, then, pop),
            )
        )
    # the overall level μ: its posterior is normal (each section: y ~ N(μ, τ² + v))
    prec = 1.0 / pop.sd**2
    acc = pop.mean * prec
    for s in prepared:
        if s.lik is not None:
            y, v = s.lik
            prec += 1.0 / (tau2 + v)
            acc += y / (tau2 + v)
    mu_mean, mu_sd = acc / prec, math.sqrt(1.0 / prec)
    total = sum(s.ev.questions for s in prepared)
    need = need_to_pass(pass_mark, total)
    grid = [-4.0 + 8.0 * i / (_MU_GRID - 1) for i in range(_MU_GRID)]
    dens = [math.exp(-0.5 * x * x) for x in grid]
    norm = sum(dens)
    weights = [d / norm for d in dens]
    means: list[float] = []
    sds: list[float] = []
    sec_m1 = [0.0] * len(prepared)
    sec_m2 = [0.0] * len(prepared)
    for x, w in zip(grid, weights, strict=True):
        mu = mu_mean + mu_sd * x
        mean = var = 0.0
        for j, s in enumerate(prepared):
            if s.lik is None:
                m, v = mu, tau2
            else:
                y, lv = s.lik
                v = 1.0 / (1.0 / tau2 + 1.0 / lv)
                m = v * (mu / tau2 + y / lv)
            e1, e2 = _moments(m, v, pop.memory_gain * s.memory, pop)
            sec_m1[j] += w * e1
            sec_m2[j] += w * e2
            n = s.ev.questions
            mean += n * e1
            var += n * (e1 - e2) + n * n * max(0.0, e2 - e1 * e1)
        means.append(mean)
        sds.append(math.sqrt(var) if var > 1e-12 else 1e-6)

    def cdf(k: float) -> float:  # P(score ≤ k) for an integer k
        return sum(
            w * _phi((k + 0.5 - m) / sd) for w, m, sd in zip(weights, means, sds, strict=True)
        )

    def quantile(q: float) -> int:
        lo, hi = 0, total
        while lo < hi:
            mid = (lo + hi) // 2
            if cdf(mid) >= q:
                hi = mid
            else:
                lo = mid + 1
        return lo

    expected = sum(w * m for w, m in zip(weights, means, strict=True))
    prob = 1.0 - cdf(need - 1) if total else 0.0
    per_section = []
    for j, s in enumerate(prepared):
        e1, sd = sec_m1[j], math.sqrt(max(0.0, sec_m2[j] - sec_m1[j] ** 2))
        pool, studied = s.ev.pool, min(s.ev.studied, s.ev.pool)
        per_section.append(
            SectionForecast(
                key=s.ev.key,
                questions=s.ev.questions,
                expected=e1,
                low=max(0.0, e1 - 1.96 * sd),
                high=min(1.0, e1 + 1.96 * sd),
                memory=s.memory,
                unseen=(pool - studied) / pool if pool else 1.0,
                answered=sum(m.answered for m in s.ev.mocks),
            )
        )
    return Forecast(
        expected=expected / total if total else 0.0,
        low=quantile(0.025) / total if total else 0.0,
        high=quantile(0.975) / total if total else 0.0,
        pass_mark=pass_mark,
        need=need,
        total=total,
        pass_probability=min(1.0, max(0.0, prob)),
        lapse_ratio=ratio,
        sections=per_section,
    )


def topic_correctness(
    section: SectionForecast,
    right: int,
    answered: int,
    memory: float,
    pop: Population = POPULATION,
) -> float:
    """A topic's predicted correctness: its own mock answers, shrunk toward its section.

    The prior is the section's forecast moved to logit scale, widened by the topic spread;
    ``memory`` is the topic's share of its pool remembered on exam day (after calibration).
    """
    c, k = pop.guess, _spread(pop)
    q = min(0.995, max(0.005, (section.expected - c) / (1 - c)))
    centre = k * math.log(q / (1 - q)) - pop.memory_gain * section.memory
    sd = (section.high - section.low) / 3.92
    dq = max(1e-3, (1 - c) * q * (1 - q) / k)
    var = (sd / dq) ** 2 + pop.topic_sd**2
    lik = _likelihood(right, answered, memory, pop) if answered else None
    if lik is not None:
        y, lv = lik
        v = 1.0 / (1.0 / var + 1.0 / lv)
        centre, var = v * (centre / var + y / lv), v
    return _moments(centre, var, pop.memory_gain * memory, pop)[0]
