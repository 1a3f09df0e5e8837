"""Spreadsheet-shaped banks: CSV, TSV and JSON arrays of flat objects, and the CSV writer.

One row is one question. Columns are matched by their usual names (question, A-F, answer,
explanation, tags ...) or by the caller's ``mapping`` {column: field}.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from certprep.core.models import CHOICE_KEYS, Bank, ItemKind, split_codes

from ._common import (
    Collector,
    Draft,
    Options,
    decode_text,
    infer_choice_kind,
    key_slug,
    split_list,
)

CSV_COLUMNS = [
    "id",
    "kind",
    "exams",
    "section",
    "topics",
    "stem",
    *(f"choice_{k}" for k in CHOICE_KEYS),
    "answer",
    "codes",
    "back",
    "rationale",
    "references",
]

_ALIASES: dict[str, list[str]] = {
    "stem": ["stem", "question", "prompt", "front", "question_text", "questiontext", "q", "term"],
    "answer": [
        "answer",
        "correct",
        "key",
        "correct_answer",
        "answer_key",
        "answers",
        "correct_answers",
        "right_answer",
        "solution",
    ],
    "rationale": ["rationale", "explanation", "feedback", "why", "general_feedback"],
    "topics": ["topics", "topic", "tags", "tag", "category", "categories"],
    "section": ["section", "domain"],
    "exams": ["exams", "exam", "certification"],
    "id": ["id", "item_id", "question_id", "qid"],
    "kind": ["kind", "type", "question_type", "qtype"],
    "back": ["back", "definition", "meaning"],
    "codes": ["codes", "code"],
    "references": ["references", "reference", "refs", "ref", "source", "citation", "citations"],
    "choices": ["choices", "options", "distractors_and_answer"],
}
for _i, _k in enumerate(CHOICE_KEYS, start=1):
    _ALIASES[f"choice_{_k}"] = [
        _k,
        f"choice_{_k}",
        f"choice{_k}",
        f"option_{_k}",
        f"option{_k}",
        f"answer_{_k}",
        f"opt_{_k}",
        f"choice_{_i}",
        f"choice{_i}",
        f"option_{_i}",
        f"option{_i}",
    ]
    _ALIASES[f"rationale_{_k}"] = [f"rationale_{_k}", f"feedback_{_k}", f"explanation_{_k}"]

FIELDS = tuple(_ALIASES)
_FIELD_OF = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
_IGNORE = {"ignore", "skip", "none", "-", ""}

_KINDS = {
    "single": "single",
    "mc": "single",
    "mcq": "single",
    "multiple_choice": "single",
    "multichoice": "single",
    "single_answer": "single",
    "single_best_answer": "single",
    "multiple": "multiple",
    "ma": "multiple",
    "multi": "multiple",
    "multiple_answer": "multiple",
    "multiple_response": "multiple",
    "select_all": "multiple",
    "code": "code",
    "code_entry": "code",
    "short": "code",
    "short_answer": "code",
    "shortanswer": "code",
    "true_false": "true_false",
    "truefalse": "true_false",
    "tf": "true_false",
    "t_f": "true_false",
    "boolean": "true_false",
    "flashcard": "flashcard",
    "card": "flashcard",
    "basic": "flashcard",
}


def _norm(name: str) -> str:
    return re.sub(r"[\s\-./]+", "_", name.strip().lower().lstrip("\ufeff")).strip("_")


def _resolve_field(name: str) -> str | None:
    n = _norm(name)
    if n in _IGNORE:
        return "ignore"
    if n in _ALIASES:
        return n
    return _FIELD_OF.get(n)


def map_columns(
    header: list[str], mapping: dict[str, str] | None, c: Collector, line: int | None
) -> dict[int, str]:
    """Column index → field, from usual names and the caller's mapping; problems for bad maps."""
    norm = [_norm(h) for h in header]
    user: dict[str, str] = {}
    for col, wanted in (mapping or {}).items():
        n = _norm(col)
        if n not in norm:
            shown = ", ".join(h for h in header if h.strip()) or "(none)"
            c.problem(
                f"--map names a column {col!r} the file does not have; columns: {shown}", line
            )
        user[n] = str(wanted)
    result: dict[int, str] = {}
    ignored: list[str] = []
    for i, n in enumerate(norm):
        if n in user:
            fld = _resolve_field(user[n])
            if fld is None:
                c.problem(
                    f"--map {header[i]}={user[n]}: unknown field; expected one of "
                    f"{', '.join(FIELDS)} (or 'ignore')",
                    line,
                )
                continue
            if fld == "ignore":
                continue
            if fld in result.values():
                c.problem(f"two columns are mapped to {fld}; map only one of them", line)
                continue
        else:
            fld = _FIELD_OF.get(n)
            if fld is None or fld in result.values():
                if header[i].strip():
                    ignored.append(header[i].strip())
                continue
        if fld is not None:
            result[i] = fld
    if ignored:
        c.warn(
            f"columns ignored: {', '.join(ignored[:20])}; use --map COLUMN=FIELD to use one",
            line,
        )
    if "stem" not in result.values() and not c.problems:
        c.problem(
            "no question column; expected a column named question, stem, prompt or front "
            "(or map one with --map COLUMN=stem)",
            line,
        )
    return result


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
        kind = _KINDS.get(_norm(kind_raw))
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
        elif answer and answer.casefold() in ("true", "false", "t", "f"):
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
            keys = parse_answer(answer, choices)
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
    if refs := _items(
        cells.get("references"), lambda s: [p.strip() for p in re.split(r"[;\n]", s) if p.strip()]
    ):
        data["references"] = refs
    if topics := _items(cells.get("topics"), split_list):
        data["topics"] = topics
    if section := _text(cells.get("section")):
        data["section"] = key_slug(section) or section
    exams = _items(cells.get("exams"), lambda s: re.split(r"[\s,;]+", s))
    if exams := [key_slug(e) or e for e in exams if e]:
        data["exams"] = exams
    if len(c.problems) > n_before:
        return None
    return Draft(data, line=line, record=record, id_hint=_text(cells.get("id")) or None)


# ---------------------------------------------------------------------------- CSV / TSV


def _delimiter(first_line: str, fmt: str) -> str:
    if fmt == "tsv":
        return "\t"
    outside = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: outside.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def read_csv(data: bytes, opts: Options, c: Collector, fmt: str) -> list[Draft]:
    """Drafts from a CSV or TSV file with a header row."""
    text = decode_text(data, c)
    first_line_no = 1
    first, _, rest = text.partition("\n")
    delimiter = None
    if re.fullmatch(r"sep=.\r?", first):  # Excel's hint line
        delimiter = first[4]
        text = rest
        first_line_no = 2
        first = text.partition("\n")[0]
    delimiter = delimiter or _delimiter(first, fmt)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    offset = first_line_no - 1
    drafts: list[Draft] = []
    header: list[str] | None = None
    columns: dict[int, str] = {}
    prev = 0
    while True:
        start = prev + 1 + offset
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise c.fail(f"not valid {fmt.upper()}: {exc}", reader.line_num + offset) from None
        prev = reader.line_num
        if not row or not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = row
            columns = map_columns(header, opts.mapping, c, start)
            c.check()
            continue
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
            c.problem(
                f"this row has {len(row)} cells but the header has {len(header)}; "
                "check the quoting of cells that contain the delimiter",
                start,
            )
            continue
        cells = {fld: row[i] for i, fld in columns.items() if i < len(row)}
        if d := build_draft(cells, c, start, None):
            drafts.append(d)
    if header is None:
        raise c.fail("the file is empty; expected a header row and one question per row")
    return drafts


# ---------------------------------------------------------------------------- JSON arrays


def _json_cells(
    obj: dict[str, Any],
    opts: Options,
    c: Collector,
    record: str,
    cache: dict[tuple[str, ...], tuple[dict[int, str], Collector]],
) -> dict[str, Any]:
    keys = tuple(str(k) for k in obj)
    if keys not in cache:
        sub = Collector(c.source)
        cache[keys] = (map_columns(list(keys), opts.mapping, sub, None), sub)
        for p in sub.problems:
            c.problem(p.message, None, record)
        for w in sub.warnings[:1]:
            if len(cache) <= 3:  # the first few shapes are enough to show
                c.warn(w.message, None, record)
    columns, sub = cache[keys]
    if sub.problems:
        return {}
    values = list(obj.values())
    cells: dict[str, Any] = {}
    for i, fld in columns.items():
        v = values[i]
        if fld == "choices" and isinstance(v, list) and any(isinstance(x, dict) for x in v):
            flags: list[str] = []
            for k, ch in zip(CHOICE_KEYS, v, strict=False):
                if not isinstance(ch, dict):
                    c.problem("choices: expected a list of texts or of objects", None, record)
                    return {}
                cells[f"choice_{k}"] = _flat(ch.get("text", ch.get("label", "")), c, record)
                fb = ch.get("rationale", ch.get("feedback"))
                if fb is not None:
                    cells[f"rationale_{k}"] = _flat(fb, c, record)
                if ch.get("correct", ch.get("is_correct")) in (True, "true", 1):
                    flags.append(k.upper())
            if len(v) > len(CHOICE_KEYS):
                c.problem(f"{len(v)} choices; at most {len(CHOICE_KEYS)} allowed", None, record)
            if flags and "answer" not in columns.values():
                cells["answer"] = ", ".join(flags)
            continue
        cells[fld] = _flat(v, c, record)
    return cells


def _flat(v: Any, c: Collector, record: str) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float | str):
        return str(v)
    if isinstance(v, list) and all(isinstance(x, str | int | float) for x in v):
        return [str(x) for x in v]
    c.problem(f"expected text or a list of texts, got {type(v).__name__}", None, record)
    return ""


def read_json_array(data: bytes, opts: Options, c: Collector) -> list[Draft]:
    """Drafts from a JSON array of flat objects (one object per question)."""
    text = decode_text(data, c)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise c.fail(f"not valid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise c.fail("JSON nested too deeply") from None
    except ValueError as exc:  # an integer past Python's 4300-digit limit
        raise c.fail(f"cannot read a value in the JSON: {str(exc)[:120]}") from None
    if not isinstance(doc, list):
        raise c.fail(
            "expected a JSON array of questions; a JSON object is a native bank "
            "(import it with --format native)",
            1,
        )
    drafts: list[Draft] = []
    cache: dict[tuple[str, ...], tuple[dict[int, str], Collector]] = {}
    for i, obj in enumerate(doc, start=1):
        record = f"record {i}"
        if not isinstance(obj, dict):
            c.problem(
                f"expected an object with question fields, got {type(obj).__name__}", None, record
            )
            continue
        n = len(c.problems)
        cells = _json_cells(obj, opts, c, record, cache)
        if len(c.problems) > n or not cells:
            continue
        if d := build_draft(cells, c, None, record):
            drafts.append(d)
    return drafts


# ---------------------------------------------------------------------------- writer


def write_csv(bank: Bank, delimiter: str = ",") -> bytes:
    """The bank as CSV (UTF-8 with a BOM so spreadsheet programs read accents right).

    Carries id, kind, exams, section, topics, stem, choices A-F, answer letters, codes, back,
    rationale and references. Not carried: per-choice rationales, cases, alternatives, ordered,
    code-set year, difficulty, pinned choices.
    """
    out = io.StringIO(newline="")
    w = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for item in bank.items:
        by_key = {ch.key: ch.text for ch in item.choices}
        w.writerow(
            [
                item.id,
                item.kind.value,
                "; ".join(item.exams),
                item.section,
                "; ".join(item.topics),
                item.stem,
                *(by_key.get(k, "") for k in CHOICE_KEYS),
                "; ".join(k.upper() for k in item.correct_keys),
                "; ".join(item.codes),
                item.back or "",
                item.rationale,
                "; ".join(item.references),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
