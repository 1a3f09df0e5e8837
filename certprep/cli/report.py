"""What the learner has done: report, stats, optimize."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from certprep.cli.common import (
    app,
    fail,
    guard,
    state,
)


@app.command()
def report(
    exam_key: Annotated[Optional[str], typer.Option("--exam")] = None,  # noqa: UP045
    fmt: Annotated[str, typer.Option("--format", help="text|md|html|json|csv")] = "text",
    output: Annotated[Optional[Path], typer.Option("-o", "--output")] = None,  # noqa: UP045
    whole_class: Annotated[
        bool, typer.Option("--class", help="Every learner on this database (instructor view).")
    ] = False,
) -> None:
    """Weak topics, readiness and history, as text, Markdown, HTML, JSON or CSV."""
    from certprep.core.text import terminal_safe
    from certprep.services.report import build_report, exams_with_items
    from certprep.services.report_format import RENDERERS

    if fmt not in RENDERERS or (whole_class and fmt == "html"):
        allowed = "text, md, json, csv" if whole_class else ", ".join(RENDERERS)
        fail(f"--format must be one of {allowed}, not {fmt!r}")
    services = state.services()
    services.creates_learner = False  # a report only reads: it never waits for the write lock

    def build() -> str:
        exams = [exam_key] if exam_key else exams_with_items(services)
        if whole_class:
            from certprep.services.class_report import class_report
            from certprep.services.class_report_format import render_class

            return "\n".join(render_class(class_report(services, e), fmt) for e in exams)
        return RENDERERS[fmt]([build_report(services, e) for e in exams], services.profile)

    text = terminal_safe(guard(build))  # user text never reaches a terminal as controls
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        tmp = output.with_name(output.name + ".part")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    typer.echo(f"wrote {output}", err=True)


@app.command()
def optimize() -> None:
    """Fit your FSRS parameters to your review history (kept only if they predict it better)."""
    from certprep.services.optimize import optimize_parameters

    services = state.services(load_banks=False)
    typer.echo("Fitting FSRS parameters to your review history…", err=True)
    result = guard(lambda: optimize_parameters(services))
    typer.echo(result.message)
    if result.enough:
        typer.echo(
            f"reviews: {result.reviews} over {result.days} days; "
            f"trained on {result.train_items} items, tested on the newest {result.test_items}"
        )


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Counts of items, cards, reviews and attempts."""
    services = state.services()
    services.creates_learner = False  # only reads: it never waits for the write lock
    data = guard(services.stats)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    typer.echo(
        f"{data['items']} items in {len(data['banks'])} banks for profile {data['profile']!r}"
    )
    for exam_key, info in data["by_exam"].items():
        typer.echo(f"  {exam_key}: {info['items']} items in {len(info['sections'])} sections")
    c = data["cards"]
    typer.echo(
        f"cards: {c['new']} new, {c['learning']} learning, {c['review']} review, "
        f"{c['relearning']} relearning; {c['due_now']} due now; {c['suspended']} suspended"
    )
    n, a = data["reviews"], data["attempts"]
    typer.echo(f"{n} review{'' if n == 1 else 's'}, {a} exam attempt{'' if a == 1 else 's'}")
