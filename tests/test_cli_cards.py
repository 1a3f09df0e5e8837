"""`certprep cards` through Typer's runner: list, show, act on a query, refuse bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from certprep.cli import app
from certprep.services import open_services
from certprep.store.tables import CARD, REVIEW_LOG

from .conftest import REPO
from .test_cards_service import _bank

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database whose only "shipped" bank is the browser tests' bank."""
    banks = tmp_path / "banks"
    shutil.copytree(REPO / "question_banks" / "blueprints", banks / "blueprints")
    (banks / "browse.json").write_text(
        json.dumps(_bank().model_dump(mode="json", exclude_none=True))
    )
    monkeypatch.setenv("CERTPREP_BANKS_DIR", str(banks))
    return tmp_path / "cards.db"


def _run(db: Path, *args: str, input: str | None = None):
    return runner.invoke(app, ["--db", str(db), "cards", *args], input=input)


def _services(db: Path):
    services = open_services(str(db))
    services.load_bundled_banks()  # the browser tests' bank, as the CLI would load it
    return services


def _suspended(db: Path) -> set[str]:
    engine = _services(db).engine
    with engine.connect() as conn:
        return {r.item_id for r in conn.execute(sa.select(CARD.c.item_id).where(CARD.c.suspended))}


def test_a_query_lists_its_matches(db: Path) -> None:
    result = _run(db, "exam:cpc", "section:icd10cm")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2 matches; page 1 of 1"
    assert [line.split()[0] for line in lines[1:]] == ["cb-htn", "cb-hf"]
    assert "Which code reports essential (primary) hypertension?" in result.output
    other = _run(db, "--exam", "cpc", "--topic", "supplies", "--json")
    assert [i["id"] for i in json.loads(other.output)["items"]] == ["cb-code"]
    assert json.loads(other.output)["items"][0]["state"] == ["new"]


def test_an_argument_with_a_space_is_a_phrase(db: Path) -> None:
    phrase = _run(db, "diastolic heart failure")
    assert phrase.output.splitlines()[0] == "1 match; page 1 of 1"
    assert _run(db, "failure diastolic").output.splitlines()[0] == "0 matches; page 1 of 1"
    assert _run(db, "failure", "diastolic").output.splitlines()[0] == "1 match; page 1 of 1"
    topic = _run(db, "topic:heart failure")  # a value with a space, quoted by the shell
    assert topic.exit_code == 2 and "heart-failure" in topic.output  # the close match


def test_pages(db: Path) -> None:
    first = _run(db, "bank:browse", "--limit", "2")
    third = _run(db, "bank:browse", "--limit", "2", "--page", "3")
    assert first.output.splitlines()[0] == "5 matches; page 1 of 3"
    assert [line.split()[0] for line in first.output.splitlines()[1:]] == ["cb-htn", "cb-hf"]
    assert [line.split()[0] for line in third.output.splitlines()[1:]] == ["cb-markup"]


def test_suspend_yes_suspends_exactly_the_matches(db: Path) -> None:
    result = _run(db, "--query", "topic:hypertension", "--suspend", "--yes")
    assert result.exit_code == 0, result.output
    assert "Suspended 2 of 2 cards." in result.output
    assert _suspended(db) == {"cb-htn", "cb-hf"}
    listed = _run(db, "is:suspended")
    assert listed.output.splitlines()[0] == "2 matches; page 1 of 1"
    assert "new · suspended" in listed.output
    back = _run(db, "id:cb-hf", "--unsuspend", "-y")
    assert "Unsuspended 1 of 1 card." in back.output
    assert _suspended(db) == {"cb-htn"}


def test_an_action_asks_first(db: Path) -> None:
    declined = _run(db, "code:I10", "--suspend", input="n\n")
    assert declined.exit_code == 0
    assert "suspend 2 cards? [y/N]" in declined.output
    assert "Nothing changed." in declined.output
    assert _suspended(db) == set()
    unanswered = _run(db, "code:I10", "--suspend", input="")
    assert unanswered.exit_code == 2
    assert "pass --yes" in unanswered.output
    assert _suspended(db) == set()
    accepted = _run(db, "code:I10", "--suspend", input="y\n")
    assert accepted.exit_code == 0
    assert _suspended(db) == {"cb-htn", "cb-hf"}


def test_unknown_exam_is_exit_2_listing_the_valid_exams(db: Path) -> None:
    for args in (["exam:cpx"], ["--exam", "cpx"], ["exam:cpx", "--suspend", "--yes"]):
        result = _run(db, *args)
        assert result.exit_code == 2, args
        assert "unknown exam 'cpx'" in result.output
        assert "valid exams: ccs, cpb, cpc" in result.output
        assert "Traceback" not in result.output
    assert _suspended(db) == set()


def test_other_bad_input_is_exit_2(db: Path) -> None:
    cases = {
        ("exam:cpc", "section:nope"): "valid sections of cpc",
        ("is:lost",): "valid states",
        ("--suspend", "--flag"): "one action at a time",
        ('"open quote',): "quote is not closed",
        ("--show", "no-such-item"): "no item 'no-such-item'",
        ("--supsend",): "no such option: --supsend",
    }
    for args, says in cases.items():
        result = _run(db, *args)
        assert result.exit_code == 2, (args, result.output)
        assert says in result.output


def test_show_prints_the_item_card_and_history(db: Path) -> None:
    from certprep.core.scheduling import Rating
    from certprep.services.review import ReviewSession

    _run(db, "id:cb-htn", "--flag", "-y")
    session = ReviewSession(_services(db))
    session.rate(session.load_card("cb-htn"), Rating.AGAIN)
    result = _run(db, "--show", "cb-htn")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "cb-htn  (single, bank browse)" in out
    assert "exams: ccs/icd10cm, cpc/icd10cm" in out
    assert "  * a) I10" in out
    assert "card: learning" in out and "flagged" in out
    assert "history: 1 rating" in out
    assert "Again" in out


def test_reset_keeps_and_forget_deletes_the_log(db: Path) -> None:
    from certprep.core.scheduling import Rating
    from certprep.services.review import ReviewSession

    services = _services(db)
    session = ReviewSession(services)
    for item in ("cb-htn", "cb-hf"):
        session.rate(session.load_card(item), Rating.GOOD)

    def logs() -> int:
        with services.engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(REVIEW_LOG)).scalar_one()
            )

    assert "Reset 1 of 1 card." in _run(db, "id:cb-htn", "--reset", "-y").output
    assert logs() == 2
    assert _run(db, "is:learning").output.splitlines()[0] == "1 match; page 1 of 1"
    out = _run(db, "id:cb-hf", "--forget", "-y").output
    assert "Forgot 1 of 1 card; 1 review-log rows deleted." in out
    assert logs() == 1
    assert _run(db, "-is:new").output.splitlines()[0] == "0 matches; page 1 of 1"
