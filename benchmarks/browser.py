"""The card browser at scale: searches, select-all and a bulk action over N items.

    python benchmarks/browser.py [--items N] [--reviews M] [--repeat R] [--json]

Builds the synthetic database of benchmarks/run.py (N items over every blueprint section, 60 %
of them with cards in every state, M review-log rows), then times each search as the browser
runs it (first page of 100 rows plus the total count), the select-all id list, one item's
detail, and suspend/unsuspend of every match of a query. Median and p95 in milliseconds.
Defaults: N=100000, M=200000. Measured, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import build_db, pct, timed

SEARCHES = {
    "all": "",
    "exam_section": "exam:cpc section:surgery_40000",
    "state_suspended": "is:suspended",
    "state_due": "is:due exam:ccs",
    "text_common": "option",
    "text_rare": '"case 996?"',
    "text_none": "heartfailure",
    "code": "code:zz99",
    "topic": "topic:em-t3",
    "combined": 'exam:cpc is:review -is:suspended "right for case 12"',
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--reviews", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    from certprep.services import open_services
    from certprep.services.cards import CardBrowser

    res: dict[str, object] = {"n_items": args.items, "n_reviews": args.reviews}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        os.environ["XDG_DATA_HOME"] = str(tmp / "xdg")
        t = time.perf_counter()
        db = build_db(tmp, args.items, args.reviews)
        print(f"built the database in {time.perf_counter() - t:.1f}s", file=sys.stderr)
        services = open_services(str(db))
        browser = CardBrowser(services)
        for name, text in SEARCHES.items():
            query = browser.parse(text)
            page = browser.search(query)
            ms = timed(lambda q=query: browser.search(q), args.repeat)  # type: ignore[misc]
            first = timed(lambda q=query: browser.search(q, count=False), args.repeat)  # type: ignore[misc]
            res[f"search_{name}_ms_median"] = round(statistics.median(ms), 1)
            res[f"search_{name}_ms_p95"] = round(pct(ms, 0.95), 1)
            res[f"search_{name}_page_only_ms_median"] = round(statistics.median(first), 1)
            res[f"search_{name}_matches"] = page.total
            print(
                f"{name:16} {page.total:7} matches  page+count {statistics.median(ms):7.1f} ms"
                f"  page only {statistics.median(first):7.1f} ms",
                file=sys.stderr,
            )
        all_q = browser.parse("")
        sel = timed(lambda: browser.ids(all_q), args.repeat)
        res["select_all_ids_ms_median"] = round(statistics.median(sel), 1)
        det = timed(lambda: browser.detail("bench-0000001"), args.repeat)
        res["detail_ms_median"] = round(statistics.median(det), 2)
        bulk_q = browser.parse("exam:cpc")
        ids = browser.ids(bulk_q)
        t = time.perf_counter()
        browser.apply("suspend", ids)
        res["suspend_query_ms"] = round((time.perf_counter() - t) * 1000, 1)
        t = time.perf_counter()
        browser.apply("unsuspend", ids)
        res["unsuspend_query_ms"] = round((time.perf_counter() - t) * 1000, 1)
        res["bulk_action_cards"] = len(ids)
        services.engine.dispose()
    if args.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            print(f"{k:40} {v}")


if __name__ == "__main__":
    main()
