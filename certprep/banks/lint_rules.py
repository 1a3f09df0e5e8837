"""Cross-bank item-writing rules: near-duplicate stems (and, from lint_cues, the form cues).

These rules look at many banks at once (an exam draws its forms from all of them), so they run
after every file has been read, on the items of all the files being checked.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import pairwise

from certprep.banks.lint_cues import (  # noqa: F401  (re-exported)
    LONGEST_ANSWER_FLOOR,
    LONGEST_ANSWER_LIMIT,
    LONGEST_ANSWER_MIN_ITEMS,
    LongestAnswerReport,
    LongestTally,
    is_prose_item,
    key_is_longest,
    key_is_shortest,
    longest_answer_report,
)
from certprep.core.models import Bank, Item
from certprep.core.problems import Problem

# -- near-duplicates --------------------------------------------------------------------------
#: stems this similar (numbers folded) whose keyed answers also agree test the same thing
STEM_NEAR = 0.45
KEY_NEAR = 0.60
#: stems this similar word for word (numbers kept) are the same question whatever their keys
STEM_SAME = 0.95
#: a word pair found in more stems than this says nothing about which items are alike
_BIGRAM_CAP = 100
#: banks `certprep banks build-codesets` writes: template drills, alike by design and kept for
#: review and topic drills, so they are left out of the near-duplicate rule
GENERATED_BANK_PREFIX = "codeset-"

_STOP = frozenset(
    {
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
    }
)
_STEM_TOKEN_RE = re.compile(r"[a-z0-9#][a-z0-9#.']*")
# ages, amounts, counts and percentages; not codes (J39.8, E11.331, 99213 keep their digits)
_NUMBER_RE = re.compile(r"(?<![A-Za-z0-9.])\d{1,4}(?:,\d{3})*(?:\.\d+)?(?![A-Za-z0-9])")
_KEY_TOKEN_RE = re.compile(r"[a-z0-9$][a-z0-9.$%'-]*[a-z0-9%]|[a-z0-9]")


def _stem_tokens(text: str, fold_numbers: bool) -> list[str]:
    """Casefolded content words; with fold_numbers, every number is '#' (a changed age matches)."""
    text = text.casefold()
    if fold_numbers:
        text = _NUMBER_RE.sub("#", text)
    return [w.rstrip(".") for w in _STEM_TOKEN_RE.findall(text) if w not in _STOP]


def _key_tokens(item: Item) -> list[str]:
    """The keyed answer's words and codes (numbers kept: 99203 is not 99213)."""
    text = " ".join(c.text for c in item.choices if c.correct) or " ".join(item.codes)
    return [w for w in _KEY_TOKEN_RE.findall(text.casefold()) if w not in _STOP]


def _ratio(a: Sequence[str], b: Sequence[str]) -> float:
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


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
    folded: list[str]
    raw: list[str]
    folded_set: frozenset[str]
    raw_set: frozenset[str]
    key: list[str]
    bigrams: frozenset[tuple[str, str]]


def _entries(banks: Iterable[tuple[Bank, str]]) -> list[_Entry]:
    out: list[_Entry] = []
    for bank, source in banks:
        if bank.name.startswith(GENERATED_BANK_PREFIX):
            continue
        case_text = {c.id: c.text for c in bank.cases}
        for item in bank.items:
            text = item.stem
            if item.case:
                text = case_text.get(item.case, "") + " " + text
            folded = _stem_tokens(text, fold_numbers=True)
            raw = _stem_tokens(text, fold_numbers=False)
            out.append(
                _Entry(
                    item,
                    source,
                    frozenset(item.exams or bank.exams),
                    folded,
                    raw,
                    frozenset(folded),
                    frozenset(raw),
                    _key_tokens(item),
                    frozenset(pairwise(folded)),
                )
            )
    return out


def _candidates(entries: list[_Entry]) -> Iterable[tuple[int, int]]:
    """Pairs sharing an uncommon word pair (an inverted index; common pairs are skipped)."""
    postings: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, e in enumerate(entries):
        for g in e.bigrams:
            postings[g].append(i)
    seen: set[tuple[int, int]] = set()
    for posting in postings.values():
        if len(posting) < 2 or len(posting) > _BIGRAM_CAP:
            continue
        for x, i in enumerate(posting):
            for j in posting[x + 1 :]:
                if (i, j) not in seen:
                    seen.add((i, j))
                    yield i, j


def near_duplicates(banks: Iterable[tuple[Bank, str]]) -> list[tuple[NearDuplicate, str]]:
    """Pairs of items one form could draw together that ask the same thing.

    Stems are compared as sequences of content words (case text included for case items). A
    pair is reported when the stems are alike with numbers folded (>= STEM_NEAR) and the keyed
    answers agree (>= KEY_NEAR): rewording the same facts makes no new item, while changing
    the facts so that the answer changes does. A pair whose stems are the same word for word,
    numbers included (>= STEM_SAME), is reported whatever the keys say.
    """
    entries = _entries(banks)
    found: list[tuple[NearDuplicate, str]] = []
    for i, j in _candidates(entries):
        a, b = entries[i], entries[j]
        if a.exams and b.exams and not a.exams & b.exams:
            continue
        if a.item.case and a.item.case == b.item.case and a.source == b.source:
            continue  # questions on one case are drawn together by design
        key = _ratio(a.key, b.key)
        if key >= KEY_NEAR and _jaccard(a.folded_set, b.folded_set) >= 0.2:
            stem = _ratio(a.folded, b.folded)
            if stem >= STEM_NEAR:
                found.append((NearDuplicate(a.item.id, b.item.id, stem, key), b.source))
                continue
        if _jaccard(a.raw_set, b.raw_set) >= 0.9:
            stem = _ratio(a.raw, b.raw)
            if stem >= STEM_SAME:
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
