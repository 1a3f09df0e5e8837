"""The fast paths (issue 22) give exactly what the plain queries give: home's counts per exam,
the review queue, and seeded form draws. Speed itself is measured in benchmarks/, never here."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from certprep.banks.importer import import_bank
from certprep.core.models import Bank
from certprep.services import Services
from certprep.services.review import ReviewFilter, due_by_exam, due_counts
from certprep.store.engine import writing
from certprep.store.tables import CARD, ITEM, ITEM_EXAM

pytestmark = pytest.mark.both_backends


def _bank(n: int, name: str = "mix") -> Bank:
    """Items over CPC and CPB sections; every fifth item is in both exams."""
    items = []
    for i in range(n):
        exams = ["cpc", "cpb"] if i % 5 == 0 else (["cpc"] if i % 2 else ["cpb"])
        items.append(
            {
                "id": f"{name}-{i:04d}",
                "exams": exams,
                "section": "icd10cm" if i % 3 else "compliance",
                "topics": [f"t{i % 4}"],
                "stem": f"Question {i}?",
                "choices": [
                    {"key": k, "text": f"option {k} {i}", "correct": k == "abcd"[i % 4]}
                    for k in "abcd"
                ],
                "rationale": "Because.",
                "references": ["Test reference"],
            }
        )
    return Bank.model_validate({"name": name, "items": items})


def _fill(services: Services, n: int, seed: int = 3) -> None:
    """Cards in every state (some suspended, buried, due or not), and a few retired items."""
    rng = random.Random(seed)
    now = services.clock()
    lid = services.learner_id
    rows = []
    for i in range(n):
        if rng.random() < 0.35:
            continue  # no card: new
        state = rng.choice([0, 1, 2, 2, 2, 3])
        due = now + timedelta(hours=rng.uniform(-48, 48)) if state else None
        rows.append(
            {
                "learner_id": lid,
                "item_id": f"mix-{i:04d}",
                "state": state,
                "step": 0,
                "stability": rng.uniform(0.5, 30) if state else None,
                "difficulty": 5.0 if state else None,
                "due": due,
                "last_review": now - timedelta(days=rng.uniform(0, 20)) if state else None,
                "reps": 1,
                "lapses": 0,
                "suspended": rng.random() < 0.08,
                "buried_until": (
                    now + timedelta(hours=rng.choice([-2, 5])) if rng.random() < 0.08 else None
                ),
            }
        )
    with writing(services.engine) as conn:
        conn.execute(sa.insert(CARD), rows)
        retired = [f"mix-{i:04d}" for i in range(n) if rng.random() < 0.07]
        conn.execute(sa.update(ITEM).where(ITEM.c.id.in_(retired)).values(retired=True))


def _live_items(services: Services) -> dict[str, int]:
    with services.engine.connect() as conn:
        return dict(
            conn.execute(
                sa.select(ITEM_EXAM.c.exam, sa.func.count())
                .select_from(ITEM_EXAM.join(ITEM, ITEM.c.id == ITEM_EXAM.c.item_id))
                .where(ITEM.c.retired.is_(False))
                .group_by(ITEM_EXAM.c.exam)
            ).all()
        )


def _learning(services: Services) -> dict[str, int]:
    now = services.clock()
    with services.engine.connect() as conn:
        return dict(
            conn.execute(
                sa.select(ITEM_EXAM.c.exam, sa.func.count())
                .select_from(
                    CARD.join(ITEM, ITEM.c.id == CARD.c.item_id).join(
                        ITEM_EXAM, ITEM_EXAM.c.item_id == CARD.c.item_id
                    )
                )
                .where(
                    ITEM.c.retired.is_(False),
                    CARD.c.state.in_((1, 3)),
                    CARD.c.suspended.is_(False),
                    sa.or_(CARD.c.buried_until.is_(None), CARD.c.buried_until <= now),
                )
                .group_by(ITEM_EXAM.c.exam)
            ).all()
        )


@pytest.mark.parametrize(("new_per_day", "reviews_per_day"), [(3, 4), (20, 200), (1000, 1000)])
def test_home_counts_per_exam_are_what_a_review_of_that_exam_offers(
    services: Services, new_per_day: int, reviews_per_day: int
) -> None:
    import_bank(services.engine, _bank(240), checksum="mix")
    _fill(services, 240)
    services.update_settings(new_per_day=new_per_day, reviews_per_day=reviews_per_day)
    rows = due_by_exam(services)
    assert [d.exam for d in rows] == ["cpb", "cpc"]
    items, learning = _live_items(services), _learning(services)
    for d in rows:
        assert d.offered == due_counts(services, ReviewFilter(exam=d.exam)), d.exam
        assert d.items == items[d.exam]
        assert d.learning == learning.get(d.exam, 0)
    home = {c.exam: c for c in services.exam_counts()}
    assert home["cpc"].items == items["cpc"] and home["cpc"].due_now == rows[1].offered.due
    if new_per_day == 3:  # the caps bind: every exam has more new and due cards than that
        assert all(d.offered.new == 3 and d.offered.review == 4 for d in rows)
    assert services.home_summary().total_items == len(
        {f"mix-{i:04d}" for i in range(240)}
    ) - _retired(services)


def _retired(services: Services) -> int:
    with services.engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).select_from(ITEM).where(ITEM.c.retired.is_(True))
            ).scalar_one()
        )


def test_an_exam_whose_items_are_all_retired_leaves_home(services: Services) -> None:
    import_bank(services.engine, _bank(40), checksum="mix")
    with writing(services.engine) as conn:
        only_cpb = sa.select(ITEM_EXAM.c.item_id).where(ITEM_EXAM.c.exam == "cpb")
        conn.execute(sa.update(ITEM).where(ITEM.c.id.in_(only_cpb)).values(retired=True))
    assert [d.exam for d in due_by_exam(services)] == ["cpc"]


def _cpc_bank(services: Services, per_section: int) -> list[str]:
    from tests.conftest import make_bank

    sections = tuple(s.key for s in services.blueprint("cpc").sections)
    bank = make_bank(per_section * len(sections), sections=sections)
    import_bank(services.engine, bank, checksum="g")
    with services.engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.select(ITEM.c.id).order_by(ITEM.c.id))]


def _see(services: Services, ids: list[str]) -> None:
    """Cards reviewed a day ago for these items: they are seen."""
    now = services.clock()
    with writing(services.engine) as conn:
        conn.execute(
            sa.insert(CARD),
            [
                {
                    "learner_id": services.learner_id,
                    "item_id": i,
                    "state": 2,
                    "stability": 5.0,
                    "difficulty": 5.0,
                    "due": now + timedelta(days=4),
                    "last_review": now - timedelta(days=1),
                }
                for i in ids
            ],
        )


@pytest.fixture(autouse=True)
def _walk_small_exams(monkeypatch: pytest.MonkeyPatch) -> None:
    """Draw these tests' small exams the way a large exam is drawn (the seeded index walk)."""
    from certprep.services.exams.draw import ExamDraw

    monkeypatch.setattr(ExamDraw, "WALK_FROM", 10)


def _form(services: Services, seed: int, **kw: object) -> list[tuple[str, tuple[str, ...]]]:
    from certprep.services.exams import ExamService

    form = ExamService(services).draw("cpc", seed, questions=24, **kw)
    return [(q.item_id, tuple(q.choice_order)) for q in form.questions]


def test_a_seed_draws_the_same_form_from_the_same_pool(services: Services) -> None:
    _cpc_bank(services, 40)
    first = _form(services, 11)
    assert len(first) == 24 and len({i for i, _ in first}) == 24
    assert _form(services, 11) == first
    assert _form(services, 12) != first
    assert len({frozenset(i for i, _ in _form(services, s)) for s in range(6)}) == 6


def test_forms_draw_unseen_items_first(services: Services) -> None:
    ids = _cpc_bank(services, 40)
    seen = set(ids[::2])
    _see(services, sorted(seen))
    for seed in range(5):
        assert not {i for i, _ in _form(services, seed)} & seen


def test_when_a_section_is_short_of_unseen_items_its_seen_ones_fill_it(services: Services) -> None:
    ids = _cpc_bank(services, 40)
    keep = set(ids[:3])  # a few unseen items left, all in the first sections
    _see(services, [i for i in ids if i not in keep])
    drawn = {i for i, _ in _form(services, 4)}
    assert len(drawn) == 24
    with services.engine.connect() as conn:
        section = dict(
            conn.execute(sa.select(ITEM_EXAM.c.item_id, ITEM_EXAM.c.section)).all()  # type: ignore[arg-type]
        )
    wanted = {section[i] for i in drawn}
    # every unseen item of a section the form draws from is in the form, before any seen one
    assert {i for i in keep if section[i] in wanted} <= drawn


def _queue_reference(services: Services, filt: ReviewFilter) -> tuple[list[str], list[str]]:
    """What a session offers, computed the plain way: (re)learning cards by due, reviews due by
    lowest retrievability (among the 4 x cap soonest due), new cards in bank order."""
    from certprep.core.scheduling import CardState, retrievability
    from certprep.services.review import settings_for, study_day

    s = services.settings
    day = study_day(services)
    with services.engine.connect() as conn:
        rows = conn.execute(
            sa.select(CARD, ITEM.c.bank_id, ITEM.c.position)
            .select_from(CARD.join(ITEM, ITEM.c.id == CARD.c.item_id))
            .where(ITEM.c.retired.is_(False))
        ).all()
        items = (
            conn.execute(
                sa.select(ITEM.c.id)
                .where(ITEM.c.retired.is_(False))
                .order_by(ITEM.c.bank_id, ITEM.c.position)
            )
            .scalars()
            .all()
        )
        exams = dict(conn.execute(sa.select(ITEM_EXAM.c.item_id, ITEM_EXAM.c.exam)).all())
    cards = {r.item_id: r for r in rows}
    scope = {i for i in items if not filt.exam or exams.get(i) == filt.exam or _in_both(i)}

    def ok(r) -> bool:  # type: ignore[no-untyped-def]
        return (
            r.item_id in scope
            and not r.suspended
            and (r.buried_until is None or r.buried_until <= day.now)
        )

    due = sorted(
        (r for r in rows if ok(r) and r.state == 2 and r.due < day.end), key=lambda r: r.due
    )[: max(int(s["reviews_per_day"]) * 4, 1000)]
    settings = settings_for(services, filt.exam)
    reviews = [
        r.item_id
        for r in sorted(
            due,
            key=lambda r: retrievability(
                CardState(state=2, stability=r.stability, last_review=r.last_review),
                day.now,
                settings,
            ),
        )
    ][: int(s["reviews_per_day"])]
    order = {i: n for n, i in enumerate(items)}
    fresh = [
        i
        for i in items
        if i in scope and (i not in cards or (cards[i].state == 0 and ok(cards[i])))
    ]
    # new cards given a due time (an exam miss, a reset) come first, by due
    new = sorted(
        fresh,
        key=lambda i: (
            i not in cards or cards[i].due is None,
            cards[i].due if i in cards and cards[i].due else day.now,
            order[i],
        ),
    )[: int(s["new_per_day"])]
    return reviews, new


def _in_both(item_id: str) -> bool:
    return int(item_id.split("-")[1]) % 5 == 0  # _bank puts every fifth item in both exams


@pytest.mark.parametrize("exam", [None, "cpc"])
def test_a_review_session_offers_the_cards_the_plain_queries_pick(
    services: Services, exam: str | None
) -> None:
    from certprep.services.review import ReviewSession

    import_bank(services.engine, _bank(240), checksum="mix")
    _fill(services, 240, seed=5)
    with writing(services.engine) as conn:
        dated = sa.select(CARD.c.item_id).where(CARD.c.state == 0).limit(4).scalar_subquery()
        conn.execute(
            sa.update(CARD)
            .where(CARD.c.item_id.in_(dated))
            .values(due=services.clock() - timedelta(hours=1))
        )
    services.update_settings(new_per_day=7, reviews_per_day=9)
    session = ReviewSession(services, ReviewFilter(exam=exam))
    reviews, new = _queue_reference(services, ReviewFilter(exam=exam))
    assert len(reviews) == 9 and len(new) == 7
    assert [i for i, q in session._main if q == "review"] == reviews
    assert [i for i, q in session._main if q == "new"] == new


def test_a_large_exam_draws_four_full_unseen_forms_each_series_whole(tmp_path) -> None:
    """The shipped CPC bank drawn the large-exam way (the walk): four full mocks of questions
    not yet shown are complete section by section and share no question; in the first two, a
    scenario series one of their questions belongs to is there whole."""
    from certprep.services.exams import ExamService
    from tests.conftest import FakeClock
    from tests.shipped import shipped_services, shipped_template

    services = shipped_services(shipped_template(tmp_path.parent), tmp_path / "w.db", FakeClock())
    with services.engine.connect() as conn:
        series: dict[str, set[str]] = {}
        for item_id, case in conn.execute(
            sa.select(ITEM.c.id, ITEM.c.case_id)
            .join(ITEM_EXAM, ITEM_EXAM.c.item_id == ITEM.c.id)
            .where(ITEM_EXAM.c.exam == "cpc", ITEM.c.case_id.is_not(None))
        ):
            series.setdefault(case, set()).add(item_id)
    exams = ExamService(services)
    want = {s.key: s.questions for s in services.blueprint("cpc").sections}
    forms: list[set[str]] = []
    whole = 0
    for n in range(4):
        questions = exams.load(exams.start("cpc", seed=200 + n, unseen_only=True)).questions
        by_section: dict[str, int] = {}
        for q in questions:
            by_section[q.section] = by_section.get(q.section, 0) + 1
        assert by_section == want, f"form {n + 1}"
        drawn = {q.item.id for q in questions}
        # (from the third form on a section may be down to a few series, and the last resort
        # is the opening questions of one: core.assembly._pick)
        for case, members in series.items():
            if n < 2 and members & drawn:
                assert members <= drawn, (n + 1, case, sorted(members - drawn))
                whole += 1
        assert all(drawn.isdisjoint(f) for f in forms), f"form {n + 1} repeats a question"
        forms.append(drawn)
    assert whole >= 2  # the forms did draw series (the check above was not vacuous)
