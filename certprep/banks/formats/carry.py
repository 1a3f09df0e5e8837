"""What a quiz format (GIFT, Moodle XML) carries beyond its own fields, and what it cannot.

GIFT and Moodle know questions, answers, feedback and categories. The rest of an item (its
exams, section, references, difficulty, code-set year, whether code order or choice order
matters) travels as ``// certprep: key = value`` comments in GIFT and ``certprep:key=value``
tags in Moodle XML, which Moodle keeps and other readers ignore. What a format cannot carry
at all is named in a warning by the writer.
"""

from __future__ import annotations

from typing import Any

from certprep.core.models import Bank, Item, ItemKind
from certprep.core.problems import Problem

from ._common import Collector, is_true, key_slug

META_PREFIX = "certprep:"
_FLAGS = ("ordered", "pin_choices", "partial_credit")
_NUMBERS = ("difficulty", "code_set_year")
HEADER_FIELDS = ("title", "description", "license", "source")


def item_meta(item: Item, *, references: bool) -> list[tuple[str, str]]:
    """The item's fields a quiz format has no place for, as (key, value) pairs."""
    pairs = [("exams", ", ".join(item.exams)), ("section", item.section)]
    if references:
        pairs += [("reference", r) for r in item.references]
    pairs += [(n, str(getattr(item, n))) for n in _NUMBERS if getattr(item, n) is not None]
    pairs += [(n, "true") for n in _FLAGS if getattr(item, n)]
    return pairs


def apply_meta(
    data: dict[str, Any], key: str, value: str, c: Collector, line: int | None, record: str | None
) -> None:
    """Put one carried (key, value) back into a draft item; unknown keys are warned about."""
    key = key.strip().lower()
    value = value.strip()
    if key == "exams":
        exams = [e.strip() for e in value.replace(";", ",").split(",")]
        data["exams"] = [key_slug(e) or e for e in exams if e]
    elif key == "section":
        data["section"] = key_slug(value) or value
    elif key == "reference":
        data.setdefault("references", []).append(value)
    elif key in _NUMBERS:
        try:
            data[key] = int(value)
        except ValueError:
            c.problem(f"certprep {key} {value!r} is not a whole number", line, record)
    elif key in _FLAGS:
        data[key] = is_true(value)
    else:
        c.warn(f"unknown certprep field {key!r} ignored", line, record)


def quiz_warnings(
    bank: Bank, fmt: str, skipped: list[str], *, references: bool = True
) -> list[Problem]:
    """What writing ``bank`` as GIFT or Moodle XML leaves out, one warning per kind of loss."""
    out = []
    if skipped:
        out.append(
            Problem(
                bank.name,
                f"{len(skipped)} flashcards were left out: {fmt} has no flashcard question "
                f"type (first: {skipped[0]}); export to csv or native to keep them",
            )
        )
    in_cases = [i for i in bank.items if i.case and i.kind is not ItemKind.FLASHCARD]
    if in_cases:
        n_cases = len({i.case for i in in_cases})
        out.append(
            Problem(
                bank.name,
                f"{len(in_cases)} questions belong to {n_cases} case scenarios: {fmt} has no "
                "cases, so each case's text is put in front of its questions' stems and the "
                "case itself is not kept",
            )
        )
    out += header_warnings(bank, fmt)
    return out


def header_warnings(bank: Bank, fmt: str) -> list[Problem]:
    """The bank's own title, description, license and source: no file format but native has them."""
    lost = [name for name in HEADER_FIELDS if getattr(bank, name)]
    if bank.version != "1":
        lost.append("version")
    if not lost:
        return []
    return [
        Problem(
            bank.name,
            f"not carried by {fmt}: the bank's {', '.join(lost)} (export to native to keep them)",
        )
    ]
