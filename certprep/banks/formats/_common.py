"""What every foreign-format reader shares: problems, drafts of items, ids, defaults, HTML to text.

A reader turns a file into ``Draft`` items (plain dicts of Item fields plus where they came from);
``finalize`` fills the defaults, gives each an id, validates them all and builds the Bank, so
every format reports problems the same way.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from pydantic import ValidationError

from certprep.core.models import ID_PATTERN, KEY_PATTERN, Bank, Item, derive_item_id
from certprep.core.problems import InputError, Problem

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PROBLEMS = 500  # enough to fix a file; the rest only says how many more
DEFAULT_RATIONALE = "No rationale was given in the imported file."
MAX_TOPIC = 80
MAX_REFERENCE = 300
# where questions go that name no exam or section: the learner's own deck, reviewed and drilled
# like any other but never drawn into a mock exam (no blueprint has this key)
OWN_EXAM = "own"
OWN_SECTION = "deck"

_ID_RE = re.compile(ID_PATTERN)
_KEY_RE = re.compile(KEY_PATTERN)


@dataclass
class Options:
    """What the caller said about the file (already cleaned to keys)."""

    source: str  # shown in problems
    file_name: str  # shown in the default reference
    bank_name: str
    exam: str | None = None
    section: str | None = None
    mapping: dict[str, str] | None = None
    encoding: str | None = None  # --encoding: read the text in this encoding, not UTF-8


class Collector:
    """Problems (refuse the file) and warnings (import anyway, but say so) found while reading."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.hints: list[Problem] = []  # warnings worth showing even when the file is refused
        self.dropped = 0

    def problem(self, message: str, line: int | None = None, record: str | None = None) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.dropped += 1
            return
        self.problems.append(Problem(self.source, message, line, record))

    def warn(self, message: str, line: int | None = None, record: str | None = None) -> None:
        self.warnings.append(Problem(self.source, message, line, record))

    def hint(self, message: str, line: int | None = None, record: str | None = None) -> None:
        """A warning that also comes along when the file is refused (how to fix the problems)."""
        self.warn(message, line, record)
        self.hints.append(Problem(self.source, f"note: {message}", line, record))

    def _all(self) -> list[Problem]:
        problems = list(self.problems)
        if self.dropped:
            problems.append(Problem(self.source, f"stopped listing after {MAX_PROBLEMS} problems"))
        return problems + self.hints

    def check(self) -> None:
        """Raise every problem found so far, if any."""
        if self.problems:
            raise InputError(self._all())

    def fail(self, message: str, line: int | None = None, record: str | None = None) -> InputError:
        """An error that ends reading now, carrying what was found before it."""
        self.problem(message, line, record)
        return InputError(self._all())


@dataclass
class Draft:
    """One item as read from the file, before defaults, ids and validation."""

    data: dict[str, Any]
    line: int | None = None
    record: str | None = None
    id_hint: str | None = None  # the file's own id: a duplicate is an error
    name_hint: str | None = None  # a question title: duplicates get content-derived ids
    key: Any = None  # the reader's handle (an Anki note id) to find the item again
    topics_fixed: bool = field(default=False)


# ---------------------------------------------------------------------------- small cleaners


def key_slug(text: str, limit: int = 64) -> str:
    """A bank name, exam or section key from free text: lower case, [a-z0-9_-]."""
    if _KEY_RE.match(text) and len(text) <= limit:
        return text
    s = re.sub(r"[^a-z0-9_\-]+", "_", text.strip().lower())
    s = re.sub(r"^[^a-z0-9]+", "", s)[:limit].rstrip("_-")
    return s


def id_slug(text: str) -> str:
    """An item id from a title or id column; '' when nothing usable is left."""
    text = text.strip()
    if _ID_RE.match(text):
        return text
    s = re.sub(r"[^A-Za-z0-9._:\-]+", "-", text)
    s = re.sub(r"^[^A-Za-z0-9]+", "", s)[:120].rstrip("-")
    return s if _ID_RE.match(s) else ""


def split_list(text: str) -> list[str]:
    """Topics or exams in one cell: separated by ';' when there is one, else by ','."""
    sep = ";" if ";" in text else ","
    return [p.strip() for p in text.split(sep) if p.strip()]


def shorten_topic(topic: str) -> str:
    """Keep a long (Anki-style 'a::b::c') tag within 80 characters, keeping its last parts."""
    topic = topic.strip()
    if len(topic) <= MAX_TOPIC:
        return topic
    parts = topic.split("::")
    kept: list[str] = []
    for part in reversed(parts):
        candidate = "::".join([part, *kept])
        if len(candidate) > MAX_TOPIC:
            break
        kept.insert(0, part)
    return "::".join(kept) if kept else topic[:MAX_TOPIC].strip()


def decode_text(data: bytes, c: Collector, encoding: str | None = None) -> str:
    """The file's text: UTF-8 (BOM allowed), UTF-16 with a BOM, or the caller's ``encoding``.

    Anything else is refused with the byte offset and line of the first bad byte, never guessed:
    a wrong guess turns every accented letter into another one without a word.
    """
    if encoding:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise c.fail(f"--encoding {encoding!r} is not an encoding Python knows") from None
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise c.fail(
                f"byte {exc.start} is not {encoding} text; check --encoding", line
            ) from None
        text = text.lstrip("\ufeff")
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise c.fail(
                f"byte {exc.start} is not UTF-16 text, though the file says it is"
            ) from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            bad = data[exc.start : exc.start + 1].hex()
            raise c.fail(
                f"byte {exc.start} (0x{bad}) is not UTF-8 text; save the file as UTF-8, or pass "
                "--encoding with the encoding it was saved in (Excel on Windows: --encoding cp1252)",
                line,
            ) from None
    if "\x00" in text:
        raise c.fail("the file contains NUL bytes; expected a text file")
    return text


def is_true(text: str) -> bool:
    return text.strip().casefold() in ("true", "t", "yes", "y", "1", "x")


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

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag == "br" or tag in _BLOCK_TAGS:
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


def report_skipped(c: Collector, skipped: Counter[str], drafts: list[Draft]) -> None:
    """Questions of kinds the app cannot ask: a warning, or the problem when nothing else is left."""
    if not skipped:
        return
    kinds = ", ".join(f"{n} {k}" for k, n in skipped.most_common())
    if drafts:
        c.warn(f"{sum(skipped.values())} questions skipped: {kinds}: not supported")
    else:
        c.problem(f"no question the app can ask: {kinds}: not supported")


# ---------------------------------------------------------------------------- kinds and answers


def infer_choice_kind(choices: list[dict[str, Any]]) -> str:
    """single, multiple or true_false from the choices and how many are right."""
    n_correct = sum(1 for ch in choices if ch.get("correct"))
    texts = sorted(str(ch.get("text", "")).strip().casefold() for ch in choices)
    if len(choices) == 2 and texts == ["false", "true"] and n_correct == 1:
        return "true_false"
    return "multiple" if n_correct > 1 else "single"


def answer_of(data: dict[str, Any]) -> str:
    """The right answer as text, for a content-derived id."""
    choices = data.get("choices") or []
    if choices:
        return "|".join(str(ch.get("text", "")) for ch in choices if ch.get("correct"))
    if data.get("codes"):
        return "|".join(str(c) for c in data["codes"])
    return str(data.get("back") or "")


# ---------------------------------------------------------------------------- finalize


def _validation_messages(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors(include_url=False):
        loc = [str(p) if not isinstance(p, int) else str(p + 1) for p in err["loc"]]
        where = ".".join(loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "string_too_short":
            msg = "is empty; expected some text"
        elif err["type"] == "string_too_long":
            msg = f"is too long ({msg.lower()})"
        elif err["type"] == "string_pattern_mismatch":
            msg = f"has characters that are not allowed ({msg})"
        elif err["type"] == "missing":
            msg = "is missing"
        out.append(f"{where}: {msg}" if where else msg)
    return out


def finalize(
    drafts: list[Draft], c: Collector, opts: Options, fmt: str
) -> tuple[Bank, dict[Any, str]]:
    """Fill defaults, give ids, validate every item and build the bank; raise all problems.

    Returns the bank and a map from each draft's ``key`` to its item id.
    """
    own = 0
    for d in drafts:
        if not d.data.get("exams"):
            if opts.exam:
                d.data["exams"] = [opts.exam]
            else:  # neither the file nor the caller names an exam: the learner's own deck
                d.data["exams"] = [OWN_EXAM]
                own += 1
        if not d.data.get("section"):
            if opts.section:
                d.data["section"] = opts.section
            elif d.data["exams"] == [OWN_EXAM]:
                d.data["section"] = OWN_SECTION
            else:
                c.problem(
                    f"no section for this question of exam {', '.join(d.data['exams'])}; fill "
                    "the section column or pass --section",
                    d.line,
                    d.record,
                )
    names = Counter(id_slug(d.name_hint) for d in drafts if d.name_hint and not d.id_hint)
    explicit_seen: dict[str, str] = {}
    derived_seen: dict[str, str] = {}
    items: list[Item] = []
    ids: dict[Any, str] = {}
    no_rationale = no_reference = long_topics = dup_content = 0
    first_dup = ""
    default_reference = f"Imported from {opts.file_name}"[:MAX_REFERENCE]

    for d in drafts:
        data = dict(d.data)
        where = f"line {d.line}" if d.line is not None else (d.record or "")
        if not data.get("exams") or not data.get("section"):
            continue  # already reported above
        if not str(data.get("rationale") or "").strip():
            data["rationale"] = DEFAULT_RATIONALE
            no_rationale += 1
        if not data.get("references"):
            data["references"] = [default_reference]
            no_reference += 1
        topics = [t for t in (data.get("topics") or []) if str(t).strip()]
        short = [shorten_topic(str(t)) for t in topics]
        long_topics += sum(1 for a, b in zip(topics, short, strict=True) if a != b)
        data["topics"] = short

        derived = False
        if d.id_hint and (slug := id_slug(d.id_hint)):
            item_id = slug
            if item_id in explicit_seen:
                c.problem(
                    f"id {item_id!r} appears twice (first at {explicit_seen[item_id]}); "
                    "expected each question to have its own id",
                    d.line,
                    d.record,
                )
                continue
            explicit_seen[item_id] = where
        elif d.name_hint and (slug := id_slug(d.name_hint)) and names[slug] == 1:
            item_id = slug
        else:
            base = id_slug(d.name_hint or "") or opts.bank_name
            item_id = derive_item_id(base[:100], data.get("stem", ""), answer_of(data))
            derived = True
        if derived:
            if item_id in derived_seen:
                dup_content += 1
                first_dup = first_dup or f"{where} repeats {derived_seen[item_id]}"
                continue
            derived_seen[item_id] = where
        data["id"] = item_id
        try:
            item = Item.model_validate(data)
        except ValidationError as exc:
            for msg in _validation_messages(exc):
                c.problem(msg, d.line, d.record if d.record else None)
            continue
        except RecursionError:
            c.problem("question nested too deeply", d.line, d.record)
            continue
        items.append(item)
        if d.key is not None:
            ids[d.key] = item.id

    # a title-derived or content-derived id may still meet an explicit one
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            c.problem(f"id {item.id!r} is used by two questions; give them different ids")
        seen.add(item.id)

    if not drafts and not c.problems:
        c.problem(f"found no questions; expected a {fmt} file with at least one question")
    c.check()
    if dup_content:
        c.warn(
            f"{dup_content} questions were left out because they repeat an earlier question "
            f"word for word ({first_dup})"
        )
    if no_rationale:
        c.warn(
            f"{no_rationale} of {len(items)} questions have no rationale; they were given "
            f"{DEFAULT_RATIONALE!r}"
        )
    if no_reference:
        c.warn(
            f"{no_reference} of {len(items)} questions cite no reference; they were given "
            f"{default_reference!r}"
        )
    if own:
        c.warn(
            f"{own} questions name no exam; they go to your own deck (exam {OWN_EXAM!r}, "
            f"section {OWN_SECTION!r}) for review and drills. Pass --exam and --section, or fill "
            "exam and section columns, to place them in an exam"
        )
    if long_topics:
        c.warn(f"{long_topics} topics were longer than {MAX_TOPIC} characters and were shortened")
    header: dict[str, Any] = {
        "name": opts.bank_name,
        "title": opts.file_name,
        "source": f"Imported from {opts.file_name} ({fmt})",
        "items": items,
    }
    if opts.exam:
        header["exams"] = [opts.exam]
    try:
        bank = Bank.model_validate(header)
    except ValidationError as exc:
        raise InputError([Problem(c.source, m) for m in _validation_messages(exc)]) from None
    return bank, ids
