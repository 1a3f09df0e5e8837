"""The code book: search, ICD-10-CM notes, PCS axes, MS-DRG CC/MCC, the CLI and the lookup log.

Expected notes and CC/MCC levels were read from the official tables (simple-icd-10-cm's CMS
tabular XML, the drg package's CMS tables 6I-6K), not guessed; the first test compares the
shipped file with the CMS XML directly.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from certprep.cli import app
from certprep.core import codebook as cb
from certprep.services.codebook import CodeBook, Lookup, log_lookup, lookups_by_item

from .codebook_index import session_index


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return session_index(tmp_path_factory)


@pytest.fixture(scope="module")
def book(index: Path) -> CodeBook:
    return CodeBook(index)


def test_the_shipped_notes_are_those_of_the_cms_tabular_list() -> None:
    cm = pytest.importorskip("simple_icd_10_cm")
    rows = {}
    for line in cb.read_data_file("codebook_cm.jsonl.gz"):
        row = json.loads(line)
        rows[row["c"]] = row
    assert len(rows) > 95_000
    for code in ("E11", "E11.22", "S72", "I10", "O09", "T36.0X1A"):
        notes = rows[code].get("n", {})
        assert notes.get("excludes1", []) == [" ".join(x.split()) for x in cm.get_excludes1(code)]
        assert notes.get("excludes2", []) == [" ".join(x.split()) for x in cm.get_excludes2(code)]
        assert rows[code].get("b", 0) == int(cm.is_leaf(code))


def test_a_code_with_or_without_its_dot_finds_the_code_first(book: CodeBook) -> None:
    for query in ("E11.22", "e1122", " E11.22 "):
        result = book.search(query)
        assert result.by_code
        assert result.hits[0].code == "E11.22"
        assert result.hits[0].billable


def test_a_prefix_lists_the_code_then_what_is_below_it(book: CodeBook) -> None:
    hits = book.search("E112").hits
    assert [h.code for h in hits[:4]] == ["E11.2", "E11.21", "E11.22", "E11.29"]
    assert not hits[0].billable  # E11.2 needs a fifth character
    assert book.search("0DTJ").hits[0].code.startswith("0DTJ")


def test_words_rank_the_right_code_first(book: CodeBook) -> None:
    assert book.search("type 2 diabetes chronic kidney disease").hits[0].code == "E11.22"
    assert book.search("asthma").hits[0].code == "J45"
    assert book.search("Resection of appendix percutaneous endoscopic").hits[0].code == "0DTJ4ZZ"
    # an inclusion term finds its code: "Asthma NOS" is listed under J45.909
    assert "J45.909" in [h.code for h in book.search("asthma NOS").hits[:3]]


def test_the_pcs_index_answers_procedure_names(book: CodeBook) -> None:
    # the tables say "Resection of Appendix"; the CMS PCS Index knows "Appendectomy"
    top = book.search("appendectomy").hits[0]
    assert (top.system, top.code) == ("pcsindex", "Appendectomy")
    assert book.pcs_index("appendectomy") == [
        "see Excision, Appendix 0DBJ",
        "see Resection, Appendix 0DTJ",
    ]
    assert book.search("abdominal aortic plexus", "pcs").hits[0].code == "Abdominal aortic plexus"
    assert all(h.system == "cm" for h in book.search("abdominal aortic plexus", "cm").hits)


def test_the_last_word_may_be_typed_in_part(book: CodeBook) -> None:
    codes = [h.code for h in book.search("type 2 diabetes chronic kidn").hits]
    assert codes[0] == "E11.22"


def test_common_words_still_answer(book: CodeBook) -> None:
    hits = book.search("right").hits
    assert len(hits) == 25
    assert all("right" in h.title.lower() for h in hits)


def test_a_code_shows_its_own_and_inherited_notes(book: CodeBook) -> None:
    d = book.cm("E11.22")
    assert d is not None and d.entry.billable
    assert [a.code for a in d.ancestors] == ["4", "E08-E13", "E11", "E11.2"]
    own = {n.heading: n.lines for n in d.notes if n.source == "E11.22"}
    assert own["Use additional code"] == [
        "code to identify stage of chronic kidney disease (N18.1-N18.6)"
    ]
    from_e11 = {n.heading: n.lines for n in d.notes if n.source == "E11"}
    assert "type 1 diabetes mellitus (E10.-)" in from_e11["Excludes1"]
    assert "diabetes NOS" in from_e11["Includes"]
    assert d.placeholder is None


def test_seventh_character_table_and_placeholder_rule(book: CodeBook) -> None:
    d = book.cm("S72.001")
    assert d is not None and not d.entry.billable
    assert d.seventh_from == "S72"
    seventh = next(n.lines for n in d.notes if n.heading == "7th characters")
    assert seventh[0] == "A initial encounter for closed fracture"
    assert "S72.001A" in [c.code for c in d.children]
    poisoning = book.cm("T36.0")
    assert poisoning is not None and "placeholder X" in (poisoning.placeholder or "")
    full = book.cm("T36.0X1A")
    assert full is not None and full.entry.billable and full.placeholder is None


def test_code_first_and_code_also_notes(book: CodeBook) -> None:
    e08 = book.cm("E08")
    assert e08 is not None
    code_first = next(n.lines for n in e08.notes if n.heading == "Code first")
    assert "cystic fibrosis (E84.-)" in code_first


def test_browse_chapters_blocks_categories(book: CodeBook) -> None:
    chapters = book.cm_children(None)
    assert len(chapters) >= 21 and chapters[3].title.startswith("Endocrine")
    blocks = book.cm_children("4")
    assert "E08-E13" in [b.code for b in blocks]
    assert [c.code for c in book.cm_children("E08-E13")] == ["E08", "E09", "E10", "E11", "E13"]


def test_pcs_code_decoded_axis_by_axis(book: CodeBook) -> None:
    d = book.pcs("0DTJ4ZZ")
    assert d.title == "Resection of Appendix, Percutaneous Endoscopic Approach"
    assert [(a.name, a.meaning) for a in d.axes] == [
        ("Section", "Medical and Surgical"),
        ("Body System", "Gastrointestinal System"),
        ("Root Operation", "Resection"),
        ("Body Part", "Appendix"),
        ("Approach", "Percutaneous Endoscopic"),
        ("Device", "No Device"),
        ("Qualifier", "No Qualifier"),
    ]
    assert not any(a.derived for a in d.axes)
    # sections 2-X: no axis tables shipped; meanings read from the code titles are marked
    chest = book.pcs("BW03ZZZ")
    assert chest.title == "Plain Radiography of Chest"
    assert [(a.name, a.meaning, a.derived) for a in chest.axes[:4]] == [
        ("Section", "Imaging", False),
        ("Body System", None, False),
        ("Type", "Plain Radiography", True),
        ("Body Part", "Chest", True),
    ]
    bad = book.pcs("0DTJ4ZX")
    assert bad.title is None and bad.valid_prefix == "0DTJ4Z"


def test_pcs_choices_offer_only_valid_combinations(book: CodeBook) -> None:
    after = book.pcs_choices("0DTJ4Z")
    assert [(c.value, c.meaning, c.code) for c in after] == [
        ("G", "Hand-Assisted", "0DTJ4ZG"),
        ("Z", "No Qualifier", "0DTJ4ZZ"),
    ]
    body_parts = book.pcs_choices("0DT")
    valid = {
        line.split("\t")[0][3]
        for line in cb.read_data_file("codebook_pcs.tsv.gz")
        if line.startswith("0DT")
    }
    assert {c.value for c in body_parts} == valid
    sections = {c.value: c.meaning for c in book.pcs_choices("")}
    assert sections["B"] == "Imaging" and len(sections) == 17


def test_cc_mcc_status_and_exclusion_for_a_principal_diagnosis(book: CodeBook) -> None:
    resp = book.drg("J96.01")
    assert resp is not None and resp.level == "MCC"
    kidney = book.drg("N179")
    assert kidney is not None and kidney.level == "CC"
    plain = book.drg("E11.9")
    assert plain is not None and plain.level is None
    # table 6K: J96.01 is in PDX collection 0998, which lists J96.02 but not E11.9
    with_resp = book.drg("J96.01", pdx="J96.02")
    assert with_resp is not None and with_resp.excluded
    with_dm = book.drg("J96.01", pdx="E11.9")
    assert with_dm is not None and with_dm.excluded is False
    assert "counts as an MCC" in with_dm.summary


def test_system_filter(book: CodeBook) -> None:
    pcs = book.search("excision", "pcs").hits
    assert {h.system for h in pcs} == {"pcs", "pcsindex"}  # the tables and the PCS Index
    assert [h.code for h in pcs if h.system == "pcsindex"] == ["Excision"]
    drg_hits = book.search("respiratory failure", "drg").hits
    assert drg_hits and all(h.level in ("CC", "MCC") for h in drg_hits)


def test_data_files_state_their_year() -> None:
    import importlib.resources

    for name, year in [
        ("codebook_cm.jsonl.gz", "FY2026"),
        ("codebook_pcs.tsv.gz", "FY2025"),
        ("msdrg_v43.tsv.gz", "FY2026"),
    ]:
        ref = importlib.resources.files("certprep.codesets") / name
        with ref.open("rb") as raw, gzip.open(raw, "rt") as fh:
            assert year in fh.readline()


# -- the CLI -----------------------------------------------------------------------------------
@pytest.fixture
def cli_env(index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTPREP_CODEBOOK_INDEX", str(index))


def test_cli_json_for_a_code(cli_env: None) -> None:
    out = CliRunner().invoke(app, ["codes", "e1122", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["hits"][0]["code"] == "E11.22"
    assert data["detail"]["billable"] is True
    headings = {(n["source"], n["heading"]) for n in data["detail"]["notes"]}
    assert ("E11.22", "Use additional code") in headings
    assert ("E11", "Excludes1") in headings


def test_cli_words_and_pcs(cli_env: None) -> None:
    out = CliRunner().invoke(app, ["codes", "asthma", "--json", "--system", "cm"])
    assert json.loads(out.stdout)["hits"][0]["code"] == "J45"
    out = CliRunner().invoke(app, ["codes", "0DTJ4ZZ"])
    assert out.exit_code == 0
    assert "Root Operation" in out.stdout and "Resection" in out.stdout


def test_cli_pcs_index_entry(cli_env: None) -> None:
    out = CliRunner().invoke(app, ["codes", "Appendectomy", "--json"])
    detail = json.loads(out.stdout)["detail"]
    assert detail["system"] == "pcsindex"
    assert "see Resection, Appendix 0DTJ" in detail["lines"]


def test_cli_pdx(cli_env: None) -> None:
    out = CliRunner().invoke(app, ["codes", "J96.01", "--pdx", "J96.02"])
    assert out.exit_code == 0
    assert "excluded as an MCC" in out.stdout


@pytest.mark.parametrize(
    "args",
    [["codes", ""], ["codes", "E11", "--system", "cpt"], ["codes", "J96.01", "--pdx", "nope"]],
)
def test_cli_bad_input_is_a_message_and_exit_2(cli_env: None, args: list[str]) -> None:
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 2
    assert "Traceback" not in out.output


def test_cli_search_with_no_match_is_a_normal_outcome(cli_env: None) -> None:
    # README: exit 0 ok, 2 bad input, 1 a bug. Finding nothing is neither input error nor bug.
    out = CliRunner().invoke(app, ["codes", "zzz"])
    assert out.exit_code == 0, out.output
    assert "No code or title matches 'zzz'" in out.stdout
    out = CliRunner().invoke(app, ["codes", "zzz", "--json"])
    assert out.exit_code == 0
    assert json.loads(out.stdout)["hits"] == []


def test_cli_unwritable_index_folder_is_exit_2(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CERTPREP_CODEBOOK_INDEX", str(blocker / "codebook.sqlite"))
    out = CliRunner().invoke(app, ["codes", "E11.22"])
    assert out.exit_code == 2
    assert "cannot build the code-book index" in out.output


# -- the lookup log ----------------------------------------------------------------------------
@pytest.mark.both_backends
def test_lookups_are_logged_with_the_question(services, book: CodeBook) -> None:  # type: ignore[no-untyped-def]
    from certprep.banks.importer import import_bank
    from certprep.services.exams import ExamService

    from .conftest import make_bank
    from .test_exam_service import SECTIONS, small_blueprint

    import_bank(services.engine, make_bank(12, sections=SECTIONS), checksum="gen")
    attempt = ExamService(services).start(small_blueprint(), seed=3)
    result = book.search("E11.22")
    log_lookup(
        services,
        Lookup(
            "E11.22",
            len(result.hits),
            result.elapsed_ms,
            None,
            "exam",
            attempt,
            "gen-00001",
            "E11.22",
        ),
    )
    log_lookup(
        services, Lookup("asthma", 25, 2.5, "cm", "exam", attempt, "gen-00001", spent_s=40.0)
    )
    log_lookup(services, Lookup("0DT", 10, 1.0, "pcs", "exam", attempt, "gen-00003"))
    per_item = {x.item_id: x for x in lookups_by_item(services, attempt)}
    assert per_item["gen-00001"].lookups == 2
    assert per_item["gen-00001"].queries == ["E11.22", "asthma"]
    assert per_item["gen-00001"].search_ms == pytest.approx(result.elapsed_ms + 2.5)
    assert per_item["gen-00001"].book_s == pytest.approx(40.0)
    assert per_item["gen-00003"].lookups == 1


def test_a_new_index_removes_the_older_ones_beside_it(tmp_path: Path) -> None:
    from certprep.store.codebook import remove_older_indexes

    old = tmp_path / "codebook-v1-0123456789ab.sqlite"
    other = tmp_path / "certprep.db"
    new = tmp_path / "codebook-v3-ba9876543210.sqlite"
    for p in (old, other, new):
        p.write_text("x")
    remove_older_indexes(new)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([new.name, other.name])


def test_cli_search_counts_one_result_in_the_singular(cli_env: None) -> None:
    one = CliRunner().invoke(app, ["codes", "guttate psoriasis"])
    assert one.exit_code == 0, one.output
    assert "(1 result in " in one.stdout and "results" not in one.stdout
    many = CliRunner().invoke(app, ["codes", "psoriasis"])
    assert many.exit_code == 0, many.output
    assert "results in " in many.stdout
