"""Form cues a test-wise candidate exploits: the key's length and the distractors' wording.

Length: over an exam, the keyed answer should be the strictly longest choice about as often as
chance would make it (about one item in four with four choices), and the strictly shortest
choice about as often. A bank written so the key is "the careful, qualified one" gives the key
away by its length; a bank over-corrected so the key is never the longest gives it away just
as well ("never pick the longest"). So each rate must stay inside a band around chance.

Wording: "all of the above"/"none of the above" and absolute words (always, never) used only
in distractors teach the candidate to strike those choices unread. Those are reported per exam.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from certprep.core.models import Bank, Item, ItemKind
from certprep.core.problems import Problem

# -- length -----------------------------------------------------------------------------------
#: an exam whose keys are the strictly longest (or shortest) choice more often than this fails
LONGEST_ANSWER_LIMIT = 0.30
#: ... and so does one whose keys are that choice less often than this ("never the longest")
LONGEST_ANSWER_FLOOR = 0.15
#: fewer counted items than this in an exam: the rates are reported but not judged (too noisy)
LONGEST_ANSWER_MIN_ITEMS = 10

#: a word: 2+ letters standing alone with a lower-case letter (not 0DTN4ZZ, RT, CRNA QX)
_WORD_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]*[a-z][A-Za-z]*(?![A-Za-z0-9])")


def is_prose_item(item: Item) -> bool:
    """A single-best-answer item whose every choice is a phrase or sentence (2+ words).

    Choices that are codes ("99213-25, J45.909") or amounts ("$95.00") are left out: their
    length follows the answer, not the writer's habit of qualifying the key.
    """
    if item.kind is not ItemKind.SINGLE or len(item.choices) < 3:
        return False
    return all(sum(len(w) >= 2 for w in _WORD_RE.findall(c.text)) >= 2 for c in item.choices)


def _lengths(item: Item) -> tuple[list[int], list[int]]:
    key = [len(c.text.strip()) for c in item.choices if c.correct]
    others = [len(c.text.strip()) for c in item.choices if not c.correct]
    return key, others


def key_is_longest(item: Item) -> bool:
    """The keyed choice is strictly longer (in characters) than every other choice."""
    key, others = _lengths(item)
    return len(key) == 1 and all(key[0] > n for n in others)


def key_is_shortest(item: Item) -> bool:
    """The keyed choice is strictly shorter (in characters) than every other choice."""
    key, others = _lengths(item)
    return len(key) == 1 and all(key[0] < n for n in others)


@dataclass
class LongestTally:
    counted: int = 0
    longest: list[str] = field(default_factory=list)  # item ids whose key is the longest
    shortest: list[str] = field(default_factory=list)  # item ids whose key is the shortest

    @property
    def rate(self) -> float:
        return len(self.longest) / self.counted if self.counted else 0.0

    @property
    def short_rate(self) -> float:
        return len(self.shortest) / self.counted if self.counted else 0.0

    def line(self, label: str) -> str:
        if not self.counted:
            return f"{label}: no items with phrase choices"
        return (
            f"{label}: key is the longest choice in {len(self.longest)} of {self.counted} "
            f"items with phrase choices ({self.rate:.0%}), the shortest in "
            f"{len(self.shortest)} ({self.short_rate:.0%})"
        )


def _ids(ids: list[str]) -> str:
    return ", ".join(ids[:12]) + (" ..." if len(ids) > 12 else "")


def _band_problem(
    source: str, exam: str, which: str, ids: list[str], counted: int
) -> list[Problem]:
    rate = len(ids) / counted
    band = f"{LONGEST_ANSWER_FLOOR:.0%}-{LONGEST_ANSWER_LIMIT:.0%}"
    head = (
        f"exam {exam}: the keyed answer is the strictly {which} choice in {len(ids)} of "
        f"{counted} items ({rate:.0%})"
    )
    if rate > LONGEST_ANSWER_LIMIT:
        return [
            Problem(
                source,
                f"{head}; at most {LONGEST_ANSWER_LIMIT:.0%} is allowed (band {band}). "
                f"Even out the choices' lengths on some of: {_ids(ids)}",
            )
        ]
    if rate < LONGEST_ANSWER_FLOOR:
        return [
            Problem(
                source,
                f"{head}; at least {LONGEST_ANSWER_FLOOR:.0%} is required (band {band}), or "
                f"'never pick the {which}' becomes the cue. Make the key the {which} choice "
                "on more items",
            )
        ]
    return []


@dataclass
class LongestAnswerReport:
    by_bank: dict[str, LongestTally]
    by_exam: dict[str, LongestTally]

    def lines(self) -> list[str]:
        out = [self.by_bank[b].line(f"longest answer, bank {b}") for b in sorted(self.by_bank)]
        out += [self.by_exam[e].line(f"longest answer, exam {e}") for e in sorted(self.by_exam)]
        return out

    def problems(self, source: str) -> list[Problem]:
        out: list[Problem] = []
        for exam, tally in sorted(self.by_exam.items()):
            if tally.counted < LONGEST_ANSWER_MIN_ITEMS:
                continue
            out += _band_problem(source, exam, "longest", tally.longest, tally.counted)
            out += _band_problem(source, exam, "shortest", tally.shortest, tally.counted)
        return out


def longest_answer_report(banks: Iterable[Bank]) -> LongestAnswerReport:
    by_bank: dict[str, LongestTally] = defaultdict(LongestTally)
    by_exam: dict[str, LongestTally] = defaultdict(LongestTally)
    for bank in banks:
        for item in bank.items:
            if not is_prose_item(item):
                continue
            longest, shortest = key_is_longest(item), key_is_shortest(item)
            for t in [by_bank[bank.name]] + [by_exam[e] for e in item.exams or bank.exams]:
                t.counted += 1
                if longest:
                    t.longest.append(item.id)
                if shortest:
                    t.shortest.append(item.id)
    return LongestAnswerReport(dict(by_bank), dict(by_exam))


# -- wording ----------------------------------------------------------------------------------
_ABOVE_RE = re.compile(r"\b(?:all|none|both|neither) of the (?:above|choices|options)\b", re.I)
_ABSOLUTE_RE = re.compile(r"\b(?:always|never)\b", re.I)


@dataclass
class WordingTally:
    """Per exam: items whose 'of the above' or absolute-word choices are only distractors."""

    above_key: list[str] = field(default_factory=list)
    above_distractor_only: list[str] = field(default_factory=list)
    absolute_key: list[str] = field(default_factory=list)
    absolute_distractor_only: list[str] = field(default_factory=list)

    def line(self, exam: str) -> str:
        return (
            f"wording cues, exam {exam}: 'all/none of the above' keyed in "
            f"{len(self.above_key)} items, only in distractors in "
            f"{len(self.above_distractor_only)}; always/never in the key in "
            f"{len(self.absolute_key)} items, only in distractors in "
            f"{len(self.absolute_distractor_only)}"
        )


def _wording(item: Item, pattern: re.Pattern[str]) -> str | None:
    """'key' if the keyed choice uses the wording, 'distractor' if only distractors do."""
    if any(pattern.search(c.text) for c in item.choices if c.correct):
        return "key"
    if any(pattern.search(c.text) for c in item.choices if not c.correct):
        return "distractor"
    return None


def wording_report(banks: Iterable[Bank]) -> dict[str, WordingTally]:
    by_exam: dict[str, WordingTally] = defaultdict(WordingTally)
    for bank in banks:
        for item in bank.items:
            if item.kind not in (ItemKind.SINGLE, ItemKind.MULTIPLE):
                continue
            above, absolute = _wording(item, _ABOVE_RE), _wording(item, _ABSOLUTE_RE)
            for exam in item.exams or bank.exams:
                t = by_exam[exam]
                if above == "key":
                    t.above_key.append(item.id)
                elif above == "distractor":
                    t.above_distractor_only.append(item.id)
                if absolute == "key":
                    t.absolute_key.append(item.id)
                elif absolute == "distractor":
                    t.absolute_distractor_only.append(item.id)
    return dict(by_exam)


def wording_lines(report: dict[str, WordingTally]) -> list[str]:
    return [report[e].line(e) for e in sorted(report)]


def wording_problems(report: dict[str, WordingTally], source: str) -> list[Problem]:
    """An exam where 'all/none of the above' appears only as a wrong answer, in 3+ items,
    teaches the candidate to strike it unread: that fails the check."""
    out: list[Problem] = []
    for exam, t in sorted(report.items()):
        if len(t.above_distractor_only) >= 3 and not t.above_key:
            out.append(
                Problem(
                    source,
                    f"exam {exam}: 'all/none of the above' is a choice in "
                    f"{len(t.above_distractor_only)} items and never the key; key it where it "
                    f"is true or replace it: {_ids(t.above_distractor_only)}",
                )
            )
    return out
