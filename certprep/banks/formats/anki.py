"""Anki packages (.apkg, .colpkg) read with zipfile, zstandard and sqlite3 only.

Each note becomes a flashcard: front = first field, back = the field named Back (or the second
field); cloze notes show '[...]' on the front and the filled text on the back; tags become
topics. The review log of each note's first card comes along as ``CardHistory``. Media files
are not imported.

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

from certprep.core.models import derive_item_id

from ._common import Collector, Draft, Options, html_to_text

MAX_UNCOMPRESSED = 200 * 1024 * 1024  # the whole package, as its zip directory declares it
MAX_RATIO = 200  # a member that expands more than this is treated as a zip bomb
MAX_COLLECTION = 200 * 1024 * 1024  # the collection database after zstd
MAX_SQL_STEPS = 2_000_000_000  # sqlite virtual-machine steps before reading is stopped
MAX_SQL_VALUE = 64 * 1024 * 1024  # the longest text or blob sqlite may build
COLLECTIONS = ("collection.anki21b", "collection.anki21", "collection.anki2")
SQLITE_MAGIC = b"SQLite format 3\x00"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

_CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.S)
_SOUND = re.compile(r"\[sound:[^\]]*\]")


Review = tuple[datetime, int, int]  # (UTC time, rating 1-4, duration ms)


def read_apkg(
    data: bytes, opts: Options, c: Collector
) -> tuple[list[Draft], dict[int, list[Review]]]:
    """Drafts (one per note, keyed by note id) and review logs by note id."""
    raw, member = _collection_bytes(data, c)
    with tempfile.TemporaryDirectory(prefix="certprep-apkg-") as tmp:
        db = Path(tmp) / "collection.db"
        db.write_bytes(raw)
        del raw
        try:
            conn = sqlite3.connect(f"{db.as_uri()}?mode=ro&immutable=1", uri=True)
        except sqlite3.Error as exc:
            raise c.fail(f"cannot open the collection database ({member}): {exc}") from None
        try:
            return _read_collection(conn, member, opts, c)
        except (sqlite3.Error, UnicodeDecodeError) as exc:  # sqlite's own message may be garbled
            raise c.fail(
                f"the collection database ({member}) is damaged or not an Anki collection: {exc}"
            ) from None
        except RecursionError:
            raise c.fail("the collection has data nested too deeply") from None
        finally:
            conn.close()


def _collection_bytes(data: bytes, c: Collector) -> tuple[bytes, str]:
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
        if media:
            c.warn(
                f"the package holds {len(media)} media files (images, sounds); they are not "
                "imported and cards show only their text"
            )
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
    return raw, member


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


def _as_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return str(v)


def _as_int(v: Any) -> int | None:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v == v and abs(v) < 2**62:
        return int(v)
    if isinstance(v, str | bytes):
        try:
            return int(v)
        except ValueError:
            return None
    return None


def _field_names(conn: sqlite3.Connection, tables: set[str], c: Collector) -> dict[int, list[str]]:
    """Field names of each note type: schema 18 'fields' table, else the legacy col.models JSON."""
    names: dict[int, list[tuple[int, str]]] = {}
    if "fields" in tables:
        for ntid, ord_, name in conn.execute("SELECT ntid, ord, name FROM fields"):
            i, o = _as_int(ntid), _as_int(ord_)
            if i is not None and o is not None:
                names.setdefault(i, []).append((o, _as_text(name)))
    elif "col" in tables:
        row = conn.execute("SELECT models FROM col LIMIT 1").fetchone()
        raw = _as_text(row[0]) if row else ""
        if raw.strip():
            try:
                models = json.loads(raw)
            except (json.JSONDecodeError, RecursionError):
                c.warn("the note types in col.models are not valid JSON; field names unknown")
                models = {}
            if isinstance(models, dict):
                for mid, model in models.items():
                    flds = model.get("flds") if isinstance(model, dict) else None
                    i = _as_int(mid)
                    if i is None or not isinstance(flds, list):
                        continue
                    for n, f in enumerate(flds):
                        if isinstance(f, dict):
                            o = _as_int(f.get("ord"))
                            names.setdefault(i, []).append(
                                (o if o is not None else n, _as_text(f.get("name")))
                            )
    return {k: [n for _, n in sorted(v)] for k, v in names.items()}


def _read_collection(
    conn: sqlite3.Connection, member: str, opts: Options, c: Collector
) -> tuple[list[Draft], dict[int, list[Review]]]:
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
    fields_of = _field_names(conn, tables, c)
    drafts: list[Draft] = []
    empty = clozes = sounds = 0
    for n, row in enumerate(
        conn.execute("SELECT id, guid, mid, tags, flds FROM notes ORDER BY id"), start=1
    ):
        nid, guid, mid, tags, flds = row
        nid_i = _as_int(nid)
        record = f"note {n}"
        if nid_i is None:
            c.problem("the note id is not a number", None, record)
            continue
        fields = _as_text(flds).split("\x1f")
        names = fields_of.get(_as_int(mid) or 0, [])
        lower = [x.casefold() for x in names]
        front_raw = fields[0]
        if "back" in lower and lower.index("back") < len(fields) and lower.index("back") > 0:
            back_raw = fields[lower.index("back")]
        else:
            back_raw = fields[1] if len(fields) > 1 else ""
        if _SOUND.search(front_raw + back_raw):
            sounds += 1
        if _CLOZE.search(front_raw):
            clozes += 1
            front_html = _CLOZE.sub(lambda m: f"[{m.group(3) or '...'}]", front_raw)
            back_html = _CLOZE.sub(lambda m: m.group(2), front_raw)
            if len(fields) > 1 and fields[1].strip():
                back_html += "<br>" + fields[1]
        else:
            front_html, back_html = front_raw, back_raw
        front = html_to_text(_SOUND.sub("", front_html))
        back = html_to_text(_SOUND.sub("", back_html))
        if not front or not back:
            empty += 1
            continue
        data: dict[str, Any] = {"kind": "flashcard", "stem": front, "back": back}
        if topics := _as_text(tags).split():
            data["topics"] = topics
        # the guid follows a note through Anki's exports, so re-imports keep ids (and history)
        item_id = derive_item_id(opts.bank_name, "anki", _as_text(guid) or str(nid_i))
        drafts.append(Draft(data, record=f"{record} (id {nid_i})", id_hint=item_id, key=nid_i))
    if empty:
        c.warn(f"{empty} notes were left out: their front or back is empty")
    if sounds:
        c.warn(f"{sounds} notes play sounds; the sounds are not imported")
    history = _history(conn, tables, c) if "revlog" in tables and "cards" in tables else {}
    return drafts, history


def _history(conn: sqlite3.Connection, tables: set[str], c: Collector) -> dict[int, list[Review]]:
    """Reviews of each note's first card: nid → [(UTC time, rating 1-4, duration ms)]."""
    first_card: dict[int, tuple[int, int]] = {}  # nid → (ord, cid)
    for cid, nid, ord_ in conn.execute("SELECT id, nid, ord FROM cards"):
        ci, ni, oi = _as_int(cid), _as_int(nid), _as_int(ord_)
        if ci is None or ni is None:
            continue
        oi = oi if oi is not None else 0
        if ni not in first_card or (oi, ci) < first_card[ni]:
            first_card[ni] = (oi, ci)
    note_of = {cid: nid for nid, (_, cid) in first_card.items()}
    out: dict[int, list[Review]] = {}
    odd = 0
    for rid, cid, ease, ms, rtype in conn.execute(
        "SELECT id, cid, ease, time, type FROM revlog ORDER BY id"
    ):
        nid = note_of.get(_as_int(cid) or 0)
        if nid is None:
            continue
        r, e, t, ty = _as_int(rid), _as_int(ease), _as_int(ms), _as_int(rtype)
        if r is None or e is None or not 1 <= e <= 4 or (ty is not None and ty >= 4):
            odd += 1  # manual reschedules and damaged rows are not ratings
            continue
        try:
            when = datetime.fromtimestamp(r / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            odd += 1
            continue
        out.setdefault(nid, []).append((when, e, max(0, min(t or 0, 3_600_000))))
    if odd:
        c.warn(
            f"{odd} review-log rows were not ratings (manual reschedules or damaged) and were left out"
        )
    return out
