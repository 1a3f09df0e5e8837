"""User text is data, never terminal control: escape sequences in bank text and profile names
are made visible where they enter and again where they are printed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from certprep.cli import app
from certprep.core.models import Item
from certprep.core.text import has_controls, terminal_safe, visible

runner = CliRunner()

OSC8 = "\x1b]8;;http://evil.example/\x1b\\click me\x1b]8;;\x1b\\"  # a hyperlink
OSC52 = "\x1b]52;c;cm0gLXJmIH4vKg==\x07"  # puts `rm -rf ~/*` on the clipboard
CSI = "\x1b[2J\x1b[H"  # clear the screen, cursor home
BARE = "before\x1bafter"  # a lone ESC
C1 = "\x9b2J\x9d0;title\x9c"  # 8-bit CSI and OSC
TITLE = "\x1b]0;pwned\x07"  # set the window title
PAYLOADS = {"osc8": OSC8, "osc52": OSC52, "csi": CSI, "bare": BARE, "c1": C1, "title": TITLE}


def _raw_controls(text: str) -> list[str]:
    """Control characters a terminal would act on (CR LF line ends of CSV excepted)."""
    return sorted({c for c in text.replace("\r\n", "\n") if has_controls(c)})


# -- the sanitizer ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_every_control_becomes_visible_and_newline_tab_stay(name: str) -> None:
    text = f"line one\n\tline two {PAYLOADS[name]} end"
    out = visible(text)
    assert _raw_controls(out) == []
    assert "\n\t" in out and out.startswith("line one") and out.endswith(" end")
    assert "␛" in out  # the user sees that something was there
    assert visible(out) == out  # idempotent


def test_every_c0_and_c1_code_point_is_covered() -> None:
    everything = "".join(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)])
    out = visible(everything)
    controls = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]}
    assert set(out) & controls == {"\n", "\t"}
    assert visible("a\r\nb\rc") == "a\nb\nc"  # Windows and old Mac line ends are newlines
    assert visible("\x9b") == "␛[" and visible("\x1b") == "␛" and visible("\x07") == "␇"
    assert terminal_safe("a,b\r\nc\x1b,d\r\n") == "a,b\r\nc␛,d\r\n"


# -- where text enters: the bank models ---------------------------------------------------
def test_item_fields_are_cleaned_at_validation() -> None:
    item = Item.model_validate(
        {
            "id": "x1",
            "section": "icd10cm",
            "topics": [f"topic {OSC52}"],
            "stem": f"Stem {OSC8} {CSI}",
            "choices": [
                {"key": "a", "text": f"A {BARE}", "correct": True, "rationale": f"why {C1}"},
                {"key": "b", "text": "B"},
            ],
            "rationale": f"Rationale {TITLE}",
            "references": [f"ref {CSI}"],
        }
    )
    dumped = item.model_dump_json()
    assert "\\u001b" not in dumped and "\\u009b" not in dumped and "\\u0007" not in dumped
    assert item.stem.startswith("Stem ␛]8;;http://evil.example/")
    assert item.choices[0].rationale == "why ␛[2J␛]0;title␛\\"


def _bank_file(tmp_path: Path) -> Path:
    bank = {
        "format": "certprep-bank/1",
        "name": "nasty",
        "title": f"Title {TITLE}",
        "version": f"1{CSI}",
        "exams": ["cpc"],
        "items": [
            {
                "id": "nasty-1",
                "section": "icd10cm",
                "topics": ["<script>alert(1)</script>", f"clip {OSC52}"],
                "stem": f"Stem {OSC8} and {CSI}",
                "choices": [
                    {"key": "a", "text": f"Right {BARE}", "correct": True, "rationale": OSC52},
                    {"key": "b", "text": f"Wrong {C1}"},
                ],
                "rationale": f"Because {TITLE}",
                "references": ["ICD-10-CM guidelines I.A"],
            }
        ],
    }
    path = tmp_path / "nasty.yaml"
    path.write_text(yaml.safe_dump(bank, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def cli_env(tmp_path: Path, blueprints_only: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CERTPREP_BANKS_DIR", str(blueprints_only))
    return tmp_path / "h.db"


def test_imported_bank_text_is_stored_and_exported_without_controls(
    cli_env: Path, tmp_path: Path
) -> None:
    db = str(cli_env)
    result = runner.invoke(app, ["--db", db, "import", str(_bank_file(tmp_path))])
    assert result.exit_code == 0, result.output
    con = sqlite3.connect(cli_env)
    stored = "\n".join(str(r) for r in con.execute("SELECT * FROM item"))
    stored += "\n".join(str(r) for r in con.execute("SELECT * FROM bank"))
    con.close()
    assert "\x1b" not in stored and "\x9b" not in stored and "\x07" not in stored
    exported = runner.invoke(app, ["--db", db, "export", "nasty", "--format", "json"])
    assert exported.exit_code == 0
    assert _raw_controls(exported.output) == []
    assert "␛]8;;http://evil.example/" in exported.output and "␛]52;c;" in exported.output


PROFILE = f"eve{OSC52}{TITLE}"


def _answer_one(db: str, profile: str) -> None:
    """The profile answers the bank's question in review (so it has history to report)."""
    from certprep.core.scheduling import Rating
    from certprep.services import open_services
    from certprep.services.review import ReviewSession

    services = open_services(db, profile)
    session = ReviewSession(services)
    session.rate(session.next_card(), Rating.AGAIN)


@pytest.mark.parametrize("fmt", ["text", "md", "json", "csv", "html"])
def test_report_in_every_format_shows_no_controls(cli_env: Path, tmp_path: Path, fmt: str) -> None:
    db = str(cli_env)
    assert runner.invoke(app, ["--db", db, "import", str(_bank_file(tmp_path))]).exit_code == 0
    _answer_one(db, PROFILE)
    result = runner.invoke(
        app, ["--db", db, "--profile", PROFILE, "report", "--exam", "cpc", "--format", fmt]
    )
    assert result.exit_code == 0, result.output
    assert _raw_controls(result.output) == []
    if fmt in ("text", "md", "html"):
        # the name, made visible (Markdown also escapes its bracket)
        assert "eve␛]52;c;cm0gLXJmIH4vKg==␇" in result.output.replace("\\]", "]")
    if fmt == "json":
        assert json.loads(result.output)["profile"].startswith("eve␛]52")
    if fmt == "md":
        # rendered as a Markdown viewer would: the topic is text, never an element
        from markdown_it import MarkdownIt

        page = MarkdownIt("commonmark").enable("table").render(result.output)
        assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_markdown_report_escapes_raw_html_and_links() -> None:
    from certprep.services.report_format import _md_cell, _md_code

    cell = _md_cell("<img src=x onerror=alert(1)> [x](javascript:alert(1)) `code` a|b")
    assert "<" not in cell and ">" not in cell
    assert "\\[x\\]" in cell and "\\`code\\`" in cell and "a\\|b" in cell
    assert _md_code("say `hi` | x") == "``say `hi` \\| x``"


def test_class_report_shows_profile_names_without_controls(cli_env: Path, tmp_path: Path) -> None:
    db = str(cli_env)
    assert runner.invoke(app, ["--db", db, "import", str(_bank_file(tmp_path))]).exit_code == 0
    _answer_one(db, PROFILE)
    # a learner row written raw (by an older certprep, or straight into the database)
    con = sqlite3.connect(cli_env)
    con.execute(
        "INSERT INTO learner (name, created_at, settings) VALUES (?, '2026-01-01 00:00:00', '{}')",
        (f"mallory{CSI}{OSC8}<script>x()</script>",),
    )
    con.commit()
    con.close()
    for fmt in ("text", "md", "json", "csv"):
        result = runner.invoke(
            app, ["--db", db, "report", "--class", "--exam", "cpc", "--format", fmt]
        )
        assert result.exit_code == 0, result.output
        assert _raw_controls(result.output) == [], fmt
        assert "mallory␛[2J" in result.output.replace("\\[", "[") or fmt == "json", fmt
        if fmt == "md":
            assert "<script>" not in result.output and "&lt;script&gt;" in result.output


def test_banks_list_shows_stored_names_without_controls(cli_env: Path, tmp_path: Path) -> None:
    db = str(cli_env)
    assert runner.invoke(app, ["--db", db, "import", str(_bank_file(tmp_path))]).exit_code == 0
    # names and versions written raw into the database (an older certprep let them through)
    con = sqlite3.connect(cli_env)
    con.execute("UPDATE bank SET name = ?, version = ?", (f"bank{OSC52}", f"2{CSI}"))
    con.commit()
    con.close()
    result = runner.invoke(app, ["--db", db, "banks", "list"])
    assert result.exit_code == 0, result.output
    assert _raw_controls(result.output) == []
    assert "bank␛]52;c;" in result.output and "v2␛[2J" in result.output


def test_profile_name_is_cleaned_where_it_is_created(cli_env: Path) -> None:
    from certprep.services import open_services

    db = str(cli_env)
    assert open_services(db, PROFILE).learner_id > 0  # as `certprep --profile … review` does
    shown = runner.invoke(app, ["--db", db, "--profile", PROFILE, "stats"])
    assert shown.exit_code == 0 and "eve␛]52;c;" in shown.output
    assert _raw_controls(shown.output) == []
    con = sqlite3.connect(cli_env)
    names = [r[0] for r in con.execute("SELECT name FROM learner")]
    con.close()
    assert names == [visible(PROFILE)] and _raw_controls(names[0]) == []


@pytest.mark.both_backends
async def test_tui_shows_escape_sequences_literally(db_path, clock, blueprints_only) -> None:
    """Item text stored raw (by an older certprep) reaches the screen made visible."""
    from certprep.banks.importer import import_bank
    from certprep.services import open_services
    from certprep.tui.app import make_app

    from .test_tui_markup import _all_text, _settle, nasty_bank

    services = open_services(str(db_path), PROFILE, clock=clock, banks_dir=blueprints_only)
    import_bank(services.engine, nasty_bank(), checksum="n")
    services.update_settings(my_exams=["cpc"])  # past the first-start question
    import sqlalchemy as sa

    from certprep.store.tables import ITEM

    with services.engine.begin() as conn:  # written raw, past the models, as an old version did
        payload = dict(
            conn.execute(sa.select(ITEM.c.payload).where(ITEM.c.id == "n1")).scalar_one()
        )
        payload["stem"] = f"Raw stem {OSC8} {CSI} {OSC52}"
        payload["choices"] = [dict(c) for c in payload["choices"]]
        payload["choices"][0]["text"] = f"Raw choice {BARE}"
        conn.execute(sa.update(ITEM).where(ITEM.c.id == "n1").values(payload=payload))
    app_ = make_app(services)
    async with app_.run_test(size=(120, 36)) as pilot:
        await _settle(app_, pilot)
        assert app_.sub_title == f"profile: {visible(PROFILE)}"
        await pilot.press("r")
        await _settle(app_, pilot)
        text = _all_text(app_)
        assert "Raw stem ␛]8;;http://evil.example/␛\\click me" in text
        assert "Raw choice before␛after" in text
        assert _raw_controls(text) == []


def test_error_messages_quoting_a_name_show_no_controls(cli_env: Path, tmp_path: Path) -> None:
    missing = tmp_path / f"bank{OSC52}{CSI}.csv"
    result = runner.invoke(app, ["--db", str(cli_env), "import", str(missing)])
    assert result.exit_code == 2
    assert "bank␛]52;c;" in result.output and _raw_controls(result.output) == []


def _paths(data, prefix=()):
    """Every string leaf of a JSON-like document, as a path of keys and indexes."""
    if isinstance(data, str):
        yield prefix
    elif isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, (*prefix, i))


def _controls_in(data) -> list:
    """The string leaves of a dumped model that hold a control character."""
    out = []
    for path in _paths(data):
        node = data
        for step in path:
            node = node[step]
        if has_controls(node):
            out.append(path)
    return out


def _with(data, path, value):
    import copy

    out = copy.deepcopy(data)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = node[path[-1]] + value
    return out


BANK_DOC = {
    "name": "every",
    "title": "t",
    "description": "d",
    "license": "l",
    "source": "s",
    "version": "1",
    "exams": ["cpc"],
    "cases": [{"id": "c1", "title": "case", "text": "A patient is seen."}],
    "items": [
        {
            "id": "s1",
            "section": "icd10cm",
            "topics": ["a"],
            "stem": "q",
            "case": "c1",
            "choices": [
                {"key": "a", "text": "x", "correct": True, "rationale": "r"},
                {"key": "b", "text": "y"},
            ],
            "rationale": "r",
            "references": ["ref"],
        },
        {
            "id": "k1",
            "kind": "code",
            "section": "icd10cm",
            "stem": "q",
            "codes": ["I10"],
            "alternatives": [["I11"]],
            "rationale": "r",
            "references": ["ref"],
        },
        {
            "id": "f1",
            "kind": "flashcard",
            "section": "icd10cm",
            "stem": "q",
            "back": "b",
            "rationale": "r",
            "references": ["ref"],
        },
    ],
}


@pytest.mark.parametrize("payload", [OSC52, CSI, BARE, C1])
def test_no_text_field_of_a_bank_lets_a_control_through(payload: str) -> None:
    """Each string anywhere in a bank document, with a payload added, is either refused (ids,
    keys and other patterned fields) or stored with the payload made visible."""
    from pydantic import ValidationError

    from certprep.core.models import Bank

    Bank.model_validate(BANK_DOC)  # the base document is valid
    cleaned = 0
    for path in _paths(BANK_DOC):
        try:
            bank = Bank.model_validate(_with(BANK_DOC, path, payload))
        except ValidationError:
            continue  # a patterned field (id, key, section, exam) refuses it outright
        assert _controls_in(bank.model_dump()) == [], path
        cleaned += 1
    assert cleaned >= 20


def test_no_text_field_of_a_blueprint_lets_a_control_through() -> None:
    from pydantic import ValidationError

    from certprep.core.models import Blueprint

    doc = {
        "key": "bp",
        "name": "n",
        "body": "b",
        "questions": 2,
        "time_limit_minutes": 10,
        "pass_mark": 0.7,
        "pass_note": "p",
        "open_book": "o",
        "sections": [{"key": "s", "title": "t", "questions": 2, "note": "n"}],
        "source": "s",
        "notes": "n",
    }
    for path in _paths(doc):
        try:
            bp = Blueprint.model_validate(_with(doc, path, OSC52))
        except ValidationError:
            continue
        assert _controls_in(bp.model_dump(mode="json")) == [], path
