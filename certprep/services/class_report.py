"""The instructor's view: every learner on one database, per student and per section."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from certprep.store.tables import LEARNER, REVIEW_LOG

if TYPE_CHECKING:
    from certprep.services.services import Services


@dataclass
class StudentLine:
    profile: str
    reviews: int
    attempts: int
    last_score: float | None
    best_score: float | None
    readiness: float
    pass_probability: float
    sections: dict[str, float | None] = field(default_factory=dict)  # accuracy on exams
    weakest: str | None = None


@dataclass
class ClassReport:
    exam: str
    name: str
    sections: list[str]
    students: list[StudentLine]


def class_report(services: Services, exam: str) -> ClassReport:
    """Per-student figures for one exam, built from each learner's own report."""
    from certprep.services import Services as Svc
    from certprep.services.report import build_report

    bp = services.blueprint(exam)
    with services.engine.connect() as conn:
        learners = [
            r.name for r in conn.execute(sa.select(LEARNER.c.name).order_by(LEARNER.c.name))
        ]
        reviews: dict[str, int] = dict(
            conn.execute(
                sa.select(LEARNER.c.name, sa.func.count(REVIEW_LOG.c.id))
                .select_from(LEARNER.outerjoin(REVIEW_LOG, REVIEW_LOG.c.learner_id == LEARNER.c.id))
                .group_by(LEARNER.c.name)
            ).all()
        )
    students = []
    for name in learners:
        learner = Svc(services.engine, name, clock=services.clock, banks_dir=services.banks_dir)
        rep = build_report(learner, bp.key)
        scores = [a.score for a in rep.attempts if a.score is not None]
        weak = rep.weak[0].key if rep.weak else None
        students.append(
            StudentLine(
                profile=name,
                reviews=int(reviews.get(name, 0)),
                attempts=len(rep.attempts),
                last_score=scores[-1] if scores else None,
                best_score=max(scores) if scores else None,
                readiness=rep.readiness.expected,
                pass_probability=rep.readiness.pass_probability,
                sections={g.key: g.accuracy for g in rep.sections},
                weakest=weak,
            )
        )
    return ClassReport(bp.key, bp.name, [s.key for s in bp.sections], students)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


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
                    "readiness": round(s.readiness, 4),
                    "pass_probability": round(s.pass_probability, 4),
                    "sections": s.sections,
                    "weakest_topic": s.weakest,
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
                    s.profile,
                    s.reviews,
                    s.attempts,
                    s.last_score,
                    s.best_score,
                    round(s.readiness, 4),
                    round(s.pass_probability, 4),
                    s.weakest,
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
    sec_rows = [
        [s.profile, *(_pct(s.sections.get(k)) for k in report.sections)] for s in report.students
    ]
    if fmt == "md":

        def table(h: list[str], rs: list[list[str]]) -> list[str]:
            from certprep.services.report_format import md_cell

            esc = [[md_cell(c) for c in r] for r in rs]
            return ["| " + " | ".join(h) + " |", "|" + "---|" * len(h)] + [
                "| " + " | ".join(r) + " |" for r in esc
            ]

        out = [
            f"# Class report — {report.name}",
            "",
            *table(head, rows),
            "",
            "## Exam accuracy by section",
            "",
            *table(sec_head, sec_rows),
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
    lines += ["", "Exam accuracy by section:"]
    lines += [
        "  "
        + s[0]
        + ": "
        + ", ".join(f"{k} {v}" for k, v in zip(report.sections, s[1:], strict=True))
        for s in sec_rows
    ]
    return "\n".join(lines) + "\n"
