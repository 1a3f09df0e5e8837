"""`certprep cards`: search the collection, show one item's history, act on every match."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from certprep.cli.common import app, fail, guard, state

if TYPE_CHECKING:
    from certprep.services.cards import CardBrowser, CardDetail

_ACTION_FLAGS = (
    "suspend",
    "unsuspend",
    "unbury",
    "flag",
    "unflag",
    "mark",
    "unmark",
    "reset",
    "forget",
)

_HELP = """Search items and their cards; show one with its history; act on every match.

QUERY (or --query) uses the browser's syntax, every term required:
words or "a phrase" (stem, choices, back), exam:cpc, section:em, topic:diabetes,
bank:NAME, id:ID, kind:code, code:E11.9 (answer key, choices, references),
is:new|learning|review|due|suspended|buried|leech|flagged|marked;
field:a,b for either value, * as a wildcard (section:surgery_*), - to negate (-is:leech).
Example: certprep cards exam:cpc section:em is:suspended "heart failure"
(an argument with a space in it is one phrase).

An action (--suspend, --unsuspend, --unbury, --flag, --unflag, --mark, --unmark, --reset,
--forget) applies to every match after a confirmation (--yes skips it). --reset puts cards back
to new and keeps their review log; --forget also deletes it.
"""


@app.command(help=_HELP, context_settings={"ignore_unknown_options": True})
def cards(
    terms: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Argument(
            metavar="QUERY", help="Search terms (joined with spaces).", show_default=False
        ),
    ] = None,
    query: Annotated[str, typer.Option("--query", "-q", help="A search, as one string.")] = "",
    exam: Annotated[Optional[str], typer.Option(help="Only this exam (cpc, cpb, ccs).")] = None,  # noqa: UP045
    section: Annotated[Optional[str], typer.Option(help="Only this section.")] = None,  # noqa: UP045
    topic: Annotated[Optional[str], typer.Option(help="Only this topic.")] = None,  # noqa: UP045
    bank: Annotated[Optional[str], typer.Option(help="Only this bank.")] = None,  # noqa: UP045
    code: Annotated[Optional[str], typer.Option(help="A code in the key, choices or refs.")] = None,  # noqa: UP045
    is_: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--is", "--state", help="new, learning, review, due, suspended, …"),
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows per page.", min=1, max=10_000)] = 50,
    page: Annotated[int, typer.Option(help="Which page (from 1).", min=1)] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    show: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--show", help="Show one item with its card and review history."),
    ] = None,
    suspend: Annotated[bool, typer.Option("--suspend", help="Suspend every match.")] = False,
    unsuspend: Annotated[bool, typer.Option("--unsuspend", help="Unsuspend every match.")] = False,
    unbury: Annotated[bool, typer.Option("--unbury", help="Unbury every match.")] = False,
    flag: Annotated[bool, typer.Option("--flag", help="Flag every match.")] = False,
    unflag: Annotated[bool, typer.Option("--unflag", help="Unflag every match.")] = False,
    mark: Annotated[bool, typer.Option("--mark", help="Mark every match.")] = False,
    unmark: Annotated[bool, typer.Option("--unmark", help="Unmark every match.")] = False,
    reset: Annotated[
        bool, typer.Option("--reset", help="Back to new; the review log is kept.")
    ] = False,
    forget: Annotated[
        bool, typer.Option("--forget", help="Back to new and delete the review log.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Act without asking.")] = False,
) -> None:
    from certprep.services.cards import CardBrowser, Clause

    chosen = [
        name
        for name, on in zip(
            _ACTION_FLAGS,
            (suspend, unsuspend, unbury, flag, unflag, mark, unmark, reset, forget),
            strict=True,
        )
        if on
    ]
    if len(chosen) > 1:
        fail(f"one action at a time, not {', '.join('--' + c for c in chosen)}")
    unknown = [t for t in terms or [] if t.startswith("--")]
    if unknown:
        fail(f"no such option: {unknown[0]} (see certprep cards --help)")
    browser = CardBrowser(state.services())
    if show is not None:
        if chosen or terms or query:
            fail("--show takes one item id, without a search or an action")
        _print_detail(guard(lambda: browser.detail(show)))
        return
    text = " ".join([*(_quoted(t) for t in terms or []), query]).strip()
    extra = [
        Clause(name, tuple(v.strip() for v in value.split(",") if v.strip()))
        for name, value in (
            ("exam", exam and exam.lower()),
            ("section", section and section.lower()),
            ("topic", topic),
            ("bank", bank and bank.lower()),
            ("code", code),
            ("is", is_ and is_.lower()),
        )
        if value
    ]
    q = guard(lambda: browser.parse(text, extra))
    if chosen:
        _act(browser, chosen[0], q, yes)
        return
    result = guard(lambda: browser.search(q, offset=(page - 1) * limit, limit=limit))
    _print_page(browser, result, page, limit, as_json)


def _quoted(arg: str) -> str:
    """One shell argument with a space in it was quoted in the shell: a phrase, kept whole."""
    if '"' in arg or not any(ch.isspace() for ch in arg):
        return arg
    m = re.match(r"(-?[A-Za-z]+:)(.*)", arg, re.S)
    return f'{m.group(1)}"{m.group(2)}"' if m else f'"{arg}"'


def _act(browser: CardBrowser, action: str, q: object, yes: bool) -> None:
    from certprep.services.cards import ACTIONS

    ids = guard(lambda: browser.ids(q))  # type: ignore[arg-type]
    if not ids:
        typer.echo("No items match; nothing changed.")
        return
    label = ACTIONS[action][0].split(" (")[0].lower()
    n = len(ids)
    if not yes:
        try:
            ok = typer.confirm(f"{label} {n} card{'s' if n != 1 else ''}?", default=False)
        except (typer.Abort, EOFError):
            fail("no answer; pass --yes to act without asking")
        if not ok:
            typer.echo("Nothing changed.")
            return
    result = guard(lambda: browser.apply(action, ids))
    typer.echo(result.message())


def _print_page(browser: CardBrowser, result: object, page: int, limit: int, as_json: bool) -> None:
    from certprep.services.cards import Page, due_label, plain, state_label

    assert isinstance(result, Page)
    now = browser.services.clock()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "total": result.total,
                    "page": page,
                    "limit": limit,
                    "items": [
                        {
                            "id": r.item_id,
                            "exams": r.exams,
                            "section": r.section,
                            "state": state_label(r, now).split(" · "),
                            "due": r.due.isoformat() if r.due else None,
                            "stem": r.stem,
                        }
                        for r in result.rows
                    ],
                },
                ensure_ascii=False,
            )
        )
        return
    pages = max(1, -(-result.total // limit))
    typer.echo(f"{result.total} match{'es' if result.total != 1 else ''}; page {page} of {pages}")
    for r in result.rows:
        typer.echo(
            f"{plain(r.item_id):<24} {','.join(r.exams):<8} {plain(r.section):<18} "
            f"{state_label(r, now):<22} {due_label(r.due):<16} {plain(r.stem, 60)}"
        )


def _print_detail(d: CardDetail) -> None:
    from certprep.core.scheduling import STATE_NAMES
    from certprep.services.cards import due_label, plain

    item = d.item
    typer.echo(f"{plain(item.id)}  ({item.kind.value}, bank {plain(d.bank)})")
    typer.echo("exams: " + ", ".join(f"{e}/{s}" for e, s in d.exams))
    if d.topics:
        typer.echo("topics: " + plain(", ".join(d.topics)))
    if d.case_text:
        typer.echo(f"case: {plain(d.case_title or '')} {plain(d.case_text)}")
    typer.echo(f"stem: {plain(item.stem)}")
    for c in item.choices:
        typer.echo(f"  {'*' if c.correct else ' '} {c.key}) {plain(c.text)}")
    if item.codes:
        typer.echo("codes: " + plain(", ".join(item.codes)))
    if item.back:
        typer.echo(f"back: {plain(item.back)}")
    card = d.card
    marks = [
        m
        for m, on in (
            ("suspended", d.suspended),
            ("leech", d.leech),
            ("flagged", d.flagged),
            ("marked", d.marked),
        )
        if on
    ]
    if d.buried_until is not None:
        marks.append(f"buried until {due_label(d.buried_until)}")
    typer.echo(
        f"card: {STATE_NAMES.get(card.state, 'new')}, due {due_label(card.due)}, "
        f"reps {card.reps}, lapses {card.lapses}"
        + (f", stability {card.stability:.1f} d" if card.stability is not None else "")
        + (f", difficulty {card.difficulty:.1f}" if card.difficulty is not None else "")
        + (f", recall now {d.retrievability:.0%}" if d.retrievability is not None else "")
        + (f"; {', '.join(marks)}" if marks else "")
    )
    typer.echo(f"history: {len(d.history)} rating{'s' if len(d.history) != 1 else ''}")
    names = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
    for h in d.history:
        secs = f"{h.duration_ms / 1000:.0f}s" if h.duration_ms is not None else ""
        before = STATE_NAMES.get(h.state_before, "") if h.state_before is not None else ""
        typer.echo(
            f"  {due_label(h.reviewed_at)}  {names.get(h.rating, h.rating)!s:<6} "
            f"{h.source:<7} {before:<10} {secs}"
        )
