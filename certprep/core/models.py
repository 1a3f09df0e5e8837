"""The nouns of a question bank: items, choices, cases, banks and blueprints.

These pydantic models are the single definition of the native bank format. The shipped banks,
imported files and the JSON Schema printed by ``certprep banks schema`` all come from here.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from certprep.core.text import has_controls, visible, visible_or_none

BANK_FORMAT = "certprep-bank/1"
BLUEPRINT_FORMAT = "certprep-blueprint/1"

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,119}$"
KEY_PATTERN = r"^[a-z0-9][a-z0-9_\-]{0,63}$"
CHOICE_KEYS = "abcdef"

ItemId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
# Every free-text field goes through ``visible``: control characters (escape sequences) in bank
# text become visible stand-ins where they enter, so no terminal ever acts on them. Items (and
# their choices), validated a hundred thousand at a time, do it in one pass in Item's validator
# (``_clean_item_text``); the other models per field, with these types.
Text = Annotated[str, AfterValidator(visible)]
NonEmpty = Annotated[
    str, StringConstraints(min_length=1, max_length=20_000), AfterValidator(visible)
]
Version = Annotated[str, StringConstraints(min_length=1, max_length=40), AfterValidator(visible)]
# the same checks, cleaned by Item's validator
LongText = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
Topic = Annotated[str, StringConstraints(min_length=1, max_length=80)]
CodeText = Annotated[str, StringConstraints(min_length=1, max_length=16)]
Reference = Annotated[str, StringConstraints(min_length=1, max_length=300)]


class ItemKind(StrEnum):
    """What the learner does with an item."""

    SINGLE = "single"  # single best answer, 2-6 choices, one correct
    MULTIPLE = "multiple"  # multiple response, the stem says how many are right
    CODE = "code"  # type one or more codes
    TRUE_FALSE = "true_false"
    FLASHCARD = "flashcard"  # front (stem) / back, self-graded


_SINGLE, _MULTIPLE, _TRUE_FALSE = ItemKind.SINGLE, ItemKind.MULTIPLE, ItemKind.TRUE_FALSE
_CODE, _FLASHCARD = ItemKind.CODE, ItemKind.FLASHCARD


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Choice(_Strict):
    """One answer option. ``key`` is its letter; the display order may be shuffled per attempt."""

    key: Annotated[str, StringConstraints(pattern=r"^[a-f]$")]
    text: LongText  # cleaned by Item's validator
    correct: bool = False
    rationale: str | None = None


class Case(_Strict):
    """A scenario shared by a series of items (a medical record followed by several questions)."""

    id: ItemId
    title: Text | None = None
    text: NonEmpty


class Item(_Strict):
    """One question or flashcard."""

    id: ItemId
    kind: ItemKind = ItemKind.SINGLE
    exams: list[Key] = Field(default_factory=list)
    section: Key
    topics: list[Topic] = Field(default_factory=list)
    stem: LongText
    choices: list[Choice] = Field(default_factory=list)
    # code entry: the codes that make a right answer; alternatives are other accepted sets
    codes: list[CodeText] = Field(default_factory=list)
    alternatives: list[list[str]] = Field(default_factory=list)
    ordered: bool = False  # code entry: sequencing matters
    # code entry with several codes: each right code earns its share of the point in an exam,
    # a wrong extra code takes a share back (CCS-style record coding); never below zero
    partial_credit: bool = False
    back: str | None = None  # flashcard answer side
    rationale: LongText
    references: list[Reference] = Field(min_length=1)
    code_set_year: int | None = Field(default=None, ge=2015, le=2100)
    case: ItemId | None = None  # id of a Case in the same bank; items of a case stay in order
    pin_choices: bool = False  # keep the written order ("all of the above" etc.)
    difficulty: Annotated[int, Field(ge=1, le=5)] | None = None

    @model_validator(mode="after")
    def _check_kind(self) -> Item:
        # one validator, not several, and one pass over the choices for the text check and
        # another for the rules: bulk imports validate a hundred thousand of these
        choices = self.choices
        texts = [self.stem, self.rationale, self.back or "", *self.topics, *self.references]
        texts += self.codes
        for alt in self.alternatives:
            texts += alt
        for c in choices:
            texts.append(c.text)
            if c.rationale:
                texts.append(c.rationale)
        if has_controls("\n".join(texts)):  # (one search over every text field)
            self._clean_item_text()
        if len(self.exams) > 1:
            self.exams = list(dict.fromkeys(self.exams))
        if len(self.topics) > 1:
            self.topics = list(dict.fromkeys(self.topics))
        kind = self.kind
        n_choices = len(choices)
        n_correct = 0
        if n_choices:
            if len({c.key for c in choices}) != n_choices:
                raise ValueError("choice keys must be unique")
            if len({c.text.casefold() for c in choices}) != n_choices:
                raise ValueError("two choices have the same text")
            n_correct = sum([c.correct for c in choices])
        if kind is _SINGLE or kind is _MULTIPLE or kind is _TRUE_FALSE:
            if self.codes or self.back:
                raise ValueError(f"a {kind} item has choices, not codes or back")
            if kind is _SINGLE:
                if not 2 <= n_choices <= 6:
                    raise ValueError("a single-answer item needs 2 to 6 choices")
                if n_correct != 1:
                    raise ValueError(
                        f"a single-answer item needs exactly one correct choice, got {n_correct}"
                    )
            elif kind is _MULTIPLE:
                if not 3 <= n_choices <= 6:
                    raise ValueError("a multiple-response item needs 3 to 6 choices")
                if not 2 <= n_correct < n_choices:
                    raise ValueError(
                        "a multiple-response item needs at least 2 correct choices and one "
                        "wrong one"
                    )
            elif n_choices != 2 or n_correct != 1:
                raise ValueError("a true/false item has exactly two choices, one correct")
        elif kind is _CODE:
            if choices or self.back:
                raise ValueError("a code-entry item has codes, not choices or back")
            if not self.codes:
                raise ValueError("a code-entry item needs at least one code in 'codes'")
            if self.partial_credit and len(self.codes) < 2:
                raise ValueError("partial credit needs a code-entry item with two or more codes")
        if self.partial_credit and kind is not _CODE:
            raise ValueError("partial credit is for code-entry items")
        if kind is _FLASHCARD:
            if choices or self.codes:
                raise ValueError("a flashcard has a back, not choices or codes")
            if not self.back:
                raise ValueError("a flashcard needs a 'back'")
        return self

    def _clean_item_text(self) -> None:
        """Make control characters visible in every text field of the item and its choices
        (``_check_kind`` calls it when one search over all of them found one)."""
        self.stem = visible(self.stem)
        self.rationale = visible(self.rationale)
        self.back = visible_or_none(self.back)
        self.topics = [visible(t) for t in self.topics]
        self.references = [visible(r) for r in self.references]
        self.codes = [visible(c) for c in self.codes]
        self.alternatives = [[visible(c) for c in alt] for alt in self.alternatives]
        for c in self.choices:
            c.text = visible(c.text)
            c.rationale = visible_or_none(c.rationale)

    @property
    def correct_keys(self) -> list[str]:
        """Letters of the correct choices, in written order."""
        return [c.key for c in self.choices if c.correct]

    @property
    def answer_count(self) -> int:
        """How many answers the learner must give (shown on multiple-response items)."""
        if self.kind is ItemKind.CODE:
            return len(self.codes)
        return max(1, len(self.correct_keys))

    def content_hash(self) -> str:
        """A digest of everything the learner sees; changes when the wording changes."""
        return payload_hash(self.model_dump_json(exclude_none=True))


def payload_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class BankHeader(_Strict):
    """What a bank file says about itself."""

    format: str = BANK_FORMAT
    name: Key
    version: Version = "1"
    title: Text | None = None
    description: Text | None = None
    exams: list[Key] = Field(default_factory=list)
    code_set_year: int | None = Field(default=None, ge=2015, le=2100)
    license: Text | None = None
    source: Text | None = None
    # generated practice drills: review and topic drills only, in a mock form only when asked
    drills: bool = False

    @field_validator("format")
    @classmethod
    def _known_format(cls, v: str) -> str:
        if v != BANK_FORMAT:
            raise ValueError(f"unknown bank format {v!r}; expected {BANK_FORMAT!r}")
        return v


class Bank(BankHeader):
    """A named, versioned set of items (and the cases some of them share)."""

    cases: list[Case] = Field(default_factory=list)
    items: list[Item] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_bank(self) -> Bank:
        found = repeated_ids(self.items, set())
        if found:
            raise ValueError(found[0])
        case_ids = [c.id for c in self.cases]
        if len(case_ids) != len(set(case_ids)):
            raise ValueError("two cases share an id")
        found = place_items(self.items, set(case_ids), self.exams, self.code_set_year)
        if found:
            raise ValueError(found[0])
        return self


def repeated_ids(items: list[Item], seen: set[str]) -> list[str]:
    """Items whose id is in ``seen`` or comes twice, in a bank's words; ``seen`` takes them all
    (a bank read a batch at a time passes the same set for every batch)."""
    found = []
    for item in items:
        if item.id in seen:
            found.append(f"item id {item.id!r} appears twice")
        seen.add(item.id)
    return found


def place_items(
    items: list[Item], case_ids: set[str], exams: list[str], year: int | None
) -> list[str]:
    """Give items their bank's defaults (exams, code-set year) and say which refer to a case
    the bank has not, then which still name no exam."""
    found = []
    for item in items:
        if item.case is not None and item.case not in case_ids:
            found.append(f"item {item.id!r} refers to case {item.case!r}, not in this bank")
        if not item.exams and exams:
            item.exams = list(exams)
        if item.code_set_year is None and year is not None:
            item.code_set_year = year
    for item in items:
        if not item.exams:
            found.append(f"item {item.id!r} names no exam and the bank has no default")
    return found


class BlueprintSection(_Strict):
    """A part of an exam with its share of the questions."""

    key: Key
    title: NonEmpty
    questions: int = Field(ge=0)
    confirmed: bool = True  # False where the published figure could not be confirmed
    note: Text | None = None


class Blueprint(_Strict):
    """The shape of a certification exam, as data."""

    format: str = BLUEPRINT_FORMAT
    key: Key
    name: NonEmpty
    body: Text | None = None  # AAPC, AHIMA, ...
    questions: int = Field(gt=0)
    time_limit_minutes: int = Field(gt=0)
    pass_mark: float = Field(gt=0, le=1)  # fraction of scored questions
    pass_note: Text | None = None  # e.g. CCS's scaled score: how to read the raw estimate
    warnings_minutes: list[int] = Field(default_factory=lambda: [30, 5])
    pretest_questions: int = Field(default=0, ge=0)
    item_kinds: list[ItemKind] = Field(default_factory=lambda: [ItemKind.SINGLE])
    open_book: Text | None = None
    allow_back: bool = True
    sections: list[BlueprintSection] = Field(min_length=1)
    source: Text | None = None
    as_of: date | None = None
    notes: Text | None = None

    @model_validator(mode="after")
    def _counts_add_up(self) -> Blueprint:
        total = sum(s.questions for s in self.sections)
        if total != self.questions:
            raise ValueError(
                f"sections add up to {total} questions but the blueprint says {self.questions}"
            )
        keys = [s.key for s in self.sections]
        if len(keys) != len(set(keys)):
            raise ValueError("two sections share a key")
        if self.pretest_questions >= self.questions:
            raise ValueError("pretest questions must be fewer than all questions")
        return self

    def section(self, key: str) -> BlueprintSection | None:
        """The section with this key, if the blueprint has it."""
        return next((s for s in self.sections if s.key == key), None)

    @property
    def scored_questions(self) -> int:
        return self.questions - self.pretest_questions


_CODE_JUNK = re.compile(r"[\s.\-]")


def normalize_code(code: str) -> str:
    """Case, dots, hyphens and spaces do not matter when comparing typed codes."""
    return _CODE_JUNK.sub("", code).upper()


def code_answer_is_right(item: Item, given: list[str]) -> bool:
    """Whether the codes typed for a code-entry item are a right answer."""
    typed = [normalize_code(c) for c in given if normalize_code(c)]
    accepted = [item.codes, *item.alternatives]
    for option in accepted:
        want = [normalize_code(c) for c in option]
        if item.ordered:
            if typed == want:
                return True
        elif sorted(typed) == sorted(want):
            return True
    return False


def code_answer_credit(item: Item, given: list[str]) -> float:
    """The share of the point earned by the codes typed for a code-entry item: 1.0 for a right
    answer; for a partial-credit item, the best over the accepted sets of (codes matched minus
    wrong extra codes) / codes wanted, never below 0. When sequencing matters the first code
    (the principal) earns its share only in the first place. Other items earn 1.0 or 0.0."""
    if code_answer_is_right(item, given):
        return 1.0
    if not item.partial_credit:
        return 0.0
    typed = list(dict.fromkeys(normalize_code(c) for c in given if normalize_code(c)))
    best = 0.0
    for option in [item.codes, *item.alternatives]:
        want = [normalize_code(c) for c in option]
        if not want:
            continue
        matched = len(set(typed) & set(want))
        if item.ordered and want[0] in typed and typed[0] != want[0]:
            matched -= 1  # the principal code typed, but not first
        extra = len(set(typed) - set(want))
        best = max(best, (matched - extra) / len(want))
    return min(1.0, max(0.0, best))


def split_codes(text: str) -> list[str]:
    """Codes typed in one box, separated by commas, semicolons or spaces."""
    return [c for c in re.split(r"[,;\s]+", text.strip()) if c]


def derive_item_id(prefix: str, *parts: Any) -> str:
    """A stable id from content, for items whose author gave none."""
    digest = hashlib.sha1("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:12]
    return f"{prefix}-{digest}"
