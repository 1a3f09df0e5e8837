"""An Anki deck imported with its history: every card's reviews land on its own item."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from certprep.services import Services
from certprep.services.imports import import_files
from certprep.store.tables import CARD, ITEM, REVIEW_LOG

from .anki_decks import build_deck

pytestmark = pytest.mark.both_backends


def test_reversed_and_cloze_cards_keep_their_own_reviews(
    services: Services, tmp_path: Path
) -> None:
    deck = build_deck()
    f = tmp_path / "terms.apkg"
    f.write_bytes(deck.new)
    [summary] = import_files(services, [f], exam="cpc", section="terminology", with_history=True)
    assert summary.added == 10
    with services.engine.connect() as conn:
        logs = conn.execute(
            sa.select(ITEM.c.payload["stem"].as_string(), REVIEW_LOG.c.rating)
            .join(ITEM, ITEM.c.id == REVIEW_LOG.c.item_id)
            .order_by(REVIEW_LOG.c.reviewed_at, REVIEW_LOG.c.id)
        ).all()
        cards = conn.execute(sa.select(sa.func.count()).select_from(CARD)).scalar_one()
    by_stem: dict[str, list[int]] = {}
    for stem, rating in logs:
        by_stem.setdefault(stem, []).append(rating)
    assert by_stem["Inflammation"] == deck.reviews["reverse"]
    assert by_stem["-itis"] == deck.reviews["forward"]
    assert len(logs) == sum(len(r) for r in deck.reviews.values())
    assert cards == len(deck.reviews)  # every reviewed card, not only each note's first


def test_the_same_deck_under_another_file_name_updates_its_bank(
    services: Services, tmp_path: Path
) -> None:
    deck = build_deck()
    first, renamed = tmp_path / "CPC terms.apkg", tmp_path / "terms (1).apkg"
    first.write_bytes(deck.new)
    renamed.write_bytes(deck.legacy)
    [a] = import_files(services, [first], exam="cpc", section="terminology")
    [b] = import_files(services, [renamed], exam="cpc", section="terminology")
    assert a.bank == b.bank == "anki-cpc"  # named after the deck, not the file
    # updated, not duplicated: only the default reference ("Imported from <file>") changed
    assert (b.added, b.updated + b.unchanged, b.retired) == (0, 10, 0)
