"""Profile the paths a learner waits on, on a database built by run.py's `build_db`.

    python benchmarks/profile_paths.py DB [--top 15]

For each path (home due counts, review session start with its first card, a full CPC form draw)
prints the median of a few runs and the top functions by cumulative time (cProfile); and the
heaviest imports before the first frame of `certprep` (python -X importtime).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable


def profile(name: str, fn: Callable[[], object], top: int, repeat: int = 5) -> None:
    fn()  # warm the page cache and statement caches
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    print(f"== {name}: median {statistics.median(times):.1f} ms over {repeat} runs")
    print("\n".join(out.getvalue().splitlines()[6:]))


def import_profile(top: int) -> None:
    code = (
        "import certprep.cli.common as c; import certprep.tui.app; import certprep.tui.screens.home"
    )
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True
    ).stderr
    rows = []
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    print("== imports on the path to the first frame (cumulative us, top-level packages)")
    for us, mod in sorted(rows, reverse=True)[:top]:
        print(f"{us / 1000:8.1f} ms {mod}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args()
    from certprep.services import open_services
    from certprep.services.exams import ExamService
    from certprep.services.review import ReviewSession, due_by_exam

    services = open_services(args.db)
    services.update_settings(new_per_day=20, reviews_per_day=200)
    profile("due_by_exam (home counts)", lambda: due_by_exam(services), args.top)
    profile("home_summary", services.home_summary, args.top)
    profile("ReviewSession + next_card", lambda: ReviewSession(services).next_card(), args.top)
    exams = ExamService(services)
    seeds = iter(range(1000))
    profile("ExamService.draw('cpc')", lambda: exams.draw("cpc", next(seeds)), args.top)
    import_profile(args.top)


if __name__ == "__main__":
    main()
