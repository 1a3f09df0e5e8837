"""GIFT, Moodle's text format for questions, read (the writer is ``gift_writer``).

Multiple choice ``{=right ~wrong#feedback}`` (an answer given partial credit ``~%50%`` in a
question with an ``=`` answer is still a wrong answer: the question stays single-answer),
multiple response with weights ``{~%50%A ~%50%B ~%-100%C}``, true/false ``{T}``/``{FALSE#wrong fb#right fb}``, short answer
``{=E11.9 =E119}`` (a code-entry item), ``::title::`` (the item id), ``$CATEGORY: a/b``
(topics of the questions after it), ``// comments`` (``// certprep: key = value`` ones carry
item fields), the ``[html]``/``[moodle]``/``[markdown]``/``[plain]`` text formats, general feedback
``####text`` (the rationale) and the escapes ``\\: \\~ \\= \\# \\{ \\} \\n \\\\``.
Skipped with a warning: descriptions (no answer block), essays ``{}``, numeric ``{#...}`` and
matching ``{=a -> b}`` questions.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from certprep.core.models import CHOICE_KEYS, split_codes

from ._common import (
    Collector,
    Draft,
    Options,
    Skipped,
    decode_text,
    infer_choice_kind,
    name_list,
    report_skipped,
)
from .carry import apply_meta
from .text import text_in_format

_MARKER = re.compile(r"\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT = re.compile(r"\s*%(-?\d+(?:\.\d*)?)%")
_MARK = re.compile(r"\\.|[=~]", re.S)
_TF = re.compile(r"(TRUE|FALSE|T|F)\b", re.IGNORECASE)


@lru_cache(maxsize=16)
def _token_re(token: str) -> re.Pattern[str]:
    return re.compile(r"\\.|" + re.escape(token), re.S)


def find_unescaped(s: str, token: str, start: int = 0) -> int:
    """Index of ``token`` in ``s`` from ``start``, skipping backslash escapes; -1 if absent."""
    for m in _token_re(token).finditer(s, start):
        if m.group().startswith(token):
            return m.start()
    return -1


def unescape(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), s, flags=re.S)


def _category_topics(path: str) -> list[str]:
    parts = re.split(r"(?<!/)/(?!/)", path.strip())
    out = []
    for p in parts:
        p = p.replace("//", "/").strip()
        if not p or p.startswith("$") or p.casefold() == "top" or p.startswith("Default for "):
            continue
        out.append(p)
    return out


_META = re.compile(r"^\s*//\s*certprep:\s*([A-Za-z_]+)\s*=(.*)$")


def _blocks(text: str) -> list[tuple[int, str, list[tuple[int, str, str]]]]:
    """Questions separated by blank lines, without comment lines, with their first line and
    the ``// certprep: key = value`` comments written before them."""
    blocks: list[tuple[int, str, list[tuple[int, str, str]]]] = []
    current: list[str] = []
    meta: list[tuple[int, str, str]] = []
    start = 0
    for n, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("//"):
            if m := _META.match(line):
                meta.append((n, m.group(1), unescape(m.group(2))))
            continue
        if not line.strip():
            if current:
                blocks.append((start, "\n".join(current), meta))
                current, meta = [], []
            continue
        if not current:
            start = n
        current.append(line)
    if current:
        blocks.append((start, "\n".join(current), meta))
    return blocks


def read_gift(data: bytes, opts: Options, c: Collector) -> list[Draft]:
    """Drafts from a GIFT file."""
    text = decode_text(data, c, opts.encoding)
    drafts: list[Draft] = []
    skipped = Skipped()
    partials: list[int] = []
    topics: list[str] = []
    pending: list[tuple[int, str, str]] = []
    for start, block, meta in _blocks(text):
        pending += meta
        i = len(block) - len(block.lstrip())
        if block.startswith("$CATEGORY:", i):
            end = block.find("\n", i)
            end = len(block) if end < 0 else end
            topics = _category_topics(block[i + len("$CATEGORY:") : end])
            if not block[end:].strip():
                continue
            i = end
        n = len(drafts)
        _question(block, i, start, topics, c, drafts, skipped, partials)
        if len(drafts) > n:
            for line, key, value in pending:
                apply_meta(drafts[-1].data, key, value, c, line, None)
        pending = []
    report_skipped(c, skipped, drafts)
    if partials:
        c.warn(
            f"{len(partials)} single-answer questions give partial credit to some wrong answers "
            "(~%50%...); they stay single-answer and only the full-credit answer counts as "
            f"right: {name_list([f'line {n}' for n in partials])}"
        )
    return drafts


def _skip_ws(s: str, i: int) -> int:
    while i < len(s) and s[i].isspace():
        i += 1
    return i


def _question(
    block: str,
    i: int,
    base: int,
    topics: list[str],
    c: Collector,
    drafts: list[Draft],
    skipped: Skipped,
    partials: list[int],
) -> None:
    def line_at(pos: int) -> int:
        return base + block.count("\n", 0, pos)

    i = _skip_ws(block, i)
    start_line = line_at(i)
    title = None
    if block.startswith("::", i):
        end = find_unescaped(block, "::", i + 2)
        if end < 0:
            c.problem("the title after '::' is never closed; expected '::title::'", start_line)
            return
        title = unescape(block[i + 2 : end]).strip()
        i = _skip_ws(block, end + 2)
    fmt = "moodle"  # Moodle's default for GIFT text: HTML allowed, line breaks kept
    if m := _MARKER.match(block, i):
        fmt = m.group(1).lower()
        i = m.end()
    open_ = find_unescaped(block, "{", i)
    name = f"{title[:60]!r} (line {start_line})" if title else f"line {start_line}"
    if open_ < 0:
        skipped.add("description without answers", f"{name}: description")
        return
    close = find_unescaped(block, "}", open_ + 1)
    if close < 0:
        c.problem("'{' is never closed; expected '}' after the answers", line_at(open_))
        return
    if find_unescaped(block, "{", close + 1) >= 0:
        c.problem(
            "a second answer block '{'; expected one answer block per question (separate "
            "questions with a blank line)",
            line_at(find_unescaped(block, "{", close + 1)),
        )
        return

    def clean(raw: str, marker: bool = True) -> str:
        # answers and feedback are in the question's format unless they name their own; the
        # question text's marker was read above, so "[plain][html]x" is the text "[html]x"
        raw = raw.strip()
        own = fmt
        if marker and (m := _MARKER.match(raw)):
            own, raw = m.group(1).lower(), raw[m.end() :]
        return text_in_format(unescape(raw), own)

    before, after = clean(block[i:open_], False), clean(block[close + 1 :], False)
    stem = f"{before} _____ {after}".strip() if after else before
    partial: list[str] = []
    parsed = _answers(block[open_ + 1 : close], clean, line_at(open_), c, partial)
    if partial:
        partials.append(start_line)
    if parsed is None:
        return
    if isinstance(parsed, str):
        skipped.add(parsed, f"{name}: {parsed}")
        return
    data: dict[str, Any] = {"stem": stem, **parsed}
    if topics:
        data["topics"] = list(topics)
    drafts.append(Draft(data, line=start_line, name_hint=title or None))


def _split_feedback(body: str) -> tuple[str, str | None]:
    k = find_unescaped(body, "#")
    if k < 0:
        return body, None
    return body[:k], body[k + 1 :]


def _answers(
    inner: str, clean: Any, line: int, c: Collector, partial: list[str]
) -> dict[str, Any] | str | None:
    """Item fields from an answer block, a skip reason, or None after a problem.

    Answers given partial credit in a single-answer question are added to ``partial``."""
    general = None
    g = find_unescaped(inner, "####")
    if g >= 0:
        general = clean(inner[g + 4 :]) or None
        inner = inner[:g]
    body = inner.strip()
    if not body:
        return "essay"
    if body.startswith("#"):
        return "numeric"
    m = _TF.match(body)
    if m and (not body[m.end() :].strip() or body[m.end() :].lstrip().startswith("#")):
        value = m.group(1).upper().startswith("T")
        fbs = []
        rest = body[m.end() :].strip()
        while rest.startswith("#"):
            k = find_unescaped(rest, "#", 1)
            fbs.append(clean(rest[1:k] if k >= 0 else rest[1:]) or None)
            rest = rest[k:] if k >= 0 else ""
        wrong_fb = fbs[0] if fbs else None
        right_fb = fbs[1] if len(fbs) > 1 else None
        choices = []
        for key, text, is_true in (("a", "True", True), ("b", "False", False)):
            ch: dict[str, Any] = {"key": key, "text": text, "correct": is_true == value}
            fb = right_fb if is_true == value else wrong_fb
            if fb:
                ch["rationale"] = fb
            choices.append(ch)
        return {"kind": "true_false", "choices": choices, "rationale": general or right_fb}

    marks = _answer_marks(body)
    if not marks:
        return _bad(
            f"expected answers starting with '=' (right) or '~' (wrong), got {body[:40]!r}", line, c
        )
    if body[: marks[0]].strip():
        return _bad(
            f"text {body[: marks[0]].strip()[:40]!r} before the first answer; expected each "
            "answer to start with '=' (right) or '~' (wrong)",
            line,
            c,
        )
    answers = []
    for a, b in zip(marks, [*marks[1:], len(body)], strict=True):
        mark, raw = body[a], body[a + 1 : b]
        weight = None
        if w := _WEIGHT.match(raw):
            try:
                weight = float(w.group(1))
            except ValueError:  # pragma: no cover - the pattern only matches numbers
                weight = None
            raw = raw[w.end() :]
        text, fb = _split_feedback(raw)
        arrow = find_unescaped(text, "->") >= 0
        answers.append((mark, weight, clean(text), clean(fb) if fb is not None else None, arrow))
    if all(a[0] == "=" for a in answers) and any(a[4] for a in answers):
        return "matching"

    if all(m == "=" for m, *_ in answers):  # short answer: every listed answer is accepted
        accepted = [t for _, w, t, _, _ in answers if w is None or w >= 100]
        sets = [split_codes(t) for t in accepted if split_codes(t)]
        if not sets:
            return _bad("a short-answer question with no accepted answer", line, c)
        alternatives = [s for s in sets[1:] if s != sets[0]]
        out: dict[str, Any] = {"kind": "code", "codes": sets[0]}
        if alternatives:
            out["alternatives"] = alternatives
        fb = next((a[3] for a in answers if a[3]), None)
        out["rationale"] = general or fb
        return out
    if len(answers) > len(CHOICE_KEYS):
        return f"multiple choice with more than {len(CHOICE_KEYS)} answers"
    # Moodle: a question with an '=' answer is single-answer, and only full-credit answers are
    # right (a '~%50%' answer earns partial credit, it is not the answer); without '=' every
    # answer of positive weight is one of the right ones (multiple response)
    single = any(mark == "=" for mark, *_ in answers)
    choices = []
    for key, (mark, weight, text, fb, _) in zip(CHOICE_KEYS, answers, strict=False):
        if single:
            correct = mark == "=" and (weight is None or weight >= 100)
            if weight is not None and 0 < weight < 100 and mark == "~":
                partial.append(text)
        else:
            correct = weight is not None and weight > 0
        ch = {"key": key, "text": text, "correct": correct}
        if fb:
            ch["rationale"] = fb
        choices.append(ch)
    right = [ch for ch in choices if ch["correct"]]
    rationale = general or (right[0].get("rationale") if len(right) == 1 else None)
    return {"kind": infer_choice_kind(choices), "choices": choices, "rationale": rationale}


def _answer_marks(body: str) -> list[int]:
    """Where each answer starts: the unescaped '=' and '~'."""
    return [m.start() for m in _MARK.finditer(body) if m.group() in "=~"]


def _bad(message: str, line: int, c: Collector) -> dict[str, Any] | str | None:
    """Report a problem; the caller returns this None to say the question is dropped."""
    c.problem(message, line)
    return None
