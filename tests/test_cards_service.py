"""The card browser's service: the search syntax, every filter, paging, and every bulk action."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from certprep.banks.importer import import_bank
from certprep.core.models import Bank
from certprep.core.problems import InputError
from certprep.core.scheduling import Rating
from certprep.services import Services
from certprep.services.card_queries import Clause
from certprep.services.cards import CardBrowser, parse_query
from certprep.services.review import ReviewSession
from certprep.store.engine import writing
from certprep.store.tables import CARD, ITEM_EXAM, REVIEW_LOG

from .conftest import FakeClock, make_bank

pytestmark = pytest.mark.both_backends

REF = ["Written for certprep's tests"]


def _bank() -> Bank:
    """Items written for these tests: each filter has something to find and something to miss."""
    items = [
        {
            "id": "cb-htn",
            "exams": ["cpc", "ccs"],
            "section": "icd10cm",
            "topics": ["hypertension"],
            "stem": "Which code reports essential (primary) hypertension?",
            "choices": [
                {"key": "a", "text": "I10", "correct": True},
                {"key": "b", "text": "I11.9"},
                {"key": "c", "text": "I15.9"},
            ],
            "rationale": "Essential hypertension without heart or kidney involvement is I10.",
            "references": ["ICD-10-CM Official Guidelines I.C.9.a"],
        },
        {
            "id": "cb-hf",
            "section": "icd10cm",
            "topics": ["heart-failure", "hypertension"],
            "stem": "A patient has hypertensive heart disease with chronic diastolic Heart Failure."
            " Which codes are reported?",
            "choices": [
                {"key": "a", "text": "I11.0, I50.32", "correct": True},
                {"key": "b", "text": "I10, I50.32"},
            ],
            "rationale": "Hypertension with heart failure is presumed linked: I11.0 plus the I50 code.",
            "references": ["ICD-10-CM Official Guidelines I.C.9.a.1"],
        },
        {
            "id": "cb-code",
            "kind": "code",
            "section": "hcpcs",
            "topics": ["supplies"],
            "stem": "Type the HCPCS Level II code for a standard wheelchair.",
            "codes": ["K0001"],
            "rationale": "K0001 is the standard wheelchair code.",
            "references": REF,
        },
        {
            "id": "cb-flash",
            "kind": "flashcard",
            "section": "terminology",
            "stem": "-itis",
            "back": "Inflammation",
            "rationale": "From Greek -itis.",
            "references": ["Suffix list; see also code J02.9 in the index"],
        },
        {
            "id": "cb-markup",
            "section": "compliance",
            "stem": "[bold]x[/bold] 100% of claims_total?",
            "choices": [
                {"key": "a", "text": "Yes", "correct": True},
                {"key": "b", "text": "No"},
            ],
            "rationale": "A test of literal text.",
            "references": REF,
        },
    ]
    return Bank.model_validate({"name": "browse", "exams": ["cpc"], "items": items})


@pytest.fixture
def browser(services: Services) -> CardBrowser:
    import_bank(services.engine, _bank(), checksum="browse")
    import_bank(services.engine, make_bank(3, name="other", exam="cpb"), checksum="other")
    return CardBrowser(services)


def _ids(browser: CardBrowser, text: str) -> list[str]:
    page = browser.search(browser.parse(text), limit=1000)
    assert page.total == len(page.rows)
    return sorted(r.item_id for r in page.rows)


def _card(services: Services, item_id: str) -> dict | None:
    with services.engine.connect() as conn:
        row = conn.execute(
            sa.select(CARD).where(
                CARD.c.learner_id == services.learner_id, CARD.c.item_id == item_id
            )
        ).first()
    return dict(row._mapping) if row else None


def _review(services: Services, item_id: str, rating: Rating = Rating.GOOD) -> None:
    session = ReviewSession(services)
    session.rate(session.load_card(item_id), rating)


def test_parse_terms_phrases_fields_negation_and_lists() -> None:
    q = parse_query('exam:CPC sec:em,hcpcs -is:suspended "heart failure" insulin -code:I10')
    assert q.clauses == (
        Clause("exam", ("cpc",)),
        Clause("section", ("em", "hcpcs")),
        Clause("is", ("suspended",), negate=True),
        Clause("text", ("heart failure",)),
        Clause("text", ("insulin",)),
        Clause("code", ("I10",), negate=True),
    )
    assert parse_query('topic:"heart failure"').clauses == (Clause("topic", ("heart failure",)),)
    assert parse_query("10:30").clauses == (Clause("text", ("10:30",)),)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('"heart failure', "quote is not closed"),
        ("foo:bar", "unknown search field 'foo:'"),
        ("exam:cpx", "valid exams: ccs, cpb, cpc"),
        ("exam:cpc section:knowledge_dx", "valid sections of cpc"),
        ("is:sleepy", "valid states: new, learning, review, due, suspended"),
        ("bank:nope", "valid banks: browse, other"),
        ("kind:essay", "valid item kinds"),
        ("topic:hypertensio", "hypertension"),
    ],
)
def test_bad_searches_say_what_is_valid(browser: CardBrowser, text: str, says: str) -> None:
    with pytest.raises(InputError) as info:
        browser.parse(text)
    assert says in str(info.value)


def test_text_matches_stem_choices_and_back_in_any_case(browser: CardBrowser) -> None:
    assert _ids(browser, "hypertension") == ["cb-htn"]  # cb-hf says "hypertensive"
    assert _ids(browser, "heart failure") == ["cb-hf"]  # both words, any case
    assert _ids(browser, '"diastolic heart failure"') == ["cb-hf"]
    assert _ids(browser, '"failure diastolic"') == []
    assert _ids(browser, "I11.9") == ["cb-htn"]  # a choice's text
    assert _ids(browser, "inflammation") == ["cb-flash"]  # a flashcard's back
    assert _ids(browser, "presumed") == []  # the rationale is not searched
    assert _ids(browser, "hypert -essential") == ["cb-hf"]


def test_text_is_literal_not_a_pattern(browser: CardBrowser) -> None:
    assert _ids(browser, "[bold]x[/bold]") == ["cb-markup"]
    assert _ids(browser, '"100%"') == ["cb-markup"]
    assert _ids(browser, "claims_total") == ["cb-markup"]
    assert _ids(browser, "1_0") == []  # _ is not a one-character wildcard
    assert _ids(browser, '"0%"') == ["cb-markup"]
    assert _ids(browser, "%") == ["cb-markup"]  # % is only itself


def test_code_matches_key_choices_and_references(browser: CardBrowser) -> None:
    assert _ids(browser, "code:k0001") == ["cb-code"]  # the answer key, any case
    assert _ids(browser, "code:I50.32") == ["cb-hf"]  # a choice
    assert _ids(browser, "code:J02.9") == ["cb-flash"]  # a reference
    assert _ids(browser, "code:I10") == ["cb-hf", "cb-htn"]
    assert _ids(browser, "code:K0001,J02.9") == ["cb-code", "cb-flash"]
    assert _ids(browser, "code:wheelchair") == []  # the stem is not a code


def test_exam_section_topic_bank_id_kind(browser: CardBrowser) -> None:
    assert _ids(browser, "exam:cpb") == ["other-00000", "other-00001", "other-00002"]
    assert _ids(browser, "exam:ccs") == ["cb-htn"]
    assert _ids(browser, "-exam:cpb bank:browse -exam:ccs") == [
        "cb-code",
        "cb-flash",
        "cb-hf",
        "cb-markup",
    ]
    assert _ids(browser, "section:hcpcs") == ["cb-code"]
    assert _ids(browser, "topic:hypertension") == ["cb-hf", "cb-htn"]
    assert _ids(browser, "topic:heart*") == ["cb-hf"]
    assert _ids(browser, "bank:other") == ["other-00000", "other-00001", "other-00002"]
    assert _ids(browser, "id:cb-h*") == ["cb-hf", "cb-htn"]
    assert _ids(browser, "kind:flashcard,code") == ["cb-code", "cb-flash"]


def test_exam_and_section_together_mean_that_exams_section(browser: CardBrowser) -> None:
    services = browser.services
    with writing(services.engine) as conn:  # the CCS puts cb-htn in another section
        conn.execute(
            sa.update(ITEM_EXAM)
            .where(ITEM_EXAM.c.item_id == "cb-htn", ITEM_EXAM.c.exam == "ccs")
            .values(section="knowledge_dx")
        )
    assert _ids(browser, "exam:ccs section:knowledge_dx") == ["cb-htn"]
    assert _ids(browser, "exam:cpc section:icd10cm") == ["cb-hf", "cb-htn"]
    with pytest.raises(InputError, match=r"valid sections of ccs: .*knowledge_dx"):
        browser.parse("exam:ccs section:icd10cm")


def test_every_state_filter(browser: CardBrowser, clock: FakeClock) -> None:
    services = browser.services
    _review(services, "cb-htn", Rating.GOOD)  # learning
    for _ in range(4):
        _review(services, "cb-hf", Rating.EASY)  # review
    browser.apply("suspend", ["cb-code"])
    browser.apply("flag", ["cb-flash"])
    browser.apply("mark", ["cb-markup"])
    with writing(services.engine) as conn:
        conn.execute(
            sa.update(CARD)
            .where(CARD.c.item_id == "cb-markup")
            .values(leech=True, buried_until=clock.now + timedelta(hours=5))
        )
    assert _ids(browser, "is:learning") == ["cb-htn"]
    assert _ids(browser, "is:review") == ["cb-hf"]
    assert _ids(browser, "is:suspended") == ["cb-code"]
    assert _ids(browser, "is:flagged") == ["cb-flash"]
    assert _ids(browser, "is:marked") == ["cb-markup"]
    assert _ids(browser, "is:leech") == ["cb-markup"]
    assert _ids(browser, "is:buried") == ["cb-markup"]
    assert _ids(browser, "is:new bank:browse") == ["cb-code", "cb-flash", "cb-markup"]
    assert _ids(browser, "-is:new") == ["cb-hf", "cb-htn"]
    assert "cb-htn" not in _ids(browser, "is:due")
    clock.advance(minutes=30)
    assert _ids(browser, "is:due") == ["cb-htn"]  # the learning step came due
    assert _ids(browser, "-is:suspended bank:browse -is:new") == ["cb-hf", "cb-htn"]
    assert _ids(browser, "is:flagged,marked") == ["cb-flash", "cb-markup"]
    clock.advance(hours=5)
    assert _ids(browser, "is:buried") == []


def test_pages_walk_every_match_once(services: Services) -> None:
    import_bank(services.engine, make_bank(250, name="many"), checksum="many")
    browser = CardBrowser(services)
    query = browser.parse("exam:cpc")
    seen: list[str] = []
    for offset in range(0, 300, 100):
        page = browser.search(query, offset=offset, limit=100)
        assert page.total == 250
        seen += [r.item_id for r in page.rows]
    assert seen == [f"many-{i:05d}" for i in range(250)]
    assert browser.ids(query) == seen
    assert browser.count(browser.parse("many-0001")) == 0  # stems say "Question N"
    assert browser.count(browser.parse('"Question 12 "')) == 1


def test_suspend_and_unsuspend_act_on_exactly_the_selection(browser: CardBrowser) -> None:
    services = browser.services
    _review(services, "cb-htn")
    result = browser.apply("suspend", ["cb-htn", "cb-code"])
    assert (result.selected, result.changed) == (2, 2)
    assert _ids(browser, "is:suspended") == ["cb-code", "cb-htn"]
    assert _card(services, "cb-code")["state"] == 0  # a never-seen item got a new card row
    session = ReviewSession(services)
    shown = [session.next_card() for _ in range(10)]
    assert {"cb-htn", "cb-code"}.isdisjoint({c.item.id for c in shown if c})
    assert browser.apply("suspend", ["cb-htn"]).changed == 0  # already suspended
    result = browser.apply("unsuspend", ["cb-htn"])
    assert result.changed == 1
    assert _ids(browser, "is:suspended") == ["cb-code"]
    assert _card(services, "cb-htn")["state"] == 1  # its memory state is untouched


def test_unbury_flag_unflag_mark(browser: CardBrowser, clock: FakeClock) -> None:
    services = browser.services
    session = ReviewSession(services)
    session.bury(session.load_card("cb-hf"))
    assert _ids(browser, "is:buried") == ["cb-hf"]
    assert browser.apply("unbury", ["cb-hf", "cb-htn"]).changed == 1
    assert _ids(browser, "is:buried") == []
    assert _card(services, "cb-hf")["buried_until"] is None
    browser.apply("flag", ["cb-hf", "cb-htn"])
    assert _ids(browser, "is:flagged") == ["cb-hf", "cb-htn"]
    browser.apply("unflag", ["cb-hf"])
    assert _ids(browser, "is:flagged") == ["cb-htn"]
    browser.apply("mark", ["cb-code"])
    browser.apply("unmark", ["cb-code"])
    assert _ids(browser, "is:marked") == []


def _log_count(services: Services, item_id: str) -> int:
    with services.engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).where(REVIEW_LOG.c.item_id == item_id)
            ).scalar_one()
        )


def test_reset_goes_back_to_new_and_keeps_the_log(browser: CardBrowser) -> None:
    services = browser.services
    for r in (Rating.EASY, Rating.AGAIN, Rating.EASY):
        _review(services, "cb-hf", r)
    browser.apply("flag", ["cb-hf"])
    with writing(services.engine) as conn:
        conn.execute(sa.update(CARD).where(CARD.c.item_id == "cb-hf").values(leech=True))
    result = browser.apply("reset", ["cb-hf", "cb-code"])
    assert result.changed == 1  # cb-code was new already
    card = _card(services, "cb-hf")
    assert card["state"] == 0 and card["reps"] == 0 and card["lapses"] == 0
    assert card["due"] is None and card["stability"] is None and card["leech"] is False
    assert card["flagged"] is True  # marks stay
    assert _log_count(services, "cb-hf") == 3
    assert _ids(browser, "is:new topic:heart-failure") == ["cb-hf"]
    detail = browser.detail("cb-hf")
    assert len(detail.history) == 3 and detail.card.reps == 0


def test_forget_resets_and_deletes_the_history(browser: CardBrowser) -> None:
    services = browser.services
    _review(services, "cb-hf")
    _review(services, "cb-htn")
    result = browser.apply("forget", ["cb-hf"])
    assert (result.changed, result.history_deleted) == (1, 1)
    assert "1 review-log rows deleted" in result.message()
    assert _log_count(services, "cb-hf") == 0
    assert _log_count(services, "cb-htn") == 1  # only the selection
    assert _card(services, "cb-hf")["state"] == 0


def test_detail_has_the_item_card_and_history(browser: CardBrowser, clock: FakeClock) -> None:
    services = browser.services
    _review(services, "cb-htn", Rating.AGAIN)
    clock.advance(minutes=5)
    _review(services, "cb-htn", Rating.GOOD)
    d = browser.detail("cb-htn")
    assert d.item.stem.startswith("Which code reports essential")
    assert d.bank == "browse"
    assert d.exams == [("ccs", "icd10cm"), ("cpc", "icd10cm")]
    assert d.topics == ["hypertension"]
    assert [h.rating for h in d.history] == [1, 3]
    assert d.history[1].reviewed_at - d.history[0].reviewed_at == timedelta(minutes=5)
    assert d.has_card and d.card.reps == 2 and d.card.due is not None
    assert d.retrievability is not None
    with pytest.raises(InputError):
        browser.detail("no-such-item")


def test_actions_on_thousands_in_one_go(services: Services) -> None:
    import_bank(services.engine, make_bank(1200, name="bulk"), checksum="bulk")
    browser = CardBrowser(services)
    ids = browser.ids(browser.parse("bank:bulk"))
    assert browser.apply("suspend", ids).changed == 1200
    assert browser.count(browser.parse("is:suspended")) == 1200
    assert browser.apply("unsuspend", ids[:700]).changed == 700
    assert browser.count(browser.parse("is:suspended")) == 500


def test_cli_options_combine_with_the_query(browser: CardBrowser) -> None:
    query = browser.parse("hypert", [Clause("topic", ("heart-failure",))])
    assert [r.item_id for r in browser.search(query).rows] == ["cb-hf"]
