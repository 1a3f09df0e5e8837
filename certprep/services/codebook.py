"""The code book: ranked search over ICD-10-CM and ICD-10-PCS, a CM code with its tabular notes,
PCS codes built and read axis by axis, MS-DRG CC/MCC status; and the log of lookups.

    book = code_book()                     # shared, read-only; builds the index on first use
    book.search("E1122")                   # SearchResult(hits=[Hit(code="E11.22", ...)], ms)
    book.cm("E11.22")                      # CmDetail: entry, ancestors, children, notes, ...
    book.pcs("0DTJ4ZZ")                    # PcsDetail: axes with their meanings
    book.pcs_choices("0DT")                # the valid next characters after 0DT
    book.drg("J96.01", pdx="J44.1")        # DrgStatus: MCC, excluded for this principal dx?
    log_lookup(services, Lookup(...))      # one search, with the question it served
    lookups_by_item(services, attempt_id)  # which questions needed the book, and how long
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from pathlib import Path

from certprep.core import codebook as cb
from certprep.core.problems import InputError
from certprep.services.codebook_log import ItemLookups, Lookup, log_lookup, lookups_by_item
from certprep.services.codebook_types import (
    CmDetail,
    DrgStatus,
    Hit,
    PcsChoice,
    PcsDetail,
    SearchResult,
)
from certprep.store import codebook as store

__all__ = [
    "CmDetail",
    "CodeBook",
    "DrgStatus",
    "Hit",
    "ItemLookups",
    "Lookup",
    "PcsChoice",
    "PcsDetail",
    "SearchResult",
    "code_book",
    "log_lookup",
    "lookups_by_item",
]

COMMON = 8000  # a word in more entries than this is ranked by entry order, not bm25
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "without",
    ]
)  # in nearly every title: they rank nothing and make the search slow


class CodeBook:
    """Read-only access to the code-book index; safe to share between learners and threads."""

    def __init__(self, index_path: Path | None = None) -> None:
        self.path = index_path or store.default_index_path()
        self._con: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    # -- the index -----------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return store.is_built(self.path)

    def build(self) -> Path:
        """Build the index now (a few seconds); a no-op when it exists."""
        with self._lock:
            if not store.is_built(self.path):
                try:
                    store.build_index(self.path)
                except OSError as exc:
                    raise InputError(
                        f"cannot build the code-book index: {exc.strerror or exc}",
                        str(self.path),
                    ) from None
        return self.path

    def _db(self) -> sqlite3.Connection:
        if self._con is None:
            self.build()
            with self._lock:
                if self._con is None:
                    self._con = store.open_index(self.path)
        return self._con

    def _rows(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return self._db_locked().execute(sql, params).fetchall()

    def _db_locked(self) -> sqlite3.Connection:
        assert self._con is not None
        return self._con

    def sources(self) -> dict[str, str]:
        return {"cm": cb.CM_SOURCE, "pcs": cb.PCS_SOURCE, "drg": cb.DRG_SOURCE}

    # -- search --------------------------------------------------------------------------------
    def search(self, query: str, system: str | None = None, limit: int = 25) -> SearchResult:
        """Codes for a query: a code or code prefix (dot optional), else words ranked by bm25.

        ``system`` is cm, pcs, or drg (diagnosis codes that are a CC or MCC).
        """
        if system is not None and system not in cb.SYSTEMS:
            raise InputError(f"unknown code system {system!r}: use cm, pcs or drg")
        self._db()
        start = time.perf_counter()
        text = " ".join(query.split())[:200]
        by_code = cb.looks_like_code(text)
        hits: list[Hit] = []
        if by_code:
            hits = self._by_code(cb.normalise_code(text), system, limit)
        if not hits:
            by_code = False
            hits = self._by_words(text, system, limit)
        elapsed = (time.perf_counter() - start) * 1000
        return SearchResult(text, system, hits, elapsed, by_code)

    def _filter(self, system: str | None) -> str:
        if system == "cm":
            return " AND e.system = 'cm'"
        if system == "pcs":
            return " AND e.system IN ('pcs', 'pcsindex')"
        if system == "drg":
            return " AND e.system = 'cm' AND d.level IS NOT NULL"
        return ""

    _SELECT = (
        "SELECT e.system, e.code, e.title, e.billable, e.kind, d.level FROM entry e "
        "LEFT JOIN drg_level d ON e.system = 'cm' AND d.code = e.dotless "
    )

    def _by_code(self, prefix: str, system: str | None, limit: int) -> list[Hit]:
        """The code itself first, then the codes below it, shortest first, in code order."""
        sql = (
            self._SELECT
            + "WHERE e.depth = ? AND e.dotless >= ? AND e.dotless < ?"
            + self._filter(system)
            + " ORDER BY e.dotless LIMIT ?"
        )
        hits: list[Hit] = []
        for depth in range(len(prefix), 8):
            if len(hits) >= limit:
                break
            rows = self._rows(sql, (depth, prefix, prefix + "\uffff", limit - len(hits)))
            hits += [_hit(r) for r in rows]
        return hits

    def _by_words(self, text: str, system: str | None, limit: int) -> list[Hit]:
        words = re.findall(r"[0-9A-Za-z]+", text.lower())
        kept = [w for w in words if w not in STOPWORDS] or words
        if not kept:
            return []
        ranked = (
            self._SELECT.replace("FROM entry e", "FROM fts JOIN entry e ON e.id = fts.rowid")
            + "WHERE fts MATCH ?"
            + self._filter(system)
            + " ORDER BY bm25(fts, 10.0, 4.0), e.billable, length(e.title) LIMIT ?"
        )
        # a word in thousands of titles: ranking every match costs more than the budget, and
        # bm25 favours short titles anyway, so read the matches shortest title first (entry ids)
        in_order = ranked.replace("bm25(fts, 10.0, 4.0), e.billable, length(e.title)", "fts.rowid")
        counts = [self._docs(w) for w in kept]
        common = min(counts) > COMMON
        if common:
            match = " ".join(f'title : "{w}"' for w in kept)
        else:
            match = " ".join(f'"{w}"' for w in kept)
        hits = [_hit(r) for r in self._rows(in_order if common else ranked, (match, limit))]
        if len(hits) < limit:  # the last word may be typed in part: "diab" finds diabetes
            prefix_counts = [*counts[:-1], self._docs(kept[-1], prefix=True)]
            common = min(prefix_counts) > COMMON
            seen = {h.code for h in hits}
            more = self._rows(in_order if common else ranked, (match + "*", limit))
            hits += [h for h in map(_hit, more) if h.code not in seen][: limit - len(hits)]
        return hits

    def _docs(self, word: str, prefix: bool = False) -> int:
        """How many entries have the word (at most, for a prefix: the sum over its words)."""
        if prefix:
            rows = self._rows(
                "SELECT sum(doc) FROM fts_vocab WHERE term >= ? AND term < ?",
                (word, word + "\uffff"),
            )
        else:
            rows = self._rows("SELECT doc FROM fts_vocab WHERE term = ?", (word,))
        return int(str(rows[0][0])) if rows and rows[0][0] is not None else 0

    # -- ICD-10-CM -----------------------------------------------------------------------------
    def _cm_entry(self, code: str) -> cb.CmEntry | None:
        rows = self._rows(
            "SELECT code, kind, title, parent, billable, notes FROM cm WHERE code = ? OR "
            "(dotless = ? AND kind IN ('category', 'code')) ORDER BY kind = 'block' LIMIT 1",
            (code, cb.normalise_code(code)),
        )
        return _cm(rows[0]) if rows else None

    def cm(self, code: str) -> CmDetail | None:
        """An ICD-10-CM code, category, block or chapter with its notes; None if unknown."""
        self._db()
        entry = self._cm_entry(code.strip().upper())
        if entry is None:
            return None
        ancestors: list[cb.CmEntry] = []
        parent = entry.parent
        while parent:
            anc = self._cm_entry(parent)
            if anc is None:
                break
            ancestors.insert(0, anc)
            parent = anc.parent
        return CmDetail(
            entry=entry,
            ancestors=ancestors,
            children=self.cm_children(entry.code),
            notes=cb.note_groups(entry, ancestors),
            placeholder=cb.placeholder_rule(entry, ancestors),
            seventh_from=cb.seventh_character(entry, ancestors),
            drg=self.drg(entry.code) if entry.kind in ("category", "code") else None,
        )

    def cm_children(self, code: str | None = None) -> list[cb.CmEntry]:
        """What sits under a chapter, block or code (the chapters for None), in tabular order."""
        self._db()
        rows = self._rows(
            "SELECT code, kind, title, parent, billable, notes FROM cm WHERE parent = ? "
            "ORDER BY ord",
            (code or "",),
        )
        return [_cm(r) for r in rows]

    # -- ICD-10-PCS ----------------------------------------------------------------------------
    def _meanings(self, code: str) -> cb.Meanings:
        out: cb.Meanings = {}
        for pos, value in enumerate(code[:7]):
            context = cb.pcs_context(code[:pos])
            rows = self._rows(
                "SELECT label, derived FROM pcs_meaning WHERE context = ? AND pos = ? AND value = ?",
                (context, pos, value),
            )
            if rows:
                out[(context, pos, value)] = (str(rows[0][0]), bool(rows[0][1]))
        return out

    def pcs(self, code: str) -> PcsDetail:
        """A PCS code (or its first characters) read axis by axis."""
        self._db()
        norm = cb.normalise_code(code)
        if not norm or len(norm) > 7 or not re.fullmatch(r"[0-9A-HJ-NP-Z]+", norm):
            raise InputError(
                f"{code!r} is not an ICD-10-PCS code: up to 7 characters, digits and letters "
                "other than I and O"
            )
        valid = ""
        for n in range(len(norm), 0, -1):
            if self._rows("SELECT 1 FROM pcs WHERE code >= ? AND code < ? LIMIT 1",
                          (norm[:n], norm[:n] + "\uffff")):  # fmt: skip
                valid = norm[:n]
                break
        title_rows = self._rows("SELECT title FROM pcs WHERE code = ?", (norm,))
        return PcsDetail(
            code=norm,
            title=str(title_rows[0][0]) if title_rows else None,
            axes=cb.pcs_axes(norm, self._meanings(norm)),
            valid_prefix=valid,
        )

    def pcs_index(self, term: str) -> list[str] | None:
        """An entry of the ICD-10-PCS Index: its lines (subterms indented), or None."""
        self._db()
        rows = self._rows(
            "SELECT lines FROM pcs_index WHERE term = ? COLLATE NOCASE", (" ".join(term.split()),)
        )
        return str(rows[0][0]).split("\n") if rows else None

    def pcs_choices(self, prefix: str = "") -> list[PcsChoice]:
        """The values the next character can take after ``prefix``: only valid combinations."""
        self._db()
        norm = cb.normalise_code(prefix)
        if len(norm) >= 7:
            return []
        pos = len(norm)
        # skip-scan the primary key: the first code at or after the cursor gives the next value,
        # its range gives the count (a GROUP BY over the 78,000 codes would read every title)
        rows: list[tuple[str, int, str, str | None]] = []
        cursor = norm
        while True:
            found = self._rows(
                "SELECT code FROM pcs WHERE code >= ? AND code < ? ORDER BY code LIMIT 1",
                (cursor, norm + "\uffff"),
            )
            if not found:
                break
            first = str(found[0][0])
            value = first[pos]
            start, stop = norm + value, norm + value + "\uffff"
            n = int(str(self._rows(
                "SELECT count(*) FROM pcs WHERE code >= ? AND code < ?", (start, stop)
            )[0][0]))  # fmt: skip
            title = None
            if n == 1:
                title = str(self._rows("SELECT title FROM pcs WHERE code = ?", (first,))[0][0])
            rows.append((value, n, first, title))
            cursor = norm + chr(ord(value) + 1)
        context = cb.pcs_context(norm)
        labels = {
            str(v): (str(label), bool(derived))
            for v, label, derived in self._rows(
                "SELECT value, label, derived FROM pcs_meaning WHERE context = ? AND pos = ?",
                (context, pos),
            )
        }
        out = []
        for v, n, first, title in rows:
            meaning, derived = labels.get(v, (None, False))
            if meaning is None and pos == 0:
                meaning = cb.PCS_SECTIONS.get(v)
            complete = pos == 6
            out.append(
                PcsChoice(
                    value=v,
                    meaning=meaning,
                    count=n,
                    code=first if complete else None,
                    title=title,
                    derived=derived,
                )
            )
        return out

    # -- MS-DRG --------------------------------------------------------------------------------
    def drg(self, code: str, pdx: str | None = None) -> DrgStatus | None:
        """The CC/MCC status of a diagnosis code; with ``pdx``, whether that principal
        diagnosis excludes it. None when the code is not an ICD-10-CM code."""
        self._db()
        entry = self._cm_entry(code.strip().upper())
        if entry is None or entry.kind not in ("category", "code"):
            return None
        dotless = cb.normalise_code(entry.code)
        rows = self._rows("SELECT level, collection FROM drg_level WHERE code = ?", (dotless,))
        level, collection = (str(rows[0][0]), rows[0][1]) if rows else (None, None)
        alive = bool(self._rows("SELECT 1 FROM drg_alive WHERE code = ?", (dotless,)))
        pdx_code: str | None = None
        excluded: bool | None = None
        if pdx is not None:
            principal = self._cm_entry(pdx.strip().upper())
            if principal is None:
                raise InputError(f"{pdx!r} is not an ICD-10-CM code")
            pdx_code = principal.code
            excluded = bool(
                collection
                and self._rows(
                    "SELECT 1 FROM drg_exclusion WHERE collection = ? AND code = ?",
                    (collection, cb.normalise_code(principal.code)),
                )
            )
        return DrgStatus(
            code=entry.code,
            level=level,
            collection=str(collection) if collection else None,
            alive_only=alive,
            pdx=pdx_code,
            excluded=excluded if level else (False if pdx is not None else None),
        )


def _hit(r: tuple[object, ...]) -> Hit:
    return Hit(
        system=str(r[0]),
        code=str(r[1]),
        title=str(r[2]),
        billable=bool(r[3]),
        kind=str(r[4]),
        level=str(r[5]) if r[5] else None,
    )


def _cm(r: tuple[object, ...]) -> cb.CmEntry:
    return cb.CmEntry(
        code=str(r[0]),
        kind=str(r[1]),
        title=str(r[2]),
        parent=str(r[3]),
        billable=bool(r[4]),
        notes=json.loads(str(r[5])),
    )


_BOOKS: dict[Path, CodeBook] = {}
_BOOKS_LOCK = threading.Lock()


def code_book(index_path: Path | None = None) -> CodeBook:
    """The shared code book for an index file (default: the user data dir's)."""
    path = index_path or store.default_index_path()
    with _BOOKS_LOCK:
        if path not in _BOOKS:
            _BOOKS[path] = CodeBook(path)
        return _BOOKS[path]
