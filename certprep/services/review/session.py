"""One sitting of daily review: the queue, answering and undo, and marks, in one object."""

from __future__ import annotations

from certprep.services.review.answering import AnsweringSession
from certprep.services.review.marks import MarkingSession


class ReviewSession(AnsweringSession, MarkingSession):
    """One sitting of daily review for one learner.

    Every rating is written (card state and review-log row) in one transaction before the next
    card is fetched, so a killed process loses nothing that was shown as done. The queue is in
    ``queue``, the study day and the daily limits in ``limits``, rating and undo in
    ``answering``, suspend/bury/flag/mark in ``marks``.
    """
