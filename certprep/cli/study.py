"""Study commands: the home screen, daily review, mock exams."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from certprep.cli.common import (
    app,
    fail,
    guard,
    run_tui,
    state,
)


@app.command()
def tui() -> None:
    """Open the home screen."""
    run_tui()


@app.command()
def review(
    exam: Annotated[
        str | None, typer.Option(help="Only cards of this exam (cpc, cpb, ccs).")
    ] = None,
    section: Annotated[Optional[str], typer.Option(help="Only this blueprint section.")] = None,  # noqa: UP045
    topic: Annotated[Optional[str], typer.Option(help="Only this topic.")] = None,  # noqa: UP045
    limit: Annotated[Optional[int], typer.Option(help="At most this many cards.")] = None,  # noqa: UP045
) -> None:
    """Daily review of due cards, scheduled by FSRS."""
    state.services()  # load the shipped banks first, with a progress bar
    run_tui("review", exam=exam, section=section, topic=topic, limit=limit)


@app.command()
def exam(
    blueprint: Annotated[
        str, typer.Argument(help="cpc, cpb, ccs, a blueprint .yaml file, or 'resume'.")
    ],
    seed: Annotated[Optional[int], typer.Option(help="Draw the same form again.")] = None,  # noqa: UP045
    untimed: Annotated[
        bool, typer.Option(help="No clock; rationale after each answer (tutor mode).")
    ] = False,
    sections: Annotated[
        str | None, typer.Option(help="Only these sections, comma-separated.")
    ] = None,
    questions: Annotated[Optional[int], typer.Option(help="A shorter form of N questions.")] = None,  # noqa: UP045
) -> None:
    """Start a timed mock exam, or `certprep exam resume`."""
    from certprep.cli.exam_options import start_from_cli
    from certprep.services.exams import ExamService

    services = state.services()
    if blueprint == "resume":
        attempt_id = guard(lambda: ExamService(services).in_progress())
        if attempt_id is None:
            fail("certprep: no exam in progress; start one with `certprep exam cpc`")
    else:
        attempt_id = guard(
            lambda: start_from_cli(services, blueprint, seed, untimed, sections, questions)
        )
    run_tui("exam", attempt_id=attempt_id)
