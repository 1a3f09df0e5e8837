"""The certprep command: help, version, stats, db path, and the not-yet-built commands."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from certprep import __version__
from certprep.cli import app

from .conftest import DATA

runner = CliRunner()


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for cmd in (
        "review",
        "exam",
        "import",
        "export",
        "banks",
        "report",
        "optimize",
        "stats",
        "db",
        "tui",
    ):
        assert cmd in result.output


def test_version_and_help_never_touch_the_database(tmp_path) -> None:
    db = tmp_path / "nowhere" / "c.db"
    for args in (["--version"], ["--help"]):
        out = subprocess.run(
            [sys.executable, "-m", "certprep", "--db", str(db), *args],
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0
    assert not db.parent.exists()
    assert (
        __version__
        in subprocess.run(
            [sys.executable, "-m", "certprep", "--version"], capture_output=True, text=True
        ).stdout
    )


def test_stats_json_counts_the_bundled_banks(tmp_path) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "s.db"), "stats", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"items", "banks", "by_exam", "cards", "reviews", "attempts"}
    assert set(data["cards"]) == {"new", "learning", "review", "relearning", "due_now", "suspended"}
    assert data["items"] == sum(b["items"] for b in data["banks"])
    assert data["cards"]["new"] == data["items"]


def test_db_path_follows_option_and_env(tmp_path, monkeypatch) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "a.db"), "db", "path"])
    assert result.output.strip() == str(tmp_path / "a.db")
    monkeypatch.setenv("CERTPREP_DB", str(tmp_path / "b.db"))
    result = runner.invoke(app, ["db", "path"])
    assert result.output.strip() == str(tmp_path / "b.db")
    assert not (tmp_path / "b.db").exists()


def test_db_path_defaults_to_the_user_data_dir(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    result = runner.invoke(app, ["db", "path"])
    assert result.output.strip() == str(tmp_path / "xdg" / "certprep" / "certprep.db")


def test_db_backup_is_a_usable_copy(tmp_path) -> None:
    db = tmp_path / "src.db"
    assert runner.invoke(app, ["--db", str(db), "stats"]).exit_code == 0
    result = runner.invoke(app, ["--db", str(db), "db", "backup", str(tmp_path / "copy.db")])
    assert result.exit_code == 0, result.output
    copy = runner.invoke(app, ["--db", str(tmp_path / "copy.db"), "stats", "--json"])
    orig = runner.invoke(app, ["--db", str(db), "stats", "--json"])
    assert json.loads(copy.output)["items"] == json.loads(orig.output)["items"]


def test_banks_check_reports_a_broken_file(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (DATA / "sample_bank.yaml").read_text().replace("codes: [I10]", "codes: [I10.99]")
    )
    result = runner.invoke(app, ["banks", "check", str(bad)])
    assert result.exit_code == 2
    assert "I10.99" in result.output and "sample-002" in result.output


def test_shipped_banks_pass_the_linter() -> None:
    from certprep.banks.lint import bundled_banks_dir, lint_paths

    problems = lint_paths([bundled_banks_dir()])
    assert problems == [], "\n".join(map(str, problems[:20]))


def test_an_unknown_exam_or_section_is_refused_with_the_valid_ones(tmp_path, monkeypatch) -> None:
    """`review --exam cpx` used to say "Done for now"; a typo is a mistake to name."""
    db = str(tmp_path / "c.db")
    result = runner.invoke(app, ["--db", db, "review", "--exam", "cpx"])
    assert result.exit_code == 2
    assert "no exam 'cpx'" in result.output and "cpb, ccs, cpc" in result.output.replace(
        "ccs, cpb, cpc", "cpb, ccs, cpc"
    )
    result = runner.invoke(app, ["--db", db, "review", "--exam", "cpc", "--section", "nope"])
    assert result.exit_code == 2
    assert "no section 'nope' of cpc" in result.output and "icd10cm" in result.output
    result = runner.invoke(app, ["--db", db, "exam", "cpc", "--untimed", "--tutor"])
    assert result.exit_code == 2 and "one of --untimed and --tutor" in result.output


def test_exam_modes_from_the_command_line(tmp_path, monkeypatch) -> None:
    """--untimed is untimed (results at the end), --tutor is tutor, as in the TUI."""
    from certprep.cli import study
    from certprep.services import open_services
    from certprep.services.exams import ExamService

    db = str(tmp_path / "c.db")
    opened: list[int] = []
    monkeypatch.setattr(study, "run_tui", lambda start, **kw: opened.append(kw["attempt_id"]))
    for flag, mode in (("--untimed", "untimed"), ("--tutor", "tutor"), (None, "timed")):
        args = ["--db", db, "exam", "cpc", "--questions", "5", "--seed", "1"]
        result = runner.invoke(app, args + ([flag] if flag else []))
        assert result.exit_code == 0, result.output
        view = ExamService(open_services(db)).load(opened[-1])
        assert view.mode == mode
        ExamService(open_services(db)).abandon(opened[-1])
