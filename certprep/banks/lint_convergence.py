"""The convergence cue in code-list items: the key is the choice the distractors are built from.

A code-list item ("11603, 12032-51, C44.519") is often written by taking the key and changing
one part of it for each distractor. Then the key shares the most codes with the other choices,
and a choice that shares the fewest is a stray a candidate can strike unread. A test-wise
candidate who knows no coding at all gains from both:

- **pick the hub**: where one choice shares strictly more codes with the others than any other
  choice, pick it. Over an exam, that choice should be the key about as often as any choice
  (one in four for four choices), never most of the time;
- **strike the stray**: where one choice shares strictly fewer codes with the others, strike
  it. That choice should be the key some of the time, not almost never.

Over-corrected, each cue turns round ("the hub is never right": strike it; "the stray is the
key": pick it), so both rates must stay inside the same band around chance.

A balanced design (two codes crossed with two modifiers: every choice shares as much with the
others) has neither a hub nor a stray and gives nothing away.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from certprep.core.models import Bank, Item, ItemKind
from certprep.core.problems import Problem

#: where a hub (or a stray) exists, it may be the key in at most this share of an exam's items
HUB_LIMIT = STRAY_LIMIT = 0.40
#: ... and must be the key in at least this share
HUB_FLOOR = STRAY_FLOOR = 0.10
#: fewer items with a hub (or a stray) than this in an exam: reported, not judged
CONVERGENCE_MIN_ITEMS = 10

_WORD_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]*[a-z][A-Za-z]*(?![A-Za-z0-9])")
_PARTS_RE = re.compile(r"[,;+]|\band\b", re.I)


def is_code_list_item(item: Item) -> bool:
    """A single-best-answer item whose every choice is a list of codes (digits, no words);
    amounts ("$2,400.00") are not code lists, whatever their commas."""
    if item.kind is not ItemKind.SINGLE or len(item.choices) < 3:
        return False
    if any("$" in c.text for c in item.choices):
        return False
    return all(
        re.search(r"\d", c.text) and sum(len(w) >= 2 for w in _WORD_RE.findall(c.text)) < 2
        for c in item.choices
    )


def _parts(text: str) -> set[str]:
    """A choice's codes as written (with modifiers and units) and their base codes."""
    out: set[str] = set()
    for part in _PARTS_RE.split(text):
        code = part.strip().upper().replace(" ", "")
        if code:
            out.add(code)
            out.add(re.split(r"-|X\d", code)[0])
    return out


def shared_counts(item: Item) -> list[int]:
    """For each choice, how many codes it shares with the other choices (summed over them)."""
    sets = [_parts(c.text) for c in item.choices]
    return [
        sum(len(s & other) for j, other in enumerate(sets) if j != i) for i, s in enumerate(sets)
    ]


@dataclass
class ConvergenceTally:
    counted: int = 0
    hubs: int = 0  # items with a strict hub
    hub_keys: list[str] = field(default_factory=list)  # ... where the hub is the key
    strays: int = 0  # items with a strict stray
    stray_keys: list[str] = field(default_factory=list)  # ... where the stray is the key
    hub_ids: list[str] = field(default_factory=list)
    stray_ids: list[str] = field(default_factory=list)

    def line(self, exam: str) -> str:
        return (
            f"convergence, exam {exam}: {self.counted} code-list items; a hub in {self.hubs}, "
            f"the key in {len(self.hub_keys)} of them ({_rate(len(self.hub_keys), self.hubs)}); "
            f"a stray in {self.strays}, the key in {len(self.stray_keys)} "
            f"({_rate(len(self.stray_keys), self.strays)})"
        )


def _rate(n: int, of: int) -> str:
    return f"{n / of:.0%}" if of else "-"


def convergence_report(banks: Iterable[Bank]) -> dict[str, ConvergenceTally]:
    by_exam: dict[str, ConvergenceTally] = defaultdict(ConvergenceTally)
    for bank in banks:
        for item in bank.items:
            if not is_code_list_item(item):
                continue
            counts = shared_counts(item)
            key = next(i for i, c in enumerate(item.choices) if c.correct)
            top, low = max(counts), min(counts)
            hub = counts.count(top) == 1 and top > low
            stray = counts.count(low) == 1 and top > low
            for exam in item.exams or bank.exams:
                t = by_exam[exam]
                t.counted += 1
                if hub:
                    t.hubs += 1
                    t.hub_ids.append(item.id)
                    if counts[key] == top:
                        t.hub_keys.append(item.id)
                if stray:
                    t.strays += 1
                    t.stray_ids.append(item.id)
                    if counts[key] == low:
                        t.stray_keys.append(item.id)
    return dict(by_exam)


def convergence_lines(report: dict[str, ConvergenceTally]) -> list[str]:
    return [report[e].line(e) for e in sorted(report)]


def _ids(ids: list[str]) -> str:
    return ", ".join(ids[:12]) + (" ..." if len(ids) > 12 else "")


def _band(
    source: str, exam: str, which: str, keyed: list[str], among: list[str], n: int
) -> list[Problem]:
    """A problem when the hub (or the stray) is the key too often or too seldom."""
    if n < CONVERGENCE_MIN_ITEMS:
        return []
    rate = len(keyed) / n
    shares = "the most" if which == "hub" else "the fewest"
    head = (
        f"exam {exam}: in {n} code-list items one choice shares {shares} codes with the "
        f"others, and it is the key in {len(keyed)} ({rate:.0%}; band "
        f"{HUB_FLOOR:.0%}-{HUB_LIMIT:.0%})"
    )
    if rate > HUB_LIMIT:
        cue = (
            "'pick the choice the others are built from' pays"
            if which == "hub"
            else "'pick the odd one out' pays"
        )
        return [Problem(source, f"{head}: {cue}. Balance the choices of some of: {_ids(keyed)}")]
    if rate < HUB_FLOOR:
        cue = (
            "'strike the choice the others are built from' is safe"
            if which == "hub"
            else "'strike the odd one out' is safe"
        )
        rest = [i for i in among if i not in keyed]
        return [Problem(source, f"{head}: {cue}. Balance the choices of some of: {_ids(rest)}")]
    return []


def convergence_problems(report: dict[str, ConvergenceTally], source: str) -> list[Problem]:
    out: list[Problem] = []
    for exam, t in sorted(report.items()):
        out += _band(source, exam, "hub", t.hub_keys, t.hub_ids, t.hubs)
        out += _band(source, exam, "stray", t.stray_keys, t.stray_ids, t.strays)
    return out
