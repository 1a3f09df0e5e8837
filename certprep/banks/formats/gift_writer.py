"""GIFT written: what certprep's items look like in Moodle's text format for questions.

Every question gets ``[plain]`` (its text is taken as written), ``::id::`` as its title, its
topics as ``$CATEGORY``, general and per-answer feedback, and ``// certprep: key = value``
comments for what GIFT has no place for. Flashcards cannot be written (GIFT has none).
"""

from __future__ import annotations

import re
from typing import Any

from certprep.core.models import Bank, Item, ItemKind

from .carry import item_meta

_ESCAPABLE = "~=#{}:\\"


def escape(text: str) -> str:
    """GIFT text: special characters escaped, line breaks as \\n (a blank line ends a question)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in text:
        if ch in _ESCAPABLE:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        else:
            out.append(ch)
    return "".join(out)


_MARKER = re.compile(r"\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)


def literal(text: str) -> str:
    """An answer or feedback escaped, and taken as written even when it begins like a format
    marker ("[html] ..."): Moodle and the reader would take that as the text's format."""
    return ("[plain]" if _MARKER.match(text) else "") + escape(text)


def _choice(mark: str, text: str, rationale: str | None, weight: str | None = None) -> str:
    if weight is None and text.startswith("%"):  # would read as a weight
        weight = "100" if mark == "=" else "0"
    w = f"%{weight}%" if weight is not None else ""
    fb = f"#{literal(rationale)}" if rationale else ""
    return f"\t{mark}{w}{literal(text)}{fb}"


def _weight(n: int) -> str:
    return f"{100 / n:.5f}".rstrip("0").rstrip(".")


def _is_plain_true_false(item: Item) -> bool:
    return [ch.text for ch in item.choices] == ["True", "False"]


def item_stem(item: Item, cases: dict[str, Any]) -> str:
    """The stem, with its case text in front when it belongs to one (GIFT and Moodle have none)."""
    case = cases.get(item.case) if item.case else None
    if case is None:
        return item.stem
    head = f"{case.title}: {case.text}" if case.title else case.text
    return f"{head}\n\n{item.stem}"


def write_gift(bank: Bank) -> tuple[bytes, list[str]]:
    """GIFT text and the ids of items it cannot carry (flashcards)."""
    out = [f"// {bank.title or bank.name}: exported by certprep from bank {bank.name!r}", ""]
    skipped: list[str] = []
    cases = {cs.id: cs for cs in bank.cases}
    topics: list[str] = []
    for item in bank.items:
        if item.kind is ItemKind.FLASHCARD:
            skipped.append(item.id)
            continue
        if item.topics != topics:
            path = "/".join(t.replace("/", "//") for t in item.topics)
            out += [f"$CATEGORY: $course$/top{'/' + path if path else ''}", ""]
            topics = list(item.topics)
        out += [f"// certprep: {k} = {escape(v)}" for k, v in item_meta(item, references=True)]
        stem = escape(item_stem(item, cases))
        # [plain]: the text is taken as written (Moodle's default would read it as HTML)
        head = f"::{escape(item.id)}::[plain]{stem} {{"
        general = f"\t####{literal(item.rationale)}"
        if item.kind is ItemKind.CODE:
            lines = [f"\t={escape(', '.join(item.codes))}"]
            lines += [f"\t={escape(', '.join(alt))}" for alt in item.alternatives if alt]
        elif item.kind is ItemKind.TRUE_FALSE and _is_plain_true_false(item):
            right = next(ch for ch in item.choices if ch.correct)
            wrong = next(ch for ch in item.choices if not ch.correct)
            fb = ""
            if wrong.rationale or right.rationale:
                fb = f"#{literal(wrong.rationale or '')}"
                if right.rationale:
                    fb += f"#{literal(right.rationale)}"
            lines = [f"\t{'TRUE' if right.text == 'True' else 'FALSE'}{fb}"]
        elif item.kind is ItemKind.MULTIPLE:
            n = len(item.correct_keys)
            lines = [
                _choice("~", ch.text, ch.rationale, _weight(n) if ch.correct else "-100")
                for ch in item.choices
            ]
        else:
            lines = [
                _choice("=" if ch.correct else "~", ch.text, ch.rationale) for ch in item.choices
            ]
        out += [head, *lines, general, "}", ""]
    if skipped:
        out.insert(
            1,
            f"// {len(skipped)} flashcards left out (GIFT has no flashcards): "
            + ", ".join(skipped[:50])
            + (" ..." if len(skipped) > 50 else ""),
        )
    out.insert(1, "// lines '// certprep: key = value' carry what GIFT has no place for")
    return "\n".join(out).encode("utf-8", "replace"), skipped
