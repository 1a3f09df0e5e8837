"""Exam-date mode, by simulation: predicted exam-day retention and reviews per day, with and
without the mode.

    python benchmarks/exam_date.py [--cards N] [--per-day K] [--exam-day D] [--lead L,...]
                                   [--target R] [--seeds S] [--json]

A learner studies K new cards a day until N are introduced, with FSRS's default parameters,
a desired retention of 0.90 and interval fuzz on (as in the app); the exam is on day D. Memory follows FSRS (a review at time t is
recalled with probability R(t); a lapse is relearned the same day). Exam-date mode is switched on
L days before the exam (each L given) with an exam-day target retention R, or never. Reported,
over the L days before the exam and averaged over S seeds: reviews per day (mean and busiest
day), mean predicted recall on exam day over all N cards, and the share of cards at or above R.
The simulation is ``certprep.core.exam_mode`` (the code the app's preview runs).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from certprep.core.exam_mode import DAY, outcome, simulate_card
from certprep.core.scheduling import CardState, SchedulerSettings


def run(
    cards: int, per_day: int, exam_day: int, lead: int, target: float, seed: int
) -> dict[str, dict[str, float]]:
    origin = datetime(2026, 1, 1, 4, tzinfo=UTC)
    exam = origin + DAY * exam_day
    window = exam - timedelta(days=lead)
    # fuzz on, as in the app (fsrs draws it from the global random, seeded here)
    settings = replace(SchedulerSettings(fuzz=True), exam_retention=target)
    out: dict[str, dict[str, float]] = {}
    for name, mode_from in (("without", None), ("with", window)):
        rng = random.Random(seed)
        random.seed(seed)
        finals = [
            simulate_card(
                CardState(),
                origin,
                exam,
                settings,
                rng,
                mode_from=mode_from,
                intro=origin + DAY * (i // per_day),
            )
            for i in range(cards)
        ]
        o = outcome(finals, window, exam, settings, target)
        per = Counter(int((t - window) / DAY) for _, times in finals for t in times if t >= window)
        out[name] = {
            "reviews_per_day": o.reviews_per_day,
            "busiest_day": float(max(per.values(), default=0)),
            "mean_retention": o.mean_retention,
            "share_at_target": o.share_at_target,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cards", type=int, default=2000)
    ap.add_argument("--per-day", type=int, default=20)
    ap.add_argument("--exam-day", type=int, default=130)
    ap.add_argument("--lead", default="14,30,60", help="days before the exam the mode goes on")
    ap.add_argument("--target", type=float, default=0.95)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    if not (0 < a.cards <= 100_000 and a.per_day > 0 and 0.7 <= a.target <= 0.99):
        print("cards 1-100000, per-day > 0, target 0.70-0.99", file=sys.stderr)
        return 2
    rows = []
    for lead in (int(x) for x in a.lead.split(",")):
        runs = [run(a.cards, a.per_day, a.exam_day, lead, a.target, s) for s in range(a.seeds)]
        row: dict[str, float | int] = {"lead_days": lead}
        for way in ("without", "with"):
            for k in runs[0][way]:
                row[f"{k}_{way}"] = statistics.fmean(r[way][k] for r in runs)
        rows.append(row)
    if a.json:
        print(json.dumps({"args": vars(a), "rows": rows}, indent=2))
        return 0
    print(
        f"{a.cards} cards, {a.per_day} new a day, exam on day {a.exam_day}, "
        f"target {a.target:.2f}, {a.seeds} seeds"
    )
    print(
        f"{'mode on':>10} | {'reviews/day':>17} | {'busiest day':>13} | "
        f"{'mean recall on exam day':>23} | {'cards >= target':>17}"
    )
    print(
        f"{'':>10} | {'without':>8} {'with':>8} | {'w/o':>6} {'with':>6} | "
        f"{'without':>11} {'with':>11} | {'without':>8} {'with':>8}"
    )
    for r in rows:
        print(
            f"{r['lead_days']:>5} days | {r['reviews_per_day_without']:8.1f} "
            f"{r['reviews_per_day_with']:8.1f} | {r['busiest_day_without']:6.0f} "
            f"{r['busiest_day_with']:6.0f} | {r['mean_retention_without']:11.3f} "
            f"{r['mean_retention_with']:11.3f} | {r['share_at_target_without']:8.1%} "
            f"{r['share_at_target_with']:8.1%}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
