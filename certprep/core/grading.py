"""Whether a response to an item is right, and how much of the point it earns."""

from __future__ import annotations

from certprep.core.models import Item, ItemKind, code_answer_credit, code_answer_is_right


def is_correct(item: Item, response: list[str]) -> bool | None:
    """True/False for answerable items; None for a flashcard (self-graded) or no response.

    ``response`` holds choice letters (in the item's written lettering) or typed codes.
    """
    if item.kind is ItemKind.FLASHCARD or not response:
        return None
    if item.kind is ItemKind.CODE:
        return code_answer_is_right(item, response)
    return sorted(set(response)) == sorted(item.correct_keys)


def credit(item: Item, response: list[str]) -> float | None:
    """The share of the point a response earns in an exam: 1.0 right, 0.0 wrong, a fraction
    for a partly right partial-credit code item (see ``code_answer_credit``); None unanswered."""
    right = is_correct(item, response)
    if right is None:
        return None
    if right or item.kind is not ItemKind.CODE:
        return 1.0 if right else 0.0
    return code_answer_credit(item, response)
