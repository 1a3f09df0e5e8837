"""What every foreign-format reader shares: problems, drafts of items, ids, defaults, decoding.

A reader turns a file into ``Draft`` items (plain dicts of Item fields plus where they came from);
``finalize`` fills the defaults, gives each an id, validates them all and builds the Bank, so
every format reports problems the same way.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from certprep.core.models import ID_PATTERN, KEY_PATTERN
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
    bank_given: bool = False  # --bank: the caller named the bank (else the file or deck does)


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
    case: tuple[str, str | None, str | None] | None = None  # (id, title, text) from the file


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
    elif utf16 := _utf16_without_bom(data):
        raise c.fail(
            f"the file looks like UTF-16 text without a byte order mark (Windows' 'Unicode'); "
            f"pass --encoding {utf16}, or save it as UTF-8"
        )
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


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when the start of ``data`` is mostly ASCII in two-byte units
    (a zero byte every other byte), as Windows writes 'Unicode' text; None otherwise."""
    head = data[:512]
    pairs = len(head) // 2
    if pairs < 4:
        return None
    odd = sum(1 for i in range(1, 2 * pairs, 2) if head[i] == 0)
    even = sum(1 for i in range(0, 2 * pairs, 2) if head[i] == 0)
    if odd > 0.6 * pairs and even == 0:
        return "utf-16-le"
    if even > 0.6 * pairs and odd == 0:
        return "utf-16-be"
    return None


def is_true(text: str) -> bool:
    return text.strip().casefold() in ("true", "t", "yes", "y", "1", "x")


class Skipped:
    """Questions of kinds the app cannot ask: counted by kind, and each named (title or line)."""

    SHOWN = 10  # names listed in the warning; the rest are counted

    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()
        self.names: list[str] = []

    def add(self, kind: str, name: str) -> None:
        self.kinds[kind] += 1
        self.names.append(name)

    def __bool__(self) -> bool:
        return bool(self.names)

    def listed(self) -> str:
        return name_list(self.names, self.SHOWN)


def name_list(names: list[str], shown: int = 10) -> str:
    """The first ``shown`` names, and how many more: what a warning lists of what it left out."""
    more = len(names) - shown
    return "; ".join(names[:shown]) + (f"; and {more} more" if more > 0 else "")


def report_skipped(c: Collector, skipped: Skipped, drafts: list[Draft]) -> None:
    """Questions of kinds the app cannot ask: a warning, or the problem when nothing else is left.
    Each is named, so the learner knows which of their questions did not arrive."""
    if not skipped:
        return
    kinds = ", ".join(f"{n} {k}" for k, n in skipped.kinds.most_common())
    if drafts:
        n = len(skipped.names)
        c.warn(
            f"{n} question{'' if n == 1 else 's'} skipped: {kinds}: not supported: "
            f"{skipped.listed()}"
        )
    else:
        c.problem(f"no question the app can ask: {kinds}: not supported: {skipped.listed()}")


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
