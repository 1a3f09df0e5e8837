"""Daily review: the queue of due cards, answering, rating, undo, suspend and bury, limits.

Modules: ``limits`` (the study day in the learner's zone, what "due" means, the daily limits),
``queue`` (what a session offers and in which order), ``answering`` (rating, undo, history),
``marks`` (suspend, bury, flag, mark; unsuspend, unbury), ``exam_answers`` (exam answers as
reviews), ``exam_mode`` (exam-date mode), ``model`` (the data they hand out).
"""

from __future__ import annotations

from certprep.services.review.exam_answers import exam_answers_to_memory
from certprep.services.review.exam_mode import (
    ExamModePreview,
    preview_exam_mode,
    reschedule,
    set_exam_mode,
)
from certprep.services.review.limits import (
    LEARN_AHEAD,
    ExamDue,
    StudyDay,
    due_by_exam,
    due_counts,
    settings_for,
    study_day,
)
from certprep.services.review.marks import buried_cards, suspended_cards, unbury, unsuspend
from certprep.services.review.model import (
    CardHistory,
    Counts,
    HistoryEntry,
    RateResult,
    ReviewFilter,
    StudyCard,
    UndoStep,
)
from certprep.services.review.model import card_state as _card_state
from certprep.services.review.queue import interleave as _interleave
from certprep.services.review.session import ReviewSession

__all__ = [
    "LEARN_AHEAD",
    "CardHistory",
    "Counts",
    "ExamDue",
    "ExamModePreview",
    "HistoryEntry",
    "RateResult",
    "ReviewFilter",
    "ReviewSession",
    "StudyCard",
    "StudyDay",
    "UndoStep",
    "_card_state",
    "_interleave",
    "buried_cards",
    "due_by_exam",
    "due_counts",
    "exam_answers_to_memory",
    "preview_exam_mode",
    "reschedule",
    "set_exam_mode",
    "settings_for",
    "study_day",
    "suspended_cards",
    "unbury",
    "unsuspend",
]
