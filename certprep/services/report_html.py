"""The report as one self-contained HTML page: inline CSS and SVG charts, no scripts, nothing
fetched. User text is escaped everywhere."""

from __future__ import annotations

import html

from certprep.services.report import ExamReport
from certprep.services.report_format import (
    _acc,
    _pct,
    drill_command,
    pacing_lines,
    readiness_line,
    weak_lines,
)


def _score_svg(rep: ExamReport) -> str:
    """Score per attempt as an inline SVG line with the pass mark (no scripts, no fetches)."""
    if not rep.attempts:
        return "<p class='note'>No submitted attempts yet: the score chart shows after one.</p>"
    w, h, left, top = 600, 160, 40, 10
    n = len(rep.attempts)
    xs = [left + (w - left - 10) * (i / max(1, n - 1)) for i in range(n)]

    def y(v: float) -> float:
        return top + (h - top - 20) * (1 - v)

    pts = " ".join(f"{x:.1f},{y(a.score or 0):.1f}" for x, a in zip(xs, rep.attempts, strict=True))
    out = [
        f"<h3>Score per attempt</h3><svg width='100%' viewBox='0 0 {w} {h}' role='img' "
        "aria-label='score per attempt with the pass mark'>",
        f"<line x1='{left}' y1='{y(0):.1f}' x2='{w - 10}' y2='{y(0):.1f}' stroke='#999'/>",
        f"<line x1='{left}' y1='{y(0):.1f}' x2='{left}' y2='{y(1):.1f}' stroke='#999'/>",
    ]
    for v in (0, 0.5, 1):
        out.append(f"<text x='0' y='{y(v) + 4:.1f}' font-size='10'>{v:.0%}</text>")
    pm = y(rep.pass_mark)
    out.append(
        f"<line x1='{left}' y1='{pm:.1f}' x2='{w - 10}' y2='{pm:.1f}' stroke='#c0392b' "
        "stroke-dasharray='4 3'/>"
        f"<text x='{w - 90}' y='{pm - 3:.1f}' font-size='10' fill='#c0392b'>pass "
        f"{rep.pass_mark:.0%}</text>"
    )
    out.append(f"<polyline points='{pts}' fill='none' stroke='#3b7ddd' stroke-width='2'/>")
    for i, (x, a) in enumerate(zip(xs, rep.attempts, strict=True), 1):
        out.append(f"<circle cx='{x:.1f}' cy='{y(a.score or 0):.1f}' r='3' fill='#3b7ddd'/>")
        out.append(f"<text x='{x - 3:.1f}' y='{h - 4}' font-size='10'>{i}</text>")
    out.append("</svg>")
    return "".join(out)


def page(reports: list[ExamReport], profile: str) -> str:
    """One self-contained page: inline CSS, inline SVG bars, no scripts, no network fetches."""
    e = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>certprep report — {e(profile)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
        "table{border-collapse:collapse;width:100%;margin:1rem 0}td,th{border-bottom:1px solid #ddd;padding:.3rem;"
        "text-align:left;font-size:.9rem}.bar{fill:#3b7ddd}.lo{fill:#c0392b}code{font-size:.8rem}"
        ".note{color:#555;font-size:.9rem}</style></head><body>",
        f"<h1>certprep report — {e(profile)}</h1>",
    ]
    for rep in reports:
        parts.append(f"<h2>{e(rep.name)}</h2>")
        parts.append(f"<p>{e(readiness_line(rep))}.</p>")
        if rep.pace_warning:
            parts.append(f"<p><strong>{e(rep.pace_warning)}</strong></p>")
        parts.append("<h3>Pacing (last timed mock)</h3><ul>")
        parts += [f"<li>{e(x)}</li>" for x in pacing_lines(rep)]
        parts.append("</ul>")
        parts.append(_score_svg(rep))
        if rep.pass_note:
            parts.append(f"<p class='note'>{e(rep.pass_note)}</p>")
        parts.append(
            "<h3>Weak topics</h3><table><tr><th>#</th><th>Topic</th><th>Section</th>"
            "<th>Points lost</th><th>Accuracy</th><th>Memory</th><th>Drill</th></tr>"
        )
        instead = weak_lines(rep)
        parts += [f"<tr><td colspan='7'>{e(x)}</td></tr>" for x in instead or []]
        for i, g in enumerate([] if instead else rep.weak, 1):
            parts.append(
                f"<tr><td>{i}</td><td>{e(g.key)}</td><td>{e(g.section)}</td><td>{g.score:.2f}</td>"
                f"<td>{e(_acc(g))}</td><td>{_pct(g.mean_r)}</td>"
                f"<td><code>{e(drill_command(rep.exam, g, topic=True))}</code></td></tr>"
            )
        parts.append("</table><h3>Accuracy and memory by section</h3>")
        height = 18 * len(rep.sections) + 10
        svg = [
            f"<svg width='100%' viewBox='0 0 600 {height}' role='img' aria-label='accuracy by section'>"
        ]
        for i, g in enumerate(rep.sections):
            y = 5 + i * 18
            acc = g.accuracy if g.accuracy is not None else 0
            svg.append(f"<text x='0' y='{y + 12}' font-size='11'>{e(g.key)}</text>")
            svg.append(
                f"<rect class='{'lo' if acc < rep.pass_mark else 'bar'}' x='160' y='{y + 2}' "
                f"width='{acc * 200:.1f}' height='7'/>"
            )
            svg.append(
                f"<rect x='160' y='{y + 10}' width='{(g.mean_r or 0) * 200:.1f}' height='5' fill='#8e44ad'/>"
            )
            svg.append(
                f"<text x='370' y='{y + 12}' font-size='11'>{e(_acc(g))}; memory {_pct(g.mean_r)}</text>"
            )
        svg.append("</svg>")
        parts.append("".join(svg))
        parts.append(
            "<p class='note'>Blue/red: exam accuracy (red below the pass mark); purple: memory.</p>"
        )
        parts.append(
            "<h3>History</h3><table><tr><th>Date</th><th>Attempt</th><th>Score</th><th>Result</th>"
            "<th>Time</th></tr>"
        )
        for a in rep.attempts:
            res = "—" if a.passed is None else ("pass" if a.passed else "fail")
            parts.append(
                f"<tr><td>{a.started_at.date()}</td><td>{e(a.title)}</td><td>{_pct(a.score)}</td>"
                f"<td>{res}</td><td>{int(a.time_used_s // 60)} min</td></tr>"
            )
        parts.append("</table><h3>How these figures are made</h3><ul>")
        parts += [f"<li>{e(a)}</li>" for a in rep.assumptions]
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "".join(parts)
