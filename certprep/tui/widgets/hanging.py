"""Text whose marked lines wrap with a hanging indent: a long choice continues under its text.

    text.append("  a) ", style=HANG)              # the prefix, marked (combine with a style:
    text.append("A long choice …")                #   Style.parse("bold") + HANG)
    static.update(hanging(text))                  # "  a) A long choice that goes on and
                                                  #       on" — not back under the "a)"

Textual wraps a line from its first column; this Visual wraps the rest of a marked line at the
width left after its prefix and starts every continuation line under the text. Unmarked lines
are wrapped as Textual wraps them. ``str()`` gives the plain text, as the Text's would.
"""

from __future__ import annotations

from rich.style import Style as RichStyle
from rich.text import Text
from textual.content import Content
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual

HANG = RichStyle(meta={"hang": True})
"""The style that marks a line's prefix: the line's continuation lines start after it."""

MIN_TEXT = 12  # narrower than this after the prefix, the line wraps as usual


def _prefix_length(line: Text) -> int:
    """Characters at the start of the line marked with HANG (0: not marked)."""
    end = 0
    for span in line.spans:
        style = span.style
        if isinstance(style, RichStyle) and style.meta.get("hang") and span.start <= end:
            end = max(end, span.end)
    return end


class Hanging(Visual):
    """A Rich Text laid out with hanging indents on its marked lines."""

    def __init__(self, text: Text) -> None:
        self.text = text
        self.parts: list[tuple[Content, Content | None]] = []  # (prefix, rest) or (line, None)
        for line in text.split("\n", allow_blank=True):
            n = _prefix_length(line)
            content = Content.from_rich_text(line)
            self.parts.append(
                (content[:n], content[n:]) if 0 < n < len(line.plain) else (content, None)
            )
        self.whole = Content("\n").join(p if r is None else p + r for p, r in self.parts)
        self._laid: tuple[int, Content] | None = None

    def __str__(self) -> str:
        return self.text.plain

    def laid_out(self, width: int) -> Content:
        """The text with the marked lines wrapped at ``width``, continuation lines indented."""
        if self._laid is not None and self._laid[0] == width:
            return self._laid[1]
        lines: list[Content] = []
        for prefix, rest in self.parts:
            room = width - prefix.cell_length
            if rest is None or room < MIN_TEXT:
                lines.append(prefix if rest is None else prefix + rest)
                continue
            indent = Content(" " * prefix.cell_length)
            for i, piece in enumerate(rest.wrap(room)):
                lines.append((prefix if i == 0 else indent) + piece)
        laid = Content("\n").join(lines)
        self._laid = (width, laid)
        return laid

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        pad = options.rules.get("line_pad", 0) * 2
        return self.laid_out(width - pad).render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.whole.get_optimal_width(rules, container_width)

    def get_minimal_width(self, rules: RulesMap) -> int:
        return self.whole.get_minimal_width(rules)

    def get_height(self, rules: RulesMap, width: int) -> int:
        pad = rules.get("line_pad", 0) * 2
        return self.laid_out(width - pad).get_height(rules, width)


def hanging(text: Text) -> Hanging:
    """What a Static shows for ``text``: its marked lines with hanging indents."""
    return Hanging(text)
