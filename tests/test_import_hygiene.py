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
