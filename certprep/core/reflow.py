"""Author line breaks inside a paragraph, undone so the terminal wraps a case at its own width.

Case texts (records, notes, remittances) are written in YAML block scalars that keep every line
break the author typed, at the author's width. On a narrower terminal each such line wraps
again and leaves a ragged stub ("...Drinks" / "about" / "a pint of vodka..."); on a wider one
the lines stay short. ``reflow`` joins a line to the one before when the text plainly goes on
(the line starts with a lower-case letter) and neither line is laid out: an indented line, or
one with two spaces in a row inside it (a table row, aligned amounts), keeps its break, and so
do blank lines, headings and list items (they start with a capital, a digit or a mark).
"""

from __future__ import annotations


def _laid_out(line: str) -> bool:
    return line[:1] in (" ", "\t") or "  " in line.strip()


def reflow(text: str) -> str:
    """``text`` with the line breaks inside its sentences joined (every word kept, in order)."""
    out: list[str] = []
    for line in text.split("\n"):
        prev = out[-1] if out else ""
        if prev.strip() and line[:1].islower() and not _laid_out(prev) and not _laid_out(line):
            out[-1] = prev.rstrip() + " " + line
        else:
            out.append(line)
    return "\n".join(out)
