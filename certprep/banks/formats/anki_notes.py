"""Anki notes into items, card by card, through each note type's own fields and templates.

Every card Anki made is its own item with its own history: a Basic note gives one flashcard,
"Basic (and reversed card)" two, a cloze note one per cloze number. A card's front and back are
its templates rendered the way Anki renders them (fields, ``{{#Field}}`` sections, ``cloze:``),
then reduced to text. A note type whose fields name a question, choices and an answer (or that
``--map`` maps) becomes real choice questions, read through the same column names as a CSV file.
Images and sounds stay visible as ``[image: file]`` / ``[sound: file]`` placeholders.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from certprep.core.models import derive_item_id

from ._common import Collector, Draft, Options
from .text import html_to_text

_CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.S)
_SOUND = re.compile(r"\[sound:([^\]]*)\]")
_IMG = re.compile(r"<img\b", re.I)
_SECTION = re.compile(r"\{\{([#^])\s*([^}]+?)\s*\}\}(.*?)\{\{/\s*\2\s*\}\}", re.S)
_TAG = re.compile(r"\{\{\s*([^#^/}][^}]*?)\s*\}\}")
_ANSWER_RULE = re.compile(r"<hr[^>]*id\s*=\s*[\"']?answer[\"']?[^>]*>", re.I)
_SPECIAL = {"Tags", "Deck", "Subdeck", "Card", "Type", "CardFlag", "CardID"}


@dataclass
class NoteType:
    name: str = ""
    fields: list[str] = field(default_factory=list)
    templates: dict[int, tuple[str, str]] = field(default_factory=dict)  # ord → (front, back)
    cloze: bool = False


# ---------------------------------------------------------------------------- note types


def as_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return str(v)


def as_int(v: Any) -> int | None:
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


def _proto(blob: Any) -> dict[int, Any]:
    """The top-level fields of a protobuf message (first value of each), tolerant of damage."""
    out: dict[int, Any] = {}
    if not isinstance(blob, bytes):
        return out
    i, n = 0, len(blob)

    def varint() -> int:
        nonlocal i
        value = shift = 0
        while i < n:
            b = blob[i]
            i += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80 or shift > 63:
                return value
        raise ValueError("truncated varint")

    try:
        while i < n:
            key = varint()
            num, wire = key >> 3, key & 7
            if wire == 0:
                value: Any = varint()
            elif wire == 2:
                size = varint()
                value, i = blob[i : i + size], i + size
            elif wire == 1:
                value, i = blob[i : i + 8], i + 8
            elif wire == 5:
                value, i = blob[i : i + 4], i + 4
            else:
                break
            out.setdefault(num, value)
    except ValueError:
        pass
    return out


def note_types(conn: sqlite3.Connection, tables: set[str], c: Collector) -> dict[int, NoteType]:
    """Fields, templates and cloze-ness of each note type (schema 18 tables or col.models)."""
    types: dict[int, NoteType] = {}
    if "fields" in tables:
        rows: dict[int, list[tuple[int, str]]] = {}
        for ntid, ord_, name in conn.execute("SELECT ntid, ord, name FROM fields"):
            i, o = as_int(ntid), as_int(ord_)
            if i is not None and o is not None:
                rows.setdefault(i, []).append((o, as_text(name)))
        for i, pairs in rows.items():
            types.setdefault(i, NoteType()).fields = [n for _, n in sorted(pairs)]
        if "templates" in tables:
            for ntid, ord_, config in conn.execute("SELECT ntid, ord, config FROM templates"):
                i, o = as_int(ntid), as_int(ord_)
                cfg = _proto(config)
                if i is None or o is None or 1 not in cfg:
                    continue
                q, a = as_text(cfg.get(1, b"")), as_text(cfg.get(2, b""))
                types.setdefault(i, NoteType()).templates[o] = (q, a)
        if "notetypes" in tables:
            for ntid, name, config in conn.execute("SELECT id, name, config FROM notetypes"):
                i = as_int(ntid)
                if i is not None and i in types:
                    types[i].cloze = _proto(config).get(1) == 1
                    types[i].name = as_text(name)
        return types
    if "col" not in tables:
        return types
    row = conn.execute("SELECT models FROM col LIMIT 1").fetchone()
    raw = as_text(row[0]) if row else ""
    if not raw.strip():
        return types
    try:
        models = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        c.warn("the note types in col.models are not valid JSON; field names unknown")
        return types
    if not isinstance(models, dict):
        return types
    for mid, model in models.items():
        i = as_int(mid)
        if i is None or not isinstance(model, dict):
            continue
        nt = NoteType(name=as_text(model.get("name")), cloze=model.get("type") == 1)
        flds = model.get("flds")
        if isinstance(flds, list):
            pairs = []
            for n, f in enumerate(flds):
                if isinstance(f, dict):
                    o = as_int(f.get("ord"))
                    pairs.append((o if o is not None else n, as_text(f.get("name"))))
            nt.fields = [name for _, name in sorted(pairs)]
        tmpls = model.get("tmpls")
        if isinstance(tmpls, list):
            for n, t in enumerate(tmpls):
                if isinstance(t, dict) and isinstance(t.get("qfmt"), str):
                    o = as_int(t.get("ord"))
                    nt.templates[o if o is not None else n] = (t["qfmt"], as_text(t.get("afmt")))
        types[i] = nt
    return types


# ---------------------------------------------------------------------------- rendering


def _cloze(text: str, number: int | None, *, question: bool) -> str:
    def sub(m: re.Match[str]) -> str:
        if question and number is not None and int(m.group(1)) == number:
            return f"[{m.group(3) or '...'}]"
        return m.group(2)

    return _CLOZE.sub(sub, text)


def render(template: str, values: dict[str, str], number: int | None, *, question: bool) -> str:
    """An Anki card template filled in: sections, fields, filters and cloze deletions."""

    def present(name: str) -> bool:
        return bool(html_to_text(values.get(name, "")).strip())

    for _ in range(20):  # nested sections, innermost first
        new = _SECTION.sub(
            lambda m: m.group(3) if present(m.group(2)) == (m.group(1) == "#") else "", template
        )
        if new == template:
            break
        template = new

    def tag(m: re.Match[str]) -> str:
        parts = [p.strip() for p in m.group(1).split(":")]
        name, filters = parts[-1], parts[:-1]
        if name in _SPECIAL or name == "FrontSide" or ("type" in filters and question):
            return ""  # a type-in box on the front; on the back Anki shows the field's value
        value = values.get(name, "")
        if "cloze" in filters:
            return _cloze(value, number, question=question)
        return value

    return _TAG.sub(tag, template)


def _answer_side(html: str) -> str:
    """What the back adds to the front: after Anki's ``<hr id=answer>`` when there is one."""
    parts = _ANSWER_RULE.split(html, maxsplit=1)
    return parts[1] if len(parts) == 2 else html


def media_text(raw: str) -> str:
    """Text of card HTML, with sounds as visible placeholders (images: see html_to_text)."""
    return html_to_text(_SOUND.sub(lambda m: f" [sound: {m.group(1).strip()}] ", raw))


# ---------------------------------------------------------------------------- notes to drafts


@dataclass
class Counts:
    empty: int = 0
    empty_cards: list[str] = field(default_factory=list)  # where each is, and what side it has
    media: int = 0
    occlusion: int = 0
    occlusion_notes: list[str] = field(default_factory=list)
    choice_fallback: int = 0
    first_fallback: str = ""


def card_drafts(
    nid: int,
    guid: str,
    values: list[str],
    topics: list[str],
    nt: NoteType | None,
    ords: list[int],
    opts: Options,
    counts: Counts,
    record: str,
) -> list[Draft]:
    """One flashcard per card of the note, each keyed (note id, ord)."""
    names = nt.fields if nt else []
    by_name = dict(zip(names, values, strict=False))
    drafts = []
    if nt is None or not nt.templates:
        return _untemplated(nid, guid, values, names, topics, opts, counts, record)
    if any("image-occlusion" in q + a for q, a in nt.templates.values()):
        counts.occlusion += max(1, len(ords))  # masks drawn over a picture: nothing to show
        counts.occlusion_notes.append(f"{record} (note id {nid})")
        return []
    if nt.cloze:
        numbers = sorted({int(m.group(1)) for v in values for m in _CLOZE.finditer(v)})
        ords = ords or [n - 1 for n in numbers]
    else:
        ords = ords or sorted(nt.templates)
    for o in ords:
        if nt.cloze:
            q_fmt, a_fmt = nt.templates.get(0) or next(iter(nt.templates.values()))
            number: int | None = o + 1
        elif o in nt.templates:
            q_fmt, a_fmt = nt.templates[o]
            number = None
        else:
            continue
        q_html = render(q_fmt, by_name, number, question=True)
        a_html = _answer_side(render(a_fmt, by_name, number, question=False))
        where = f"{record} card {o + 1} (note id {nid})"
        draft = _card_draft(q_html, a_html, o, nid, guid, topics, opts, counts, where)
        if draft is not None:
            drafts.append(draft)
    return drafts


def _card_draft(
    q_html: str,
    a_html: str,
    o: int,
    nid: int,
    guid: str,
    topics: list[str],
    opts: Options,
    counts: Counts,
    where: str,
) -> Draft | None:
    """One card's sides as a flashcard draft (None, counted, when a side is empty)."""
    if _IMG.search(q_html + a_html) or _SOUND.search(q_html + a_html):
        counts.media += 1
    front, back = media_text(q_html), media_text(a_html)
    if not front or not back:
        counts.empty += 1
        counts.empty_cards.append(f"{where}: {(front or back)[:40]!r}")
        return None
    data: dict[str, Any] = {"kind": "flashcard", "stem": front, "back": back}
    if topics:
        data["topics"] = list(topics)
    # the guid follows a note through Anki's exports, so re-imports keep ids (and history)
    seed = guid or str(nid)
    item_id = derive_item_id(opts.bank_name, "anki", seed if o == 0 else f"{seed}/{o}")
    return Draft(data, record=where, id_hint=item_id, key=(nid, o))


def _untemplated(
    nid: int,
    guid: str,
    values: list[str],
    names: list[str],
    topics: list[str],
    opts: Options,
    counts: Counts,
    record: str,
) -> list[Draft]:
    """A note whose note type carries no templates: first field / the Back field (or second)."""
    lower = [x.casefold() for x in names]
    front_raw = values[0]
    if "back" in lower and 0 < lower.index("back") < len(values):
        back_raw = values[lower.index("back")]
    else:
        back_raw = values[1] if len(values) > 1 else ""
    if _CLOZE.search(front_raw):
        numbers = sorted({int(m.group(1)) for m in _CLOZE.finditer(front_raw)})
        extra = values[1] if len(values) > 1 and values[1].strip() else ""
        pairs = [
            (
                _cloze(front_raw, n, question=True),
                _cloze(front_raw, None, question=False) + (f"<br>{extra}" if extra else ""),
                n - 1,
            )
            for n in numbers
        ]
    else:
        pairs = [(front_raw, back_raw, 0)]
    drafts = []
    for q_html, a_html, o in pairs:
        where = f"{record} (note id {nid})"
        draft = _card_draft(q_html, a_html, o, nid, guid, topics, opts, counts, where)
        if draft is not None:
            drafts.append(draft)
    return drafts


# ---------------------------------------------------------------------------- question note types


def _norm(name: str) -> str:
    from .columns import norm_column

    return norm_column(name)


def question_columns(
    nt: NoteType | None, mapping: dict[str, str] | None, c: Collector
) -> tuple[dict[int, str], bool] | None:
    """Field index → item field for a note type read as questions, and whether --map chose it.

    A note type is read as questions when ``--map`` names one of its fields, or when its fields
    are a question, two or more choices and an answer (the usual CSV column names). Otherwise
    its cards are flashcards (None).
    """
    from .columns import map_columns

    if nt is None or not nt.fields:
        return None
    here = {_norm(f) for f in nt.fields}
    wanted = {k: v for k, v in (mapping or {}).items() if _norm(k) in here}
    sub = Collector(c.source)
    columns = map_columns(nt.fields, wanted or None, sub, None)
    label = f"note type {nt.name or '(unnamed)'!r}"
    if wanted:
        for p in sub.problems:
            c.problem(p.message, None, label)
        for w in sub.warnings:
            c.warn(w.message.replace("columns ignored", "fields ignored"), None, label)
        return (columns, True) if not sub.problems else None
    fields = set(columns.values())
    n_choices = sum(1 for f in fields if f.startswith("choice_"))
    if sub.problems or "stem" not in fields or "answer" not in fields or n_choices < 2:
        return None
    for w in sub.warnings:
        c.warn(w.message.replace("columns ignored", "fields ignored"), None, label)
    return columns, False


def question_draft(
    nid: int,
    guid: str,
    values: list[str],
    topics: list[str],
    columns: dict[int, str],
    opts: Options,
    c: Collector,
    record: str,
) -> Draft | None:
    """One question from a note whose fields map to item fields (None: build_draft refused it)."""
    from .rows import build_draft

    cells: dict[str, Any] = {
        fld: media_text(values[i]) for i, fld in columns.items() if i < len(values)
    }
    where = f"{record} (note id {nid})"
    d = build_draft(cells, c, None, where)
    if d is None:
        return None
    if topics and not d.data.get("topics"):
        d.data["topics"] = list(topics)
    d.id_hint = derive_item_id(opts.bank_name, "anki", guid or str(nid))
    d.key = (nid, -1)
    return d
