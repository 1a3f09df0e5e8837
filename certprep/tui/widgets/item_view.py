"""An item on screen: case, stem and choices, rendered as plain text (never as markup)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from certprep.core.models import Item, ItemKind, code_answer_credit
from certprep.core.reflow import reflow
from certprep.core.scoring import format_points
from certprep.tui.widgets.hanging import HANG


def item_text(
    item: Item,
    *,
    case_title: str | None = None,
    case_text: str | None = None,
    order: list[str] | None = None,
    selected: set[str] | None = None,
    struck: set[str] | None = None,
    reveal: bool = False,
    show_back: bool = False,
) -> Text:
    """The question as a Rich Text: user text is appended as plain strings, styles added by us.

    Show it through ``widgets.hanging.hanging()``: a long choice then wraps under its text.

    ``order`` gives the written choice keys in display order; display letters are a, b, c…
    in that order. ``selected``/``struck`` hold written keys.
    """
    selected = selected or set()
    struck = struck or set()
    out = Text()
    if case_text:
        out.append(case_title or "Case", style="bold")
        out.append("\n")
        out.append(reflow(case_text))
        out.append("\n\n")
    out.append(item.stem, style="bold")
    out.append("\n")
    if item.kind is ItemKind.MULTIPLE:
        out.append(f"(choose {len(item.correct_keys)})\n", style="italic")
    if item.kind is ItemKind.CODE:
        n = len(item.codes)
        out.append(
            f"(type {n} code{'s' if n > 1 else ''}{', in sequence' if item.ordered else ''})\n",
            style="italic",
        )
    out.append("\n")
    by_key = {c.key: c for c in item.choices}
    keys = order or [c.key for c in item.choices]
    for pos, key in enumerate(keys):
        choice = by_key[key]
        letter = "abcdef"[pos]
        style = ""
        mark = "  "
        if key in selected:
            mark, style = "▶ ", "bold"
        if key in struck:
            style = "strike dim"
        if reveal:
            if choice.correct:
                mark, style = "✔ ", "bold green"
            elif key in selected:
                mark, style = "✘ ", "bold red"
        # the mark and letter are the line's prefix: a long choice wraps under its text
        out.append(mark, style=HANG)
        out.append(f"{letter}) ", style=Style.parse(style or "bold") + HANG)
        out.append(choice.text, style=style)
        out.append("\n")
    if item.kind is ItemKind.FLASHCARD and show_back:
        out.append("\n")
        out.append(item.back or "", style="green")
        out.append("\n")
    return out


def feedback_text(
    item: Item, correct: bool | None, order: list[str] | None = None, given: list[str] | None = None
) -> Text:
    """Right or wrong, the key, the rationale (with each choice's) and the references."""
    out = Text()
    if correct is True:
        out.append("Correct. ", style="bold green")
    elif correct is False and item.partial_credit and given:
        share = code_answer_credit(item, given)
        if share > 0:
            out.append(
                f"Partly right: {format_points(share)} of the point in an exam. ",
                style="bold yellow",
            )
        else:
            out.append("Not quite. ", style="bold red")
    elif correct is False:
        out.append("Not quite. ", style="bold red")
    keys = order or [c.key for c in item.choices]
    letter_of = {k: "abcdef"[i] for i, k in enumerate(keys)}
    if item.kind is ItemKind.CODE:
        out.append("Answer: ", style="bold")
        out.append(", ".join(item.codes))
        if given:
            out.append("   you typed: ")
            out.append(", ".join(given))
        out.append("\n")
    elif item.choices:
        out.append("Answer: ", style="bold")
        out.append(", ".join(letter_of[k] for k in item.correct_keys))
        out.append("\n")
    out.append("\n")
    out.append(item.rationale)
    out.append("\n")
    for key in keys:
        c = next((c for c in item.choices if c.key == key), None)
        if c is not None and c.rationale:
            out.append(f"\n{letter_of[key]}) ", style="bold")
            out.append(c.rationale)
    if item.choices and any(c.rationale for c in item.choices):
        out.append("\n")
    out.append("\nReferences: ", style="italic")
    out.append("; ".join(item.references), style="italic")
    return out
