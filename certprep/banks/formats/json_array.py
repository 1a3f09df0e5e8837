"""JSON arrays of flat objects (one object per question), read like a spreadsheet."""

from __future__ import annotations

import json
from typing import Any

from certprep.banks.native import json_cut, json_syntax
from certprep.core.models import CHOICE_KEYS

from ._common import Collector, Draft, Options, decode_text
from .columns import map_columns
from .rows import build_draft

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
                c.hint(w.message, None, record)
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
    text = decode_text(data, c, opts.encoding)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise c.fail(json_syntax(exc.msg, json_cut(exc), not exc.doc.strip()), exc.lineno) from None
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
