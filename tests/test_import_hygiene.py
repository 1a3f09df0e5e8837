"""The core stays plain Python; heavy modules stay off the start path."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(out.stdout.split())


def test_core_imports_no_database_or_ui() -> None:
    mods = _modules_after(
        "import certprep.core, certprep.core.models, certprep.core.codes, certprep.core.problems, "
        "certprep.core.studyday"
    )
    for banned in ("textual", "sqlmodel", "sqlalchemy", "rich", "typer"):
        assert banned not in mods, f"certprep.core imported {banned}"


def test_cli_help_path_is_light() -> None:
    mods = _modules_after("import certprep.cli")
    for heavy in ("textual", "sqlalchemy", "alembic", "simple_icd_10_cm", "fsrs_rs_python"):
        assert heavy not in mods, f"importing the CLI loads {heavy}"


def _plain_start(*args: str, env: dict[str, str] | None = None) -> str:
    """What ``certprep ARGS`` hands the home screen (db, profile) and whether Typer or
    pydantic were imported by then (the home screen itself is replaced by a print)."""
    import os

    code = (
        "import sys\n"
        "import certprep.cli.launch as launch\n"
        "def fake(db, profile):\n"
        "    print(db, profile, 'typer' in sys.modules, 'pydantic' in sys.modules)\n"
        "    return 0\n"
        "launch.run_home = fake\n"
        f"sys.argv = ['certprep', *{list(args)!r}]\n"
        "from certprep.cli import main\n"
        "main()\n"
    )
    full_env = {k: v for k, v in os.environ.items() if k != "CERTPREP_DB"}
    full_env.update(env or {})
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, check=False
    )
    return out.stdout.strip()


def test_a_plain_certprep_starts_the_home_screen_without_the_command_parser() -> None:
    """The first frame waits on no parser: Typer's option parsing imports pydantic (issue 22)."""
    assert _plain_start() == "None default False False"
    assert _plain_start("--db", "x.db", "--profile=ann") == "x.db ann False False"
    assert _plain_start(env={"CERTPREP_DB": "from-env.db"}) == "from-env.db default False False"
    assert _plain_start("--db=", env={"CERTPREP_DB": "e.db"}) == "e.db default False False"


def test_anything_else_goes_through_the_command_parser() -> None:
    from certprep.cli.launch import home_options

    assert home_options([]) == {}
    assert home_options(["--db", "a", "--profile", "b"]) == {"--db": "a", "--profile": "b"}
    for argv in (
        ["review"],
        ["--help"],
        ["--version"],
        ["--db"],
        ["--db", "--profile", "x"],
        ["--db", "a", "--db", "b"],
        ["--profile", "p", "stats"],
        ["--bogus"],
    ):
        assert home_options(argv) is None, argv
