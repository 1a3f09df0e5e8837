"""User text is data, never markup: every screen shows it literally."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from certprep.banks.importer import import_bank
from certprep.banks.native import dump_bank
from certprep.core.models import Bank
from certprep.services import Services, open_services
from certprep.tui.app import make_app

NASTY = "[bold]B[/] [/] [link=http://x]L[/link] \\[e] \x1b[2J ﻿עברית 🦷 " + "W" * 150
TOPIC = "[red]topic[/red]"


def nasty_bank(name: str = "nasty") -> Bank:
    return Bank.model_validate(
        {
            "name": name,
            "title": "[blink]title[/blink]",
            "exams": ["cpc"],
            "items": [
                {
                    "id": "n1",
                    "section": "icd10cm",
                    "topics": [TOPIC],
                    "stem": "Stem " + NASTY,
                    "choices": [
                        {
                            "key": "a",
                            "text": "Choice [i]a[/i]",
                            "correct": True,
                            "rationale": "Why [u]a[/u]",
                        },
                        {"key": "b", "text": "Choice [/b]"},
                    ],
                    "rationale": "Rationale [/]",
                    "references": ["Ref [x]"],
                }
            ],
        }
    )


def _all_text(app) -> str:
    parts = [str(w.render()) for w in app.screen.query(Static)]
    for table in app.screen.query(DataTable):
        for row in range(table.row_count):
            parts += [str(c) for c in table.get_row_at(row)]
    return "\n".join(parts)


async def _settle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_review_and_report_show_markup_literally(db_path, clock, blueprints_only) -> None:
    services = open_services(
        str(db_path), "[bold]learner[/]", clock=clock, banks_dir=blueprints_only
    )
    import_bank(services.engine, nasty_bank(), checksum="n")
    services.update_settings(my_exams=["cpc"])
    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        await _settle(app, pilot)
        assert app.sub_title == "profile: [bold]learner[/]"
        await pilot.press("r")
        await _settle(app, pilot)
        text = _all_text(app)
        assert "[bold]B[/] [/] [link=http://x]L[/link] \\[e]" in text and "Choice [/b]" in text
        assert "🦷" in text and "עברית" in text
        await pilot.press("a")
        text = _all_text(app)
        assert "Rationale [/]" in text and "Why [u]a[/u]" in text and "Ref [x]" in text
        await pilot.press("enter")  # rated: evidence, so the report ranks weak topics
        await _settle(app, pilot)
        await pilot.press("escape")
        await _settle(app, pilot)
        await pilot.press("t")
        await _settle(app, pilot)
        assert TOPIC in _all_text(app)


async def test_import_preview_shows_markup_literally(services: Services, tmp_path) -> None:
    path = tmp_path / "n.yaml"
    path.write_text(dump_bank(nasty_bank("nasty-import")))
    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        await _settle(app, pilot)
        await pilot.press("i")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(path)
        app.screen.query_one("#path", Input).focus()
        await pilot.press("enter")
        await _settle(app, pilot)
        assert "Stem [bold]B[/] [/] [link=http://x]L[/link]" in _all_text(app)
