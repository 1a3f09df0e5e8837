"""The same synthetic collection in Anki (its Rust backend, FSRS on), measured the same way.

Used by ``benchmarks/run.py --vs-anki``; needs the ``bench`` extra (``pip install -e .[bench]``).
The certprep database built by run.py is read back and mirrored: one Anki deck per exam under
``certprep::``, one Basic note per item in item order, each card's state (new, learning, review,
relearning; suspended), due time, FSRS stability and difficulty, and every review-log row.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _ts(text: str | None) -> float | None:
    if text is None:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def mirror(certprep_db: Path, folder: Path) -> Any:
    """An Anki collection holding the certprep database's items, cards and review log."""
    from anki.collection import AddNoteRequest, Collection

    src = sqlite3.connect(certprep_db)
    items = src.execute(
        "SELECT item.id, min(item_exam.exam) FROM item JOIN item_exam ON item_exam.item_id = "
        "item.id WHERE item.retired = 0 GROUP BY item.id ORDER BY item.bank_id, item.position"
    ).fetchall()
    folder.mkdir(parents=True, exist_ok=True)
    col = Collection(str(folder / "collection.anki2"))
    col.set_config("fsrs", True)
    basic = col.models.by_name("Basic")
    assert basic is not None
    decks = {e: col.decks.id(f"certprep::{e}") for e in sorted({e for _, e in items})}
    requests = []
    for item_id, exam in items:
        note = col.new_note(basic)
        note["Front"] = item_id
        note["Back"] = "answer"
        requests.append(AddNoteRequest(note=note, deck_id=decks[exam]))
    for start in range(0, len(requests), 50_000):
        col.add_notes(requests[start : start + 50_000])
    # card ids in item order (one card per note, notes added in item order)
    cids = dict(
        zip(
            [i for i, _ in items],
            col.db.list("SELECT c.id FROM cards c JOIN notes n ON n.id = c.nid ORDER BY n.id"),
            strict=True,
        )
    )
    now = time.time()
    today = col.sched.today
    rows = []
    for item_id, state, stab, diff, due, last, reps, lapses, suspended in src.execute(
        "SELECT item_id, state, stability, difficulty, due, last_review, reps, lapses, suspended "
        "FROM card"
    ):
        cid = cids.get(item_id)
        if cid is None or state == 0:
            continue
        due_s, last_s = _ts(due) or now, _ts(last) or now
        ivl = max(1, round(stab or 1))
        if state == 2:
            ctype, queue, adue = 2, 2, today + int((due_s - now) // 86400)
        else:
            ctype, queue, adue = (1 if state == 1 else 3), 1, int(due_s)
        data = json.dumps({"s": stab, "d": diff, "dr": 0.9, "lrt": int(last_s)})
        rows.append((ctype, -1 if suspended else queue, adue, ivl, reps, lapses, 1001, data, cid))
    # the states and the log are written with SQLite itself, the collection closed meanwhile:
    # through the backend's executemany they took minutes at 1M reviews (setup, not measured)
    path = col.path
    col.close()
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("BEGIN")
    raw.executemany(
        "UPDATE cards SET type=?, queue=?, due=?, ivl=?, reps=?, lapses=?, left=?, data=? "
        "WHERE id=?",
        rows,
    )
    logs = []
    seen_ids: set[int] = set()
    learnt: set[int] = set()
    for item_id, rating, at, duration in src.execute(
        "SELECT item_id, rating, reviewed_at, duration_ms FROM review_log ORDER BY reviewed_at"
    ):
        cid = cids.get(item_id)
        if cid is None:
            continue
        rid = int((_ts(at) or now) * 1000)
        while rid in seen_ids:
            rid += 1
        seen_ids.add(rid)
        # a card's first rating is a learning step (revlog type 0), the rest reviews (type 1):
        # (as Anki itself logs a card's history; its optimiser starts each history there)
        kind = 1 if cid in learnt else 0
        learnt.add(cid)
        logs.append((rid, cid, 0, rating, 1, 1, 0, duration or 0, kind))
        if len(logs) == 100_000:
            raw.executemany("INSERT INTO revlog VALUES (?,?,?,?,?,?,?,?,?)", logs)
            logs = []
    if logs:
        raw.executemany("INSERT INTO revlog VALUES (?,?,?,?,?,?,?,?,?)", logs)
    raw.execute("COMMIT")
    raw.close()
    src.close()
    return Collection(path), decks


def measures(
    col: Any, decks: dict[str, int], timed: Callable[..., list[float]], repeat: int
) -> dict[str, list[float]]:
    """Anki's side of each measure, in certprep's terms."""
    parent = col.decks.id("certprep")
    out: dict[str, list[float]] = {}

    def due_counts() -> None:  # certprep's due_by_exam: every exam's counts
        for did in decks.values():
            col.decks.select(did)
            col.sched.counts()

    out["due_counts"] = timed(due_counts, repeat)
    out["home_summary"] = timed(col.sched.deck_due_tree, repeat)  # the deck list

    first = next(iter(decks.values()))

    def session_start() -> None:  # a session over every exam, up to its first card
        col.decks.select(first)
        col.sched.get_queued_cards(fetch_limit=1)  # (this deck's queue, not timed below)

    def start_parent() -> None:
        col.decks.select(parent)
        col.sched.get_queued_cards(fetch_limit=1)

    times = []
    for _ in range(repeat):
        session_start()
        t = time.perf_counter()
        start_parent()
        times.append((time.perf_counter() - t) * 1000)
    out["session_start"] = times

    from anki.scheduler.v3 import CardAnswer

    col.decks.select(parent)
    answers = []
    queued = col.sched.get_queued_cards(fetch_limit=1)
    for i in range(300):
        if not queued.cards:
            break
        t = time.perf_counter()
        qc = queued.cards[0]
        card = col.get_card(qc.card.id)
        card.start_timer()
        rating = CardAnswer.GOOD if i % 5 else CardAnswer.AGAIN
        col.sched.answer_card(col.sched.build_answer(card=card, states=qc.states, rating=rating))
        queued = col.sched.get_queued_cards(fetch_limit=1)
        answers.append((time.perf_counter() - t) * 1000)
    out["answer_next"] = answers

    def optimise() -> None:  # FSRS parameters fitted on every review of the mirrored decks
        col.backend.compute_fsrs_params(
            search="deck:certprep",
            current_params=[],
            ignore_revlogs_before_ms=0,
            num_of_relearning_steps=1,
            health_check=False,
        )

    try:
        out["optimize"] = timed(optimise, 3)  # (the median is compared, as certprep's)
    except Exception as exc:
        print(f"vs_anki: Anki's optimiser was not measured: {exc}", flush=True)
    return out


def import_rate(
    items: Iterable[dict[str, Any]],
    folder: Path,
    in_child: Callable[[str, str], tuple[list[str], float]],
) -> dict[str, float]:
    """Anki importing the same items as a learner would, two ways, each into a fresh collection
    in a fresh process (run.py's ``in_child``: items/s and the process's peak memory in MB):

    - ``text``: a text (TSV) file through its import dialog's backend calls (the file's
      metadata, then the import), one Basic note per item (Front: the stem and the choices,
      Back: the key and the rationale);
    - ``package``: the same notes as an Anki package (.apkg, exported from the first
      collection), the way a shared deck arrives, imported with ``import_anki_package``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bank.tsv"
    apkg = folder / "bank.apkg"
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for item in items:
            choices = "<br>".join(f"{c['key']}) {c['text']}" for c in item["choices"])
            key = ", ".join(c["key"] for c in item["choices"] if c["correct"])
            front = f"{item['stem']}<br>{choices}"
            back = f"{key}<br>{item['rationale']}"
            fh.write(f"{_field(front)}\t{_field(back)}\n")
            n += 1
    text = f"""
import time
from anki.collection import Collection, ExportAnkiPackageOptions, ImportCsvRequest
col = Collection({str(folder / "text.anki2")!r})
t = time.perf_counter()
metadata = col.get_csv_metadata({str(path)!r}, None)
col.import_csv(ImportCsvRequest(path={str(path)!r}, metadata=metadata))
elapsed = time.perf_counter() - t
assert col.note_count() == {n}, col.note_count()
col.export_anki_package(out_path={str(apkg)!r}, options=ExportAnkiPackageOptions(), limit=None)
col.close()
print(elapsed)
"""
    [elapsed], peak = in_child(text, "Anki's text import")
    package = f"""
import time
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
col = Collection({str(folder / "package.anki2")!r})
t = time.perf_counter()
col.import_anki_package(
    ImportAnkiPackageRequest(package_path={str(apkg)!r}, options=ImportAnkiPackageOptions())
)
elapsed = time.perf_counter() - t
assert col.note_count() == {n}, col.note_count()
col.close()
print(elapsed)
"""
    [p_elapsed], p_peak = in_child(package, "Anki's package import")
    path.unlink()
    apkg.unlink()
    return {
        "import_text_items_per_s": round(n / float(elapsed)),
        "import_text_peak_mb": round(peak, 1),
        "import_package_items_per_s": round(n / float(p_elapsed)),
        "import_package_peak_mb": round(p_peak, 1),
    }


def _field(text: str) -> str:
    """A TSV field: tabs and line breaks would end it."""
    return text.replace("\t", " ").replace("\r", "").replace("\n", "<br>")
