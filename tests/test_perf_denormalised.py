"""The data migration 0008 keeps a copy of (issue 22) never drifts from what it copies.

After any sequence of the writes a learner or an import makes (answers, undo, suspend, bury,
reset, forget, a new bank version with an item put in front or filed under other exams, another
bank imported and removed, retired items, cards deleted, time passing):
- the new cards a session offers are exactly those the plain walk from each bank's start finds,
  and every stored ``unseen_hint`` still holds (each item before it has a studied card);
- ``item_count`` equals a recount of the items and of each exam's item_exam rows;
- every card's ``exams`` equals its item's exams as item_exam lists them.
Speed is measured in benchmarks/, never here."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certprep.banks.importer import import_bank, remove_bank
from certprep.core.scheduling import NEW, Rating
from certprep.services import Services
from certprep.services.cards import CardBrowser
from certprep.services.review import ReviewFilter, ReviewSession
from certprep.services.review import unseen as unseen_mod
from certprep.services.review.limits import active, scoped
from certprep.store.engine import writing
from certprep.store.tables import CARD, ITEM, ITEM_COUNT, ITEM_EXAM, UNSEEN_HINT
from tests.conftest import make_bank

pytestmark = pytest.mark.both_backends

OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "study",
                "study",
                "undo",
                "suspend",
                "bury",
                "reset",
                "forget",
                "front",
                "other",
                "retire",
                "later",
                "delete",
                "refile",
                "remove",
                "move",
            ]
        ),
        st.integers(0, 40),
    ),
    min_size=1,
    max_size=8,
)


def _plain_walk(services: Services, filt: ReviewFilter, cap: int) -> list[str]:
    """Never-studied items in bank order, from each bank's start (no hint)."""
    lid = services.learner_id
    now = services.clock()
    fresh = sa.or_(
        CARD.c.item_id.is_(None),
        sa.and_(CARD.c.state == NEW, active(now), CARD.c.due.is_(None)),
    )
    joined = ITEM.outerjoin(CARD, sa.and_(CARD.c.item_id == ITEM.c.id, CARD.c.learner_id == lid))
    q = scoped(
        sa.select(ITEM.c.id)
        .select_from(joined)
        .where(fresh)
        .order_by(ITEM.c.bank_id, ITEM.c.position, ITEM.c.id)
        .limit(cap),
        filt,
    )
    with services.engine.connect() as conn:
        return [r[0] for r in conn.execute(q)]


def _broken_hints(services: Services) -> list[tuple[int, int, str]]:
    """(bank, hint, item) for every item before a hint without a studied card of its learner."""
    studied = sa.exists().where(
        CARD.c.learner_id == UNSEEN_HINT.c.learner_id,
        CARD.c.item_id == ITEM.c.id,
        sa.or_(CARD.c.state != NEW, CARD.c.due.is_not(None)),
    )
    with services.engine.connect() as conn:
        rows = conn.execute(
            sa.select(UNSEEN_HINT.c.bank_id, UNSEEN_HINT.c.position, ITEM.c.id)
            .select_from(UNSEEN_HINT.join(ITEM, ITEM.c.bank_id == UNSEEN_HINT.c.bank_id))
            .where(ITEM.c.position < UNSEEN_HINT.c.position, ~studied)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _counters(services: Services) -> dict[str, int]:
    with services.engine.connect() as conn:
        rows = conn.execute(sa.select(ITEM_COUNT.c.scope, ITEM_COUNT.c.total))
        return {scope: int(n) for scope, n in rows if n}


def _recount(services: Services) -> dict[str, int]:
    with services.engine.connect() as conn:
        out = {
            exam: int(n)
            for exam, n in conn.execute(
                sa.select(ITEM_EXAM.c.exam, sa.func.count()).group_by(ITEM_EXAM.c.exam)
            )
        }
        total = conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar_one()
    if total:
        out["*"] = int(total)
    return out


def _wrong_exams(services: Services) -> list[tuple[str, str | None, str]]:
    """(item, card's exams, item's exams) for every card whose copy differs."""
    with services.engine.connect() as conn:
        filed: dict[str, list[str]] = {}
        for item_id, exam in conn.execute(sa.select(ITEM_EXAM.c.item_id, ITEM_EXAM.c.exam)):
            filed.setdefault(item_id, []).append(exam)
        cards = conn.execute(sa.select(CARD.c.item_id, CARD.c.exams)).all()
    out = []
    for item_id, exams in cards:
        want = ",".join(sorted(filed.get(item_id, []))) or None
        if exams != want:
            out.append((item_id, exams, want or ""))
    return out


def _item_ids(services: Services) -> list[str]:
    with services.engine.connect() as conn:
        return list(conn.execute(sa.select(ITEM.c.id).order_by(ITEM.c.id)).scalars())


def _apply(services: Services, op: str, k: int, state: dict[str, Any]) -> None:
    ids = _item_ids(services)
    pick = ids[k % len(ids) : k % len(ids) + 3] if ids else []
    if op == "study":
        session = ReviewSession(services)
        for _ in range(k % 7 + 1):
            card = session.next_card()
            if card is None:
                break
            session.rate(card, Rating.GOOD if k % 3 else Rating.AGAIN)
        state["session"] = session
    elif op == "undo" and state.get("session") is not None:
        if state["session"].can_undo():
            state["session"].undo()
    elif op in ("suspend", "reset", "forget"):
        CardBrowser(services).apply(op, pick)
    elif op == "bury":
        session = ReviewSession(services)
        card = session.next_card()
        if card is not None:
            session.bury(card)
    elif op == "front":  # a new version of the bank with a new item in front
        state["version"] += 1
        bank = make_bank(30 + state["version"], name="walk")
        items = [
            it.model_copy(update={"id": f"walk-new-{state['version']}"}) for it in bank.items[:1]
        ]
        renewed = bank.model_copy(
            update={"items": items + list(bank.items[: 29 + state["version"]])}
        )
        import_bank(
            services.engine, renewed, checksum=f"v{state['version']}", on_duplicate="update"
        )
    elif op == "other":  # another bank, imported then removed
        import_bank(services.engine, make_bank(5, name="other"), checksum="o")
        if k % 2:
            remove_bank(services.engine, "other")
    elif op == "retire":
        with writing(services.engine) as conn:
            conn.execute(sa.update(ITEM).where(ITEM.c.id.in_(pick)).values(retired=k % 2 == 0))
    elif op == "later":
        services.clock.advance(hours=k)  # type: ignore[attr-defined]
    elif op == "delete":
        with writing(services.engine) as conn:
            conn.execute(sa.delete(CARD).where(CARD.c.item_id.in_(pick)))
    elif op == "refile":  # a new version files some items under other exams
        state["version"] += 1
        bank = make_bank(30, name="walk", exam="cpc" if k % 2 else "cpb")
        items = [
            it.model_copy(update={"exams": ["cpb", "ccs"]}) if i % 4 == k % 4 else it
            for i, it in enumerate(bank.items)
        ]
        renewed = bank.model_copy(update={"items": items})
        import_bank(
            services.engine, renewed, checksum=f"r{state['version']}", on_duplicate="update"
        )
    elif op == "move":  # an item's link moved to another exam by plain SQL
        with writing(services.engine) as conn:
            for item_id in pick:
                has = conn.execute(
                    sa.select(ITEM_EXAM.c.exam).where(ITEM_EXAM.c.item_id == item_id)
                ).scalars()
                if "ccs" not in set(has):
                    conn.execute(
                        sa.update(ITEM_EXAM)
                        .where(ITEM_EXAM.c.item_id == item_id)
                        .values(exam="ccs")
                    )
    elif op == "remove":  # the bank removed (no attempts use it), then imported again
        remove_bank(services.engine, "walk")
        import_bank(services.engine, make_bank(30, name="walk"), checksum="again")


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_new_cards_are_those_of_the_plain_walk_after_any_writes(
    services: Services, monkeypatch: pytest.MonkeyPatch, ops: list[tuple[str, int]]
) -> None:
    monkeypatch.setattr(unseen_mod, "RAISE_AFTER", 1)  # raise the hint at every chance
    services.update_settings(new_per_day=1000, reviews_per_day=1000)
    if not _item_ids(services):
        import_bank(services.engine, make_bank(30, name="walk"), checksum="v0")
    state: dict[str, Any] = {"version": 0, "session": None}
    for op, k in ops:
        _apply(services, op, k, state)
        assert _broken_hints(services) == [], op
        assert _counters(services) == _recount(services), op
        assert _wrong_exams(services) == [], op
        for filt in (ReviewFilter(), ReviewFilter(exam="cpc"), ReviewFilter(topic="topic-3")):
            with services.engine.connect() as conn:
                found, _ = unseen_mod.unseen_items(
                    conn, services.learner_id, filt, services.clock(), 12
                )
            assert found == _plain_walk(services, filt, 12), (op, filt)


def test_a_session_raises_the_hint_and_a_reset_clears_it(services: Services) -> None:
    """The shortcut is used (a hint past the studied items) and dropped when a card is reset."""
    import_bank(services.engine, make_bank(200, name="walk"), checksum="v0")
    services.update_settings(new_per_day=150, reviews_per_day=1000)
    session = ReviewSession(services)
    for _ in range(100):
        card = session.next_card()
        assert card is not None
        session.rate(card, Rating.GOOD)
    ReviewSession(services)  # raises the hint past the 100 studied items
    with services.engine.connect() as conn:
        hints = unseen_mod.read_hints(conn, services.learner_id)
    assert list(hints.values()) == [100]
    CardBrowser(services).apply("reset", ["walk-00042"])
    with services.engine.connect() as conn:
        assert unseen_mod.read_hints(conn, services.learner_id) == {}
    assert _plain_walk(services, ReviewFilter(), 1) == ["walk-00042"]
    assert ReviewSession(services).next_card().item.id == "walk-00042"  # type: ignore[union-attr]


def _studied_with_hint(services: Services, n: int) -> ReviewSession:
    """``n`` new cards studied in bank order and the hint raised past them."""
    services.update_settings(new_per_day=1000, reviews_per_day=1000)
    session = ReviewSession(services)
    for _ in range(n):
        card = session.next_card()
        assert card is not None
        session.rate(card, Rating.GOOD)
    ReviewSession(services)
    with services.engine.connect() as conn:
        assert list(unseen_mod.read_hints(conn, services.learner_id).values()) == [n]
    return session


@pytest.mark.parametrize("write", ["undo", "reset", "forget", "delete", "front", "reorder"])
def test_every_write_that_makes_an_earlier_item_unseen_drops_the_hint(
    services: Services, monkeypatch: pytest.MonkeyPatch, write: str
) -> None:
    monkeypatch.setattr(unseen_mod, "RAISE_AFTER", 1)
    bank = make_bank(40, name="walk")
    import_bank(services.engine, bank, checksum="v0")
    session = _studied_with_hint(services, 20)
    expected = {
        "undo": "walk-00019",
        "reset": "walk-00005",
        "forget": "walk-00005",
        "delete": "walk-00005",
        "front": "walk-front",
        "reorder": "walk-00039",
    }[write]
    if write == "undo":
        session.undo()  # the last rating of a new card: its card goes
    elif write in ("reset", "forget"):
        CardBrowser(services).apply(write, ["walk-00005"])
    elif write == "delete":
        with writing(services.engine) as conn:
            conn.execute(sa.delete(CARD).where(CARD.c.item_id == "walk-00005"))
    elif write == "front":  # a new version of the bank with a new item in front
        first = bank.items[0].model_copy(update={"id": "walk-front"})
        renewed = bank.model_copy(update={"items": [first, *bank.items]})
        import_bank(services.engine, renewed, checksum="v1", on_duplicate="update")
    else:  # the last item moved first
        with writing(services.engine) as conn:
            conn.execute(sa.update(ITEM).where(ITEM.c.id == "walk-00039").values(position=-1))
    assert _broken_hints(services) == []
    assert _plain_walk(services, ReviewFilter(), 1) == [expected]
    assert ReviewSession(services).next_card().item.id == expected  # type: ignore[union-attr]


def test_the_triggers_that_keep_the_copies_exist(services: Services) -> None:
    """A SQLite batch migration that rebuilds card, item or item_exam drops their triggers.
    (Item and link inserts have none on SQLite: the importer keeps the copies there.)"""
    names = {
        "tr_card_deleted_unseen",
        "tr_card_reset_unseen",
        "tr_card_exams",
        "tr_item_removed",
        "tr_item_moved_unseen",
        "tr_item_exam_removed",
        "tr_item_exam_changed",
    }
    with services.engine.connect() as conn:
        if services.engine.dialect.name == "sqlite":
            q = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            q = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
            names |= {"tr_item_added", "tr_item_exam_added"}
        found = {r[0] for r in conn.exec_driver_sql(q)}
    assert names <= found
