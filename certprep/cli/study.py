"""Study commands: the home screen, daily review, mock exams."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from certprep.cli.common import (
    app,
    fail,
    guard,
    run_tui,
    state,
)

if TYPE_CHECKING:
    from certprep.services import Services


def check_scope(services: Services, exam: str | None, section: str | None) -> None:
    """An unknown exam or section is a mistake to name, with the valid ones (exit 2)."""
    if exam is None and section is None:
        return
    blueprints = guard(services.blueprints)
    sections: dict[str, set[str]] = {
        k: {s.key for s in bp.sections} for k, bp in blueprints.items()
    }

    def known(exam_key: str | None, section_key: str | None) -> bool:
        if exam_key is not None and exam_key not in sections:
            return False
        valid = sections[exam_key] if exam_key else set().union(*sections.values())
        return section_key is None or section_key in valid

    if not known(exam, section):  # imported items may use exams and sections of their own
        for key, info in guard(lambda: services.stats())["by_exam"].items():
            sections.setdefault(key, set()).update(info["sections"])
    if exam is not None and exam not in sections:
        fail(f"certprep: no exam {exam!r}; valid exams: {', '.join(sorted(sections)) or 'none'}")
    if section is not None:
        valid = sections[exam] if exam else set().union(*sections.values())
        if section not in valid:
            where = f" of {exam}" if exam else ""
            fail(
                f"certprep: no section {section!r}{where}; valid sections: "
                + ", ".join(sorted(valid))
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
    services = state.services()  # load the shipped banks first, with a progress bar
    check_scope(services, exam, section)
    if topic is not None:  # a typo opened an empty session, "Done for now"
        from certprep.core.problems import InputError
        from certprep.services.cards import CardBrowser, Clause

        try:
            CardBrowser(services).parse("", [Clause("topic", (topic,))])
        except InputError as exc:
            fail("certprep: " + exc.problems[0].message.replace(" in the search", ""))
    run_tui("review", exam=exam, section=section, topic=topic, limit=limit)


@app.command()
def exam(
    blueprint: Annotated[
        str, typer.Argument(help="cpc, cpb, ccs, a blueprint .yaml file, or 'resume'.")
    ],
    seed: Annotated[Optional[int], typer.Option(help="Draw the same form again.")] = None,  # noqa: UP045
    untimed: Annotated[
        bool, typer.Option("--untimed", help="No clock, pause any time; results at the end.")
    ] = False,
    tutor: Annotated[
        bool, typer.Option("--tutor", help="No clock; the rationale after each answer.")
    ] = False,
    sections: Annotated[
        str | None, typer.Option(help="Only these sections, comma-separated.")
    ] = None,
    questions: Annotated[Optional[int], typer.Option(help="A shorter form of N questions.")] = None,  # noqa: UP045
    with_drills: Annotated[
        bool,
        typer.Option("--with-drills", help="Let generated code-set drills into the form."),
    ] = False,
) -> None:
    """Start a timed mock exam, or `certprep exam resume`."""
    from certprep.cli.exam_options import start_from_cli
    from certprep.services.exams import ExamService

    if untimed and tutor:
        fail("choose one of --untimed and --tutor")
    mode = "tutor" if tutor else "untimed" if untimed else "timed"
    services = state.services()
    if blueprint == "resume":
        attempt_id = guard(lambda: ExamService(services).in_progress())
        if attempt_id is None:
            fail("certprep: no exam in progress; start one with `certprep exam cpc`")
    else:
        attempt_id = guard(
            lambda: start_from_cli(
                services, blueprint, seed, mode, sections, questions, with_drills
            )
        )
    run_tui("exam", attempt_id=attempt_id)
