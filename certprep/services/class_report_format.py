"""The class report as text, Markdown, JSON or CSV (``services.class_report`` computes it)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from certprep.banks.formats.tabular import as_text_cell
from certprep.services.class_report import ClassReport


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _notes(report: ClassReport, name: Callable[[str], str] = str) -> list[str]:
    """Who has no figures, and why (below the table, not in its cells); ``name`` shows a
    profile name (in Markdown, as inert text)."""
    waiting = [name(s.profile) for s in report.students if not s.started]
    unknown = [name(s.profile) for s in report.students if s.started and not s.evidence]
    out = []
    if waiting:
        out.append(f"Not signed in yet: {', '.join(waiting)}.")
    if unknown:
        out.append(f"Nothing studied for this exam yet, so no forecast: {', '.join(unknown)}.")
    return out


def render_class(report: ClassReport, fmt: str) -> str:
    """The class report as text, md, json or csv."""
    if fmt == "json":
        data: dict[str, Any] = {
            "schema": "certprep-class-report/1",
            "exam": report.exam,
            "name": report.name,
            "students": [
                {
                    "profile": s.profile,
                    "reviews": s.reviews,
                    "attempts": s.attempts,
                    "last_score": s.last_score,
                    "best_score": s.best_score,
                    "readiness": _round(s.readiness),
                    "pass_probability": _round(s.pass_probability),
                    "sections": s.sections,
                    "weakest_topic": s.weakest,
                    "started": s.started,
                    "evidence": s.evidence,
                }
                for s in report.students
            ],
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(
            [
                "profile",
                "reviews",
                "attempts",
                "last_score",
                "best_score",
                "readiness",
                "pass_probability",
                "weakest_topic",
                *report.sections,
            ]
        )
        for s in report.students:
            w.writerow(
                [
                    as_text_cell(s.profile),  # names and topics are people's text: no formulas
                    s.reviews,
                    s.attempts,
                    s.last_score,
                    s.best_score,
                    _round(s.readiness),
                    _round(s.pass_probability),
                    as_text_cell(s.weakest or ""),
                    *(s.sections.get(k) for k in report.sections),
                ]
            )
        return buf.getvalue()
    head = ["Student", "Reviews", "Attempts", "Last", "Best", "Ready", "P(pass)", "Weakest topic"]
    rows = [
        [
            s.profile,
            str(s.reviews),
            str(s.attempts),
            _pct(s.last_score),
            _pct(s.best_score),
            _pct(s.readiness),
            _pct(s.pass_probability),
            s.weakest or "—",
        ]
        for s in report.students
    ]
    sec_head = ["Student", *report.sections]
    # only who has taken a mock of this exam: the rest would be a row of dashes
    sec_rows = [
        [s.profile, *(_pct(s.sections.get(k)) for k in report.sections)]
        for s in report.students
        if any(v is not None for v in s.sections.values())
    ]
    no_mocks = "No student has taken a mock of this exam yet."
    if fmt == "md":

        def table(h: list[str], rs: list[list[str]]) -> list[str]:
            from certprep.services.report_format import md_cell

            esc = [[md_cell(c) for c in r] for r in rs]
            return ["| " + " | ".join(h) + " |", "|" + "---|" * len(h)] + [
                "| " + " | ".join(r) + " |" for r in esc
            ]

        from certprep.services.report_format import md_cell

        out = [
            f"# Class report — {report.name}",
            "",
            *table(head, rows),
            "",
            *(f"{n}\n" for n in _notes(report, md_cell)),
            "## Exam accuracy by section",
            "",
            *(table(sec_head, sec_rows) if sec_rows else [no_mocks]),
            "",
        ]
        return "\n".join(out)
    widths = (
        [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
        if rows
        else [len(h) for h in head]
    )
    lines = [f"Class report — {report.name}", ""]
    lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines += ["", *_notes(report)] if _notes(report) else []
    lines += ["", "Exam accuracy by section:"]
    lines += [] if sec_rows else [f"  {no_mocks}"]
    lines += [
        "  "
        + s[0]
        + ": "
        + ", ".join(f"{k} {v}" for k, v in zip(report.sections, s[1:], strict=True))
        for s in sec_rows
    ]
    return "\n".join(lines) + "\n"
