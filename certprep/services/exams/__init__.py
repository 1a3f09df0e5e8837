"""Mock exams: start (draw a form), answer, strike, flag, move, keep time, pause, submit.

Every change a learner makes is committed at once, in its own transaction, together with the
time used since the last committed tick. A killed process therefore loses nothing shown as done,
and on resume the time between the last tick and now counts as used: a long absence is not free
(unless the attempt was paused in a mode that allows pausing).

Modules: `views` (what a screen shows, the clock), `draw` (pool, form, start), `attempt`
(reading and changing an attempt in progress), `submit` (scoring, misses to review).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from certprep.services.exams.draw import ExamDraw
from certprep.services.exams.submit import ExamSubmit
from certprep.services.exams.views import (
    ABANDONED,
    IN_PROGRESS,
    MODES,
    PAUSABLE,
    SUBMITTED,
    AttemptSummary,
    ExamClosed,
    ExamModeError,
    ExamQuestion,
    ExamView,
    Result,
)

if TYPE_CHECKING:
    from certprep.services.services import Services

__all__ = [
    "ABANDONED",
    "IN_PROGRESS",
    "MODES",
    "PAUSABLE",
    "SUBMITTED",
    "AttemptSummary",
    "ExamClosed",
    "ExamModeError",
    "ExamQuestion",
    "ExamService",
    "ExamView",
    "Result",
]


class ExamService(ExamDraw, ExamSubmit):
    """Mock exams for one learner."""

    def __init__(self, services: Services) -> None:
        self.services = services
