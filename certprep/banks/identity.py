"""Which stored row an imported question is.

- Ids belong to their bank: the row is found by (bank, source id). The database key of a new
  row is the author's id unless another bank has that key already; then it is qualified
  with the bank's name ("study-group:Q1"), and shown that way.
- A question without an id of its own (Aiken, GIFT without titles, CSV without an id column)
  has an id derived from its content. When its wording changes, that id changes too: on
  re-import such a question is matched to a question of the same bank that the file no
  longer has, when their normalised stem and answer nearly agree (an edit, not a new one).
- A question whose stem nearly equals one in another bank is named in a warning.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from difflib import SequenceMatcher
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from certprep.core.models import Bank, Item
from certprep.core.problems import Problem
from certprep.store.tables import BANK, CASE, ITEM

# an edit: normalised stem + answer at least this similar (difflib ratio)
EDIT_SIMILARITY = 0.9
# a cross-bank near-duplicate: normalised stems at least this similar
NEAR_DUP_SIMILARITY = 0.92
# words in more texts than this do not pick candidates (they would pick nearly all of them)
_COMMON_WORD = 100
_MAX_KEY = 120

_WORD = re.compile(r"[a-z0-9]+")


def normalise(text: str) -> str:
    """Lower case words and digits only, one space apart: what a typo fix barely changes."""
    return " ".join(_WORD.findall(text.casefold()))


def answer_text(item: Item) -> str:
    """The right answer as text: the correct choices, the codes or the back."""
    if item.choices:
        return " | ".join(c.text for c in item.choices if c.correct)
    if item.codes:
        return " | ".join(item.codes)
    return item.back or ""


def edit_text(item: Item) -> str:
    """What an edit of a question keeps nearly the same: its stem and its answer."""
    return f"{normalise(item.stem)} || {normalise(answer_text(item))}"


def edit_text_of(payload: dict[str, Any]) -> str:
    """``edit_text`` of a stored item's payload (read without validating it again)."""
    choices = payload.get("choices") or []
    if choices:
        answer = " | ".join(str(c.get("text", "")) for c in choices if c.get("correct"))
    elif payload.get("codes"):
        answer = " | ".join(str(c) for c in payload["codes"])
    else:
        answer = str(payload.get("back") or "")
    return f"{normalise(str(payload.get('stem', '')))} || {normalise(answer)}"


# ---------------------------------------------------------------------------- keys


def _qualified(bank: str, source_id: str, n: int) -> str:
    """The n-th candidate key for ``source_id`` in ``bank`` (n = 0: the id itself)."""
    if n == 0:
        return source_id
    if n == 1 and len(bank) + 1 + len(source_id) <= _MAX_KEY:
        return f"{bank}:{source_id}"
    digest = hashlib.sha1(f"{bank}\x1f{source_id}\x1f{n}".encode()).hexdigest()[:8]
    return f"{bank[:40]}:{source_id[: _MAX_KEY - 50]}-{digest}"


def _taken(conn: Connection, table: sa.Table, keys: list[str]) -> set[str]:
    out: set[str] = set()
    for i in range(0, len(keys), 900):
        part = keys[i : i + 900]
        out.update(r[0] for r in conn.execute(sa.select(table.c.id).where(table.c.id.in_(part))))
    return out


def allocate_keys(
    conn: Connection, table: sa.Table, bank: str, source_ids: Iterable[str], reserved: set[str]
) -> dict[str, str]:
    """A free database key for each new source id of ``bank`` (item or case table).

    ``reserved`` holds keys this import uses already; the keys given are added to it."""
    out: dict[str, str] = {}
    todo = list(dict.fromkeys(source_ids))
    n = 0
    while todo:
        wanted = {sid: _qualified(bank, sid, n) for sid in todo}
        taken = _taken(conn, table, list(wanted.values()))
        todo = []
        for sid, key in wanted.items():
            if key in taken or key in reserved:
                todo.append(sid)
            else:
                out[sid] = key
                reserved.add(key)
        n += 1
    return out


# ---------------------------------------------------------------------------- near matches


class _Index:
    """Texts found by the words they share: a cheap filter before difflib compares two."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts
        self.exact: dict[str, str] = {}
        self.postings: dict[str, list[str]] = {}
        for key, text in texts.items():
            self.exact.setdefault(text, key)
            for word in set(text.split()):
                self.postings.setdefault(word, []).append(key)

    def candidates(self, text: str, limit: int = 5) -> list[str]:
        words = set(text.split())
        hits: Counter[str] = Counter()
        for word in words:
            keys = self.postings.get(word, ())
            if len(keys) <= _COMMON_WORD:
                hits.update(keys)
        need = max(1, len(words) // 2)
        found = [k for k, n in hits.most_common(limit) if n >= need]
        same = self.exact.get(text)
        return found if same is None or same in found else [same, *found]


def similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    longer = max(len(a), len(b))
    if not longer or min(len(a), len(b)) / longer < 0.75:
        return 0.0
    m = SequenceMatcher(None, a, b, autojunk=False)
    if m.real_quick_ratio() < 0.75 or m.quick_ratio() < 0.75:
        return 0.0
    return m.ratio()


def match_edits(
    new: dict[str, str], old: dict[str, str], threshold: float = EDIT_SIMILARITY
) -> dict[str, str]:
    """Pair new texts with old ones they nearly equal, best pairs first, each used once.

    ``new`` and ``old`` map an id to its ``edit_text``; returns new id -> old id."""
    if not new or not old:
        return {}
    index = _Index(old)
    pairs: list[tuple[float, str, str]] = []
    for nid, text in new.items():
        for oid in index.candidates(text):
            score = similarity(text, old[oid])
            if score >= threshold:
                pairs.append((score, nid, oid))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    out: dict[str, str] = {}
    used: set[str] = set()
    for _, nid, oid in pairs:
        if nid not in out and oid not in used:
            out[nid] = oid
            used.add(oid)
    return out


def near_duplicates(
    conn: Connection, bank_id: int, stems: dict[str, str]
) -> list[tuple[str, str, str]]:
    """(key here, other bank, key there) for each question whose normalised stem nearly equals
    a live question's in another bank (not the generated code-set drills); ``stems`` maps a
    key to its stem."""
    if not stems:
        return []
    rows = conn.execute(
        sa.select(ITEM.c.id, BANK.c.name, ITEM.c.payload["stem"].as_string())
        .join(BANK, BANK.c.id == ITEM.c.bank_id)
        .where(
            ITEM.c.bank_id != bank_id,
            ITEM.c.retired.is_(False),
            # generated code-set drills: templated stems, many thousands of them
            sa.not_(BANK.c.name.startswith("codeset-")),
        )
    ).all()
    if not rows:
        return []
    others = {r[0]: normalise(r[2] or "") for r in rows}
    bank_of = {r[0]: r[1] for r in rows}
    index = _Index({k: v for k, v in others.items() if v})
    out = []
    for key, stem in stems.items():
        text = normalise(stem)
        if not text:
            continue
        best = max(
            ((similarity(text, others[o]), o) for o in index.candidates(text)),
            default=(0.0, ""),
        )
        if best[0] >= NEAR_DUP_SIMILARITY:
            out.append((key, bank_of[best[1]], best[1]))
    return out


def near_duplicate_warnings(
    conn: Connection, bank_id: int, rows: list[dict[str, object]], source: str
) -> list[Problem]:
    """One warning per written question whose stem nearly repeats another bank's (first 10)."""
    found = near_duplicates(conn, bank_id, {str(r["id"]): str(r["_stem"]) for r in rows})
    out = [
        Problem(
            source,
            f"question {key} nearly repeats question {other} of bank {bank}",
            record=f"item {key}",
        )
        for key, bank, other in found[:10]
    ]
    if len(found) > 10:
        out.append(
            Problem(source, f"{len(found) - 10} more questions nearly repeat other banks' ones")
        )
    return out


# ---------------------------------------------------------------------------- the import's rows


def shipped_rows(
    conn: Connection, bank: Bank, stored: dict[str, tuple[str, str, bool]], bank_id: int | None
) -> dict[str, tuple[str, str, bool]]:
    """Rows of other shipped banks whose key is an id of this shipped bank the bank does not
    have: the question moved between shipped bank files (their ids are unique across them),
    so it moves with its history. Never a bank a learner imported."""
    ids = [it.id for it in bank.items if it.id not in stored]
    out: dict[str, tuple[str, str, bool]] = {}
    for i in range(0, len(ids), 900):
        for row in conn.execute(
            sa.select(ITEM.c.id, ITEM.c.content_hash, ITEM.c.retired)
            .join(BANK, BANK.c.id == ITEM.c.bank_id)
            .where(
                ITEM.c.id.in_(ids[i : i + 900]),
                BANK.c.origin == "bundled",
                BANK.c.id != (bank_id if bank_id is not None else -1),
            )
        ):
            out[row.id] = (row.id, row.content_hash, row.retired)
    return out


def item_keys(
    conn: Connection, bank: Bank, stored: dict[str, tuple[str, str, bool]], edits: dict[str, str]
) -> dict[str, str]:
    """The database key of each item of the file: its stored row's (same source id, or the
    edit it was matched to), else a free one."""
    key_of = {it.id: stored[it.id][0] for it in bank.items if it.id in stored}
    key_of.update(edits)
    new_ids = [it.id for it in bank.items if it.id not in key_of]
    if new_ids:
        taken = {v[0] for v in stored.values()}
        key_of.update(allocate_keys(conn, ITEM, bank.name, new_ids, taken))
    return key_of


def edits_of(
    conn: Connection,
    bank: Bank,
    stored: dict[str, tuple[str, str, bool]],
    derived: set[str],
) -> dict[str, str]:
    """Items with content-derived ids that the bank does not have, matched to the bank's items
    the file no longer has when stem and answer nearly agree (an edit): source id -> key."""
    fresh = {it.id: it for it in bank.items if it.id in derived and it.id not in stored}
    if not fresh:
        return {}
    in_file = {it.id for it in bank.items}
    orphans = [v[0] for sid, v in stored.items() if sid not in in_file]
    if not orphans:
        return {}
    old: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for part in (orphans[i : i + 900] for i in range(0, len(orphans), 900)):
        for row in conn.execute(
            sa.select(ITEM.c.id, ITEM.c.kind, ITEM.c.payload).where(ITEM.c.id.in_(part))
        ):
            old[row.id] = edit_text_of(row.payload)
            kinds[row.id] = row.kind
    matches = match_edits({sid: edit_text(it) for sid, it in fresh.items()}, old)
    return {sid: key for sid, key in matches.items() if kinds[key] == str(fresh[sid].kind)}


def case_keys(conn: Connection, bank: Bank, bank_id: int | None) -> dict[str, str]:
    """The database key of each case of the bank: kept when stored, else a free one."""
    stored: dict[str, str] = {}
    if bank_id is not None:
        stored = {
            r.source_id: r.id
            for r in conn.execute(
                sa.select(CASE.c.source_id, CASE.c.id).where(CASE.c.bank_id == bank_id)
            )
        }
    keys = {c.id: stored[c.id] for c in bank.cases if c.id in stored}
    new = [c.id for c in bank.cases if c.id not in stored]
    if new:
        keys.update(allocate_keys(conn, CASE, bank.name, new, set(stored.values())))
    return keys


def bank_holding(conn: Connection, bank: Bank, share: float = 0.8) -> str | None:
    """Another imported bank holding the same questions as ``bank`` (a file imported before
    under another name, maybe edited since): at least ``share`` of the file's questions are
    the bank's (word for word or nearly), and at least ``share`` of the bank's live questions
    are in the file. None when there is none, or when a bank of ``bank``'s own name exists
    (then this is its re-import)."""
    if not bank.items or conn.execute(sa.select(BANK.c.id).where(BANK.c.name == bank.name)).first():
        return None
    texts: dict[str, str] = {}
    bank_of: dict[str, str] = {}
    live: Counter[str] = Counter()
    for key, name, payload in conn.execute(
        sa.select(ITEM.c.id, BANK.c.name, ITEM.c.payload)
        .join(BANK, BANK.c.id == ITEM.c.bank_id)
        .where(BANK.c.origin == "import", ITEM.c.retired.is_(False))
    ):
        texts[key] = edit_text_of(payload)
        bank_of[key] = name
        live[name] += 1
    if not texts:
        return None
    found = match_edits({it.id: edit_text(it) for it in bank.items}, texts)
    per_bank = Counter(bank_of[key] for key in found.values())
    for name, n in per_bank.most_common():
        if n >= share * len(bank.items) and n >= share * live[name]:
            return str(name)
    return None
