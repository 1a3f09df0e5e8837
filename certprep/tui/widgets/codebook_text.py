"""How the code-book panel shows table text: Rich Text built by appending plain strings, so the
tables' own brackets ("Giardiasis [lambliasis]") are never read as markup."""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text
from textual.widgets.option_list import Option

from certprep.core import codebook as cb

PCS_REF = re.compile(r"\b(?=[0-9A-HJ-NP-Z]*\d)[0-9A-HJ-NP-Z]{3,7}\b")


def hit_option(h: Any) -> Option:
    if h.system == "pcsindex":
        text = Text()
        text.append("PCS Index ", style="bold cyan")
        text.append(h.code, style="bold")
        text.append(": ")
        text.append(h.title)
        return Option(text, id=f"pcsindex:{h.code}")
    return Option(hit_text(h.code, h.title, h.billable, h.kind, h.level), id=f"{h.system}:{h.code}")


def billable_mark(billable: bool) -> Text:
    """Billable or not, as a column of its own (the same width either way)."""
    word = "billable" if billable else "not billable"
    return Text(f"{word:<14}", style="green" if billable else "yellow")


def hit_text(code: str, title: str, billable: bool, kind: str, level: str | None) -> Text:
    """One line per result: the code, billable or not and the CC/MCC level before the title, and
    the title cut with "…" where the list is too narrow (opening the code shows it whole)."""
    out = Text()
    out.append(f"{code:<9} ", style="bold")
    if kind in ("category", "code"):
        out.append_text(billable_mark(billable))
    if level:
        out.append(f"{level:<4}", style="magenta")
    out.append(title)
    return out


def pcs_option(prefix: str, choice: Any) -> Option:
    text = Text()
    text.append(f"{prefix}{choice.value}", style="bold")
    text.append("  ")
    text.append(choice.meaning or (choice.title or "(see the codes below)"))
    if choice.derived:
        text.append("  (from the code titles)", style="dim")
    if choice.code is None:
        text.append(f"  ({choice.count} codes)", style="dim")
    option_id = f"pcs:{choice.code}" if choice.code else f"pcsnext:{prefix}{choice.value}"
    return Option(text, id=option_id)


def cm_text(d: Any) -> Text:
    e = d.entry
    out = Text()
    out.append(f"{e.code}  ", style="bold")
    out.append(e.title, style="bold")
    out.append("\n")
    if e.kind in ("category", "code"):
        if e.billable:
            out.append("Billable: valid for reporting as is\n", style="green")
        else:
            out.append("NOT billable: more characters are needed\n", style="bold yellow")
    for a in d.ancestors:
        out.append(f"  in {'Chapter ' + a.code if a.kind == 'chapter' else a.code}: ", style="dim")
        out.append(a.title + "\n", style="dim")
    if d.drg is not None:
        out.append("MS-DRG v43: ", style="bold")
        out.append(
            (d.drg.level or "not a CC or MCC")
            + ("" if not d.drg.alive_only else ", only if discharged alive")
            + "\n"
        )
    for note in d.notes:
        out.append("\n")
        where = "" if note.source == e.code else f" (at {note.source})"
        out.append(f"{note.heading}{where}\n", style="bold underline")
        for line in note.lines:
            out.append(f"  {line}\n")
    if d.placeholder:
        out.append("\nPlaceholder\n", style="bold underline")
        out.append(f"  {d.placeholder}\n")
    if d.children:
        out.append("\nCodes below\n", style="bold underline")
        shown = d.children[:60]
        marks = any(c.kind in ("category", "code") for c in shown)
        for c in shown:
            out.append(f"  {c.code:<9} ", style="bold")
            if c.kind in ("category", "code"):  # before the title: a long one wraps, not it
                out.append_text(billable_mark(c.billable))
            elif marks:
                out.append(" " * 14)
            out.append(c.title + "\n")
    return out


def pcs_text(d: Any, choices: list[Any]) -> Text:
    out = Text()
    out.append(f"{d.code}  ", style="bold")
    if d.title:
        out.append(d.title, style="bold")
    elif d.valid_prefix != d.code:
        out.append(
            f"no valid code starts with {d.code}; valid up to {d.valid_prefix or '(none)'}",
            style="bold red",
        )
    out.append("\n")
    for a in d.axes:
        out.append(f"  {a.position}  {a.name:<20} ", style="dim")
        out.append(f"{a.value}  ", style="bold")
        out.append(a.meaning or "(see the description)")
        out.append("  (from the code titles)\n" if a.derived else "\n", style="dim")
    if choices:
        pos = len(d.code) + 1
        names = cb.PCS_AXES.get(d.code[:1], cb.PCS_AXES["0"]) if d.code else cb.PCS_AXES["0"]
        out.append(
            f"\nCharacter {pos}, {names[pos - 1]}: {len(choices)} valid values below\n",
            style="bold",
        )
    return out
