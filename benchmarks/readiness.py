"""Is the readiness forecast calibrated? Simulated learners with known skill, then a real exam.

Each simulated learner has a true skill per section and per topic, forgets as a power law
(FSRS's curve) at a rate of their own that the app does not know, studies cards on the days
they feel like it, sits 0-4 full mock exams drawn from the pool, and on exam day sits a fresh
form of the real exam (items never seen, of varying difficulty). The forecast is made on
exam-day morning from exactly what certprep would know (mock answers, review outcomes and
the FSRS states of the cards) by ``certprep.core.readiness.forecast``, the code the report uses.

What it prints: a reliability diagram of the pass probability (10 bins), the expected
calibration error (ECE), the Brier score of the forecast and of the naive rule "pass if the
last mock scored at least the pass mark" (on the learners who sat a mock), and the run time.

    python -m benchmarks.readiness --learners 10000 --seed 1 [--exam cpc] [--json out.json]

What the simulation shares with the model (so what it cannot test): a learner's exam-day skill
is logistic in overall + section skill plus a gain for the remembered share of the pool, with
the population prior the model assumes. What differs on purpose (so what it does test): topic
skills inside a section, item difficulties, a learner-specific gain from memory, a forgetting
rate FSRS does not know (only the review outcomes reveal it), skipped study days, whole
sections never studied, the app's approximation of memory at the time of a past mock, and
the discreteness of short sections.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from certprep.core.readiness import (
    POPULATION,
    MockEvidence,
    ReviewEvidence,
    SectionEvidence,
    forecast,
    need_to_pass,
    scored_split,
)

BLUEPRINTS = Path(__file__).resolve().parent.parent / "question_banks" / "blueprints"
FACTOR, DECAY = 19 / 81, -0.5  # FSRS-4.5/5 forgetting curve: R = (1 + F t / S)^-0.5
FIRST_STABILITY = 3.17  # days, a first "Good"
POOL_PER_QUESTION = 3  # pool items per question of the form
TOPICS = 3  # topics per section
ITEM_SD = 0.5  # spread of item difficulty (logit)
GAIN_SD = 0.4  # learner-to-learner spread of the gain from memory
FORGET_SD = 0.35  # log-sd of the learner's true stability over FSRS's


def recall(elapsed: float, stability: float) -> float:
    return float((1 + FACTOR * max(0.0, elapsed) / stability) ** DECAY)


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


@dataclass
class Card:
    section: int
    first: float
    days: list[float]  # review days (first study included)
    stab: list[float]  # FSRS stability after each


@dataclass
class Outcome:
    probability: float
    passed: bool
    naive: bool | None  # None: no mock sat
    expected: float = 0.0  # forecast score fraction
    score: float = 0.0  # the real exam's score fraction
    low: float = 0.0  # the forecast's 95 % interval of the score
    high: float = 1.0
    mocks: int = 0


def simulate(
    rng: random.Random, sections: list[tuple[str, int]], pass_mark: float, shift: float = 0.0
) -> Outcome:
    pop = POPULATION
    c = pop.guess
    n_sec = len(sections)
    pool = [POOL_PER_QUESTION * max(1, q) for _, q in sections]
    mu = rng.gauss(pop.mean + shift, pop.sd)
    theta = [mu + rng.gauss(0, pop.section_sd) for _ in range(n_sec)]
    topic = [[rng.gauss(0, pop.topic_sd) for _ in range(TOPICS)] for _ in range(n_sec)]
    gain = max(0.0, rng.gauss(pop.memory_gain, GAIN_SD))
    rho = math.exp(rng.gauss(0, FORGET_SD))  # true stability / FSRS's
    horizon = rng.randint(21, 84)
    diligence = rng.uniform(0.25, 0.95)
    new_per_day = rng.choice([0, 5, 10, 15, 25])
    skipped = {s for s in range(n_sec) if rng.random() < 0.15}
    study = [d for d in range(horizon) if rng.random() < diligence]
    order = [(s, i) for s in range(n_sec) if s not in skipped for i in range(pool[s])]
    rng.shuffle(order)
    cards: list[Card] = []
    reviews = recalled = 0
    expected = 0.0
    for k, d in enumerate(study):
        for s, _ in order[k * new_per_day : (k + 1) * new_per_day]:
            cards.append(Card(s, d + 0.5, [d + 0.5], [FIRST_STABILITY]))
    for card in cards:
        while True:
            due = card.days[-1] + max(1.0, round(card.stab[-1]))
            j = bisect.bisect_left(study, math.floor(due))
            if j >= len(study):
                break
            day = study[j] + 0.5
            s_app = card.stab[-1]
            elapsed = day - card.days[-1]
            r_app = recall(elapsed, s_app)
            ok = rng.random() < recall(elapsed, rho * s_app)
            reviews += 1
            recalled += ok
            expected += r_app
            grown = s_app * (1.9 + 2.5 * (1 - r_app)) if ok else max(0.5, 0.3 * s_app)
            card.days.append(day)
            card.stab.append(grown)

    def true_memory(t: float) -> list[float]:
        out = [0.0] * n_sec
        for card in cards:
            if card.first <= t:
                i = bisect.bisect_right(card.days, t) - 1
                out[card.section] += recall(t - card.days[i], rho * card.stab[i])
        return [out[s] / pool[s] for s in range(n_sec)]

    def app_memory(t: float) -> tuple[list[int], list[float | None]]:
        """What the app can rebuild for time t from today's card states (see services)."""
        n = [0] * n_sec
        tot = [0.0] * n_sec
        for card in cards:
            if card.first <= t:
                n[card.section] += 1
                last = card.days[-1]
                tot[card.section] += recall(t - last, card.stab[-1]) if last <= t else 0.9
        return n, [tot[s] / n[s] if n[s] else None for s in range(n_sec)]

    def sit(t: float, fresh: bool) -> list[int]:
        memory = true_memory(t)
        right = []
        for s, (_, q) in enumerate(sections):
            k = 0
            for _ in range(q):
                b = rng.gauss(0, ITEM_SD)
                x = theta[s] + topic[s][rng.randrange(TOPICS)] - b + gain * memory[s]
                k += rng.random() < c + (1 - c) * sigmoid(x)
            right.append(k)
        return right

    n_mocks = rng.choices([0, 1, 2, 3, 4], weights=[20, 25, 25, 20, 10])[0]
    mock_days = sorted(rng.sample(range(horizon), min(n_mocks, horizon)))
    mocks: list[list[MockEvidence]] = [[] for _ in range(n_sec)]
    last_total = None
    for d in mock_days:
        t = d + 0.75
        right = sit(t, fresh=False)
        n, mean_r = app_memory(t)
        for s, (_, q) in enumerate(sections):
            mocks[s].append(MockEvidence(right[s], q, n[s], mean_r[s]))
        last_total = sum(right)
    exam_day = horizon + 0.4
    n, mean_r = app_memory(exam_day)
    evidence = [
        SectionEvidence(key, q, pool[s], n[s], mean_r[s], tuple(mocks[s]))
        for s, (key, q) in enumerate(sections)
    ]
    f = forecast(evidence, ReviewEvidence(reviews, recalled, expected), pass_mark)
    need = need_to_pass(pass_mark, sum(q for _, q in sections))
    total = sum(q for _, q in sections)
    score = sum(sit(exam_day, fresh=True))
    return Outcome(
        f.pass_probability,
        score >= need,
        None if last_total is None else last_total >= need,
        f.expected,
        score / total,
        f.low,
        f.high,
        len(mock_days),
    )


def brier(pairs: list[tuple[float, bool]]) -> float:
    return sum((p - y) ** 2 for p, y in pairs) / len(pairs) if pairs else float("nan")


def reliability(outcomes: list[Outcome], bins: int = 10) -> tuple[list[dict[str, float]], float]:
    rows = []
    ece = 0.0
    for b in range(bins):
        inside = [
            o
            for o in outcomes
            if b / bins <= o.probability < (b + 1) / bins
            or (b == bins - 1 and o.probability == 1.0)
        ]
        if not inside:
            rows.append({"bin": b, "n": 0, "predicted": float("nan"), "observed": float("nan")})
            continue
        pred = sum(o.probability for o in inside) / len(inside)
        obs = sum(o.passed for o in inside) / len(inside)
        ece += len(inside) / len(outcomes) * abs(pred - obs)
        rows.append({"bin": b, "n": len(inside), "predicted": pred, "observed": obs})
    return rows, ece


def load(exam: str) -> tuple[list[tuple[str, int]], float]:
    path = BLUEPRINTS / f"{exam}.yaml"
    if not exam.replace("_", "").replace("-", "").isalnum() or not path.exists():
        raise ValueError(f"no blueprint {exam!r} in {BLUEPRINTS} (try cpc, cpb or ccs)")
    bp = yaml.safe_load(path.read_text())
    split = scored_split(
        {s["key"]: s["questions"] for s in bp["sections"]}, bp.get("pretest_questions", 0)
    )
    return list(split.items()), float(bp["pass_mark"])


def run(learners: int, seed: int, exam: str, shift: float = 0.0) -> dict[str, object]:
    sections, pass_mark = load(exam)
    rng = random.Random(seed)
    start, cpu = time.perf_counter(), time.process_time()
    outcomes = [simulate(rng, sections, pass_mark, shift) for _ in range(learners)]
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    rows, ece = reliability(outcomes)
    sat = [o for o in outcomes if o.naive is not None]
    unsat = [o for o in outcomes if o.naive is None]
    return {
        "exam": exam,
        "learners": learners,
        "seed": seed,
        "prior_shift": shift,
        "ece_no_mock": reliability(unsat)[1] if unsat else float("nan"),
        "ece_with_mock": reliability(sat)[1] if sat else float("nan"),
        "interval_coverage": sum(o.low <= o.score <= o.high for o in outcomes) / learners,
        "pass_rate": sum(o.passed for o in outcomes) / learners,
        "ece": ece,
        "brier": brier([(o.probability, o.passed) for o in outcomes]),
        "learners_with_mock": len(sat),
        "brier_with_mock": brier([(o.probability, o.passed) for o in sat]),
        "brier_naive": brier([(float(bool(o.naive)), o.passed) for o in sat]),
        "brier_base_rate": brier(
            [(sum(o.passed for o in outcomes) / learners, o.passed) for o in outcomes]
        ),
        "reliability": rows,
        "seconds": elapsed,
        "cpu_seconds": cpu,
    }


def render(r: dict[str, object]) -> str:
    lines = [
        f"readiness forecast on {r['learners']} simulated {str(r['exam']).upper()} learners "
        f"(seed {r['seed']}), {r['seconds']:.1f} s ({r['cpu_seconds']:.1f} s of CPU)",
        f"true pass rate {r['pass_rate']:.1%}"
        + (
            f" (population shifted {r['prior_shift']:+.2f} logit from the prior)"
            if r["prior_shift"]
            else ""
        ),
        "",
        "reliability (pass probability, 10 bins): predicted vs observed",
    ]
    for row in r["reliability"]:  # type: ignore[attr-defined]
        b = int(row["bin"])
        if not row["n"]:
            lines.append(f"  {b / 10:.1f}-{(b + 1) / 10:.1f}  {0:6}  —")
            continue
        bar = "#" * round(40 * row["observed"])
        mark = round(40 * row["predicted"])
        cells = list(bar.ljust(41))
        cells[mark] = "|"
        lines.append(
            f"  {b / 10:.1f}-{(b + 1) / 10:.1f}  {row['n']:6}  pred {row['predicted']:.3f} "
            f"obs {row['observed']:.3f}  {''.join(cells)}"
        )
    lines += [
        "  (# = observed pass rate, | = mean predicted probability)",
        "",
        f"ECE (10 bins)                         {r['ece']:.4f}",
        f"  learners who sat a mock / never did {r['ece_with_mock']:.4f} / {r['ece_no_mock']:.4f}",
        f"95% score interval holds the score    {r['interval_coverage']:.1%}",
        f"Brier, forecast (all learners)        {r['brier']:.4f}",
        f"Brier, base rate (all learners)       {r['brier_base_rate']:.4f}",
        f"learners who sat a mock               {r['learners_with_mock']}",
        f"Brier, forecast (sat a mock)          {r['brier_with_mock']:.4f}",
        f"Brier, naive 'last mock >= pass mark' {r['brier_naive']:.4f}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--learners", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--exam", default="cpc", help="cpc, cpb or ccs (a blueprint key)")
    ap.add_argument(
        "--shift",
        type=float,
        default=0.0,
        help="draw the learners' overall skill this many logits off the model's prior",
    )
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON ('-': stdout)")
    args = ap.parse_args(argv)
    if args.learners < 1:
        print("--learners must be at least 1", file=sys.stderr)
        return 2
    try:
        result = run(args.learners, args.seed, args.exam, args.shift)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    if args.json == "-":
        print(json.dumps(result, indent=2))
        return 0
    print(render(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
