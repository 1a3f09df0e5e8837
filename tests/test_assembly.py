"""Exam assembly: exact section counts, no repeats, seeds, scenario series, short pools."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certprep.core.assembly import (
    AssemblyError,
    PoolItem,
    ShortPoolError,
    assemble,
    form_counts,
    scale_counts,
    time_limit_s,
)
from certprep.core.models import Blueprint
from certprep.core.scoring import ScoredAnswer, format_duration, score, wilson_interval

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def blueprint(counts: dict[str, int], pretest: int = 0, pass_note: str | None = None) -> Blueprint:
    return Blueprint.model_validate(
        {
            "key": "tst",
            "name": "Test exam",
            "questions": sum(counts.values()),
            "time_limit_minutes": 60,
            "pass_mark": 0.7,
            "pass_note": pass_note,
            "pretest_questions": pretest,
            "sections": [
                {"key": k, "title": f"Section {k}", "questions": n} for k, n in counts.items()
            ],
        }
    )


@st.composite
def exam_setups(draw: st.DrawFn) -> tuple[Blueprint, list[PoolItem], dict[str, datetime | None]]:
    """A blueprint and a pool: standalone items and scenario series, some seen, some short."""
    n_sections = draw(st.integers(1, 4))
    keys = [f"s{i}" for i in range(n_sections)]
    counts = {k: draw(st.integers(0, 8)) for k in keys}
    if sum(counts.values()) == 0:
        counts[keys[0]] = 1
    pool: list[PoolItem] = []
    pos = 0
    for k in [*keys, "other"]:
        n_units = draw(st.integers(0, 12))
        for u in range(n_units):
            size = draw(st.sampled_from([1, 1, 1, 2, 3, 4]))
            case = f"{k}-case{u}" if size > 1 else None
            for _ in range(size):
                n_choices = draw(st.integers(2, 6))
                pool.append(
                    PoolItem(
                        id=f"i{pos}",
                        section=k,
                        case=case,
                        position=pos,
                        choice_keys=tuple("abcdef"[:n_choices]),
                        pin_choices=draw(st.booleans()),
                    )
                )
                pos += 1
    seen: dict[str, datetime | None] = {}
    for p in pool:
        hours = draw(st.none() | st.integers(0, 5))
        seen[p.id] = None if hours is None else T0 + timedelta(hours=hours)
    pool = draw(st.permutations(pool))
    pretest = draw(st.integers(0, 1)) if sum(counts.values()) > 1 else 0
    return blueprint(counts, pretest=pretest), list(pool), seen


def _check_series(form_ids: list[str], pool: list[PoolItem]) -> None:
    by_id = {p.id: p for p in pool}
    cases: dict[str, list[int]] = {}
    for i, item_id in enumerate(form_ids):
        case = by_id[item_id].case
        if case is not None:
            cases.setdefault(case, []).append(i)
    for case, idx in cases.items():
        # together: consecutive places in the form
        assert idx == list(range(idx[0], idx[0] + len(idx))), case
        members = sorted((p for p in pool if p.case == case), key=lambda p: p.position)
        drawn = [form_ids[i] for i in idx]
        # in bank order, and whole (or, when only part of a series fits, its opening part)
        assert drawn == [m.id for m in members[: len(drawn)]], case


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setup=exam_setups(), seed=st.integers(0, 2**31), unseen_only=st.booleans())
def test_assembly_properties(setup, seed: int, unseen_only: bool) -> None:
    bp, pool, seen = setup
    counts = {s.key: s.questions for s in bp.sections}
    seen_cases = {p.case for p in pool if p.case and seen[p.id]}
    eligible = Counter(
        p.section
        for p in pool
        if p.section in counts and not (unseen_only and (seen[p.id] or p.case in seen_cases))
    )
    try:
        form = assemble(bp, pool, seed=seed, last_seen=seen, unseen_only=unseen_only)
    except ShortPoolError as exc:
        short = {s.section: s for s in exc.shortfalls}
        expected = {k for k, n in counts.items() if eligible[k] < n}
        assert set(short) == expected
        for k, s in short.items():
            assert s.wanted == counts[k] and s.available == eligible[k]
            assert s.missing == counts[k] - eligible[k]
        if exc.suggestion is not None:
            assert all(exc.suggestion[k] <= eligible[k] for k in exc.suggestion)
            assert sum(exc.suggestion.values()) < sum(counts.values())
            # the suggestion really draws
            shorter = assemble(
                bp,
                pool,
                seed=seed,
                last_seen=seen,
                unseen_only=unseen_only,
                questions=exc.suggested_questions,
            )
            assert shorter.size == exc.suggested_questions
        return
    assert all(eligible[k] >= n for k, n in counts.items())
    ids = [q.item_id for q in form.questions]
    by_id = {p.id: p for p in pool}
    # exact section counts, never filled from another section
    assert Counter(q.section for q in form.questions) == +Counter(counts)
    assert all(by_id[i].section == q.section for i, q in zip(ids, form.questions, strict=True))
    assert len(ids) == len(set(ids))  # no item twice
    if unseen_only:
        assert all(seen[i] is None and by_id[i].case not in seen_cases for i in ids)
    _check_series(ids, pool)
    for q in form.questions:
        p = by_id[q.item_id]
        assert sorted(q.choice_order) == sorted(p.choice_keys)
        if p.pin_choices:
            assert q.choice_order == p.choice_keys
    assert sum(q.pretest for q in form.questions) == (
        0 if not bp.pretest_questions else min(round(form.size / bp.questions), form.size - 1)
    )
    # reproducible by seed, whatever the order the pool comes in
    again = assemble(bp, list(reversed(pool)), seed=seed, last_seen=seen, unseen_only=unseen_only)
    assert again == form


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(0, 40), min_size=1, max_size=8).filter(lambda c: sum(c) > 0),
    total=st.integers(1, 200),
)
def test_scaling_is_exact_and_proportional(counts: list[int], total: int) -> None:
    named = {f"s{i}": n for i, n in enumerate(counts)}
    scaled = scale_counts(named, total)
    assert sum(scaled.values()) == total
    whole = sum(counts)
    for k, n in named.items():
        assert abs(scaled[k] - n * total / whole) < 1  # largest remainder: off by less than one


def test_least_recently_seen_first() -> None:
    bp = blueprint({"a": 3})
    pool = [PoolItem(f"i{i}", "a", position=i) for i in range(6)]
    seen: dict[str, datetime | None] = {
        "i0": T0 + timedelta(days=5),
        "i1": T0 + timedelta(days=1),
        "i2": None,
        "i3": T0 + timedelta(days=3),
        "i4": T0 + timedelta(days=2),
        "i5": T0 + timedelta(days=4),
    }
    form = assemble(bp, pool, seed=1, last_seen=seen)
    assert {q.item_id for q in form.questions} == {"i2", "i1", "i4"}
    unseen = assemble(bp, pool, seed=1, last_seen=seen, unseen_only=True, questions=1)
    assert [q.item_id for q in unseen.questions] == ["i2"]


def test_short_pool_lists_sections_and_suggests_a_form() -> None:
    bp = blueprint({"a": 10, "b": 10, "c": 5})
    pool = [PoolItem(f"a{i}", "a", position=i) for i in range(10)]
    pool += [PoolItem(f"b{i}", "b", position=100 + i) for i in range(4)]
    pool += [PoolItem(f"c{i}", "c", position=200 + i) for i in range(2)]
    with pytest.raises(ShortPoolError) as err:
        assemble(bp, pool, seed=3)
    exc = err.value
    assert [(s.section, s.missing) for s in exc.shortfalls] == [("b", 6), ("c", 3)]
    assert "section b: needs 10, has 4 items (6 short)" in str(exc)
    assert exc.suggestion == {"a": 5, "b": 4, "c": 2}
    assert exc.suggested_questions == 11
    assert assemble(bp, pool, seed=3, questions=11).section_counts == exc.suggestion


def test_sections_and_questions_options() -> None:
    bp = blueprint({"a": 50, "b": 30, "c": 20})
    assert form_counts(bp, questions=10) == {"a": 5, "b": 3, "c": 2}
    assert form_counts(bp, sections=["c", "a"], questions=7) == {"a": 5, "c": 2}
    with pytest.raises(AssemblyError, match="no section zz"):
        form_counts(bp, sections=["zz"])
    with pytest.raises(AssemblyError):
        form_counts(bp, questions=0)
    assert time_limit_s(bp, 100) == 3600 and time_limit_s(bp, 10) == 360


def test_series_longer_than_the_gap_opens_in_order() -> None:
    bp = blueprint({"a": 2})
    pool = [PoolItem(f"i{i}", "a", case="k", position=i) for i in range(4)]
    form = assemble(bp, pool, seed=9)
    assert [q.item_id for q in form.questions] == ["i0", "i1"]


def test_pretest_marked_in_a_ccs_shaped_blueprint() -> None:
    bp = blueprint({"a": 60, "b": 47}, pretest=10)
    pool = [PoolItem(f"i{i}", "a" if i < 70 else "b", position=i) for i in range(130)]
    form = assemble(bp, pool, seed=5)
    assert form.size == 107 and sum(q.pretest for q in form.questions) == 10
    small = assemble(bp, pool, seed=5, questions=20)
    assert sum(q.pretest for q in small.questions) == 2


def test_scoring_raw_pass_fail_and_honest_pass_line() -> None:
    bp = blueprint({"a": 2, "b": 2})
    answers = [
        ScoredAnswer("a", True, time_spent_s=10),
        ScoredAnswer("a", False, time_spent_s=30),
        ScoredAnswer("b", True, time_spent_s=20),
        ScoredAnswer("b", None),
        ScoredAnswer("b", False, pretest=True),
    ]
    s = score(bp, answers, time_used_s=60, time_limit_s=3600)
    assert (s.right, s.total, s.unanswered, s.pretest) == (2, 4, 1, 1)
    assert [(x.key, x.right, x.total) for x in s.sections] == [("a", 1, 2), ("b", 1, 2)]
    assert not s.passed and s.pass_line is None
    assert s.per_question_s == 12 and s.slowest_s == 30
    ccs = blueprint({"a": 97}, pass_note="scaled 300; 0.70 is our stand-in")
    s = score(ccs, [ScoredAnswer("a", i < 68) for i in range(97)])
    assert s.passed and s.pass_line is not None
    assert s.pass_line.verdict == "too_close"
    assert "68/97 = 70%" in s.pass_line.statement and "not a scaled score" in s.pass_line.statement
    low, high = wilson_interval(68, 97)
    assert low < 0.7 < high
    assert type(s).from_dict(s.to_dict()) == s
    assert s.to_dict()["score"] == pytest.approx(68 / 97)
    assert format_duration(4 * 3600) == "4:00:00" and format_duration(1799.2) == "0:30:00"
