"""The card browser's search syntax as clauses, and how a result row reads on one line.

The syntax is documented in certprep.services.cards.
"""

from __future__ import annotations

import re
from datetime import datetime

from certprep.core.problems import InputError
from certprep.core.scheduling import STATE_NAMES
from certprep.services import card_queries as cq
from certprep.services.card_queries import CardQuery, Clause, ResultRow

_TOKEN = re.compile(r'\s*(-?)(?:([A-Za-z]+):)?(?:"([^"]*)"|(\S+))')
_ALIASES = {"sec": "section", "tag": "topic", "state": "is", "deck": "bank"}
_LOWER = {"exam", "section", "bank", "kind", "is"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def parse_query(text: str) -> CardQuery:
    """The search as clauses (syntax only; ``CardBrowser.parse`` also checks the values)."""
    if text.count('"') % 2:
        raise InputError('a quote is not closed in the search; pair every " with another', "search")
    clauses: list[Clause] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:  # pragma: no cover - the pattern always eats a char
            break
        pos = m.end()
        neg, key, quoted, bare = m.group(1) == "-", m.group(2), m.group(3), m.group(4)
        value = quoted if quoted is not None else bare
        if key is None:
            if value:
                clauses.append(Clause("text", (value,), neg))
            elif neg:
                raise InputError("a lone '-' in the search: put it before a term", "search")
            continue
        name = _ALIASES.get(key.lower(), key.lower())
        if name not in cq.FIELDS or name == "text":
            known = ", ".join(f"{f}:" for f in cq.FIELDS if f != "text")
            raise InputError(
                f"unknown search field {key + ':'!r}; known: {known} "
                f'(quote text that has a colon, e.g. "{key}:{value}")',
                "search",
            )
        values = (value,) if quoted is not None else tuple(v for v in value.split(",") if v)
        if name in _LOWER:
            values = tuple(v.lower() for v in values)
        if not values:
            raise InputError(f"{key}: needs a value", "search")
        clauses.append(Clause(name, values, neg))
    return CardQuery(tuple(clauses), text)


def plain(text: str, width: int | None = None) -> str:
    """User text on one line: no control characters, whitespace collapsed, cut to ``width``."""
    one = " ".join(_CONTROL.sub(" ", text).split())
    if width is not None and len(one) > width:
        return one[: max(0, width - 1)] + "…"
    return one


def state_label(row: ResultRow, now: datetime) -> str:
    """``review``, ``new · suspended · flagged`` …"""
    parts = [STATE_NAMES.get(row.state or 0, "new")]
    if row.suspended:
        parts.append("suspended")
    if row.buried_until is not None and row.buried_until > now:
        parts.append("buried")
    if row.leech:
        parts.append("leech")
    if row.flagged:
        parts.append("flagged")
    if row.marked:
        parts.append("marked")
    return " · ".join(parts)


def due_label(due: datetime | None) -> str:
    return "—" if due is None else due.astimezone().strftime("%Y-%m-%d %H:%M")
