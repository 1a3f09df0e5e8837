"""Spreadsheet-shaped banks, part one: which column (or Anki field) holds which item field.

Columns are matched by their usual names (question, A-F, answer, explanation, tags ...) or by the
caller's ``mapping`` {column: field}; ``map_columns`` says which were ignored and how to use them.
"""

from __future__ import annotations

import re

from certprep.core.models import CHOICE_KEYS

from ._common import Collector

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
# written only when some item of the bank uses them
CSV_EXTRA_COLUMNS = [
    *(f"rationale_{k}" for k in CHOICE_KEYS),
    "alternatives",
    "ordered",
    "partial_credit",
    "code_set_year",
    "difficulty",
    "pin_choices",
    "case",
    "case_title",
    "case_text",
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
    "alternatives": ["alternatives", "alternative_codes", "also_accepted"],
    "ordered": ["ordered", "sequence_matters"],
    "partial_credit": ["partial_credit"],
    "code_set_year": ["code_set_year", "code_year"],
    "difficulty": ["difficulty", "level"],
    "pin_choices": ["pin_choices", "keep_order", "no_shuffle"],
    "case": ["case", "case_id", "scenario_id"],
    "case_title": ["case_title", "scenario_title"],
    "case_text": ["case_text", "scenario", "case_scenario"],
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


def norm_column(name: str) -> str:
    return re.sub(r"[\s\-./]+", "_", name.strip().lower().lstrip("\ufeff")).strip("_")


def resolve_field(name: str) -> str | None:
    n = norm_column(name)
    if n in _IGNORE:
        return "ignore"
    if n in _ALIASES:
        return n
    return _FIELD_OF.get(n)


def map_columns(
    header: list[str], mapping: dict[str, str] | None, c: Collector, line: int | None
) -> dict[int, str]:
    """Column index → field, from usual names and the caller's mapping; problems for bad maps."""
    norm = [norm_column(h) for h in header]
    user: dict[str, str] = {}
    for col, wanted in (mapping or {}).items():
        n = norm_column(col)
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
            fld = resolve_field(user[n])
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
        c.hint(
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
