"""Text as the formats write it (HTML, Moodle's own format, Markdown, plain) into plain text.

One rule for every format: tags dropped, entities decoded, blocks on their own lines, images as
a visible ``[image: file]`` placeholder. Nothing in the result is interpreted again.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# ---------------------------------------------------------------------------- HTML to text

_BLOCK_TAGS = {
    "p",
    "div",
    "li",
    "tr",
    "ul",
    "ol",
    "table",
    "blockquote",
    "pre",
    "hr",
    "dd",
    "dt",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
}
_SKIP_TAGS = {"script", "style", "head", "title"}
_WS = re.compile(r"[ \t\r\n\f\v\xa0]+")


def image_placeholder(attrs: dict[str, str | None]) -> str:
    """What stands in for an image the app cannot show: its alt text, else its file name."""
    alt = (attrs.get("alt") or "").strip()
    if alt:
        return f" [image: {_WS.sub(' ', alt)}] "
    src = (attrs.get("src") or "").strip()
    if src.startswith("data:"):
        return " [image] "
    name = src.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    return f" [image: {name}] " if name else " [image] "


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.images = 0
        self.cells = 0  # table cells so far in the row: the next one is set off by " | "

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag in ("td", "th"):
            if self.cells:
                self.parts.append(" | ")  # "<td>I10</td><td>Essential…" is not "I10Essential…"
            self.cells += 1
        elif tag == "br" or tag in _BLOCK_TAGS:
            if tag == "tr":
                self.cells = 0
            self.parts.append("\n")
        elif tag == "img":
            self.images += 1
            self.parts.append(image_placeholder(dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIP_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(_WS.sub(" ", data))


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, blocks on their own lines.

    Nothing in the text is interpreted afterwards: '[bold]' stays '[bold]'.
    """
    if "<" not in markup and "&" not in markup:
        return _tidy_lines(_WS.sub(" ", markup))
    parser = _TextParser()
    try:
        parser.feed(markup)
        parser.close()
        raw = "".join(parser.parts)
    except (AssertionError, ValueError, IndexError):  # html.parser on some broken markup
        raw = html.unescape(re.sub(r"<[^>]*>", " ", markup))
        raw = _WS.sub(" ", raw)
    return _tidy_lines(raw.replace("\xa0", " "))


def moodle_to_text(markup: str) -> str:
    """Moodle's own text format: HTML allowed, and a line break is a line break."""
    return html_to_text(markup.replace("\r\n", "\n").replace("\n", "<br>"))


_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]*)[^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)


def markdown_to_text(text: str) -> str:
    """Markdown as the text a reader sees: emphasis marks, heading marks and link targets go."""
    text = _MD_IMAGE.sub(
        lambda m: image_placeholder({"alt": m.group(1), "src": m.group(2)}).strip(), text
    )
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    text = _MD_HEADING.sub("", text)
    for _ in range(3):  # nested emphasis
        text = _MD_EMPHASIS.sub(lambda m: m.group(2), text)
    return html_to_text(text.replace("\r\n", "\n").replace("\n", "<br>"))


def text_in_format(text: str, fmt: str) -> str:
    """Text written in a Moodle text format (html, moodle, markdown, plain) as plain text."""
    fmt = fmt.lower()
    if fmt == "html":
        return html_to_text(text)
    if fmt in ("moodle", "moodle_auto_format"):
        return moodle_to_text(text)
    if fmt == "markdown":
        return markdown_to_text(text)
    return text.replace("\r\n", "\n").strip()  # plain text is taken exactly as written


def _tidy_lines(text: str) -> str:
    lines = [re.sub(r"[ \t]+", " ", ln).strip() for ln in text.split("\n")]
    out = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", out).strip()
