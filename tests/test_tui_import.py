"""The import screen: path, preview with problems or the first items, confirm."""

from __future__ import annotations

from textual.widgets import Input, Static

from certprep.banks.native import dump_bank
from certprep.services import Services
from certprep.tui.app import make_app
from certprep.tui.screens.home import HomeScreen
from certprep.tui.screens.import_bank import ImportScreen

from .conftest import DATA, make_bank


async def _open(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.press("i")
    await pilot.pause()
    assert isinstance(app.screen, ImportScreen)


async def _preview(app, pilot, path) -> str:
    app.screen.query_one("#path", Input).value = str(path)
    app.screen.query_one("#path", Input).focus()
    await pilot.press("enter")
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    return str(app.screen.query_one("#preview", Static).render())


async def test_preview_then_import(services: Services, tmp_path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(dump_bank(make_bank(12, name="mine")))
    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot)
        text = await _preview(app, pilot, path)
        assert (
            "format native" in text and "12 items" in text and "Question 0 of the mine bank" in text
        )
        assert services.stats()["items"] == 0  # a preview writes nothing
        await pilot.press("ctrl+s")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "12 new" in str(app.screen.query_one("#preview", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert isinstance(app.screen, HomeScreen)
    assert services.stats()["items"] == 12


async def test_problems_are_listed_and_nothing_written(services: Services, tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((DATA / "sample_bank.yaml").read_text().replace("codes: [I10]", "codes: []"))
    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot)
        text = await _preview(app, pilot, bad)
        assert "Cannot import this file" in text and "sample-002" in text
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert services.stats()["items"] == 0


async def test_typing_lands_in_the_path_and_exam_section_are_lists(
    services: Services, tmp_path
) -> None:
    from textual.widgets import Select

    csv = tmp_path / "deck.csv"
    csv.write_text(
        "question,a,b,c,d,answer\nWhich code is a CC?,A,B,C,D,a\n",
        encoding="utf-8",
    )
    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot)
        await pilot.press(*str(csv))  # typed straight away, no click first
        assert app.screen.query_one("#path", Input).value == str(csv)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = str(app.screen.query_one("#preview", Static).render())
        assert "--exam" not in text and "--section" not in text  # no command-line advice here
        exam = app.screen.query_one("#exam", Select)
        assert {v for _, v in exam._options if isinstance(v, str)} >= {"cpc", "cpb", "ccs"}
        exam.value = "cpc"
        await pilot.pause()
        section = app.screen.query_one("#section", Select)
        keys = {v for _, v in section._options if isinstance(v, str)}
        assert "icd10cm" in keys and len(keys) == len(services.blueprint("cpc").sections)
        section.value = "icd10cm"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = str(app.screen.query_one("#preview", Static).render())
        assert "1 items" in text or "1 item" in text, text


async def test_an_unknown_exam_in_a_file_is_refused_on_screen(services: Services, tmp_path) -> None:
    """A per-row exam typo (cpt for cpc) is refused with the valid ones, nothing written."""
    csv = tmp_path / "typo.csv"
    csv.write_text(
        "question,a,b,c,d,answer,exam,section\nWhich code?,A,B,C,D,a,cpt,icd10cm\n",
        encoding="utf-8",
    )
    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot)
        text = await _preview(app, pilot, csv)
        assert "Cannot import this file" in text and "cpt" in text and "cpc" in text, text
    assert services.stats()["items"] == 0


async def test_preview_of_an_edited_file_under_another_name_says_what_the_import_will_do(
    services: Services, tmp_path
) -> None:
    """Issue 17: the preview matches edits and finds the bank as the import does."""
    from certprep.services.imports import import_files

    aiken = "Which suffix means surgicle removal?\nA. -otomy\nB. -ectomy\nANSWER: B\n"
    first = tmp_path / "week1.txt"
    first.write_text(aiken)
    import_files(services, [first])
    renamed = tmp_path / "week1 fixed.txt"
    renamed.write_text(aiken.replace("surgicle", "surgical"))
    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot)
        text = " ".join((await _preview(app, pilot, renamed)).split())
        assert "bank 'week1'" in text and "its questions are those of bank 'week1'" in text
        assert "would import 1 items — 1 updated, 0 new" in text
