"""Cross-bank item-writing rules: the longest-answer cue and near-duplicate stems.

Both rules look at many banks at once (an exam draws its forms from all of them), so they run
after every file has been read, on the items of all the files being checked.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from certprep.core.models import Bank, Item, ItemKind
from certprep.core.problems import Problem

# -- longest answer ---------------------------------------------------------------------------
#: an exam whose keyed answers are the strictly longest choice more often than this fails
LONGEST_ANSWER_LIMIT = 0.30
#: fewer counted items than this in an exam: the rate is reported but not judged (too noisy)
LONGEST_ANSWER_MIN_ITEMS = 10

_WORD_RE = re.compile(r"[A-Za-z]{2,}")


def is_prose_item(item: Item) -> bool:
    """A single-best-answer item whose every choice is a phrase or sentence (2+ words).

    Choices that are codes ("99213-25, J45.909") or amounts ("$95.00") are left out: their
    length follows the answer, not the writer's habit of qualifying the key.
    """
    if item.kind is not ItemKind.SINGLE or len(item.choices) < 3:
        return False
    return all(len(_WORD_RE.findall(c.text)) >= 2 for c in item.choices)


def key_is_longest(item: Item) -> bool:
    """The keyed choice is strictly longer (in characters) than every other choice."""
    key = [len(c.text.strip()) for c in item.choices if c.correct]
    others = [len(c.text.strip()) for c in item.choices if not c.correct]
    return len(key) == 1 and all(key[0] > n for n in others)


@dataclass
class LongestTally:
    counted: int = 0
    longest: list[str] = field(default_factory=list)  # item ids whose key is the longest

    @property
    def rate(self) -> float:
        return len(self.longest) / self.counted if self.counted else 0.0

    def line(self, label: str) -> str:
        if not self.counted:
            return f"{label}: no items with phrase choices"
        return (
            f"{label}: key is the longest choice in {len(self.longest)} of {self.counted} "
            f"items with phrase choices ({self.rate:.0%})"
        )


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
            if tally.counted >= LONGEST_ANSWER_MIN_ITEMS and tally.rate > LONGEST_ANSWER_LIMIT:
                out.append(
                    Problem(
                        source,
                        f"exam {exam}: the keyed answer is the strictly longest choice in "
                        f"{len(tally.longest)} of {tally.counted} items ({tally.rate:.0%}); "
                        f"at most {LONGEST_ANSWER_LIMIT:.0%} is allowed. Make distractors as "
                        f"long and specific as the key, or trim the key: "
                        + ", ".join(tally.longest[:12])
                        + (" ..." if len(tally.longest) > 12 else ""),
                    )
                )
        return out


def longest_answer_report(banks: Iterable[Bank]) -> LongestAnswerReport:
    by_bank: dict[str, LongestTally] = defaultdict(LongestTally)
    by_exam: dict[str, LongestTally] = defaultdict(LongestTally)
    for bank in banks:
        for item in bank.items:
            if not is_prose_item(item):
                continue
            tallies = [by_bank[bank.name]] + [by_exam[e] for e in item.exams or bank.exams]
            for t in tallies:
                t.counted += 1
                if key_is_longest(item):
                    t.longest.append(item.id)
    return LongestAnswerReport(dict(by_bank), dict(by_exam))


# -- near-duplicates --------------------------------------------------------------------------
#: stems this similar are duplicates whatever their keys
STEM_SAME = 0.80
#: stems this similar whose keyed answers also agree test the same thing
STEM_NEAR = 0.45
KEY_NEAR = 0.60

_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "and",
        "or",
        "to",
        "in",
        "for",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "by",
        "on",
        "at",
        "with",
        "which",
        "what",
        "who",
        "whom",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "as",
        "from",
        "his",
        "her",
        "their",
        "he",
        "she",
        "they",
        "there",
        "not",
        "any",
        "other",
        "same",
        "one",
        "do",
        "does",
        "how",
        "should",
        "would",
        "will",
        "can",
        "may",
    ]
)
_STEM_TOKEN_RE = re.compile(r"[a-z#]+")
_KEY_TOKEN_RE = re.compile(r"[a-z0-9$][a-z0-9.$%'-]*[a-z0-9%]|[a-z0-9]")


def _stem_tokens(text: str) -> list[str]:
    """Casefolded content words, numbers folded to '#' so a changed age still matches."""
    text = re.sub(r"\d+(?:[.,]\d+)*", "#", text.casefold())
    return [w for w in _STEM_TOKEN_RE.findall(text) if w not in _STOP]


def _key_tokens(item: Item) -> list[str]:
    """The keyed answer's words and codes (numbers kept: 99203 is not 99213)."""
    text = " ".join(c.text for c in item.choices if c.correct) or " ".join(item.codes)
    return [w for w in _KEY_TOKEN_RE.findall(text.casefold()) if w not in _STOP]


def _ratio(a: Sequence[str], b: Sequence[str]) -> float:
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


@dataclass(frozen=True)
class NearDuplicate:
    first: str
    second: str
    stem_similarity: float
    key_similarity: float


@dataclass
class _Entry:
    item: Item
    source: str
    exams: frozenset[str]
    stem: list[str]
    words: frozenset[str]


def _entries(banks: Iterable[tuple[Bank, str]]) -> list[_Entry]:
    out: list[_Entry] = []
    for bank, source in banks:
        case_text = {c.id: c.text for c in bank.cases}
        for item in bank.items:
            text = item.stem
            if item.case:
                text = case_text.get(item.case, "") + " " + text
            tokens = _stem_tokens(text)
            exams = frozenset(item.exams or bank.exams)
            out.append(_Entry(item, source, exams, tokens, frozenset(tokens)))
    return out


def _candidates(entries: list[_Entry], min_jaccard: float) -> Iterable[tuple[int, int]]:
    """Pairs sharing enough words to be worth a sequence comparison (an inverted index)."""
    postings: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(entries):
        for w in e.words:
            postings[w].append(i)
    cap = max(50, len(entries) // 10)  # words in a tenth of all stems say nothing
    for i, e in enumerate(entries):
        shared: dict[int, int] = defaultdict(int)
        for w in e.words:
            posting = postings[w]
            if len(posting) > cap:
                continue
            for j in posting:
                if j < i:
                    shared[j] += 1
        for j in shared:
            other = entries[j]
            union = len(e.words | other.words)
            if union and len(e.words & other.words) / union >= min_jaccard:
                yield j, i


def near_duplicates(banks: Iterable[tuple[Bank, str]]) -> list[tuple[NearDuplicate, str]]:
    """Pairs of items one form could draw together that ask the same thing.

    Two stems are compared as sequences of content words (case text included for case items,
    numbers folded). A pair is reported when the stems are nearly the same (>= STEM_SAME), or
    alike (>= STEM_NEAR) and keyed to the same answer (>= KEY_NEAR): varying the facts so the
    answer changes makes a new item, rewording the same facts does not.
    """
    entries = _entries(banks)
    found: list[tuple[NearDuplicate, str]] = []
    for i, j in _candidates(entries, min_jaccard=0.2):
        a, b = entries[i], entries[j]
        if a.exams and b.exams and not a.exams & b.exams:
            continue
        if a.item.case and a.item.case == b.item.case and a.source == b.source:
            continue  # questions on one case are drawn together by design
        stem = _ratio(a.stem, b.stem)
        if stem < STEM_NEAR:
            continue
        key = _ratio(_key_tokens(a.item), _key_tokens(b.item))
        if stem >= STEM_SAME or key >= KEY_NEAR:
            found.append((NearDuplicate(a.item.id, b.item.id, stem, key), b.source))
    found.sort(key=lambda f: -f[0].stem_similarity)
    return found


def near_duplicate_problems(banks: Iterable[tuple[Bank, str]]) -> list[Problem]:
    return [
        Problem(
            source,
            f"near-duplicate of {d.first}: stems {d.stem_similarity:.0%} alike and keyed "
            f"answers {d.key_similarity:.0%} alike; rewrite one to test something else",
            record=d.second,
        )
        for d, source in near_duplicates(banks)
    ]
