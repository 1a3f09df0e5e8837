"""The `certprep` command: parse, call services, print. The TUI is imported only when it runs.

Exit codes: 0 ok, 2 bad input (the message says what and where), 3 not available yet, 1 a bug.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Optional, TypeVar

import typer

from certprep import __version__

if TYPE_CHECKING:
    from certprep.services import Services

T = TypeVar("T")
EXIT_BAD_INPUT = 2
EXIT_NOT_AVAILABLE = 3

app = typer.Typer(
    name="certprep",
    help="Timed mock exams and FSRS spaced repetition for the CPC, CPB and CCS exams.",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
banks_app = typer.Typer(help="List, check, remove and build question banks.", no_args_is_help=True)
db_app = typer.Typer(help="Where the database is; upgrade it; back it up.", no_args_is_help=True)
app.add_typer(banks_app, name="banks")
app.add_typer(db_app, name="db")


class State:
    db: str | None = None
    profile: str = "default"
    _services: Services | None = None

    def services(self, *, load_banks: bool = True) -> Services:
        """Open the database (and load the shipped banks the first time), or exit with a message."""
        if self._services is None:
            from certprep.services import open_services

            self._services = guard(lambda: open_services(self.db, self.profile))
            if load_banks:
                services = self._services
                guard(lambda: load_banks_with_progress(services))
        return self._services


state = State()


def err(message: str) -> None:
    typer.echo(message, err=True)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    err(message)
    raise typer.Exit(code)


def not_available(feature: str) -> NoReturn:
    fail(f"certprep: {feature} is not available yet in this version.", EXIT_NOT_AVAILABLE)


def guard(fn: Callable[[], T]) -> T:
    """Run fn; turn bad input and unusable databases into messages with exit code 2."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    from certprep.core.problems import InputError
    from certprep.store.migrate import SchemaError

    try:
        return fn()
    except InputError as exc:
        fail(exc.render())
    except SchemaError as exc:
        fail(f"certprep: {exc}")
    except OperationalError as exc:
        from certprep.services.errors import database_message

        fail(f"certprep: the database cannot be used: {database_message(exc)}")
    except DBAPIError as exc:
        from certprep.services.errors import database_message, is_known_database_error

        if not is_known_database_error(exc):
            raise
        fail(f"certprep: the database cannot be used: {database_message(exc)}")


def load_banks_with_progress(services: Services) -> None:
    pending = services.pending_bundled_banks()
    if not pending:
        return
    if sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(transient=True, console=_stderr_console()) as bar:
            task = bar.add_task("Loading the bundled question banks", total=len(pending))
            services.load_bundled_banks(lambda done, total, name: bar.update(task, completed=done))
    else:
        services.load_bundled_banks()


def _import_with_progress(services: Services, paths: list[Path], **kw: Any) -> list[Any]:
    from certprep.services.imports import import_files

    if not sys.stderr.isatty():
        return import_files(services, paths, **kw)
    from rich.progress import Progress

    with Progress(transient=True, console=_stderr_console()) as bar:
        task = bar.add_task("Importing", total=None)
        return import_files(
            services, paths, progress=lambda d, t: bar.update(task, completed=d, total=t), **kw
        )


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"certprep {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="CERTPREP_DB",
            help="Database: a file path (SQLite) or an SQLAlchemy URL.",
        ),
    ] = None,
    profile: Annotated[str, typer.Option("--profile", help="Learner profile.")] = "default",
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=version_callback, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """certprep: practise for medical coding exams in the terminal."""
    state.db = db
    state.profile = profile
    state._services = None
    if ctx.invoked_subcommand is None:
        run_tui()


def run_tui(start: str = "home", **options: object) -> None:
    from certprep.tui.app import make_app

    if start == "home" and state._services is None:
        # paint the home screen first; the database opens (and migrates) in a worker
        from certprep.services import open_services

        db, profile = state.db, state.profile
        app = make_app(
            lambda: open_services(db, profile), profile=profile, start=start, options=options
        )
    else:
        app = make_app(state.services(load_banks=False), start=start, options=options)
    app.run()
    if app.return_code:
        raise typer.Exit(app.return_code)


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
    from certprep.services.exams import ExamService, start_from_cli

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
        str, typer.Option(help="skip|update items whose id another bank owns.")
    ] = "skip",
    with_history: Annotated[
        bool,
        typer.Option("--with-history", help="Anki decks: carry review history over as FSRS state."),
    ] = False,
) -> None:
    """Import question banks (native YAML/JSON, CSV/TSV, Aiken, GIFT, Moodle XML, Anki)."""

    if on_duplicate not in ("skip", "update"):
        fail(f"--on-duplicate must be skip or update, not {on_duplicate!r}")
    mapped: dict[str, str] = {}
    for m in mapping or []:
        col, sep, fld = m.partition("=")
        if not sep or not col.strip() or not fld.strip():
            fail(f"--map {m!r}: expected COLUMN=FIELD, e.g. --map Question=stem")
        mapped[col.strip()] = fld.strip()
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
        )
    )
    for s in summaries:
        typer.echo(s.line())
        for exam_name, sections in sorted(s.by_exam.items()):
            parts = ", ".join(f"{k} {v}" for k, v in sorted(sections.items()))
            typer.echo(f"  {exam_name}: {parts}")
        for w in s.warnings:
            typer.echo(f"  note: {w}")
    if dry_run:
        typer.echo("dry run: nothing was written")


@app.command()
def export(
    bank: Annotated[str, typer.Argument(help="Bank name (see `certprep banks list`).")],
    fmt: Annotated[str, typer.Option("--format", help="native|json|csv|gift|moodle")] = "native",
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="File to write.")] = None,  # noqa: UP045
) -> None:
    """Export a bank to a file."""
    from certprep.services.imports import export_bank

    services = state.services()
    data = guard(lambda: export_bank(services, bank, fmt))
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
    from certprep.services.report import build_report, exams_with_items
    from certprep.services.report_format import RENDERERS

    if fmt not in RENDERERS or (whole_class and fmt == "html"):
        allowed = "text, md, json, csv" if whole_class else ", ".join(RENDERERS)
        fail(f"--format must be one of {allowed}, not {fmt!r}")
    services = state.services()

    def build() -> str:
        exams = [exam_key] if exam_key else exams_with_items(services)
        if whole_class:
            from certprep.services.class_report import class_report, render_class

            return "\n".join(render_class(class_report(services, e), fmt) for e in exams)
        return RENDERERS[fmt]([build_report(services, e) for e in exams], services.profile)

    text = guard(build)
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
    data = guard(lambda: state.services().stats())
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
    typer.echo(f"{data['reviews']} reviews, {data['attempts']} exam attempts")


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (keep 127.0.0.1 unless behind a proxy).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Serve certprep in a web browser (textual-serve): one app per browser tab."""
    import shlex

    try:
        from textual_serve.server import Server
    except ImportError:
        fail("certprep serve needs the web extra: pip install 'certprep[web]'", EXIT_NOT_AVAILABLE)
    state.services()  # migrate and load the banks once, before the first browser connects
    parts = [sys.executable, "-m", "certprep", "--profile", state.profile]
    if state.db:
        parts += ["--db", state.db]
    typer.echo(f"certprep in the browser: http://{host}:{port}/  (ctrl+c stops)", err=True)
    Server(shlex.join(parts), host=host, port=port, title="certprep").serve()


# -- banks ---------------------------------------------------------------------------------
@banks_app.command("list")
def banks_list() -> None:
    """The banks in the database, with their item counts."""
    for b in guard(lambda: state.services().banks()):
        typer.echo(f"{b['name']:<32} v{b['version']:<8} {b['items']:>6} items  ({b['origin']})")


@banks_app.command("check")
def banks_check(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders; default: the shipped banks.")
    ] = None,
) -> None:
    """Lint bank files: codes exist, keys among choices, no duplicates, every item cited."""
    from certprep.banks.lint import bundled_banks_dir, lint_paths

    targets = paths or [bundled_banks_dir()]
    problems = guard(lambda: lint_paths(targets))
    for p in problems:
        typer.echo(str(p))
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


# -- db ------------------------------------------------------------------------------------
@db_app.command("path")
def db_path() -> None:
    """Print where the database is (without opening it)."""
    from certprep.services.settings import resolve_db

    url = resolve_db(state.db)
    typer.echo(url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to this version's schema (done automatically on open, too)."""
    from certprep.store.migrate import HEAD

    state.services(load_banks=False)
    typer.echo(f"database at schema {HEAD}")


@db_app.command("backup")
def db_backup(dest: Annotated[Path, typer.Argument(help="Where to write the copy.")]) -> None:
    """A consistent copy of the database (SQLite backup API), safe while certprep runs."""
    from certprep.store.migrate import backup_sqlite

    services = state.services(load_banks=False)
    out = guard(lambda: backup_sqlite(services.engine, dest))
    typer.echo(f"backed up to {out}")


def main() -> None:
    """Entry point of the `certprep` script."""
    try:
        app()
    except KeyboardInterrupt:
        err("interrupted")
        sys.exit(130)
