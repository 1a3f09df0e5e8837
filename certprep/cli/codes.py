"""`certprep codes QUERY`: the code book from the command line.

A code (E11.22, e1122, 0DTJ4ZZ) shows the entry: an ICD-10-CM code with its tabular notes and
MS-DRG status, a PCS code axis by axis. Anything else is a ranked search. --json for scripts.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any, Optional

import typer

from certprep.cli.common import app, fail, guard


@app.command()
def codes(
    query: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(
            help="Words (type 2 diabetes kidney) or a code or prefix (E11.22, e1122, 0DT)."
        ),
    ] = None,
    system: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--system", help="Only cm (ICD-10-CM), pcs (ICD-10-PCS) or drg (CC/MCC codes)."
        ),
    ] = None,
    pdx: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--pdx", help="A principal diagnosis: is the code excluded as a CC/MCC with it?"
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many results.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    build: Annotated[
        bool, typer.Option("--build", help="Build the search index now (done once, on first use).")
    ] = False,
) -> None:
    """Search the code book: ICD-10-CM FY2026, ICD-10-PCS, MS-DRG v43 CC/MCC. No CPT (AMA)."""
    from certprep.core.problems import InputError
    from certprep.services.codebook import code_book

    book = code_book()
    if not book.ready:
        if not as_json:
            typer.echo("Building the code-book index (once, a few seconds)…", err=True)
        guard(book.build)
    if build and query is None:
        typer.echo(f"code-book index: {book.path}")
        return
    if query is None or not query.strip():
        fail("certprep codes: give words or a code to look up, e.g. `certprep codes E11.22`")
    if limit < 1:
        fail("certprep codes: --limit must be at least 1")
    if system is not None and system not in ("cm", "pcs", "drg"):
        fail(f"certprep codes: unknown --system {system!r}: use cm, pcs or drg")

    def run() -> dict[str, Any]:
        result = book.search(query, system, limit)
        detail: dict[str, Any] | None = None
        top = result.hits[0] if result.hits else None
        exact = top is not None and result.by_code and _same(top.code, query)
        if pdx is not None:
            status = book.drg(query, pdx=pdx)
            if status is None:
                raise InputError(f"{query!r} is not an ICD-10-CM code: --pdx needs one")
            detail = {"system": "cm", "drg": asdict(status), "summary": status.summary}
        elif exact and top is not None and top.system == "cm":
            found = book.cm(top.code)
            if found is not None:
                detail = _cm_detail(found)
        elif exact and top is not None and top.system == "pcs":
            detail = _pcs_detail(book.pcs(top.code))
        elif top is not None and top.system == "pcsindex" and _same(top.code, query):
            detail = {"system": "pcsindex", "term": top.code, "lines": book.pcs_index(top.code)}
        return {
            "query": result.query,
            "system": system,
            "by_code": result.by_code,
            "elapsed_ms": round(result.elapsed_ms, 2),
            "hits": [asdict(h) for h in result.hits],
            "detail": detail,
            "sources": book.sources(),
        }

    out = guard(run)
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    _print(out)


def _same(code: str, query: str) -> bool:
    return code.replace(".", "").upper() == query.strip().replace(".", "").upper()


def _cm_detail(d: Any) -> dict[str, Any]:
    e = d.entry
    return {
        "system": "cm",
        "code": e.code,
        "title": e.title,
        "kind": e.kind,
        "billable": e.billable,
        "path": [{"code": a.code, "kind": a.kind, "title": a.title} for a in d.ancestors],
        "notes": [asdict(n) for n in d.notes],
        "placeholder": d.placeholder,
        "seventh_from": d.seventh_from,
        "children": [
            {"code": c.code, "title": c.title, "billable": c.billable} for c in d.children
        ],
        "drg": asdict(d.drg) if d.drg else None,
    }


def _pcs_detail(d: Any) -> dict[str, Any]:
    return {
        "system": "pcs",
        "code": d.code,
        "title": d.title,
        "axes": [asdict(a) for a in d.axes],
    }


def _print(out: dict[str, Any]) -> None:
    echo = typer.echo
    detail = out["detail"]
    if detail and "summary" in detail:
        echo(detail["summary"])
        return
    if detail and detail["system"] == "cm":
        billable = "billable" if detail["billable"] else "NOT billable: needs more characters"
        echo(f"{detail['code']}  {detail['title']}  [{billable}]")
        for a in detail["path"]:
            label = f"Chapter {a['code']}" if a["kind"] == "chapter" else a["code"]
            echo(f"  in {label}: {a['title']}")
        for n in detail["notes"]:
            where = "" if n["source"] == detail["code"] else f" (at {n['source']})"
            echo(f"{n['heading']}{where}:")
            for line in n["lines"]:
                echo(f"    {line}")
        if detail["placeholder"]:
            echo(f"Placeholder: {detail['placeholder']}")
        if detail["drg"]:
            level = detail["drg"]["level"] or "not a CC or MCC"
            echo(f"MS-DRG v43: {level}")
        if detail["children"]:
            echo("Codes below:")
            for c in detail["children"][:40]:
                mark = "" if c["billable"] else "  (not billable)"
                echo(f"    {c['code']:<9} {c['title']}{mark}")
        return
    if detail and detail["system"] == "pcsindex":
        echo(f"ICD-10-PCS Index: {detail['term']}")
        for line in detail["lines"] or []:
            echo("    " + line)
        return
    if detail and detail["system"] == "pcs":
        echo(f"{detail['code']}  {detail['title']}")
        for a in detail["axes"]:
            meaning = a["meaning"] or "(see the description)"
            if a["derived"]:
                meaning += "  (from the code titles)"
            echo(f"  {a['position']}  {a['name']:<20} {a['value']}  {meaning}")
        return
    hits = out["hits"]
    if not hits:
        # Finding nothing is an answer, not a failure: exit 0 (README: 1 means a bug).
        echo(f"No code or title matches {out['query']!r}.")
        return
    for h in hits:
        if h["system"] == "pcsindex":
            echo(f"{'PCS Index':<9} {h['code']}: {h['title']}")
            continue
        marks = []
        if h["system"] == "cm" and h["kind"] != "block":
            marks.append("billable" if h["billable"] else "not billable")
        if h["level"]:
            marks.append(h["level"])
        tail = f"  [{', '.join(marks)}]" if marks else ""
        echo(f"{h['code']:<9} {h['title']}{tail}")
    found = f"{len(hits)} result{'' if len(hits) == 1 else 's'}"
    echo(f"({found} in {out['elapsed_ms']:.1f} ms; CPT: use your own code book)")
