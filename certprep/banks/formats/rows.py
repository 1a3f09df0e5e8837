"""Spreadsheet-shaped banks, part two: one row's cells (by item field) into a draft item.

Shared by CSV/TSV, JSON arrays and Anki note types whose fields are questions and choices.
"""

from __future__ import annotations

import re
from typing import Any

from certprep.core.models import CHOICE_KEYS, ItemKind, split_codes

from ._common import Collector, Draft, infer_choice_kind, is_true, key_slug, split_list
from .columns import _KINDS, norm_column

# ---------------------------------------------------------------------------- one row → draft

_LETTER_SPLIT = re.compile(r"[\s,;/|&+]+")


def parse_answer(answer: str, choices: list[dict[str, Any]]) -> list[str] | None:
    """The keys an answer cell names: letters 'B' / 'A, C', a choice's text, or numbers '2'."""
    keys = [ch["key"] for ch in choices]
    tokens = [t for t in _LETTER_SPLIT.split(answer.strip()) if t and t.lower() != "and"]
    if tokens and all(len(t) == 1 and t.lower() in keys for t in tokens):
        return list(dict.fromkeys(t.lower() for t in tokens))
    by_text = {str(ch["text"]).strip().casefold(): ch["key"] for ch in choices}
    if answer.strip().casefold() in by_text:
        return [by_text[answer.strip().casefold()]]
    parts = [p.strip().casefold() for p in re.split(r"[;|\n]", answer) if p.strip()]
    if len(parts) > 1 and all(p in by_text for p in parts):
        return list(dict.fromkeys(by_text[p] for p in parts))
    if tokens and all(t in ("1", "2", "3", "4", "5", "6") for t in tokens):
        picked = [CHOICE_KEYS[int(t) - 1] for t in tokens]
        if all(k in keys for k in picked):
            return list(dict.fromkeys(picked))
    return None


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return "; ".join(_text(x) for x in v if _text(x))
    return str(v).strip()


def _items(v: Any, split: Any) -> list[str]:
    if isinstance(v, list):
        return [_text(x) for x in v if _text(x)]
    return split(_text(v)) if _text(v) else []


_TRUE = {"t", "true", "yes", "y", "1"}
_FALSE = {"f", "false", "no", "n", "0"}


def _true_false_answer(answer: str, choices: list[dict[str, Any]]) -> str:
    """'T' or 'F' (or yes/no) as the text of the True or False choice, when those are the choices."""
    if [str(ch["text"]).casefold() for ch in choices] != ["true", "false"]:
        return answer
    a = answer.strip().casefold()
    if a in _TRUE:
        return choices[0]["text"]  # type: ignore[no-any-return]
    if a in _FALSE:
        return choices[1]["text"]  # type: ignore[no-any-return]
    return answer


def build_draft(
    cells: dict[str, Any], c: Collector, line: int | None, record: str | None
) -> Draft | None:
    """A draft item from one row's fields, or None for a blank row (problems go to ``c``)."""
    if not any(_text(v) for v in cells.values()):
        return None
    n_before = len(c.problems)
    stem = _text(cells.get("stem"))
    data: dict[str, Any] = {"stem": stem}
    if not stem:
        c.problem("the question is empty; expected text in the question column", line, record)

    choices: list[dict[str, Any]] = []
    for k in CHOICE_KEYS:
        t = _text(cells.get(f"choice_{k}"))
        if t:
            ch: dict[str, Any] = {"key": k, "text": t}
            if r := _text(cells.get(f"rationale_{k}")):
                ch["rationale"] = r
            choices.append(ch)
    listed = cells.get("choices")
    if listed and not choices:
        texts = listed if isinstance(listed, list) else re.split(r"\s*[|\n]\s*", _text(listed))
        texts = [_text(t) for t in texts if _text(t)]
        if len(texts) > len(CHOICE_KEYS):
            c.problem(f"{len(texts)} choices; at most {len(CHOICE_KEYS)} allowed", line, record)
        choices = [{"key": k, "text": t} for k, t in zip(CHOICE_KEYS, texts, strict=False)]

    answer = _text(cells.get("answer"))
    codes = _items(cells.get("codes"), split_codes)
    back = _text(cells.get("back"))
    kind_raw = _text(cells.get("kind"))
    kind: str | None = None
    if kind_raw:
        kind = _KINDS.get(norm_column(kind_raw))
        if kind is None:
            c.problem(
                f"kind {kind_raw!r} is not known; expected one of "
                f"{', '.join(k.value for k in ItemKind)}",
                line,
                record,
            )
            return None
    if kind is None:
        if choices:
            kind = "choice"
        elif codes:
            kind = "code"
        elif back:
            kind = "flashcard"
        elif answer and answer.strip().casefold() in ("true", "false", "t", "f"):
            kind = "true_false"
        elif answer:
            kind = "flashcard"
        else:
            c.problem(
                "no answer; expected choice columns (A, B, ...) with an answer column, "
                "a codes column, or a back column",
                line,
                record,
            )
            return None

    if kind in ("choice", "single", "multiple", "true_false"):
        if kind == "true_false" and not choices:
            choices = [{"key": "a", "text": "True"}, {"key": "b", "text": "False"}]
        if not choices:
            c.problem(f"a {kind} question needs choices in columns A, B, ...", line, record)
        elif not answer:
            c.problem(
                "no answer; expected the letter of the right choice (like B or A, C) "
                "or its text in the answer column",
                line,
                record,
            )
        else:
            keys = parse_answer(_true_false_answer(answer, choices), choices)
            if keys is None:
                letters = ", ".join(ch["key"].upper() for ch in choices)
                c.problem(
                    f"answer {answer!r} is neither a choice letter ({letters}) nor the text "
                    "of a choice",
                    line,
                    record,
                )
            else:
                for ch in choices:
                    ch["correct"] = ch["key"] in keys
        if kind == "choice":
            kind = infer_choice_kind(choices)
        data["choices"] = choices
    elif kind == "code":
        data["codes"] = codes or split_codes(answer)
    elif kind == "flashcard":
        data["back"] = back or answer
    data["kind"] = kind

    if r := _text(cells.get("rationale")):
        data["rationale"] = r
    if refs := _items(cells.get("references"), _split_references):
        data["references"] = refs
    _extras(cells, data, c, line, record)
    if topics := _items(cells.get("topics"), split_list):
        data["topics"] = topics
    if section := _text(cells.get("section")):
        data["section"] = key_slug(section) or section
    exams = _items(cells.get("exams"), lambda s: re.split(r"[\s,;]+", s))
    if exams := [key_slug(e) or e for e in exams if e]:
        data["exams"] = exams
    if len(c.problems) > n_before:
        return None
    draft = Draft(data, line=line, record=record, id_hint=_text(cells.get("id")) or None)
    if case := data.get("case"):
        title, text = _text(cells.get("case_title")), _text(cells.get("case_text"))
        draft.case = (case, title or None, text or None)
    return draft


def _split_references(cell: str) -> list[str]:
    """One reference per line; a one-line cell may list several separated by ';'."""
    sep = "\n" if "\n" in cell else ";"
    return [p.strip() for p in cell.split(sep) if p.strip()]


def _extras(
    cells: dict[str, Any], data: dict[str, Any], c: Collector, line: int | None, record: str | None
) -> None:
    """The columns a certprep CSV export adds: alternatives, flags, numbers, case, per-choice
    rationales (read with the choices)."""
    if alts := _text(cells.get("alternatives")):
        sets = [split_codes(part) for part in re.split(r"\s*[|\n]\s*", alts) if part.strip()]
        data["alternatives"] = [s for s in sets if s]
    for flag in ("ordered", "pin_choices", "partial_credit"):
        if v := _text(cells.get(flag)):
            data[flag] = is_true(v)
    for number in ("code_set_year", "difficulty"):
        if v := _text(cells.get(number)):
            try:
                data[number] = int(v)
            except ValueError:
                c.problem(f"{number} {v!r} is not a whole number", line, record)
    if case := _text(cells.get("case")):
        data["case"] = case
