"""Importing and exporting native banks through the CLI and services: all or nothing."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from certprep.banks.native import dump_bank, load_bank_text
from certprep.cli import app
from certprep.core.models import Bank
from certprep.services import Services
from certprep.services.imports import bank_from_store, export_bank, import_files

from .conftest import DATA, make_bank

pytestmark = pytest.mark.both_backends

runner = CliRunner()


def _content(services: Services) -> str:
    """Every row of every table, as text: equal means the database did not change."""
    out = []
    with services.engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            rows = conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1")).all()
            out.append(f"{table}:{rows!r}")
    return hashlib.sha256("\n".join(out).encode()).hexdigest()


def test_a_failed_import_writes_nothing(sample_services: Services, tmp_path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(dump_bank(make_bank(3, name="good")))
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (DATA / "sample_bank.yaml")
        .read_text()
        .replace("name: sample", "name: bad")
        .replace("correct: true\n        rationale: Type 2", "rationale: Type 2")
    )
    before = _content(sample_services)
    try:
        import_files(sample_services, [good, bad])
    except Exception as exc:
        msg = str(exc)
    else:
        raise AssertionError("a broken file was accepted")
    assert "bad.yaml" in msg and "sample-001" in msg and "exactly one correct choice" in msg
    assert _content(sample_services) == before


def test_cli_import_reports_file_line_and_exit_2(tmp_path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text(
        "name: broken\nexams: [cpc]\nitems:\n  - id: x1\n    section: icd10cm\n    stem: [oops\n"
    )
    result = runner.invoke(app, ["--db", str(tmp_path / "c.db"), "import", str(bad)])
    assert result.exit_code == 2
    assert "broken.yaml:7" in result.output and "not valid YAML" in result.output
    assert "on line 6" in result.output  # where the unclosed [ began


def test_unknown_section_is_refused_with_the_valid_keys(services: Services, tmp_path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(dump_bank(make_bank(2, sections=("surgery",))))
    try:
        import_files(services, [path])
    except Exception as exc:
        assert "not in the cpc blueprint" in str(exc) and "surgery_10000" in str(exc)
    else:
        raise AssertionError("accepted an unknown section")


def test_reimport_is_a_no_op_and_export_round_trips(sample_services: Services, tmp_path) -> None:
    path = tmp_path / "again.yaml"
    path.write_bytes(export_bank(sample_services, "sample"))
    [summary] = import_files(sample_services, [path])
    assert (summary.added, summary.updated, summary.unchanged) == (0, 0, 5)
    assert load_bank_text(path.read_text(), "x") == bank_from_store(sample_services, "sample")


def test_cli_export_json_and_dry_run(sample_services: Services, tmp_path, db_path) -> None:
    out = tmp_path / "out.json"
    result = runner.invoke(
        app, ["--db", str(db_path), "export", "sample", "--format", "json", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["name"] == "sample"
    result = runner.invoke(
        app, ["--db", str(db_path), "import", str(out), "--bank", "copy", "--dry-run"]
    )
    assert "would import" in result.output and "nothing was written" in result.output


# -- property: native → store → native is lossless ------------------------------------------
texts = (
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)
    .map(str.strip)
    .filter(bool)
)


@st.composite
def banks(draw) -> Bank:
    n = draw(st.integers(1, 6))
    items = []
    for i in range(n):
        kind = draw(st.sampled_from(["single", "multiple", "code", "true_false", "flashcard"]))
        item = {
            "id": f"p-{i}",
            "kind": kind,
            "section": draw(st.sampled_from(["icd10cm", "hcpcs", "em"])),
            "topics": draw(st.lists(texts.map(lambda t: t[:80]), max_size=3, unique=True)),
            "stem": draw(texts) + f" #{i}",
            "rationale": draw(texts),
            "references": [draw(texts)],
        }
        if kind in ("single", "multiple"):
            k = draw(st.integers(3, 6))
            right = set(
                draw(
                    st.lists(
                        st.integers(0, k - 1),
                        min_size=1 if kind == "single" else 2,
                        max_size=1 if kind == "single" else k - 1,
                        unique=True,
                    )
                )
            )
            item["choices"] = [
                {
                    "key": "abcdef"[j],
                    "text": f"{draw(texts)} ({j})",
                    "correct": j in right,
                    **({"rationale": draw(texts)} if draw(st.booleans()) else {}),
                }
                for j in range(k)
            ]
        elif kind == "true_false":
            item["choices"] = [
                {"key": "a", "text": "True", "correct": True},
                {"key": "b", "text": "False"},
            ]
        elif kind == "code":
            item["codes"] = draw(
                st.lists(
                    st.sampled_from(["E11.9", "I10", "99213", "0DTJ4ZZ"]),
                    min_size=1,
                    max_size=3,
                    unique=True,
                )
            )
            item["ordered"] = draw(st.booleans())
        else:
            item["back"] = draw(texts)
        items.append(item)
    return Bank.model_validate(
        {"name": "prop", "exams": ["cpc"], "title": draw(texts), "items": items}
    )


@given(banks())
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_native_round_trip_is_lossless(services: Services, tmp_path_factory, bank: Bank) -> None:
    path = tmp_path_factory.mktemp("rt") / "prop.yaml"
    path.write_text(dump_bank(bank))
    import_files(services, [path], on_duplicate="update")
    again = load_bank_text(export_bank(services, "prop").decode(), "export")
    assert again == bank
