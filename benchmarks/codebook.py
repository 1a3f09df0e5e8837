"""Code-book search speed on the full tables (ICD-10-CM FY2026 + ICD-10-PCS, ~177,000 entries).

    python benchmarks/codebook.py [--index PATH] [--rounds 20]

Builds the index if needed (timed), then times each query class: codes, code prefixes with and
without the dot, rare words, common words, several words, a word typed in part, every system
filter, an entry with its notes, PCS decoding and the valid next characters. Prints the median,
the 95th percentile and the worst time per class; the budget is 50 ms per search.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from certprep.services.codebook import CodeBook

BUDGET_MS = 50.0

QUERIES: dict[str, list[tuple[str, str | None]]] = {
    "code with dot": [("E11.22", None), ("S72.001A", None), ("T36.0X1A", None), ("Z68.41", None)],
    "code without dot": [("E1122", None), ("s72001a", None), ("J9601", None), ("0DTJ4ZZ", None)],
    "code prefix": [("E11", None), ("S72", None), ("0DT", None), ("B", None), ("0", None)],
    "rare words": [("asthma", None), ("appendix", None), ("cholera", None), ("pinguecula", None)],
    "PCS Index terms": [("appendectomy", None), ("angioplasty", None), ("colonoscopy", None)],
    "common words": [
        ("fracture", None),
        ("right", None),
        ("encounter", None),
        ("initial", None),
        ("approach", None),
        ("of", None),
    ],
    "several words": [
        ("type 2 diabetes chronic kidney disease", None),
        ("fracture femur right initial encounter closed", None),
        ("resection appendix percutaneous endoscopic", None),
        ("acute respiratory failure hypoxia", None),
        ("right left", None),
    ],
    "word in part": [("diab", None), ("type 2 diab", None), ("fract", None), ("e", None)],
    "system filter": [
        ("fracture", "pcs"),
        ("respiratory failure", "drg"),
        ("excision", "cm"),
        ("right", "drg"),
    ],
}


def _time(fn: Callable[[], object], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _report(label: str, samples: list[float]) -> bool:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    ok = p95 < BUDGET_MS
    print(
        f"{label:<22} n={len(samples):>4}  median {statistics.median(samples):7.2f} ms  "
        f"p95 {p95:7.2f} ms  max {samples[-1]:7.2f} ms  {'ok' if ok else 'OVER BUDGET'}"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    path = args.index or Path(tempfile.mkdtemp()) / "codebook.sqlite"
    book = CodeBook(path)
    if not book.ready:
        start = time.perf_counter()
        book.build()
        print(
            f"index built in {time.perf_counter() - start:.1f} s ({path.stat().st_size >> 20} MB)"
        )
    start = time.perf_counter()
    book.search("warm up")
    print(f"first search (opens the index): {(time.perf_counter() - start) * 1000:.1f} ms")

    ok = True
    for label, queries in QUERIES.items():
        samples: list[float] = []
        for query, system in queries:
            samples += _time(lambda q=query, s=system: book.search(q, s), args.rounds)  # type: ignore[misc]
        ok &= _report(label, samples)
    ok &= _report(
        "CM entry with notes",
        _time(lambda: book.cm("S72.001"), args.rounds)
        + _time(lambda: book.cm("E11.22"), args.rounds),
    )
    ok &= _report("PCS decode", _time(lambda: book.pcs("0DTJ4ZZ"), args.rounds))
    ok &= _report(
        "PCS next characters",
        _time(lambda: book.pcs_choices(""), args.rounds)
        + _time(lambda: book.pcs_choices("0D"), args.rounds)
        + _time(lambda: book.pcs_choices("0DTJ4Z"), args.rounds),
    )
    ok &= _report("CC/MCC with a PDX", _time(lambda: book.drg("J96.01", pdx="J96.02"), args.rounds))
    print("all within budget" if ok else "SOME OVER BUDGET")


if __name__ == "__main__":
    main()
