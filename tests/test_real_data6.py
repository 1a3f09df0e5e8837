"""A new learner on real data: producers' files as the producers write them, the shipped banks
drawn and answered whole, and review days in zones with daylight saving."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import sqlite3
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from certprep.banks.importer import import_bank
from certprep.cli import app
from certprep.core.models import Item, ItemKind
from certprep.core.scheduling import REVIEW, Rating
from certprep.core.scoring import Score
from certprep.services import Services, open_services
from certprep.services.class_report import class_report
from certprep.services.exams import ExamService
from certprep.services.report import build_report
from certprep.services.review import ReviewSession, due_counts

from .anki_decks import export_package
from .conftest import FakeClock, make_bank
from .shipped import shipped_services, shipped_template
from .test_hygiene_text import cli_env as cli_env
from .test_zones import DST_DAY, FALL_BACK, at, travel

# -- 3. review days across a daylight-saving change -----------------------------------------


@pytest.fixture
def live(db_path: Path, blueprints_only: Path) -> Services:
    """Services on the real clock (moved by time-machine)."""
    return open_services(str(db_path), "tester", banks_dir=blueprints_only)


@pytest.fixture
def system_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Sets the system's zone ($TZ) for the test, and puts it back after."""

    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Sydney"])
@pytest.mark.parametrize("change", ["autumn", "spring"])
@pytest.mark.parametrize("told", ["setting", "TZ"])
def test_a_card_rated_1d_the_day_before_a_dst_change_is_due_the_next_study_day(
    live: Services, zone: str, change: str, told: str, system_zone: Any
) -> None:
    """Reviewed at 04:30 the day before the clocks change, a card that says "next in 1d" is due
    at the same time on the next day's wall clock. 24 hours on would be 03:30 after the clocks
    go back, before the 04:00 rollover: the card would come back the same study day. The zone
    is the learner's setting, or the system's ($TZ)."""
    if told == "setting":
        live.update_settings(time_zone=zone)
    else:
        system_zone(zone)
    import_bank(live.engine, make_bank(1), checksum="g")
    day = (FALL_BACK if change == "autumn" else DST_DAY)[zone]
    when = at(zone, day - timedelta(days=1), 4, 30)
    for rating in (Rating.AGAIN, Rating.GOOD, Rating.GOOD):  # two learning steps, then review
        with travel(when):
            s = ReviewSession(live)
            card = s.next_card()
            assert card is not None
            result = s.rate(card, rating)
            assert result.card.due is not None
            reviewed, when = when, result.card.due
    assert result.card.state == REVIEW and result.interval == "1d"  # not "23h" in spring
    with travel(reviewed + timedelta(hours=2)):
        assert due_counts(live).due == 0  # nothing more today
    with travel(at(zone, day, 3, 59)):
        assert due_counts(live).due == 0  # still the day before's study day
    with travel(at(zone, day, 4, 0)):
        assert due_counts(live).due == 1
    assert result.card.due == at(zone, day, 4, 41)


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Sydney"])
def test_the_exam_countdown_steps_at_the_local_rollover_across_the_autumn_change(
    live: Services, zone: str
) -> None:
    live.update_settings(time_zone=zone)
    import_bank(live.engine, make_bank(1), checksum="g")
    change = FALL_BACK[zone]
    exam_day = change + timedelta(days=1)
    live.update_settings(exam_dates={"cpc": exam_day.isoformat()})

    def days_left() -> int | None:
        return {c.exam: c for c in live.exam_counts()}["cpc"].days_left

    for (day, hour, minute), left in [
        ((change - timedelta(days=1), 12, 0), 2),
        ((change, 3, 59), 2),  # before the rollover: still the day before the change
        ((change, 4, 0), 1),
        ((exam_day, 3, 59), 1),
        ((exam_day, 4, 0), 0),
    ]:
        with travel(at(zone, day, hour, minute)):
            assert days_left() == left, (day, hour, minute)


# -- 1. producers' files as the producers write them ----------------------------------------

runner = CliRunner()

# GIFT as Moodle's documentation writes it: comments, a category, titles, escapes, feedback,
# weights, a missing word, and kinds the app cannot ask (matching, numeric, essay)
GIFT = r"""// question bank of a study group, GIFT as Moodle documents it
// comments on two lines

$CATEGORY: $course$/top/CPC/Modifiers

::Mod 25::Modifier 25 is appended to which code? {
=the E/M code#Right, the E/M service.
~%50%the procedure code#No, to the E/M.
~the diagnosis code
}

::Escapes::Which need escaping in GIFT\: \~ \= \# \{ and \}? {
=all of them \~ \= \# \{ \}
~none
}

::Weights::Which are CPT categories? {
~%50%Category I
~%50%Category III
~%-100%Category IV
}

::TF::The UB-04 is the institutional claim.{T#Wrong-answer feedback#Right-answer feedback}

// a comment between questions
::Match::Match the suffix {
=-itis -> inflammation
=-ectomy -> removal
=-otomy -> incision
}

::Numeric::How many characters in a CPT code? {#5}

::Essay::Explain modifier 59. {}

::HTML::[html]<p>What does <b>ICD</b> stand for?</p>{
=International Classification of Diseases
~International Code Directory
####It is the WHO classification.
}

Which of these is a prefix? {=hypo- ~-itis ~-ectomy}
"""


def _import(db: Path, path: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", str(db), "import", str(path), *extra])
    return result.exit_code, result.output


def _import_text(db: Path, path: Path, text: str) -> str:
    """``text`` written to ``path`` (UTF-8) and imported: the command's output (it succeeded)."""
    path.write_text(text, encoding="utf-8")
    code, out = _import(db, path)
    assert code == 0, out
    return out


def test_a_gift_file_as_moodle_documents_it_arrives_or_each_question_is_named(
    cli_env: Path, tmp_path: Path
) -> None:
    out = _import_text(cli_env, tmp_path / "study.gift", GIFT)
    assert "imported 6 items" in out  # nine questions: six the app asks, three named below
    assert (
        "3 questions skipped: 1 matching, 1 numeric, 1 essay: not supported: 'Match' (line 26): "
        "matching; 'Numeric' (line 32): numeric; 'Essay' (line 34): essay"
    ) in out
    assert (
        "1 single-answer questions give partial credit to some wrong answers (~%50%...); they "
        "stay single-answer and only the full-credit answer counts as right: line 6"
    ) in out
    items = {i.stem: i for i in _bank(cli_env, "study")}
    escapes = items["Which need escaping in GIFT: ~ = # { and }?"]
    assert escapes.choices[0].text == "all of them ~ = # { }" and escapes.correct_keys == ["a"]
    weights = items["Which are CPT categories?"]
    assert weights.correct_keys == ["a", "b"]
    tf = items["The UB-04 is the institutional claim."]
    assert tf.correct_keys == ["a"] and tf.choices[0].rationale == "Right-answer feedback"
    assert items["What does ICD stand for?"].rationale == "It is the WHO classification."
    assert all(i.topics == ["CPC", "Modifiers"] for i in items.values())


def _bank(db: Path, name: str) -> list[Item]:
    con = sqlite3.connect(db)
    try:
        rows = con.execute(
            "SELECT item.payload FROM item JOIN bank ON bank.id = item.bank_id WHERE bank.name = ?",
            (name,),
        ).fetchall()
    finally:
        con.close()
    return [Item.model_validate_json(r[0]) for r in rows]


def _q(qtype: str, name: str, body: str) -> str:
    return f'<question type="{qtype}"><name><text>{name}</text></name>{body}</question>\n'


def _answer(fraction: str, text: str, feedback: str = "") -> str:
    return (
        f'<answer fraction="{fraction}" format="html"><text><![CDATA[{text}]]></text>'
        f'<feedback format="html"><text><![CDATA[{feedback}]]></text></feedback></answer>'
    )


_HTML_STEM = (
    '<questiontext format="html"><text><![CDATA[<p>Where is the <strong>femur</strong>?</p>'
    '<p><img src="@@PLUGINFILE@@/femur.png" alt="femur"></p>]]></text>'
    '<file name="femur.png" path="/" encoding="base64">iVBORw0KGgo=</file></questiontext>'
)

# Moodle XML as Moodle exports it (docs.moodle.org "Moodle XML format"): categories, CDATA with
# HTML and an embedded file, single and multiple response with fractions, true/false, short
# answer, and kinds the app cannot ask (matching, essay, a description)
MOODLE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n<!-- question: 0  -->\n'
    '<question type="category"><category><text>$course$/top/Default for CPC/Anatomy &amp; '
    'Terminology</text></category><info format="moodle_auto_format"><text></text></info>'
    "</question>\n"
    + _q(
        "multichoice",
        "Femur",
        _HTML_STEM
        + '<generalfeedback format="html"><text><![CDATA[<p>The <em>thigh</em> bone.</p>]]>'
        "</text></generalfeedback><single>true</single><shuffleanswers>true</shuffleanswers>"
        + _answer("100", "<p>Thigh</p>", "<p>Yes.</p>")
        + _answer("0", "<p>Arm</p>")
        + _answer("0", "<p>Skull &amp; jaw</p>")
        + "<tags><tag><text>bones</text></tag></tags>",
    )
    + _q(
        "multichoice",
        "NCCI modifiers",
        '<questiontext format="html"><text>Which modifiers bypass an NCCI edit?</text>'
        "</questiontext><idnumber>mod-ncci</idnumber><single>false</single>"
        + _answer("33.33333", "59")
        + _answer("33.33333", "XS")
        + _answer("33.33333", "XU")
        + _answer("-100", "26"),
    )
    + _q(
        "truefalse",
        "Claim form",
        '<questiontext format="moodle_auto_format"><text>The CMS-1500 is the institutional '
        "claim.</text></questiontext>"
        + '<answer fraction="0" format="moodle_auto_format"><text>true</text>'
        '<feedback format="moodle_auto_format"><text>No.</text></feedback></answer>'
        '<answer fraction="100" format="moodle_auto_format"><text>false</text>'
        '<feedback format="moodle_auto_format"><text>Right.</text></feedback></answer>',
    )
    + _q(
        "shortanswer",
        "Hypertension code",
        '<questiontext format="html"><text>Code essential hypertension.</text></questiontext>'
        "<usecase>0</usecase>" + _answer("100", "I10") + _answer("50", "I10.9"),
    )
    + _q(
        "matching",
        "Suffixes",
        '<questiontext format="html"><text>Match.</text></questiontext>'
        '<subquestion format="html"><text>-itis</text><answer><text>inflammation</text>'
        "</answer></subquestion>",
    )
    + '<question type="category"><category><text>$course$/top/Default for CPC/Billing</text>'
    "</category></question>\n"
    + _q(
        "essay", "Explain NCCI", '<questiontext format="html"><text>Explain.</text></questiontext>'
    )
    + _q("description", "Intro", '<questiontext format="html"><text>Billing.</text></questiontext>')
    + "</quiz>\n"
)


def test_a_moodle_xml_export_arrives_or_each_question_is_named(
    cli_env: Path, tmp_path: Path
) -> None:
    out = _import_text(cli_env, tmp_path / "quiz.xml", MOODLE)
    assert "imported 4 items" in out
    assert (
        "3 questions skipped: 1 matching, 1 essay, 1 description: not supported: "
        "question 6 'Suffixes': matching; question 8 'Explain NCCI': essay; "
        "question 9 'Intro': description"
    ) in out
    assert "1 questions embed 1 files" in out
    assert (
        "1 questions give part of the mark to some answers; here only an answer worth the full "
        "mark is right: question 5 'Hypertension code'"
    ) in out
    items = {i.id: i for i in _bank(cli_env, "quiz")}
    assert sorted(items) == ["Claim-form", "Femur", "Hypertension-code", "mod-ncci"]
    femur = items["Femur"]
    assert femur.stem == "Where is the femur?\n\n[image: femur]"
    assert [c.text for c in femur.choices] == ["Thigh", "Arm", "Skull & jaw"]
    assert femur.topics == ["Anatomy & Terminology", "bones"]
    assert items["mod-ncci"].correct_keys == ["a", "b", "c"]
    assert items["Claim-form"].correct_keys == ["b"]
    assert items["Hypertension-code"].codes == ["I10"]


# -- 4. the shipped banks: a full mock of each exam, answered through the services ---------


@pytest.fixture(scope="module")
def shipped_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shipped_template(tmp_path_factory.mktemp("shipped6"))


def _right(item: Item) -> list[str]:
    return list(item.codes) if item.kind is ItemKind.CODE else list(item.correct_keys)


def _wrong(item: Item) -> list[str]:
    if item.kind is ItemKind.CODE:
        return ["Z00.00"] if "Z00.00" not in item.codes else ["Z00.01"]
    return [next(c.key for c in item.choices if not c.correct)]


def _sit(
    services: Services, clock: FakeClock, exam: str, rate: float
) -> tuple[Score, Any, set[int]]:
    """A full timed mock of ``exam``, ``rate`` of its questions answered right."""
    exams = ExamService(services)
    attempt = exams.start(exam, seed=11)
    view = exams.load(attempt)
    order = list(range(len(view.questions)))
    random.Random(5).shuffle(order)
    good = set(order[: round(rate * len(order))])
    for q in view.questions:
        clock.advance(seconds=50)
        exams.answer(attempt, q.position, _right(q.item) if q.position in good else _wrong(q.item))
    return exams.submit(attempt).score, view, good


@pytest.mark.parametrize("exam", ["cpc", "cpb", "ccs"])
def test_a_full_mock_of_each_exam_scores_and_forecasts_sanely(
    shipped_db: Path, tmp_path: Path, exam: str
) -> None:
    forecasts = []
    for rate in (0.95, 0.70, 0.40):
        clock = FakeClock()
        services = shipped_services(shipped_db, tmp_path / f"{exam}-{rate}.db", clock)
        score, view, good = _sit(services, clock, exam, rate)
        bp = services.blueprint(exam)
        assert len(view.questions) == bp.questions  # a full form
        assert score.total == bp.questions - bp.pretest_questions
        assert sum(s.total for s in score.sections) == score.total
        assert sum(s.right for s in score.sections) == score.right
        assert score.right == sum(1 for q in view.questions if q.position in good and not q.pretest)
        report = build_report(services, exam)
        (fact,) = report.attempts
        assert fact.score == pytest.approx(score.fraction)
        assert fact.sections == {s.key: pytest.approx(s.fraction) for s in score.sections}
        # the forecast's sections are the exam's scored questions, and add up to its whole
        ready = report.readiness
        assert sum(g.weight for g in report.sections) == ready.total == score.total
        assert sum(g.weight * g.predicted for g in report.sections) == pytest.approx(
            ready.expected * ready.total
        )
        forecasts.append(ready)
        services.engine.dispose()
    high, middle, low = forecasts
    assert high.expected > middle.expected > low.expected
    assert high.pass_probability > 0.95 and low.pass_probability < 0.01
    assert 0.2 < middle.pass_probability < 0.8  # a 70% mock against a 70% pass line
    for r in forecasts:
        assert 0 <= r.low <= r.expected <= r.high <= 1


def test_the_report_scores_a_ccs_record_half_coded_as_the_result_did(
    shipped_db: Path, tmp_path: Path
) -> None:
    """CCS inpatient records earn partial credit: the report's attempt line says what the
    result screen said, not the score with every partly coded record counted as a miss."""
    clock = FakeClock()
    services = shipped_services(shipped_db, tmp_path / "ccs.db", clock)
    exams = ExamService(services)
    attempt = exams.start("ccs", seed=11)
    halves = 0
    for q in exams.load(attempt).questions:
        clock.advance(seconds=50)
        codes = _right(q.item)
        if q.item.partial_credit and len(codes) > 1:
            halves += 1
            codes = codes[: len(codes) // 2]
        exams.answer(attempt, q.position, codes)
    score = exams.submit(attempt).score
    assert halves and score.right < score.earned < score.total
    (fact,) = build_report(services, "ccs").attempts
    assert fact.score == pytest.approx(score.fraction)
    assert [a.score for a in exams.history()] == [pytest.approx(score.fraction)]
    # and the instructor's class report says the same of this learner
    (line,) = [s for s in class_report(services, "ccs").students if s.profile == "learner"]
    assert line.last_score == pytest.approx(score.fraction)


# Anki, as Anki's own library writes a package: several decks, cloze, HTML, an image and a
# sound, a card whose back is empty, a suspended card, and reviews through Anki's scheduler


def _anki_package(tmp: Path) -> bytes:
    from anki.collection import Collection

    col = Collection(str(tmp / "collection.anki2"))
    try:
        mm = col.models
        basic, cloze = mm.by_name("Basic"), mm.by_name("Cloze")
        reverse = mm.by_name("Basic (and reversed card)")
        anatomy = col.decks.id("CPC::Anatomy")
        modifiers = col.decks.id("CPC::Modifiers")
        billing = col.decks.id("Billing")

        def add(model: Any, deck: Any, **fields: str) -> Any:
            note = col.new_note(model)
            for k, v in fields.items():
                note[k] = v
            col.add_note(note, deck)
            return note

        image = col.media.write_data("femur.jpg", b"\xff\xd8\xff not really a picture")
        notes = [
            add(
                basic, anatomy, Front="What is the <b>femur</b>?", Back=f'Thigh <img src="{image}">'
            ),
            add(
                basic, modifiers, Front="Modifier 25 &amp; E/M", Back="Separate E/M [sound:m25.mp3]"
            ),
            add(cloze, modifiers, Text="{{c1::Modifier 59}} marks a {{c2::distinct service}}"),
            add(reverse, billing, Front="EOB", Back="Explanation of benefits"),
            add(basic, billing, Front="Empty back", Back=""),
            add(basic, billing, Front="A leech I suspended", Back="yes"),
            add(basic, billing, Front="CMS-1500", Back="The professional claim"),
            add(basic, billing, Front="Suspended before study", Back="never seen"),
        ]
        leech, unseen = notes[5].cards()[0].id, notes[7].cards()[0].id
        col.set_user_flag_for_cards(1, [notes[6].cards()[0].id])  # red: ask the teacher
        notes[0].add_tag("marked")
        notes[0].add_tag("anatomy")
        col.update_note(notes[0])
        notes[5].add_tag("leech")  # what Anki tags a card that lapses again and again
        notes[5].add_tag("claims")
        col.update_note(notes[5])
        for note in (notes[0], notes[2], notes[5]):
            for card in note.cards():
                for rating in (3, 3):
                    c = col.get_card(card.id)
                    c.start_timer()
                    col.sched.answerCard(c, rating)
        col.sched.suspend_cards([leech, unseen])
        return export_package(col, tmp / "study.apkg")
    finally:
        col.close()


@pytest.fixture(scope="module")
def anki_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("anki6")
    path = tmp / "study.apkg"
    path.write_bytes(_anki_package(tmp))
    return path


def test_an_anki_package_of_several_decks_arrives_or_each_card_is_named(
    cli_env: Path, anki_package: Path
) -> None:
    code, out = _import(cli_env, anki_package)
    assert code == 0, out
    # ten cards: nine arrive, and the one with an empty back is named
    assert "anki-billing: imported 9 items" in out
    assert re.search(
        r"1 cards were left out: their front or back is empty: "
        r"note 5 card 1 \(note id \d+\): 'Empty back'\n",
        out,
    )
    assert (
        "the package holds 3 decks with cards (Billing 6, CPC::Modifiers 3, CPC::Anatomy 1); "
        "they all go into bank 'anki-billing'"
    ) in out
    topics = {i.stem: i.topics for i in _bank(cli_env, "anki-billing")}
    assert topics["What is the femur?"] == ["anatomy"]  # not "marked": a state, not a topic
    assert topics["A leech I suspended"] == ["claims"]  # nor "leech"
    stems = sorted(i.stem for i in _bank(cli_env, "anki-billing"))
    assert "What is the femur?" in stems and "Modifier 25 & E/M" in stems
    assert "[...] marks a distinct service" in stems and "Modifier 59 marks a [...]" in stems
    assert (
        "cards in the deck: 2 suspended, 1 flagged, 1 marked; with --with-history they stay so"
    ) in out


def test_cards_suspended_in_anki_stay_suspended_with_their_history(
    cli_env: Path, anki_package: Path
) -> None:
    code, out = _import(cli_env, anki_package, "--with-history")
    assert code == 0, out
    assert "review history carried over for 4 cards" in out
    result = runner.invoke(app, ["--db", str(cli_env), "cards", "is:suspended"])
    assert result.exit_code == 0, result.output
    assert "2 matches" in result.output
    assert "A leech I suspended" in result.output and "Suspended before study" in result.output
    con = sqlite3.connect(cli_env)
    try:
        rows = con.execute("SELECT reps, state FROM card WHERE suspended ORDER BY reps").fetchall()
    finally:
        con.close()
    assert rows == [(0, 0), (2, 2)]  # the unseen card new, the leech with its two reviews
    # a flag on a card never studied, and the Mark of a studied note, come along too
    for mark, front, state in (("flagged", "CMS-1500", "new"), ("marked", "What is", "review")):
        result = runner.invoke(app, ["--db", str(cli_env), "cards", f"is:{mark}", "--json"])
        assert result.exit_code == 0, result.output
        (card,) = json.loads(result.output)["items"]
        assert card["stem"].startswith(front) and card["state"] == [state, mark]


def test_a_deck_exported_mid_cram_is_the_same_bank_as_after_it(
    cli_env: Path, tmp_path: Path
) -> None:
    """Cards in a filtered deck (a cram session) still belong to their home deck: the bank is
    named after it, so the deck exported during and after the session is one bank."""
    from anki.collection import Collection

    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        basic, home = col.models.by_name("Basic"), col.decks.id("Coding")
        for i in range(4):
            note = col.new_note(basic)  # type: ignore[arg-type]
            note["Front"], note["Back"] = f"Code {i}?", f"Answer {i}"
            col.add_note(note, home)
        cram = col.decks.new_filtered("Cram before the exam")
        deck = col.decks.get(cram)
        assert deck is not None
        deck["terms"] = [["deck:Coding", 100, 0]]
        col.decks.save(deck)
        col.sched.rebuild_filtered_deck(cram)
        export_package(col, tmp_path / "during.apkg")
        col.sched.empty_filtered_deck(cram)
        export_package(col, tmp_path / "after.apkg")
    finally:
        col.close()
    code, out = _import(cli_env, tmp_path / "during.apkg")
    assert code == 0 and "anki-coding: imported 4 items" in out, out
    code, out = _import(cli_env, tmp_path / "after.apkg")
    # the same four cards (updated only in their default reference, "Imported from after.apkg")
    assert code == 0 and "anki-coding: imported 4 items — 4 updated, 0 new" in out, out
    assert [b for b in _bank_names(cli_env) if b.startswith("anki-")] == ["anki-coding"]


def _bank_names(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute("SELECT name FROM bank ORDER BY name")]
    finally:
        con.close()


def _counts(db: Path) -> tuple[int, int]:
    con = sqlite3.connect(db)
    try:
        return (
            con.execute("SELECT count(*) FROM bank").fetchone()[0],
            con.execute("SELECT count(*) FROM item").fetchone()[0],
        )
    finally:
        con.close()


def test_moodle_xml_saved_in_a_windows_encoding_says_so_and_reads_with_encoding(
    cli_env: Path, tmp_path: Path
) -> None:
    path = tmp_path / "quiz.xml"
    # what a text editor on Windows saves: cp1252 bytes, and the XML declares no encoding
    path.write_bytes(
        b'<?xml version="1.0"?>\n<quiz><question type="truefalse"><name><text>Caf\xe9</text>'
        b'</name><questiontext format="html"><text>Caf\xe9 \x96 a r\xe9sum\xe9?</text>'
        b'</questiontext><answer fraction="100"><text>true</text></answer>'
        b'<answer fraction="0"><text>false</text></answer></question></quiz>\n'
    )
    code, out = _import(cli_env, path)
    assert code == 2
    assert "quiz.xml:2: byte 70 (0xe9) is not UTF-8 text" in out and "--encoding" in out
    code, out = _import(cli_env, path, "--encoding", "cp1252")
    assert code == 0, out
    (item,) = _bank(cli_env, "quiz")
    assert item.stem == "Café – a résumé?"


@pytest.mark.parametrize(
    ("name", "damage", "message"),
    [
        ("deck.apkg", lambda b: b[: len(b) // 2], "not a readable Anki package (zip)"),
        ("quiz.xml", lambda b: b[: len(b) // 2], "not valid XML: "),
        ("quiz.gift", lambda b: b.decode().encode("utf-16-le"), "--encoding utf-16-le"),
        ("quiz.gift", lambda b: b.decode().replace("é", "\xe9").encode("latin-1"), "not UTF-8"),
        ("bank.json", lambda b: b"", "bank.json:1: the file is empty; expected JSON"),
    ],
)
def test_a_broken_file_is_refused_with_a_clear_message_and_writes_nothing(
    cli_env: Path, tmp_path: Path, anki_package: Path, name: str, damage: Any, message: str
) -> None:
    good = {
        "deck.apkg": anki_package.read_bytes(),
        "quiz.xml": MOODLE.encode(),
        "quiz.gift": ("// café\n" + GIFT).encode(),
        "bank.json": b"{}",
    }[name]
    first = tmp_path / "first.gift"
    first.write_text(GIFT, encoding="utf-8")
    assert _import(cli_env, first)[0] == 0
    before = _counts(cli_env)
    path = tmp_path / name
    path.write_bytes(damage(good))
    code, out = _import(cli_env, path)
    assert code == 2 and message in out, out
    assert "Traceback" not in out
    assert _counts(cli_env) == before


def test_encoding_is_refused_for_an_anki_package(cli_env: Path, anki_package: Path) -> None:
    code, out = _import(cli_env, anki_package, "--encoding", "cp1252")
    assert code == 2 and "an Anki package's text is always UTF-8" in out, out


# -- 2. user text is data: it comes back as written ------------------------------------------


@pytest.mark.parametrize("fmt", ["gift", "moodle", "csv"])
def test_text_that_looks_like_markup_survives_an_export_and_reimport(
    cli_env: Path, tmp_path: Path, fmt: str
) -> None:
    """A stem, choice or rationale beginning like a GIFT format marker, or holding HTML, rich
    markup and GIFT's special characters, is text: exported and imported again, it is the same."""
    rows = [
        ["id", "question", "A", "B", "C", "answer", "explanation"],
        ["m1", "[markdown]**not bold** &amp; &lt;tag&gt;", "[html]<b>x</b>", "y", "z", "A",
         "[moodle] kept"],
        ["m2", "Stem {x} ~y =z #w :: <script>alert(1)</script> [bold]b[/bold]", "a {1}", "~b",
         "=c", "C", "why # // <i>"],
    ]  # fmt: skip
    src = tmp_path / "marked.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    assert _import(cli_env, src)[0] == 0
    out = tmp_path / f"out.{fmt}"
    result = runner.invoke(
        app, ["--db", str(cli_env), "export", "marked", "--format", fmt, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert _import(cli_env, out, "--bank", "again")[0] == 0
    before = {i.id: i for i in _bank(cli_env, "marked")}
    after = {i.id.removeprefix("again:"): i for i in _bank(cli_env, "again")}
    for key, item in before.items():
        again = after[key]
        assert again.stem == item.stem
        assert [(c.text, c.correct) for c in again.choices] == [
            (c.text, c.correct) for c in item.choices
        ]
        assert again.rationale == item.rationale


def test_a_table_in_a_question_keeps_its_cells_apart(cli_env: Path, tmp_path: Path) -> None:
    """Coding questions put code lists in tables; each cell's text stays a word of its own."""
    table = (
        "<p>Which code fits?</p><table><tr><th>Code</th><th>Title</th></tr>"
        "<tr><td>I10</td><td>Essential hypertension</td></tr>"
        "<tr><td>I11.9</td><td>Hypertensive heart disease</td></tr></table>"
    )
    path = tmp_path / "table.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><quiz>'
        + _q(
            "multichoice",
            "Table",
            f'<questiontext format="html"><text><![CDATA[{table}]]></text></questiontext>'
            "<single>true</single>" + _answer("100", "I10") + _answer("0", "I11.9"),
        )
        + "</quiz>",
        encoding="utf-8",
    )
    assert _import(cli_env, path)[0] == 0
    (item,) = _bank(cli_env, "table")
    assert "I10 | Essential hypertension" in item.stem
    assert "I11.9 | Hypertensive heart disease" in item.stem
    assert "Code | Title" in item.stem


@pytest.mark.parametrize("extra", [[], ["--bank", "copy"]])  # streamed, and read whole
@pytest.mark.parametrize("cut", ["in a string", "after a comma"])
def test_a_bank_export_cut_short_says_it_was_cut_short(
    cli_env: Path, tmp_path: Path, extra: list[str], cut: str
) -> None:
    """An interrupted download of `certprep export --format json`: refused, and said why."""
    src = tmp_path / "marks.gift"
    src.write_text(GIFT, encoding="utf-8")
    assert _import(cli_env, src)[0] == 0
    whole = tmp_path / "whole.json"
    result = runner.invoke(
        app, ["--db", str(cli_env), "export", "marks", "--format", "json", "-o", str(whole)]
    )
    assert result.exit_code == 0, result.output
    text = whole.read_text(encoding="utf-8")
    middle = text.index('"stem"', len(text) // 2)
    end = middle + 12 if cut == "in a string" else text.index(",", middle) + 1
    path = tmp_path / "bank.json"
    path.write_text(text[:end], encoding="utf-8")
    before = _counts(cli_env)
    code, out = _import(cli_env, path, *extra)
    assert code == 2
    assert "the file ends before it is closed: it was cut short" in out, out
    assert _counts(cli_env) == before


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_a_csv_export_runs_no_formula_in_a_spreadsheet_and_reads_back_the_same(
    cli_env: Path, tmp_path: Path, fmt: str
) -> None:
    """Suffixes ("-itis") and pasted text ("=HYPERLINK(...)") open in Excel as formulas: the
    suffix shows #NAME? and is saved back that way, the link runs. Exported, every such cell
    starts with an apostrophe (text follows); imported again, it is the text it was."""
    src = tmp_path / "suffixes.gift"
    src.write_text(
        "::s1::Which suffix means inflammation? {=-itis ~-ectomy ~+plasty ~@otomy}\n\n"
        '::s2::=HYPERLINK("http://example.com/x","click") is a stem {=\'-quoted ~b}\n',
        encoding="utf-8",
    )
    assert _import(cli_env, src)[0] == 0
    out = tmp_path / f"suffixes.{fmt}"
    result = runner.invoke(
        app, ["--db", str(cli_env), "export", "suffixes", "--format", fmt, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as fh:
        cells = [c for row in csv.reader(fh, delimiter="\t" if fmt == "tsv" else ",") for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert "'-itis" in cells and '\'=HYPERLINK("http://example.com/x","click") is a stem' in cells
    assert _import(cli_env, out, "--bank", "again")[0] == 0
    before = {i.id: i for i in _bank(cli_env, "suffixes")}
    after = {i.id.removeprefix("again:"): i for i in _bank(cli_env, "again")}
    assert [c.text for c in after["s1"].choices] == ["-itis", "-ectomy", "+plasty", "@otomy"]
    assert after["s2"].stem == before["s2"].stem and after["s2"].choices[0].text == "'-quoted"


_SHEET = [
    ["Question", "A", "B", "C", "Answer", "Explanation", "Topics"],
    ["Which code is essential\nhypertension?", "I10", "I11.9", "I15.0", "A",
     'I10: "essential (primary)", see the Tabular.', "cardio; icd10cm"],
    ["Dose 1,5 mg or 2,5 mg?", "1,5 mg", "2,5 mg", "", "B", "Because; semicolons", "dose"],
    ["Café résumé — naïve?", "é", "ü", "ñ", "C", "ok", "unicode"],
]  # fmt: skip


@pytest.mark.parametrize(
    ("producer", "delimiter", "bom", "encoding"),
    [
        ("Excel CSV UTF-8", ",", True, "utf-8"),
        ("Google Sheets CSV", ",", False, "utf-8"),
        ("Excel CSV, a European locale", ";", True, "utf-8"),
        ("Google Sheets TSV", "\t", False, "utf-8"),
        ("Excel Unicode text", "\t", False, "utf-16"),
    ],
)
def test_a_spreadsheet_export_arrives_whole(
    cli_env: Path, tmp_path: Path, producer: str, delimiter: str, bom: bool, encoding: str
) -> None:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(_SHEET)
    data = buf.getvalue().encode(encoding)  # Python's utf-16 writes the BOM, as Excel does
    path = tmp_path / ("sheet.tsv" if delimiter == "\t" else "sheet.csv")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    code, out = _import(cli_env, path)
    assert code == 0, out
    assert "sheet: imported 3 items" in out
    items = {i.stem: i for i in _bank(cli_env, "sheet")}
    first = items["Which code is essential\nhypertension?"]
    assert first.rationale == 'I10: "essential (primary)", see the Tabular.'
    assert first.topics == ["cardio", "icd10cm"]
    dose = items["Dose 1,5 mg or 2,5 mg?"]
    assert [c.text for c in dose.choices] == ["1,5 mg", "2,5 mg"] and dose.correct_keys == ["b"]
    assert [c.text for c in items["Café résumé — naïve?"].choices] == ["é", "ü", "ñ"]


def test_an_aiken_file_names_each_question_it_leaves_out_as_a_repeat(
    cli_env: Path, tmp_path: Path
) -> None:
    """Aiken as Moodle documents it ("A." and "A)" options, ANSWER lines, CRLF); a question
    pasted twice arrives once, and each copy left out is named with the line it repeats."""
    one = "Which form is the professional claim?\r\nA. UB-04\r\nB) CMS-1500\r\nANSWER: B\r\n\r\n"
    two = "What does modifier 26 mean?\r\nA. Professional component\r\nB. Technical\r\nANSWER: A\r\n\r\n"
    path = tmp_path / "aiken.txt"
    path.write_text(one + two + one + one, encoding="utf-8", newline="")
    code, out = _import(cli_env, path, "--format", "aiken")
    assert code == 0, out
    assert "aiken: imported 2 items" in out
    assert (
        "2 questions were left out because they repeat an earlier question word for word: "
        "line 11 repeats line 1; line 16 repeats line 1"
    ) in out


def test_a_card_reset_in_anki_keeps_only_its_reviews_since(cli_env: Path, tmp_path: Path) -> None:
    """Anki's Forget puts a card back to new: the reviews before it are not its memory any
    more. A card given a due date by hand keeps its reviews."""
    from anki.collection import Collection

    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        basic, deck = col.models.by_name("Basic"), col.decks.id("Resets")
        cards = {}
        for front in ("forgotten", "forgotten then studied", "moved by hand"):
            note = col.new_note(basic)  # type: ignore[arg-type]
            note["Front"], note["Back"] = front, "back"
            col.add_note(note, deck)
            cards[front] = note.cards()[0].id

        def answer(front: str, times: int) -> None:
            for _ in range(times):
                card = col.get_card(cards[front])
                card.start_timer()
                col.sched.answerCard(card, 3)

        for front in cards:
            answer(front, 3)
        col.sched.schedule_cards_as_new(
            [cards["forgotten"], cards["forgotten then studied"]],
            restore_position=True,
            reset_counts=True,
        )
        answer("forgotten then studied", 1)
        col.sched.set_due_date([cards["moved by hand"]], "5")
        path = tmp_path / "resets.apkg"
        export_package(col, path)
    finally:
        col.close()
    code, out = _import(cli_env, path, "--with-history")
    assert code == 0, out
    assert "2 cards were reset to new in Anki (Forget)" in out
    con = sqlite3.connect(cli_env)
    try:
        rows = dict(
            con.execute(
                "SELECT json_extract(item.payload, '$.stem'), count(review_log.rating) FROM item "
                "LEFT JOIN review_log ON review_log.item_id = item.id GROUP BY item.id"
            ).fetchall()
        )
    finally:
        con.close()
    assert rows == {"forgotten": 0, "forgotten then studied": 1, "moved by hand": 3}


def test_banks_check_reads_a_gift_or_moodle_file_as_the_import_would(
    cli_env: Path, tmp_path: Path
) -> None:
    """An author checks a GIFT or Moodle XML bank before importing it: the linter reads it as
    the import does (it said "not valid YAML" of every file not in the native format)."""
    gift = tmp_path / "study.gift"
    gift.write_text(GIFT, encoding="utf-8")
    result = runner.invoke(app, ["banks", "check", str(gift)])
    assert result.exit_code == 0, result.output
    assert "YAML" not in result.output and "no problems found" in result.output
    assert "3 questions skipped: 1 matching, 1 numeric, 1 essay" in result.output
    xml = tmp_path / "quiz.xml"
    xml.write_text(MOODLE.replace("[I10]]>", "[femur]]>"), encoding="utf-8")
    result = runner.invoke(app, ["banks", "check", str(xml)])
    assert result.exit_code == 2
    assert "quiz.xml (Hypertension-code): code answer femur: not of a CPT" in result.output


def test_a_report_csv_runs_no_topic_as_a_formula(cli_env: Path, tmp_path: Path) -> None:
    rows = [
        ["question", "A", "B", "answer", "explanation", "exam", "section", "topics"],
        ["Which code?", "I10", "I11.9", "A", "why", "cpc", "icd10cm", '=HYPERLINK("x");-itis'],
    ]
    src = tmp_path / "topics.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    assert _import(cli_env, src)[0] == 0
    out = tmp_path / "report.csv"
    result = runner.invoke(
        app, ["--db", str(cli_env), "report", "--exam", "cpc", "--format", "csv", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as fh:
        table = list(csv.DictReader(fh))
    topics = {r["key"] for r in table if r["level"] == "topic"}
    assert topics == {'\'=HYPERLINK("x")', "'-itis"}


def test_a_file_without_sections_asks_for_section_in_its_own_terms(
    cli_env: Path, tmp_path: Path
) -> None:
    """A GIFT file has no columns: the message names --section alone; a CSV file's names the
    section column too."""
    gift = tmp_path / "quiz.gift"
    gift.write_text("::Q1:: Which note says to code the cause first? {=Code first~Code also}\n")
    code, out = _import(cli_env, gift, "--exam", "cpc")
    assert code == 2
    assert "no section for this question of exam cpc; pass --section" in out
    assert "column" not in out
    table = tmp_path / "quiz.csv"
    table.write_text(
        "question,A,B,answer\nWhich note says code the cause first?,Code first,Code also,A\n"
    )
    code, out = _import(cli_env, table, "--exam", "cpc")
    assert code == 2
    assert "fill the section column or pass --section" in out
