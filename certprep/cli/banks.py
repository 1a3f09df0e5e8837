"""Bank commands: import, export, and `certprep banks …`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from certprep.cli.common import (
    _import_with_progress,
    _stderr_console,
    app,
    banks_app,
    fail,
    guard,
    say,
    state,
)


@app.command("import")
def import_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Bank files to import.")],
    fmt: Annotated[
        str, typer.Option("--format", help="auto|native|csv|tsv|json|aiken|gift|moodle|apkg")
    ] = "auto",
    bank: Annotated[str | None, typer.Option(help="Name of the bank to create or update.")] = None,
    exam_key: Annotated[Optional[str], typer.Option("--exam", help="Exam the items fit.")] = None,  # noqa: UP045
    section: Annotated[Optional[str], typer.Option(help="Section key for the items.")] = None,  # noqa: UP045
    mapping: Annotated[
        list[str] | None, typer.Option("--map", help="COLUMN=FIELD, repeatable.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and report; write nothing.")
    ] = False,
    on_duplicate: Annotated[
        str,
        typer.Option(
            help="skip|update. Kept for old scripts: ids belong to their bank, so another "
            "bank's ids never clash and are never touched."
        ),
    ] = "skip",
    with_history: Annotated[
        bool,
        typer.Option("--with-history", help="Anki decks: carry review history over as FSRS state."),
    ] = False,
    encoding: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Text encoding of the files when not UTF-8 (e.g. cp1252)."),
    ] = None,
    reassign: Annotated[
        bool,
        typer.Option(
            "--reassign", help="Move items already imported to the exam/section the file says."
        ),
    ] = False,
) -> None:
    """Import question banks (native YAML/JSON, CSV/TSV, Aiken, GIFT, Moodle XML, Anki).

    Without --exam and --section (and without exam/section columns) the questions go to your
    own deck (exam 'own'): reviewed and drilled, never drawn into a mock exam.
    """

    if on_duplicate not in ("skip", "update"):
        fail(f"--on-duplicate must be skip or update, not {on_duplicate!r}")
    mapped: dict[str, str] = {}
    for m in mapping or []:
        col, sep, fld = m.partition("=")
        if not sep or not col.strip() or not fld.strip():
            fail(f"--map {m!r}: expected COLUMN=FIELD, e.g. --map Question=stem")
        mapped[col.strip()] = fld.strip()
    new_file = _new_database_file()
    try:
        services = state.services()
        summaries = guard(
            lambda: _import_with_progress(
                services,
                paths,
                fmt=fmt,
                bank_name=bank,
                exam=exam_key,
                section=section,
                mapping=mapped or None,
                dry_run=dry_run,
                on_duplicate=on_duplicate,
                with_history=with_history,
                encoding=encoding,
                reassign=reassign,
            )
        )
    except typer.Exit:
        _remove_new_database(new_file)
        raise
    for s in summaries:
        say(s.line())
        for exam_name, sections in sorted(s.by_exam.items()):
            parts = ", ".join(f"{k} {v}" for k, v in sorted(sections.items()))
            say(f"  {exam_name}: {parts}")
        for w in s.warnings:
            say(f"  note: {w}")
    if dry_run:
        _remove_new_database(new_file)
        typer.echo("dry run: nothing was written")


def _new_database_file() -> Path | None:
    """The SQLite file this command would create, if it does not exist yet."""
    from certprep.services.settings import resolve_db
    from certprep.store.engine import make_engine, sqlite_path

    try:
        engine = make_engine(resolve_db(state.db))
        path = sqlite_path(engine)
        engine.dispose()
    except Exception:  # a bad URL is reported when the database is opened
        return None
    return path if path is not None and not path.exists() else None


def _remove_new_database(path: Path | None) -> None:
    """A failed import leaves no database behind where there was none."""
    if path is None:
        return
    if state._services is not None:
        state._services.engine.dispose()
        state._services = None
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)


@app.command()
def export(
    bank: Annotated[str, typer.Argument(help="Bank name (see `certprep banks list`).")],
    fmt: Annotated[
        str, typer.Option("--format", help="native|json|csv|tsv|gift|moodle")
    ] = "native",
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="File to write.")] = None,  # noqa: UP045
) -> None:
    """Export a bank to a file; what the format cannot carry is listed on stderr."""
    from certprep.services.imports import export_bank_with_warnings

    services = state.services()
    if output is not None and output.suffix.lower() == ".json" and fmt.strip().lower() == "native":
        fmt = "json"  # native YAML in a .json file is read back as JSON, and fails: write JSON
    data, warnings = guard(lambda: export_bank_with_warnings(services, bank, fmt))
    for w in warnings:
        typer.echo(f"note: {w}", err=True)
    if output is None:
        sys.stdout.buffer.write(data)
        return
    try:
        tmp = output.with_name(output.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(output)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    typer.echo(f"wrote {output}", err=True)


# -- banks ---------------------------------------------------------------------------------
@banks_app.command("list")
def banks_list() -> None:
    """The banks in the database, with their item counts."""
    for b in guard(lambda: state.services().banks()):
        say(f"{b['name']:<32} v{b['version']:<8} {b['items']:>6} items  ({b['origin']})")


@banks_app.command("check")
def banks_check(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders; default: the shipped banks.")
    ] = None,
) -> None:
    """Lint bank files: codes exist, keys among choices, no duplicates, every item cited."""
    from certprep.banks.lint import bundled_banks_dir, check_paths

    targets = paths or [bundled_banks_dir()]
    result = guard(lambda: check_paths(targets))
    for note in result.notes:
        typer.echo(note)
    problems = result.problems
    for p in problems:
        say(str(p))
    if problems:
        fail(f"{len(problems)} problems found")
    typer.echo("no problems found")


@banks_app.command("remove")
def banks_remove(
    name: str, yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False
) -> None:
    """Remove a bank, its items, and every card and review of them."""
    from certprep.banks.importer import remove_bank

    services = state.services(load_banks=False)
    if not yes and not typer.confirm(f"Remove bank {name!r} and all review history of its items?"):
        raise typer.Exit(1)
    n = guard(lambda: remove_bank(services.engine, name))
    typer.echo(f"removed {name}: {n} items")


@banks_app.command("retire")
def banks_retire(name: str) -> None:
    """Take a bank's questions out of review and new exams; attempts and history stay whole."""
    from certprep.banks.importer import retire_bank

    services = state.services(load_banks=False)
    n = guard(lambda: retire_bank(services.engine, name))
    typer.echo(f"retired {name}: {n} items (kept with their history)")


@banks_app.command("build-codesets")
def banks_build_codesets(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for the generated banks (default: under the data dir)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same items.")] = 2026,
    sample: Annotated[
        int | None, typer.Option(min=1, help="At most N items per family (a quick run).")
    ] = None,
    no_import: Annotated[
        bool, typer.Option("--no-import", help="Only write the bank files.")
    ] = False,
) -> None:
    """Generate ICD-10-CM and ICD-10-PCS practice items from the official tables, and import them."""
    from certprep.banks.codesets import build_codesets
    from certprep.services.settings import data_dir

    folder = out or data_dir() / "codesets"
    folder.mkdir(parents=True, exist_ok=True)
    if sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(transient=True, console=_stderr_console()) as bar:
            task = bar.add_task("Generating items", total=None)
            paths = guard(
                lambda: build_codesets(
                    folder,
                    seed=seed,
                    sample=sample,
                    progress=lambda step, total, what: bar.update(
                        task, completed=step, total=total, description=what
                    ),
                )
            )
    else:
        paths = guard(lambda: build_codesets(folder, seed=seed, sample=sample))
    for p in paths:
        typer.echo(f"wrote {p}")
    if no_import:
        return
    services = state.services()
    for summary in guard(
        lambda: _import_with_progress(services, list(paths), on_duplicate="update")
    ):
        typer.echo(summary.line())


@banks_app.command("schema")
def banks_schema() -> None:
    """Print the JSON Schema of the native bank format (for editor completion)."""
    from certprep.core.models import Bank

    typer.echo(json.dumps(Bank.model_json_schema(), indent=2))
