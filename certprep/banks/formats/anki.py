"""Anki packages (.apkg, .colpkg) read with zipfile, zstandard and sqlite3 only.

Every card becomes its own item, rendered through its note type's fields and templates
(``anki_notes``); tags become topics; each card's review log comes along as ``CardHistory``.
Media files are not imported: cards keep a visible [image: file] / [sound: file] placeholder.

Safety: the package is a zip from anywhere, so member names, declared sizes, compression
ratios and the decompressed zstd size are all capped before anything is read; only the
collection database is written to disk (in a temporary folder) and it is opened read-only
with a progress handler that stops runaway queries.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import zstandard

from ._common import Collector, Draft, Options, key_slug, name_list
from .anki_notes import (
    Counts,
    as_int,
    as_text,
    card_drafts,
    note_types,
    question_columns,
    question_draft,
)
from .columns import norm_column

MAX_UNCOMPRESSED = 200 * 1024 * 1024  # the whole package, as its zip directory declares it
MAX_RATIO = 200  # a member that expands more than this is treated as a zip bomb
MAX_COLLECTION = 200 * 1024 * 1024  # the collection database after zstd
MAX_SQL_STEPS = 2_000_000_000  # sqlite virtual-machine steps before reading is stopped
MAX_SQL_VALUE = 64 * 1024 * 1024  # the longest text or blob sqlite may build
COLLECTIONS = ("collection.anki21b", "collection.anki21", "collection.anki2")
SQLITE_MAGIC = b"SQLite format 3\x00"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


Review = tuple[datetime, int, int]  # (UTC time, rating 1-4, duration ms)


ANKI_STATE_TAGS = frozenset({"marked", "leech"})  # tags Anki sets itself


def read_apkg(
    data: bytes, opts: Options, c: Collector
) -> tuple[list[Draft], dict[Any, list[Review]], dict[Any, frozenset[str]]]:
    """Drafts (one per card, keyed (note id, ord)), the review log of each, and what the
    learner set on cards in Anki (``_marks``)."""
    raw, member, n_media = _collection_bytes(data, c)
    with tempfile.TemporaryDirectory(prefix="certprep-apkg-") as tmp:
        db = Path(tmp) / "collection.db"
        db.write_bytes(raw)
        del raw
        try:
            conn = sqlite3.connect(f"{db.as_uri()}?mode=ro&immutable=1", uri=True)
        except sqlite3.Error as exc:
            raise c.fail(f"cannot open the collection database ({member}): {exc}") from None
        try:
            return _read_collection(conn, member, opts, c, n_media)
        except (sqlite3.Error, UnicodeDecodeError) as exc:  # sqlite's own message may be garbled
            raise c.fail(
                f"the collection database ({member}) is damaged or not an Anki collection: {exc}"
            ) from None
        except RecursionError:
            raise c.fail("the collection has data nested too deeply") from None
        finally:
            conn.close()


def _collection_bytes(data: bytes, c: Collector) -> tuple[bytes, str, int]:
    """The SQLite bytes of the best collection in the package, after every safety check."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except Exception as exc:  # zipfile raises many kinds (BadZipFile, ValueError, struct.error ...)
        raise c.fail(f"not a readable Anki package (zip): {exc}") from None
    with zf:
        total = 0
        names = {}
        for info in infos:
            name = info.filename
            pure = PurePosixPath(name.replace("\\", "/"))
            if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", name):
                c.problem(f"the package holds a file with an unsafe name {name[:80]!r}; refused")
                continue
            total += info.file_size
            if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(
                info.compress_size, 1
            ):
                c.problem(
                    f"{name[:80]!r} expands {info.file_size // max(info.compress_size, 1)} "
                    "times; refused as a possible zip bomb"
                )
            names[name] = info
        if total > MAX_UNCOMPRESSED:
            c.problem(
                f"the package unpacks to {total // (1024 * 1024)} MiB; at most "
                f"{MAX_UNCOMPRESSED // (1024 * 1024)} MiB are accepted"
            )
        c.check()
        media = [n for n in names if n not in COLLECTIONS and n not in ("media", "meta")]
        member = next((m for m in COLLECTIONS if m in names), None)
        if member is None:
            raise c.fail(
                "no collection inside the package; expected collection.anki21b, "
                "collection.anki21 or collection.anki2"
            )
        try:
            with zf.open(names[member]) as fh:
                raw = fh.read(MAX_COLLECTION + 1)
        except Exception as exc:  # damaged member: bad CRC, unsupported compression, ...
            raise c.fail(f"cannot unpack {member}: {exc}") from None
    if len(raw) > MAX_COLLECTION:
        raise c.fail(f"{member} is larger than {MAX_COLLECTION // (1024 * 1024)} MiB")
    if member == "collection.anki21b" or raw.startswith(ZSTD_MAGIC):
        raw = _unzstd(raw, member, c)
    if not raw.startswith(SQLITE_MAGIC):
        raise c.fail(f"{member} is not an SQLite database; expected an Anki collection")
    return raw, member, len(media)


def _unzstd(raw: bytes, member: str, c: Collector) -> bytes:
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw))
        chunks = []
        size = 0
        while chunk := reader.read(1024 * 1024):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_COLLECTION:
                raise c.fail(
                    f"{member} decompresses to more than {MAX_COLLECTION // (1024 * 1024)} MiB; "
                    "refused"
                )
    except zstandard.ZstdError as exc:
        raise c.fail(f"{member} is not valid zstd-compressed data: {exc}") from None
    return b"".join(chunks)


def _table_names(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _read_collection(
    conn: sqlite3.Connection, member: str, opts: Options, c: Collector, n_media: int
) -> tuple[list[Draft], dict[Any, list[Review]], dict[Any, frozenset[str]]]:
    steps = 0

    def progress() -> int:
        nonlocal steps
        steps += 1
        return 1 if steps > MAX_SQL_STEPS // 1000 else 0

    conn.text_factory = lambda b: b.decode("utf-8", "replace")  # damaged text is still text
    conn.set_progress_handler(progress, 1000)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_SQL_VALUE)
    conn.execute("PRAGMA query_only = ON")
    conn.execute("PRAGMA trusted_schema = OFF")
    tables = _table_names(conn)
    if "notes" not in tables:
        raise c.fail(f"{member} has no notes table; expected an Anki collection")
    types = note_types(conn, tables, c)
    decks = _deck_cards(conn, tables)
    if not opts.bank_given and (deck := _deck_name(decks)):
        # the deck, not the file, names the bank: the same deck exported under another file
        # name is the same bank, with the same item ids, and re-importing it updates it
        # ("anki-" keeps a deck called CPC clear of the shipped banks' names)
        opts.bank_name = key_slug(f"anki-{deck}"[:64]) or opts.bank_name
    if len(decks) > 1:  # one bank for them all: say so, and which decks they were
        shown = ", ".join(f"{k} {n}" for k, n in sorted(decks.items(), key=lambda d: -d[1])[:10])
        c.warn(
            f"the package holds {len(decks)} decks with cards ({shown}); they all go into bank "
            f"{opts.bank_name!r} (export a deck alone from Anki for a bank of its own)"
        )
    if opts.mapping:
        known = {norm_column(f) for nt in types.values() for f in nt.fields}
        for col in opts.mapping:
            if norm_column(col) not in known:
                shown = ", ".join(sorted({f for nt in types.values() for f in nt.fields}))
                c.problem(
                    f"--map names a field {col!r} that no note type in the deck has; "
                    f"fields: {shown or '(none)'}"
                )
        c.check()
    ords: dict[int, list[int]] = {}
    if "cards" in tables:
        for nid, ord_ in conn.execute("SELECT nid, ord FROM cards ORDER BY nid, ord"):
            ni, oi = as_int(nid), as_int(ord_)
            if ni is not None and oi is not None and oi not in ords.setdefault(ni, []):
                ords[ni].append(oi)
    question_types = {mid: question_columns(nt, opts.mapping, c) for mid, nt in types.items()}
    drafts: list[Draft] = []
    marked: set[int] = set()  # notes the learner marked
    counts = Counts()
    as_questions: set[int] = set()
    for n, row in enumerate(
        conn.execute("SELECT id, guid, mid, tags, flds FROM notes ORDER BY id"), start=1
    ):
        nid, guid, mid, tags, flds = row
        nid_i = as_int(nid)
        record = f"note {n}"
        if nid_i is None:
            c.problem("the note id is not a number", None, record)
            continue
        values = as_text(flds).split("\x1f")
        tagged = as_text(tags).split()
        if any(t.casefold() == "marked" for t in tagged):  # Anki's Mark is this tag
            marked.add(nid_i)
        # Anki's own state tags (Mark, leech) are not topics: one would be the report's
        # "weakest topic" (the Mark comes along as a mark with --with-history)
        topics = [t for t in tagged if t.casefold() not in ANKI_STATE_TAGS]
        mid_i = as_int(mid) or 0
        nt = types.get(mid_i)
        if (q := question_types.get(mid_i)) is not None:
            columns, chosen = q
            sub = c if chosen else Collector(c.source)
            d = question_draft(nid_i, as_text(guid), values, topics, columns, opts, sub, record)
            if d is not None:
                drafts.append(d)
                as_questions.add(nid_i)
                continue
            if chosen:
                continue  # the problem is reported
            counts.choice_fallback += 1
            counts.first_fallback = counts.first_fallback or (
                sub.problems[0].message if sub.problems else record
            )
        drafts += card_drafts(
            nid_i, as_text(guid), values, topics, nt, ords.get(nid_i, []), opts, counts, record
        )
    if counts.empty:
        shown = name_list(counts.empty_cards)
        c.warn(f"{counts.empty} cards were left out: their front or back is empty: {shown}")
    if counts.media or n_media:
        c.warn(
            f"{counts.media} cards show images or play sounds (the package holds {n_media} "
            "media files); media are not imported: cards show [image: file] or [sound: file] "
            "in their place"
        )
    if counts.occlusion:
        c.warn(
            f"{counts.occlusion} image occlusion cards were left out: they mask parts of a "
            f"picture, which the app cannot show: {name_list(counts.occlusion_notes)}"
        )
    if counts.choice_fallback:
        c.warn(
            f"{counts.choice_fallback} notes of a multiple-choice note type could not be read "
            f"as questions and were imported as flashcards (first: {counts.first_fallback})"
        )
    history = _history(conn, as_questions, c) if "revlog" in tables and "cards" in tables else {}
    marks = _marks(conn, as_questions, marked) if "cards" in tables else {}
    return drafts, history, marks


def _marks(
    conn: sqlite3.Connection, as_questions: set[int], marked: set[int]
) -> dict[Any, frozenset[str]]:
    """What the learner set on each card in Anki, by key (like the drafts'): "suspended"
    (queue -1), "flagged" (a colour flag), "marked" (the note's "marked" tag). A note read as
    one question is suspended when all its cards are, flagged when one is."""
    suspended: dict[Any, list[bool]] = {}
    flagged: set[Any] = set()
    for nid, ord_, queue, flags in conn.execute("SELECT nid, ord, queue, flags FROM cards"):
        ni, oi = as_int(nid), as_int(ord_)
        if ni is None:
            continue
        key = (ni, -1) if ni in as_questions else (ni, oi if oi is not None else 0)
        suspended.setdefault(key, []).append(as_int(queue) == -1)
        if (as_int(flags) or 0) & 0b111:
            flagged.add(key)
    out = {}
    for key, queues in suspended.items():
        marks = {"suspended"} if all(queues) else set()
        marks |= {"flagged"} if key in flagged else set()
        marks |= {"marked"} if key[0] in marked else set()
        if marks:
            out[key] = frozenset(marks)
    return out


def _deck_cards(conn: sqlite3.Connection, tables: set[str]) -> dict[str, int]:
    """How many of the package's cards each deck holds, by the deck's full name (a::b)."""
    names: dict[int, str] = {}
    if "decks" in tables:
        for did, name in conn.execute("SELECT id, name FROM decks"):
            if (i := as_int(did)) is not None:
                names[i] = as_text(name).replace("\x1f", "::")
    elif "col" in tables:
        row = conn.execute("SELECT decks FROM col LIMIT 1").fetchone()
        try:
            decks = json.loads(as_text(row[0])) if row else {}
        except (json.JSONDecodeError, RecursionError):
            decks = {}
        if isinstance(decks, dict):
            for did, deck in decks.items():
                if (i := as_int(did)) is not None and isinstance(deck, dict):
                    names[i] = as_text(deck.get("name"))
    if "cards" not in tables:
        return {}
    counts: dict[str, int] = {}
    # a card in a filtered deck (a cram session) belongs to its home deck, odid
    home = "CASE WHEN odid THEN odid ELSE did END"
    for did, n in conn.execute(f"SELECT {home} AS deck, count(*) FROM cards GROUP BY deck"):
        name = names.get(as_int(did) or 0, "").strip()
        if name:
            counts[name] = counts.get(name, 0) + (as_int(n) or 0)
    return counts


def _deck_name(decks: dict[str, int]) -> str | None:
    """The top-level deck most of the package's cards are in ("Default" only if alone)."""
    counts: dict[str, int] = {}
    for name, n in decks.items():
        top = name.split("::")[0].strip()
        if top:
            counts[top] = counts.get(top, 0) + n
    if len(counts) > 1:
        counts.pop("Default", None)
    return max(counts, key=lambda k: counts[k]) if counts else None


def _history(
    conn: sqlite3.Connection, as_questions: set[int], c: Collector
) -> dict[Any, list[Review]]:
    """Reviews of every card, keyed like the drafts: (note id, ord), or (note id, -1) for a note
    read as one question (the reviews of all its cards)."""
    key_of: dict[int, tuple[int, int]] = {}
    for cid, nid, ord_ in conn.execute("SELECT id, nid, ord FROM cards"):
        ci, ni, oi = as_int(cid), as_int(nid), as_int(ord_)
        if ci is None or ni is None:
            continue
        key_of[ci] = (ni, -1) if ni in as_questions else (ni, oi if oi is not None else 0)
    out: dict[Any, list[Review]] = {}
    odd = 0
    reset: set[Any] = set()
    for rid, cid, ease, ms, rtype, factor, ivl in conn.execute(
        "SELECT id, cid, ease, time, type, factor, ivl FROM revlog ORDER BY id"
    ):
        key = key_of.get(as_int(cid) or 0)
        if key is None:
            continue
        r, e, t, ty = as_int(rid), as_int(ease), as_int(ms), as_int(rtype)
        if ty == 4 and e == 0 and as_int(factor) == 0 and as_int(ivl) == 0:
            # "Forget"/"Reset": the card went back to new; its reviews before are not its
            # memory any more (Anki's own FSRS leaves them out too)
            if out.pop(key, None):
                reset.add(key)
            continue
        if r is None or e is None or not 1 <= e <= 4 or (ty is not None and ty >= 4):
            odd += 1  # manual reschedules and damaged rows are not ratings
            continue
        try:
            when = datetime.fromtimestamp(r / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            odd += 1
            continue
        out.setdefault(key, []).append((when, e, max(0, min(t or 0, 3_600_000))))
    if odd:
        c.warn(
            f"{odd} review-log rows were not ratings (manual reschedules or damaged) and were left out"
        )
    if reset:
        c.warn(
            f"{len(reset)} cards were reset to new in Anki (Forget): only their reviews since "
            "the reset are their history"
        )
    return out
