"""Drawing an exam form from a pool of items, the way a blueprint says.

Pure functions of data: the pool, the learner's last-seen times and a seed. The same inputs
always give the same form. Nothing here fills one section from another: when a section's pool is
too small the caller gets a :class:`ShortPoolError` saying which sections and by how much, with a
shorter form that would fit.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from certprep.core.models import Blueprint


@dataclass(frozen=True)
class PoolItem:
    """What assembly needs to know of one item: never its wording."""

    id: str
    section: str
    case: str | None = None
    bank: int = 0  # which bank: items of a series are ordered by (bank, position)
    position: int = 0  # position in its bank
    choice_keys: tuple[str, ...] = ()  # written choice letters; empty for code entry
    pin_choices: bool = False  # keep the written order ("all of the above" …)


@dataclass(frozen=True)
class FormQuestion:
    """One question of a form: the item, its section, its choice order, whether it is scored."""

    item_id: str
    section: str
    case: str | None
    choice_order: tuple[str, ...]
    pretest: bool = False


@dataclass(frozen=True)
class Form:
    """An exam form: questions in the order they are asked."""

    seed: int
    questions: tuple[FormQuestion, ...]
    section_counts: dict[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.questions)


class AssemblyError(ValueError):
    """A form cannot be drawn as asked (unknown section, nonsense question count…)."""


@dataclass(frozen=True)
class Shortfall:
    """A section whose pool holds fewer items than the form asks of it."""

    section: str
    wanted: int
    available: int

    @property
    def missing(self) -> int:
        return self.wanted - self.available


class ShortPoolError(AssemblyError):
    """The pool is too small for some sections; ``suggestion`` is the longest form that fits."""

    def __init__(
        self,
        shortfalls: list[Shortfall],
        suggestion: dict[str, int] | None,
        *,
        unseen_only: bool = False,
    ) -> None:
        self.shortfalls = shortfalls
        self.suggestion = suggestion
        self.unseen_only = unseen_only
        super().__init__(self.describe())

    @property
    def suggested_questions(self) -> int | None:
        """The question count of the suggested shorter form, if any form fits."""
        return sum(self.suggestion.values()) if self.suggestion else None

    def describe(self) -> str:
        kind = "unseen items" if self.unseen_only else "items"
        lines = [
            f"section {s.section}: needs {s.wanted}, has {s.available} {kind} ({s.missing} short)"
            for s in self.shortfalls
        ]
        return "the question pool is too small: " + "; ".join(lines)


def scale_counts(counts: Mapping[str, int], total: int) -> dict[str, int]:
    """Section counts scaled to ``total`` questions by largest remainder (ties: first section)."""
    if total < 0:
        raise AssemblyError("a form needs a positive number of questions")
    whole = sum(counts.values())
    if whole == 0:
        return {k: 0 for k in counts}
    quotas = {k: v * total / whole for k, v in counts.items()}
    out = {k: math.floor(q) for k, q in quotas.items()}
    left = total - sum(out.values())
    order = sorted(counts, key=lambda k: (-(quotas[k] - out[k]), list(counts).index(k)))
    for k in order[:left]:
        out[k] += 1
    return out


def form_counts(
    blueprint: Blueprint,
    *,
    sections: Sequence[str] | None = None,
    questions: int | None = None,
) -> dict[str, int]:
    """How many questions each section gets: the blueprint's, restricted and scaled as asked."""
    counts = {s.key: s.questions for s in blueprint.sections}
    if sections:
        unknown = [k for k in sections if k not in counts]
        if unknown:
            raise AssemblyError(
                f"blueprint {blueprint.key} has no section {', '.join(unknown)}; "
                f"its sections are {', '.join(counts)}"
            )
        wanted = set(sections)
        counts = {k: v for k, v in counts.items() if k in wanted}
    if questions is not None:
        if questions < 1:
            raise AssemblyError("--questions must be at least 1")
        counts = scale_counts(counts, questions)
    if sum(counts.values()) == 0:
        raise AssemblyError("the form would have no questions")
    return counts


def pretest_count(blueprint: Blueprint, form_size: int) -> int:
    """Unscored pretest questions in a form of this size, in the blueprint's proportion."""
    if blueprint.pretest_questions <= 0 or form_size <= 1:
        return 0
    n = round(blueprint.pretest_questions * form_size / blueprint.questions)
    return max(0, min(n, form_size - 1))


def time_limit_s(blueprint: Blueprint, form_size: int) -> int:
    """The time allowed for a form of this size: the blueprint's pace, rounded up to a minute."""
    minutes = math.ceil(blueprint.time_limit_minutes * form_size / blueprint.questions)
    return max(1, minutes) * 60


def suggest_counts(
    counts: Mapping[str, int], available: Mapping[str, int]
) -> dict[str, int] | None:
    """The longest proportional form (scaled like ``--questions``) every section can fill."""
    for total in range(sum(counts.values()) - 1, 0, -1):
        scaled = scale_counts(counts, total)
        if all(n <= available.get(k, 0) for k, n in scaled.items()):
            return scaled
    return None


# -- drawing ---------------------------------------------------------------------------------


@dataclass
class _Unit:
    """A standalone item, or a scenario series that travels as one block."""

    items: list[PoolItem]
    last_seen: datetime | None
    tiebreak: float

    @property
    def size(self) -> int:
        return len(self.items)


def _units(
    items: Iterable[PoolItem], last_seen: Mapping[str, datetime | None], rng: random.Random
) -> list[_Unit]:
    series: dict[str, list[PoolItem]] = {}
    units: list[_Unit] = []
    for it in items:
        if it.case is None:
            units.append(_Unit([it], last_seen.get(it.id), 0.0))
        else:
            series.setdefault(it.case, []).append(it)
    for members in series.values():
        seen = [t for t in (last_seen.get(m.id) for m in members) if t is not None]
        units.append(_Unit(members, max(seen) if seen else None, 0.0))
    # a fixed order before the random draws, so the pool's input order does not matter
    units.sort(key=lambda u: (u.items[0].bank, u.items[0].position, u.items[0].id))
    for u in units:
        u.tiebreak = rng.random()
    return units


def _recency_key(u: _Unit) -> tuple[int, float, float]:
    # never seen first, then the longest ago; ties broken by the seeded draw
    if u.last_seen is None:
        return (0, 0.0, u.tiebreak)
    return (1, u.last_seen.timestamp(), u.tiebreak)


def _exact_subset(units: list[_Unit], target: int) -> list[int] | None:
    """Indexes of units whose sizes add up to ``target``, preferring early units."""
    # reach[s] = indexes reaching sum s; scanning in priority order keeps early units
    reach: dict[int, list[int]] = {0: []}
    for i, u in enumerate(units):
        for s, chosen in sorted(reach.items(), reverse=True):
            t = s + u.size
            if t <= target and t not in reach:
                reach[t] = [*chosen, i]
        if target in reach:
            return reach[target]
    return None


def _pick(units: list[_Unit], want: int) -> list[_Unit]:
    """Exactly ``want`` items from units in priority order, series kept whole where possible.

    Greedy by priority; if series sizes leave a gap, fill it with an exact subset of the units
    left, and only as a last resort with the opening part of one series (still in order).
    """
    chosen: list[_Unit] = []
    rest: list[_Unit] = []
    left = want
    for u in units:
        if u.size <= left:
            chosen.append(u)
            left -= u.size
        else:
            rest.append(u)
    if left == 0:
        return chosen
    subset = _exact_subset(rest, left)
    if subset is not None:
        return chosen + [rest[i] for i in subset]
    # every unit left is a series longer than the gap: take the opening questions of one
    head = rest[0]
    return [*chosen, _Unit(head.items[:left], head.last_seen, head.tiebreak)]


def assemble(
    blueprint: Blueprint,
    pool: Iterable[PoolItem],
    *,
    seed: int,
    last_seen: Mapping[str, datetime | None] | None = None,
    unseen_only: bool = False,
    sections: Sequence[str] | None = None,
    questions: int | None = None,
    choices: Callable[[list[str]], Mapping[str, tuple[tuple[str, ...], bool]]] | None = None,
) -> Form:
    """Draw a form: exact section counts, least recently seen first, series kept together.

    Sections come in blueprint order; inside a section the drawn units are shuffled, a series
    keeps its bank order; choices are shuffled unless the item pins them. With the blueprint's
    pretest share, that many randomly placed questions are marked unscored.
    Raises :class:`ShortPoolError` when a section cannot be filled from its own items.
    ``choices`` (item ids -> (choice keys, pinned)), when given, is asked for the drawn items'
    choices instead of the pool items' ``choice_keys``/``pin_choices`` (the caller then reads
    only the drawn items' choices); the form is the same either way.
    """
    seen = dict(last_seen or {})
    counts = form_counts(blueprint, sections=sections, questions=questions)
    rng = random.Random(seed)
    by_section: dict[str, list[PoolItem]] = {k: [] for k in counts}
    ids: set[str] = set()
    items = sorted(pool, key=lambda p: (p.bank, p.position, p.id))
    # unseen only: a scenario counts as seen once any of its questions was
    seen_cases = {it.case for it in items if it.case and seen.get(it.id) is not None}
    for it in items:
        if it.section not in by_section or it.id in ids:
            continue
        if unseen_only and (seen.get(it.id) is not None or it.case in seen_cases):
            continue
        ids.add(it.id)
        by_section[it.section].append(it)
    available = {k: len(v) for k, v in by_section.items()}
    short = [Shortfall(k, n, available[k]) for k, n in counts.items() if available[k] < n]
    if short:
        raise ShortPoolError(short, suggest_counts(counts, available), unseen_only=unseen_only)

    drawn: list[PoolItem] = []
    for key, want in counts.items():
        if want == 0:
            continue
        units = sorted(_units(by_section[key], seen, rng), key=_recency_key)
        picked = _pick(units, want)
        rng.shuffle(picked)
        for u in picked:
            drawn.extend(u.items)

    n_pretest = pretest_count(blueprint, len(drawn))
    pretest = set(rng.sample(range(len(drawn)), n_pretest)) if n_pretest else set()
    looked = choices([it.id for it in drawn]) if choices is not None else None
    out = []
    for i, it in enumerate(drawn):
        keys, pinned = (
            (it.choice_keys, it.pin_choices) if looked is None else looked.get(it.id, ((), False))
        )
        order = list(keys)
        if not pinned:
            rng.shuffle(order)
        out.append(FormQuestion(it.id, it.section, it.case, tuple(order), i in pretest))
    return Form(seed, tuple(out), {k: v for k, v in counts.items() if v})
