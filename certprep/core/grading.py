"""Whether a response to an item is right."""

from __future__ import annotations

from certprep.core.models import Item, ItemKind, code_answer_is_right


def is_correct(item: Item, response: list[str]) -> bool | None:
    """True/False for answerable items; None for a flashcard (self-graded) or no response.

    ``response`` holds choice letters (in the item's written lettering) or typed codes.
    """
    if item.kind is ItemKind.FLASHCARD or not response:
        return None
    if item.kind is ItemKind.CODE:
        return code_answer_is_right(item, response)
    return sorted(set(response)) == sorted(item.correct_keys)
