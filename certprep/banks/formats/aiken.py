"""Aiken: Moodle's plain-text multiple-choice format.

    Which code is essential hypertension?
    A. I10
    B) I11.9
    ANSWER: A

The question may run over several lines; options are 'A. text', 'A) text' or 'A)text'; 'ANSWER: B' ends
the question ('ANSWER: A, C' is read as a multiple-response question).
"""

from __future__ import annotations

import re
from typing import Any

from certprep.core.models import CHOICE_KEYS

from ._common import Collector, Draft, Options, decode_text, infer_choice_kind

# 'A. text', 'A) text', and as Moodle also takes it 'A)text' / 'A.text' (upper case then)
_OPTION = re.compile(r"^(?:([A-Za-z])\s*[.)]\s+|([A-Z])[.)])(\S.*)$")
_ANSWER = re.compile(r"^ANSWER\s*:\s*(.*)$", re.IGNORECASE)


def read_aiken(data: bytes, opts: Options, c: Collector) -> list[Draft]:
    """Drafts from an Aiken file; every broken question is reported with its line."""
    text = decode_text(data, c, opts.encoding)
    drafts: list[Draft] = []
    stem: list[str] = []
    options: list[dict[str, Any]] = []
    start = 0
    skipping = False  # after an error, skip to the next ANSWER line or blank line

    def reset() -> None:
        nonlocal stem, options, start
        stem, options, start = [], [], 0

    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if skipping:
            if not line or _ANSWER.match(line):
                skipping = False
                reset()
            continue
        if not line:
            if stem and not options:
                stem.append("")  # a paragraph break inside the question
            continue
        ans = _ANSWER.match(line)
        opt = _OPTION.match(line)
        if ans:
            if not stem:
                c.problem("ANSWER line without a question before it", n)
            elif len(options) < 2:
                c.problem(
                    f"the question on line {start} has {len(options)} options; expected at "
                    "least two lines like 'A. text' before 'ANSWER:'",
                    n,
                )
            else:
                _finish(stem, options, ans.group(1), start, n, c, drafts)
            reset()
            continue
        if opt and stem:
            letter = (opt.group(1) or opt.group(2)).lower()
            if letter not in CHOICE_KEYS:
                c.problem(f"option {letter.upper()}; at most six options (A-F) are allowed", n)
                skipping = True
                continue
            if any(o["key"] == letter for o in options):
                c.problem(f"option {letter.upper()} appears twice in this question", n)
                skipping = True
                continue
            options.append({"key": letter, "text": opt.group(3).strip(), "line": n})
            continue
        if options:
            c.problem(
                f"expected an option like 'C. text' or the 'ANSWER: X' line, got {line[:60]!r}",
                n,
            )
            skipping = True
            continue
        if not stem:
            start = n
        stem.append(line)
    if stem:
        c.problem(
            f"the question on line {start} has no 'ANSWER: X' line; expected one after its options",
            start,
        )
    return drafts


def _finish(
    stem: list[str],
    options: list[dict[str, Any]],
    answer: str,
    start: int,
    line: int,
    c: Collector,
    drafts: list[Draft],
) -> None:
    letters = [t.lower() for t in re.split(r"[\s,;]+", answer.strip()) if t]
    keys = {o["key"] for o in options}
    shown = ", ".join(sorted(k.upper() for k in keys))
    if not letters or any(len(t) != 1 or t not in keys for t in letters):
        c.problem(f"ANSWER {answer.strip()!r} is not one of the option letters ({shown})", line)
        return
    choices = [
        {"key": o["key"], "text": o["text"], "correct": o["key"] in letters} for o in options
    ]
    data = {
        "stem": "\n".join(stem).strip(),
        "choices": choices,
        "kind": infer_choice_kind(choices),
    }
    drafts.append(Draft(data, line=start))
