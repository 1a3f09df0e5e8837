"""The review screen: question → answer → feedback → rate, like Anki but with questions."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Input, Static

from certprep.core.models import ItemKind, split_codes
from certprep.core.scheduling import Rating
from certprep.services.review import ReviewFilter, ReviewSession, StudyCard
from certprep.services.services import Services
from certprep.tui.errors import safely
from certprep.tui.screens.card_history import RATING_NAMES
from certprep.tui.screens.review_keys import ReviewKeys
from certprep.tui.widgets.codebook import CodeBookPanel
from certprep.tui.widgets.hanging import hanging
from certprep.tui.widgets.item_view import feedback_text, item_text

LETTERS = "abcdef"


class ReviewScreen(ReviewKeys):
    """One review session."""

    DEFAULT_CSS = """
    ReviewScreen #counts { height: auto; padding: 0 2; }
    ReviewScreen #body { padding: 1 2; width: 1fr; }
    ReviewScreen #main { height: 1fr; }
    ReviewScreen #book { width: 45%; min-width: 34; }
    ReviewScreen #code { margin: 0 2; }
    ReviewScreen #code.hidden { display: none; }
    ReviewScreen #feedback { padding: 1 0 0 0; }
    ReviewScreen #ratings { height: auto; padding: 0 2; background: $boost; }
    ReviewScreen #notice { height: auto; padding: 0 2; color: $warning; }
    """
    # letters a–f answer questions, so no other action sits on them (Anki's - bury, * mark);
    # short labels: the hint line above says "space shows the answer", the ratings row "enter"
    BINDINGS = [
        Binding("space", "reveal", "Answer"),
        Binding("enter", "accept", "Rate"),
        Binding("u", "undo", "Undo"),
        Binding("ctrl+z", "undo_anywhere", "Undo", show=False, priority=True),
        Binding("s", "suspend", "Suspend"),
        Binding("minus", "bury", "Bury", key_display="-"),
        Binding("exclamation_mark", "flag", "Flag", key_display="!"),
        Binding("m,asterisk", "mark", "Mark"),
        Binding("i", "history", "Info"),  # Anki's card info
        Binding("k", "code_book", "Book"),
        Binding("plus", "study_more", "Study more", key_display="+"),
        Binding("escape", "end", "End"),
    ]
    ON_A_CARD = ("suspend", "bury", "flag", "mark", "history")
    TYPED = (
        "reveal",
        "undo",
        "suspend",
        "bury",
        "flag",
        "mark",
        "history",
        "code_book",
        "study_more",
    )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer shows only what acts in the current state; while a box takes typing (the
        code answer, the code book's search) letter keys type, so their actions are not shown."""
        if isinstance(self.focused, Input) and action in self.TYPED:
            return False
        if action == "reveal":
            return self.phase == "question"
        if action == "accept":
            return self.phase == "answered" or (
                self.phase == "question"
                and self.current is not None
                and self.current.item.kind is ItemKind.MULTIPLE
                and bool(self.selected)
            )
        if action in self.ON_A_CARD:
            return self.current is not None
        if action == "study_more":
            return self.phase == "done"
        if action == "undo":
            return self.session is not None and self.session.can_undo()
        return True

    def __init__(
        self, services: Services, filt: ReviewFilter | None = None, *, extra_new: int = 0
    ) -> None:
        super().__init__()
        self.services = services
        self.filt = filt or ReviewFilter()
        self.extra_new = extra_new
        self.session: ReviewSession | None = None
        self.current: StudyCard | None = None
        self.phase = "loading"  # question | answered | done
        self.selected: set[str] = set()
        self.correct: bool | None = None
        self.default: Rating = Rating.GOOD
        self.given_codes: list[str] = []
        # the cards answered, one entry an answer kept (an undone one is taken off); kept across
        # "study more", which starts a new session
        self.rated: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="counts")
        yield Static("", id="notice", markup=False)
        with Horizontal(id="main"):
            with VerticalScroll(id="body"):
                yield Static("Preparing today's cards…", id="question", markup=False)
                yield Static("", id="feedback", markup=False)
            yield CodeBookPanel(self.services, context="review", id="book")
        yield Input(
            placeholder="Type the code(s), separated by commas, then press enter",
            id="code",
            classes="hidden",
        )
        yield Static("", id="ratings", markup=False)
        yield Footer(compact=True, show_command_palette=False)  # every key fits 80 columns

    def on_mount(self) -> None:
        self.query_one("#book").display = False  # k opens it beside the card
        self.start(extra_new=self.extra_new)

    @work(thread=True, exclusive=True)
    def start(self, extra_new: int = 0, extra_reviews: int = 0) -> None:
        session = ReviewSession(
            self.services, self.filt, extra_new=extra_new, extra_reviews=extra_reviews
        )
        self.app.call_from_thread(self._started, session)

    def _started(self, session: ReviewSession) -> None:
        self.session = session
        self.next()

    # -- showing ---------------------------------------------------------------------------
    def next(self, card: StudyCard | None = None) -> None:
        assert self.session is not None
        self.current = card or self.session.next_card()
        self.selected = set()
        self.correct = None
        self.given_codes = []
        self.query_one("#feedback", Static).update("")
        self.query_one("#body", VerticalScroll).scroll_home(animate=False)  # a card from its top
        code = self.query_one("#code", Input)
        code.value = ""
        if self.current is None:
            self.phase = "done"
            code.add_class("hidden")
            self._show_done()
        else:
            self.phase = "question"
            if self.current.item.kind is ItemKind.CODE:
                code.remove_class("hidden")
                code.focus()
            else:
                code.add_class("hidden")
                self.query_one("#body").focus()
            self._render_question()
        self._render_counts()
        self._render_ratings()
        self.refresh_bindings()

    def _render_counts(self) -> None:
        assert self.session is not None
        c = self.session.counts()
        t = Text()
        scope = (self.filt.exam or "all exams").upper() if self.filt.exam else "All exams"
        t.append(scope, style="bold")
        for part in (self.filt.section, self.filt.topic):
            if part:
                t.append(f" › {part}")
        t.append("  ·  ")
        t.append(f"New {c.new}", style="bold blue")
        t.append("  ·  ")
        t.append(f"Learning {c.learning}", style="bold red")
        t.append("  ·  ")
        t.append(f"Review {c.review}", style="bold green")
        t.append(f"    answered {len(set(self.rated))}")
        if self.current is not None:
            t.append(f"    this card: {self.current.queue}")
            if self.current.flagged:
                t.append("  ⚑ flagged", style="yellow")
            if self.current.marked:
                t.append("  ★ marked", style="yellow")
        self.query_one("#counts", Static).update(t)

    def _render_question(self, reveal: bool = False) -> None:
        assert self.current is not None
        cur = self.current
        self.query_one("#question", Static).update(
            hanging(
                item_text(
                    cur.item,
                    case_title=cur.case_title,
                    case_text=cur.case_text,
                    selected=self.selected,
                    reveal=reveal,
                    show_back=reveal,
                )
            )
        )

    def _render_ratings(self) -> None:
        ratings = self.query_one("#ratings", Static)
        if self.phase != "answered" or self.current is None or self.session is None:
            hint = {
                "question": self._question_hint(),
                "done": "+ study more   "
                + ("u undo   " if self.session and self.session.can_undo() else "")
                + "escape back to home",
                "loading": "",
            }.get(self.phase, "")
            ratings.update(Text(hint))
            return
        intervals = self.session.intervals(self.current)
        t = Text()
        for r in Rating:
            style = "reverse bold" if r == self.default else "bold"
            t.append(f" {int(r)} {RATING_NAMES[r]} {intervals[r]} ", style=style)
            t.append("  ")
        t.append("  enter = highlighted", style="dim")
        ratings.update(t)

    def _question_hint(self) -> str:
        if self.current is None:
            return ""
        kind = self.current.item.kind
        if kind is ItemKind.FLASHCARD:
            return "space show the answer"
        n = len(self.current.item.choices)
        last = LETTERS[n - 1] if n else "a"
        if kind is ItemKind.CODE:
            return "type the code(s) and press enter; space shows the answer"
        if kind is ItemKind.MULTIPLE:
            return f"a–{last} or 1–{n} select, enter check; space shows the answer"
        return f"a–{last} or 1–{n} choose; space shows the answer"

    def answered_text(self) -> str:
        """Cards answered this session, as the learner counts them: a card answered twice (back
        from its learning step) is one card; an answer undone does not count."""
        cards, answers = len(set(self.rated)), len(self.rated)
        out = f"{cards} card{'s' if cards != 1 else ''} answered this session"
        return out + (f" ({answers} answers)" if answers != cards else "")

    def _show_done(self) -> None:
        assert self.session is not None
        when = self.session.next_learning_due()
        msg = Text("Done for now. ", style="bold")
        msg.append(f"{self.answered_text()}.\n")
        if when is not None:
            mins = max(1, int((when - self.services.clock()).total_seconds() // 60))
            msg.append(f"A learning card comes back in about {mins} minutes.\n")
        msg.append(
            "Press + to study more today (10 new, 50 reviews beyond the limits), escape to go home."
        )
        self.query_one("#question", Static).update(msg)

    # -- answering -------------------------------------------------------------------------
    def on_key(self, event) -> None:  # type: ignore[no-untyped-def]
        if self.current is None or isinstance(self.focused, Input):
            return
        key = event.key
        kind = self.current.item.kind
        if self.phase == "question" and kind in (
            ItemKind.SINGLE,
            ItemKind.MULTIPLE,
            ItemKind.TRUE_FALSE,
        ):
            n = len(self.current.item.choices)
            idx = (
                LETTERS.find(key)
                if len(key) == 1 and key in LETTERS
                else (int(key) - 1 if key.isdigit() else -1)
            )
            if 0 <= idx < n:
                event.stop()
                event.prevent_default()
                self.choose(self.current.item.choices[idx].key)
                return
        if self.phase == "answered" and key in "1234" and len(key) == 1:
            event.stop()
            event.prevent_default()
            self.rate(Rating(int(key)))

    def choose(self, key: str) -> None:
        assert self.current is not None
        if self.current.item.kind is ItemKind.MULTIPLE:
            self.selected ^= {key}
            self._render_question()
            self.refresh_bindings()
            return
        self.selected = {key}
        self.answer([key])

    def answer(self, response: list[str]) -> None:
        assert self.session is not None and self.current is not None
        self.correct = self.session.check(self.current, response)
        self.default = Rating.GOOD if self.correct else Rating.AGAIN
        self.phase = "answered"
        self._render_question(reveal=True)
        given = response if self.current.item.kind is ItemKind.CODE else None
        self.query_one("#feedback", Static).update(
            feedback_text(self.current.item, self.correct, given=given)
        )
        self._render_ratings()
        self.refresh_bindings()
        self._scroll_to_feedback()

    def _scroll_to_feedback(self) -> None:
        """Below a long case the rationale is off screen: it comes into view."""
        feedback = self.query_one("#feedback")
        self.call_after_refresh(feedback.scroll_visible, top=True, animate=False)

    @on(Input.Submitted, "#code")
    def code_submitted(self, event: Input.Submitted) -> None:
        if self.phase == "question" and self.current is not None:
            codes = split_codes(event.value)
            if not codes:
                self.notify("Type at least one code.", severity="warning")
                return
            self.query_one("#body").focus()
            self.answer(codes)

    def action_reveal(self) -> None:
        if self.current is None:
            return
        if self.phase == "question":
            if self.current.item.kind is ItemKind.FLASHCARD:
                self.phase = "answered"
                self.default = Rating.GOOD
                self._render_question(reveal=True)
                self.query_one("#feedback", Static).update(feedback_text(self.current.item, None))
                self._render_ratings()
            elif self.current.item.kind is ItemKind.MULTIPLE and self.selected:
                self.answer(sorted(self.selected))
            else:  # shown without an answer: it was not known, Again is highlighted
                self.correct = None
                self.default = Rating.AGAIN
                self.phase = "answered"
                self._render_question(reveal=True)
                self.query_one("#feedback", Static).update(feedback_text(self.current.item, None))
                self._render_ratings()
                self.refresh_bindings()
                self._scroll_to_feedback()
        elif self.phase == "answered":
            self.rate(self.default)

    def action_accept(self) -> None:
        if self.phase == "answered":
            self.rate(self.default)
        elif (
            self.phase == "question"
            and self.current
            and self.current.item.kind is ItemKind.MULTIPLE
            and self.selected
        ):
            self.answer(sorted(self.selected))

    @safely
    def rate(self, rating: Rating) -> None:
        assert self.session is not None and self.current is not None
        result = self.session.rate(self.current, rating)
        self.rated.append(self.current.item.id)
        notice = self.query_one("#notice", Static)
        if result.leech:
            notice.update(
                Text(
                    "This card has lapsed often: it is tagged as a leech and suspended. "
                    "u takes that back now; later, unsuspend it in the card browser (b on home)."
                )
            )
        else:
            notice.update(Text(f"{RATING_NAMES[rating]}: next in {result.interval}"))
        self.next()

    def action_end(self) -> None:
        if isinstance(self.focused, Input) and self.focused.id == "code":
            self.query_one("#body").focus()  # out of the code box: the card's keys act again
            self.refresh_bindings()
            return
        if self.current is not None and self.session is not None:
            self.session.put_back(self.current)
        self.dismiss(None)
