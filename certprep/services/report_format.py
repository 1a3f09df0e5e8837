"""The report as JSON (stable schema certprep-report/1), Markdown, text, CSV and one HTML file."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
from typing import Any

from certprep.banks.formats.tabular import as_text_cell
from certprep.core.pacing import mmss
from certprep.core.report import Group
from certprep.core.text import visible
from certprep.services.report import ExamReport

SCHEMA = "certprep-report/1"


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(x, nd)


def drill_command(exam: str, g: Group, *, topic: bool) -> str:
    what = f"--topic {shlex.quote(g.key)}" if topic else f"--section {g.key}"
    return f"certprep review --exam {exam} {what}"


def group_dict(exam: str, g: Group, *, topic: bool, title: str | None = None) -> dict[str, Any]:
    ci = g.interval
    d: dict[str, Any] = {
        ("topic" if topic else "key"): g.key,
        "section": g.section,
        "answered": g.answered,
        "right": g.right,
        "accuracy": _r(g.accuracy),
        "ci_low": _r(ci[0]) if ci else None,
        "ci_high": _r(ci[1]) if ci else None,
        "small_sample": g.small_sample,
        "trend": [_r(t) for t in g.trend],
        "cards": g.cards,
        "studied": g.studied,
        "unseen_share": _r(g.unseen),
        "mean_retrievability": _r(g.mean_r),
        "due": g.due,
        "overdue": g.overdue,
        "questions_on_exam": _r(g.weight, 2),
        "predicted_correctness": _r(g.predicted),
        "expected_points_lost": _r(g.score, 3),
        "drill": drill_command(exam, g, topic=topic),
    }
    if title is not None:
        d["title"] = title
    return d


def report_dict(rep: ExamReport) -> dict[str, Any]:
    r = rep.readiness
    return {
        "exam": rep.exam,
        "name": rep.name,
        "generated_at": rep.generated_at.isoformat(),
        "forecast_for": rep.forecast_for,
        "pass_mark": rep.pass_mark,
        "pass_note": rep.pass_note,
        "readiness": {
            "expected_score": _r(r.expected),
            "low": _r(r.low),
            "high": _r(r.high),
            "pass_probability": _r(r.pass_probability),
            "need": r.need,
            "scored_questions": r.total,
            "lapse_ratio": _r(r.lapse_ratio),
            "pace_warning": rep.pace_warning,
            "evidence": rep.has_evidence,  # false: the figures are the population prior alone
        },
        "pacing": _pacing_dict(rep),
        "sections": [
            group_dict(rep.exam, g, topic=False, title=rep.section_titles.get(g.key))
            for g in rep.sections
        ],
        "weak_topics": [group_dict(rep.exam, g, topic=True) for g in rep.weak],
        "topics": [group_dict(rep.exam, g, topic=True) for g in rep.topics],
        "attempts": [
            {
                "id": a.id,
                "started_at": a.started_at.isoformat(),
                "title": a.title,
                "score": _r(a.score),
                "passed": a.passed,
                "time_used_s": round(a.time_used_s, 1),
                "sections": {k: _r(v) for k, v in a.sections.items()},
            }
            for a in rep.attempts
        ],
        "assumptions": rep.assumptions,
    }


def to_json(reports: list[ExamReport], profile: str) -> str:
    return (
        json.dumps(
            {"schema": SCHEMA, "profile": profile, "exams": [report_dict(r) for r in reports]},
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


def prob(x: float) -> str:
    """A probability as a percentage that never rounds to certainty."""
    if x < 0.005:
        return "<1%"
    if x > 0.995:
        return ">99%"
    return f"{x:.0%}"


def readiness_line(rep: ExamReport, bold: str = "") -> str:
    """The one-line forecast: expected score, its interval, the cut and the chance of passing."""
    r = rep.readiness
    cut = f"pass mark {_pct(rep.pass_mark)}"
    if r.total:
        cut += f" ({r.need} of {r.total} scored questions)"
    if not rep.has_evidence:
        return f"Readiness ({rep.forecast_for}): {rep.no_evidence}; {cut}"
    return (
        f"Readiness ({rep.forecast_for}): predicted score {bold}{_pct(r.expected)}{bold} "
        f"(95% of likely scores {_pct(r.low)}–{_pct(r.high)}), {cut}, "
        f"chance of passing {bold}{prob(r.pass_probability)}{bold}"
    )


def _pacing_dict(rep: ExamReport) -> dict[str, Any] | None:
    p = rep.pacing
    if p is None:
        return None
    return {
        "budget_s": _r(p.budget_s),
        "per_question_s": _r(p.per_question_s),
        "reaches": p.reaches,
        "questions": p.total,
        "sections": [
            {"key": sp.key, "title": sp.title, "per_question_s": _r(sp.per_question_s)}
            for sp in p.sections
        ],
    }


def pacing_lines(rep: ExamReport) -> list[str]:
    """Pacing of the last timed mock: the verdict, then each section's time per question."""
    p = rep.pacing
    if p is None:
        return ["no timed mock yet: pacing shows after one"]
    lines = [p.verdict()]
    for sp in sorted(p.sections, key=lambda x: -x.per_question_s):
        over = " (over budget)" if p.budget_s and sp.per_question_s > p.budget_s else ""
        part = f", {sp.answered} of {sp.questions} answered" if sp.answered < sp.questions else ""
        lines.append(f"{mmss(sp.per_question_s)} per question: {sp.title}{over}{part}")
    return lines


def predicted(rep: ExamReport, g: Group) -> str:
    """A section's predicted correctness, or — when the exam has no evidence (prior alone)."""
    return _pct(g.predicted) if rep.has_evidence else "—"


def weak_lines(rep: ExamReport) -> list[str] | None:
    """In place of the weak topics when there is no evidence: none is weak or strong yet."""
    if rep.has_evidence:
        return None
    return ["no evidence yet: the weak topics show once you have answered questions"]


def _studied(g: Group) -> str:
    return f"{g.studied}/{g.cards}" if g.cards else "—"


def _acc(g: Group) -> str:
    if not g.answered:
        return "no answers"
    lo, hi = g.interval or (0, 1)
    note = ", small sample" if g.small_sample else ""
    return f"{_pct(g.accuracy)} of {g.answered} ({_pct(lo)}–{_pct(hi)}{note})"


_MD_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "`": "\\`",
        "[": "\\[",
        "]": "\\]",
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
        "\n": " ",
    }
)


def _md_cell(text: str) -> str:
    """User text as inert Markdown: no raw HTML (``<script>`` shows as text), no links or code
    spans of its own, no table breaks, no terminal controls."""
    return visible(text).translate(_MD_ESCAPES)


md_cell = _md_cell  # for the class report's tables


def _md_code(text: str) -> str:
    """A code span in a table cell that user text inside cannot close early: the fence outruns
    any run of backticks in it, and a pipe cannot end the cell."""
    text = visible(text).replace("\n", " ")
    run = max((len(r) for r in re.findall("`+", text)), default=0)
    fence = "`" * (run + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}".replace("|", "\\|")


def to_markdown(reports: list[ExamReport], profile: str) -> str:
    out = [f"# certprep report — {_md_cell(profile)}", ""]
    for rep in reports:
        out += [f"## {_md_cell(rep.name)}", "", readiness_line(rep, "**") + ".", ""]
        if rep.pace_warning:
            out += [f"**{rep.pace_warning}**", ""]
        out += ["### Pacing (last timed mock)", ""]
        out += [f"- {_md_cell(x)}" for x in pacing_lines(rep)] + [""]
        if rep.pass_note:
            out += [f"> {_md_cell(rep.pass_note)}", ""]
        out += ["### Weak topics (expected points lost on exam day)", ""]
        instead = weak_lines(rep)
        if instead:
            out += [f"- {x}" for x in instead]
        else:
            out += [
                "| # | Topic | Section | Points lost | Accuracy | Memory | Drill |",
                "|---|---|---|---|---|---|---|",
            ]
        for i, g in enumerate([] if instead else rep.weak, 1):
            out.append(
                f"| {i} | {_md_cell(g.key)} | {g.section} | {g.score:.2f} | {_acc(g)} | "
                f"{_pct(g.mean_r)} | {_md_code(drill_command(rep.exam, g, topic=True))} |"
            )
        out += [
            "",
            "### Sections",
            "",
            "| Section | Questions | Accuracy | Trend | Studied | Memory | Due | Overdue | Predicted |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for g in rep.sections:
            trend = " → ".join(_pct(t) for t in g.trend) or "—"
            out.append(
                f"| {_md_cell(rep.section_titles.get(g.key, g.key))} | {g.weight:.0f} | {_acc(g)} | {trend} | "
                f"{_studied(g)} | {_pct(g.mean_r)} | {g.due} | {g.overdue} | {predicted(rep, g)} |"
            )
        out += ["", "### History", ""]
        if rep.attempts:
            out += ["| Date | Attempt | Score | Result | Time used |", "|---|---|---|---|---|"]
            for a in rep.attempts:
                res = "—" if a.passed is None else ("pass" if a.passed else "fail")
                out.append(
                    f"| {a.started_at.date().isoformat()} | {_md_cell(a.title)} | {_pct(a.score)} | {res} | "
                    f"{int(a.time_used_s // 60)} min |"
                )
        else:
            out.append("No submitted attempts yet.")
        out += (
            ["", "### How these figures are made", ""]
            + [f"- {_md_cell(a)}" for a in rep.assumptions]
            + [""]
        )
    return "\n".join(out)


def to_text(reports: list[ExamReport], profile: str) -> str:
    lines = [f"certprep report — {profile}", ""]
    for rep in reports:
        lines += [rep.name, "=" * len(rep.name), readiness_line(rep)]
        if rep.pace_warning:
            lines.append(rep.pace_warning)
        lines += ["", "Pacing (last timed mock):"] + [f"  {x}" for x in pacing_lines(rep)] + [""]
        lines.append("Weak topics (expected points lost on exam day):")
        instead = weak_lines(rep)
        lines += [f"  {x}" for x in instead or []]
        for i, g in enumerate([] if instead else rep.weak, 1):
            lines.append(
                f"  {i:2}. {g.key} [{g.section}] {g.score:.2f} pts — accuracy {_acc(g)}, memory {_pct(g.mean_r)}"
            )
            lines.append(f"      drill: {drill_command(rep.exam, g, topic=True)}")
        lines += ["", "Sections:"]
        for g in rep.sections:
            lines.append(
                f"  {rep.section_titles.get(g.key, g.key)[:48]:48} {_acc(g):34} "
                f"studied {_studied(g):>7} memory {_pct(g.mean_r):>4} "
                f"due {g.due:>4} predicted {predicted(rep, g)}"
            )
        lines += ["", "History:"]
        for a in rep.attempts:
            res = "—" if a.passed is None else ("pass" if a.passed else "fail")
            lines.append(
                f"  {a.started_at.date()} {a.title[:40]:40} {_pct(a.score):>5} {res:5} "
                f"{int(a.time_used_s // 60)} min"
            )
        if not rep.attempts:
            lines.append("  no submitted attempts yet")
        lines += ["", "Assumptions:"] + [f"  - {a}" for a in rep.assumptions] + [""]
    return "\n".join(lines)


def to_csv(reports: list[ExamReport], profile: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        [
            "exam",
            "level",
            "key",
            "section",
            "answered",
            "right",
            "accuracy",
            "ci_low",
            "ci_high",
            "mean_retrievability",
            "due",
            "overdue",
            "predicted_correctness",
            "expected_points_lost",
        ]
    )
    for rep in reports:
        for level, groups in (("section", rep.sections), ("topic", rep.topics)):
            for g in groups:
                ci = g.interval
                w.writerow(
                    [
                        rep.exam,
                        level,
                        as_text_cell(g.key),  # a topic is the learner's text: never a formula
                        g.section,
                        g.answered,
                        g.right,
                        _r(g.accuracy),
                        _r(ci[0]) if ci else "",
                        _r(ci[1]) if ci else "",
                        _r(g.mean_r),
                        g.due,
                        g.overdue,
                        # the prior alone without evidence: no figure, as in the other formats
                        _r(g.predicted) if rep.has_evidence else "",
                        _r(g.score, 3) if rep.has_evidence else "",
                    ]
                )
    return buf.getvalue()


def to_html(reports: list[ExamReport], profile: str) -> str:
    """One self-contained page (``report_html``): inline CSS and SVG, no scripts."""
    from certprep.services.report_html import page

    return page(reports, profile)


RENDERERS = {"json": to_json, "md": to_markdown, "text": to_text, "csv": to_csv, "html": to_html}
