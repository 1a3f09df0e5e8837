"""The import screen: a path, the format found, a preview of the first items and the problems,
then confirm. Nothing is written before the learner confirms, and then all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    ProgressBar,
    Select,
    Static,
)

from certprep.tui.errors import safely

if TYPE_CHECKING:
    from certprep.services.services import Services

FORMATS = ["auto", "native", "csv", "tsv", "json", "aiken", "gift", "moodle", "apkg"]


def for_screen(text: str) -> str:
    """The readers speak to the command line; here the same choices are the fields above."""
    import re

    text = re.sub(r"\b[Pp]ass (--exam|--section)", r"choose \1", text)
    return text.replace("--exam", "Exam (above)").replace("--section", "Section (above)")


class ImportScreen(Screen[bool]):
    """Import a bank file with a preview before anything is written."""

    DEFAULT_CSS = """
    ImportScreen #form { height: auto; padding: 1 2; }
    ImportScreen #form Input { width: 1fr; }
    ImportScreen Horizontal { height: auto; }
    ImportScreen Label { padding: 1 1 0 0; }
    ImportScreen Select { width: 16; }
    ImportScreen #exam { width: 36; }
    ImportScreen #section { width: 1fr; max-width: 60; }
    ImportScreen #preview { padding: 0 2; height: auto; }
    ImportScreen ProgressBar { padding: 0 2; }
    ImportScreen ProgressBar.hidden { display: none; }
    """
    BINDINGS = [
        Binding("ctrl+s", "confirm", "Import"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.ready: Any = None  # the validated ReadFile, once previewed without problems
        self.blueprints = services.blueprints()

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()  # typing starts at once: nothing typed is lost

    @on(Select.Changed, "#exam")
    def _exam_changed(self, event: Select.Changed) -> None:
        """The sections offered are the chosen exam's."""
        section = self.query_one("#section", Select)
        bp = self.blueprints.get(event.value) if isinstance(event.value, str) else None
        section.set_options([(f"{s.title} ({s.key})", s.key) for s in bp.sections] if bp else [])

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            with VerticalScroll(id="form"):
                yield Static(
                    "Import a bank: type the file's path, press enter to preview, then ctrl+s "
                    "to import.",
                    markup=False,
                )
                yield Input(
                    placeholder="/path/to/bank.yaml (.csv .tsv .json .txt .gift .xml .apkg .colpkg)",
                    id="path",
                )
                with Horizontal():
                    yield Label("Format")
                    yield Select(
                        [(f, f) for f in FORMATS], value="auto", allow_blank=False, id="format"
                    )
                    yield Label("Exam")
                    yield Select(
                        [(bp.name, key) for key, bp in self.blueprints.items()],
                        prompt="as in the file",
                        id="exam",
                    )
                with Horizontal():  # a row of its own: beside the exam it had 4 columns at 80
                    yield Label("Section")
                    yield Select([], prompt="as in the file", id="section")
                yield Checkbox("Carry over Anki review history as FSRS state", id="history")
                with Horizontal():
                    yield Button("Preview", id="preview-btn")
                    yield Button("Import", id="import-btn", variant="primary", disabled=True)
            yield ProgressBar(id="bar", classes="hidden", show_eta=False)
            yield Static("", id="preview", markup=False)
        yield Footer()

    def _options(self) -> dict[str, Any]:
        fmt = self.query_one("#format", Select).value
        exam = self.query_one("#exam", Select).value
        section = self.query_one("#section", Select).value
        return {
            "fmt": str(fmt),
            "exam": exam if isinstance(exam, str) else None,
            "section": section if isinstance(section, str) else None,
        }

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_check()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "preview-btn":
            self.action_check()
        elif event.button.id == "import-btn":
            self.action_confirm()

    def action_check(self) -> None:
        raw = self.query_one("#path", Input).value.strip()
        if not raw:
            self.query_one("#preview", Static).update(
                Text("Type the path of a bank file first.", style="yellow")
            )
            return
        self.ready = None
        self.query_one("#import-btn", Button).disabled = True
        self.query_one("#preview", Static).update(Text("Reading…"))
        self.preview(Path(raw).expanduser(), **self._options())

    @work(thread=True, exclusive=True, group="import")
    def preview(self, path: Path, fmt: str, exam: str | None, section: str | None) -> None:
        from certprep.banks.importer import import_bank
        from certprep.core.problems import InputError
        from certprep.services.imports import (
            check_exams,
            check_sections,
            into_bank_holding_it,
            known_exams,
            read_file,
        )

        try:
            rf = read_file(path, fmt, exam=exam, section=section)
            # the same file under another name goes into its bank, as the import will
            rf = into_bank_holding_it(self.services, rf, exam, section, None, None)
            problems = check_sections(rf, self.services.blueprints())
            # a typo must never make a phantom exam, here as on the command line
            problems += check_exams(rf, known_exams(self.services))
            if problems:
                raise InputError(problems)
            summary = import_bank(
                self.services.engine,
                rf.bank,
                checksum=rf.checksum,
                dry_run=True,
                source=str(path),
                reassign=rf.fmt == "native",
                derived=rf.derived,
            )
        except InputError as exc:
            self.app.call_from_thread(self._show_problems, exc.render())
            return
        self.app.call_from_thread(self._show_preview, rf, summary)

    def _show_problems(self, text: str) -> None:
        t = Text("Cannot import this file; nothing was written:\n\n", style="bold red")
        t.append(for_screen(text))
        self.query_one("#preview", Static).update(t)

    def _show_preview(self, rf: Any, summary: Any) -> None:
        self.ready = rf
        t = Text()
        t.append(
            f"{rf.path.name}: format {rf.fmt}, bank {rf.bank.name!r}, {len(rf.bank.items)} items\n",
            style="bold",
        )
        t.append(summary.line() + "\n")
        for exam, sections in sorted(summary.by_exam.items()):
            t.append(
                f"  {exam}: " + ", ".join(f"{k} {v}" for k, v in sorted(sections.items())) + "\n"
            )
        for w in [*rf.warnings, *summary.warnings]:
            t.append(f"  note: {for_screen(str(w))}\n", style="yellow")
        if studied := sum(1 for h in rf.history if h.reviews):
            t.append(f"  review history found for {studied} cards\n")
        t.append("\nFirst items:\n", style="bold")
        for item in rf.bank.items[:5]:
            t.append(f"  • [{item.kind}] ")
            t.append(item.stem[:110].replace("\n", " "))
            t.append("\n")
        t.append("\nPress ctrl+s (or Import) to import, escape to go back.", style="italic")
        self.query_one("#preview", Static).update(t)
        self.query_one("#import-btn", Button).disabled = False

    def action_confirm(self) -> None:
        if self.ready is None:
            self.notify("Preview the file first (enter).", severity="warning")
            return
        bar = self.query_one("#bar", ProgressBar)
        bar.remove_class("hidden")
        bar.update(total=len(self.ready.bank.items), progress=0)
        self.write(self.ready, self.query_one("#history", Checkbox).value)

    @work(thread=True, exclusive=True, group="import")
    def write(self, rf: Any, with_history: bool) -> None:
        self._write(rf, with_history)

    @safely
    def _write(self, rf: Any, with_history: bool) -> None:
        from certprep.core.problems import InputError
        from certprep.services.imports import import_files

        bar = self.query_one("#bar", ProgressBar)
        opts = self._options()
        try:
            [summary] = import_files(
                self.services,
                [rf.path],
                fmt=opts["fmt"],
                exam=opts["exam"],
                section=opts["section"],
                with_history=with_history,
                progress=lambda done, total: self.app.call_from_thread(bar.update, progress=done),
            )
        except InputError as exc:
            self.app.call_from_thread(self._show_problems, exc.render())
            return
        self.app.call_from_thread(self._done, summary.line())

    def _done(self, line: str) -> None:
        self.query_one("#bar", ProgressBar).add_class("hidden")
        self.query_one("#preview", Static).update(
            Text(line + "\n\nPress escape to go back.", style="green")
        )
        self.query_one("#import-btn", Button).disabled = True
        self.ready = None
        self.notify(line)

    def action_back(self) -> None:
        self.dismiss(True)
