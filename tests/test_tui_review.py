"""Driving a review session on the screen: answer, rate, undo, flashcards, code entry."""

from __future__ import annotations

import sqlalchemy as sa
from textual.widgets import Input, Static

from certprep.services import Services
from certprep.store.tables import REVIEW_LOG
from certprep.tui.app import make_app
from certprep.tui.screens.review import ReviewScreen


def _text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def _logs(services: Services) -> list[tuple[str, int]]:
    with services.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(REVIEW_LOG.c.item_id, REVIEW_LOG.c.rating).order_by(REVIEW_LOG.c.id)
            )
        ]


async def _open_review(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.press("r")
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(app.screen, ReviewScreen)


async def test_answer_rate_and_undo(sample_services: Services) -> None:
    app = make_app(sample_services)
    async with app.run_test(size=(120, 36)) as pilot:
        await _open_review(app, pilot)
        assert "New 4" in _text(app, "#counts")  # one is on screen
        assert "Which ICD-10-CM codes" in _text(app, "#question")
        await pilot.press("b")  # a wrong answer
        assert "Not quite" in _text(app, "#feedback")
        assert "Guidelines I.C.4.a.3" in _text(app, "#feedback")
        assert "1 Again" in _text(app, "#ratings")
        await pilot.press("enter")  # the default after a wrong answer is Again
        await pilot.pause()
        assert _logs(sample_services) == [("sample-001", 1)]
        assert "Essential" in _text(app, "#question") or "essential" in _text(app, "#question")
        await pilot.press("ctrl+z")  # the code box has focus: ctrl+z undoes from anywhere
        await pilot.pause()
        assert _logs(sample_services) == []
        assert "Which ICD-10-CM codes" in _text(app, "#question")
        await pilot.press("a")  # right this time
        assert "Correct" in _text(app, "#feedback")
        await pilot.press("4")  # the learner upgrades Good to Easy
        await pilot.pause()
        assert _logs(sample_services) == [("sample-001", 4)]


async def test_code_entry_and_flashcard(sample_services: Services) -> None:
    app = make_app(sample_services)
    async with app.run_test(size=(120, 36)) as pilot:
        await _open_review(app, pilot)
        await pilot.press("a", "3")  # first card answered and rated Good
        await pilot.pause()
        assert isinstance(app.focused, Input)  # the code-entry item
        for ch in "i10":
            await pilot.press(ch)
        await pilot.press("enter")
        await pilot.pause()
        assert "Correct" in _text(app, "#feedback")
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("b", "3")  # true/false: False is right
        await pilot.pause()
        await pilot.press("a", "b", "enter")  # multiple response: select two, check
        assert "Correct" in _text(app, "#feedback")
        await pilot.press("3")
        await pilot.pause()
        assert "-ectomy" in _text(app, "#question")
        await pilot.press("space")  # reveal the flashcard's back
        assert "Surgical removal" in _text(app, "#question")
        await pilot.press("2")
        await pilot.pause()
        assert [r for _, r in _logs(sample_services)] == [3, 3, 3, 3, 2]


async def test_markup_in_user_text_shows_literally(services: Services) -> None:
    from certprep.banks.importer import import_bank
    from certprep.core.models import Bank

    bank = Bank.model_validate(
        {
            "name": "markup",
            "exams": ["cpc"],
            "items": [
                {
                    "id": "m1",
                    "section": "icd10cm",
                    "stem": "What is [bold]this[/] and [link=http://x]that[/link]?",
                    "choices": [
                        {"key": "a", "text": "[red]red[/red]", "correct": True},
                        {"key": "b", "text": "\\[escaped]"},
                    ],
                    "rationale": "[/]",
                    "references": ["[i]ref[/i]"],
                }
            ],
        }
    )
    import_bank(services.engine, bank, checksum="m")
    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        await _open_review(app, pilot)
        q = _text(app, "#question")
        assert "[bold]this[/]" in q and "[link=http://x]that[/link]" in q and "[red]red[/red]" in q
        await pilot.press("a")
        fb = _text(app, "#feedback")
        assert "[/]" in fb and "[i]ref[/i]" in fb


async def test_answered_counts_cards_not_ratings(sample_services: Services, clock) -> None:
    """A card answered, undone and answered again is one card; so is a card that comes back
    from its learning step and is answered a second time. The count says cards answered."""
    app = make_app(sample_services)
    async with app.run_test(size=(120, 36)) as pilot:
        await _open_review(app, pilot)
        assert "answered 0" in _text(app, "#counts")
        await pilot.press("space", "1")  # not known: Again, back in a minute
        await pilot.pause()
        assert "answered 1" in _text(app, "#counts")
        await pilot.press("ctrl+z")  # undone: no longer answered
        await pilot.pause()
        assert "answered 0" in _text(app, "#counts")
        await pilot.press("space", "1")
        await pilot.pause()
        assert "answered 1" in _text(app, "#counts")
        screen = app.screen
        for _ in range(10):  # the others Easy; the Again card comes back at the end
            if screen.phase == "done":
                break
            if isinstance(app.focused, Input):
                await pilot.press("escape")  # out of a code box
            await pilot.press("space", "4")
            await pilot.pause()
        assert screen.phase == "done"
        assert _logs(sample_services)[0][0] == _logs(sample_services)[-1][0]  # seen twice
        assert len(_logs(sample_services)) == 6  # six answers ...
        assert "answered 5" in _text(app, "#counts")  # ... to five cards
        assert "5 cards answered this session (6 answers)" in _text(app, "#question")
