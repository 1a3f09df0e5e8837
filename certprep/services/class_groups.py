"""Section and topic figures for a whole class over one exam's pool, learner by learner."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from certprep.core.report import AnswerFact, CardFact, Group

UNTAGGED = "(untagged)"  # the topic of an item with none, as core.report.build_groups names it


class PoolGroups:
    """``core.report.build_groups`` for one exam's pool and many learners, at the cost of each
    learner's own cards: the pool's sizes and shares per group are counted once, and an item
    never studied (no card: no retrievability, no due date) adds only to those. The figures
    are the same as ``build_groups`` gives (a test compares every learner's own report)."""

    def __init__(
        self,
        by: str,
        size: dict[tuple[str, str], int],
        share: dict[tuple[str, str], float],
        section_size: dict[str, int],
    ) -> None:
        """``size``: the pool's items per group key; ``share``: the items' shares per key (an
        item with several topics split among them); ``section_size``: items per section."""
        self.by = by
        self.size = size
        self.share = share
        self.section_size = section_size
        self._keys: dict[tuple[str, tuple[str, ...]], list[tuple[str, str]]] = {}

    def keys(self, section: str, topics: tuple[str, ...]) -> list[tuple[str, str]]:
        known = self._keys.get((section, topics))
        if known is None:
            if self.by == "section":
                known = [(section, section)]
            else:
                known = [(t, section) for t in (topics or (UNTAGGED,))]
            self._keys[(section, topics)] = known
        return known

    def groups(
        self,
        answers: list[AnswerFact],
        studied: list[CardFact],
        section_questions: dict[str, int],
        now: datetime,
        recent_attempts: int = 5,
    ) -> list[Group]:
        groups: dict[tuple[str, str], Group] = {}
        per_attempt: dict[tuple[str, str], dict[int, list[bool]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for a in answers:
            for key in self.keys(a.section, a.topics):
                g = groups.get(key)
                if g is None:
                    g = groups[key] = Group(key[0], key[1])
                g.answered += 1
                g.right += int(a.correct)
                per_attempt[key][a.attempt_id].append(a.correct)
        r_sum: dict[tuple[str, str], float] = defaultdict(float)
        r_n: dict[tuple[str, str], int] = defaultdict(int)
        due: dict[tuple[str, str], int] = defaultdict(int)
        overdue: dict[tuple[str, str], int] = defaultdict(int)
        for c in studied:
            for key in self.keys(c.section, c.topics):
                if c.retrievability is not None:
                    r_sum[key] += c.retrievability
                    r_n[key] += 1
                if c.due is not None and not c.suspended:
                    due[key] += c.due <= now
                    overdue[key] += (now - c.due).days >= 1
        for key, n in self.size.items():
            g = groups.setdefault(key, Group(key[0], key[1]))
            g.cards = n
            g.studied = r_n.get(key, 0)
            g.mean_r = r_sum[key] / g.studied if g.studied else None  # studied cards only
            g.due = due.get(key, 0)
            g.overdue = overdue.get(key, 0)
        for key, g in groups.items():
            attempts = sorted(per_attempt.get(key, {}).items())[-recent_attempts:]
            g.trend = [sum(v) / len(v) for _, v in attempts]
            total = self.section_size.get(g.section, 0)
            g.share = self.share.get(key, 0.0) / total if total else 0.0
            g.weight = section_questions.get(g.section, 0) * (
                g.share if self.by == "topic" else 1.0
            )
        return list(groups.values())
