"""`certprep exam …` options to an attempt: parse sections, explain a short pool."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from certprep.core.assembly import AssemblyError, ShortPoolError, form_counts
from certprep.core.problems import InputError
from certprep.services.exams import ExamService

if TYPE_CHECKING:
    from certprep.services.services import Services


def parse_sections(sections: str | Sequence[str] | None) -> list[str] | None:
    """``"a,b"`` or ``["a", "b"]`` to a list of section keys (None when empty)."""
    if sections is None:
        return None
    parts = sections.split(",") if isinstance(sections, str) else list(sections)
    keys = [p.strip() for p in parts if p.strip()]
    return keys or None


def short_pool_message(
    exc: ShortPoolError, blueprint_key: str, form_sections: Sequence[str] = ()
) -> str:
    """The short sections, a --questions N that would fit, and --sections without empty ones."""
    kind = "unseen items" if exc.unseen_only else "items"
    lines = [f"not enough {kind} in the {blueprint_key} pool for this form:"]
    lines += [
        f"  {s.section}: needs {s.wanted}, has {s.available} ({s.missing} short)"
        for s in exc.shortfalls
    ]
    if exc.suggested_questions:
        lines.append(
            f"a shorter form fits: try --questions {exc.suggested_questions}, "
            "or import more items for these sections"
        )
    else:
        lines.append("no shorter form fits either: import items for these sections")
    empty = {s.section for s in exc.shortfalls if s.available == 0}
    rest = [k for k in form_sections if k not in empty]
    if empty and rest:
        lines.append(f"or leave out the sections with no items: --sections {','.join(rest)}")
    return "\n".join(lines)


def start_from_cli(
    services: Services,
    blueprint: str,
    seed: int | None,
    mode: str,
    sections: str | Sequence[str] | None,
    questions: int | None,
    include_drills: bool = False,
) -> int:
    """``certprep exam …``: start an attempt, or raise InputError with a message for people.

    ``mode`` is timed, untimed (no clock, results at the end) or tutor (no clock, the rationale
    after each answer).
    """
    bp = services.blueprint(blueprint)  # InputError for an unknown blueprint
    keys = parse_sections(sections)
    try:
        counts = form_counts(bp, sections=keys, questions=questions)
        return ExamService(services).start(
            bp,
            seed=seed,
            mode=mode,
            sections=keys,
            questions=questions,
            include_drills=include_drills,
        )
    except ShortPoolError as exc:
        raise InputError(
            short_pool_message(exc, bp.key, [k for k, n in counts.items() if n]),
            source=f"exam {bp.key}",
        ) from exc
    except AssemblyError as exc:
        raise InputError(str(exc), source=f"exam {bp.key}") from exc
