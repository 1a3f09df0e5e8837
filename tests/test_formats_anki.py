"""Anki decks as Anki itself exports them (new and legacy packages), read card by card."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from certprep.banks.formats import ReadResult, read_bank
from certprep.core.models import ItemKind
from certprep.core.problems import InputError

from .anki_decks import Deck, build_basic_deck, build_deck


@pytest.fixture(scope="module")
def deck() -> Deck:
    return build_deck()


@pytest.fixture(params=["new", "legacy"])
def package(request: pytest.FixtureRequest, deck: Deck, tmp_path: Path) -> Path:
    f = tmp_path / f"{request.param}.apkg"
    f.write_bytes(deck.new if request.param == "new" else deck.legacy)
    return f


def read(path: Path, **kw: object) -> ReadResult:
    kw.setdefault("exam", "cpc")
    kw.setdefault("section", "terminology")
    return read_bank(path, **kw)  # type: ignore[arg-type]


def by_stem(res: ReadResult) -> dict[str, object]:
    return {i.stem: i for i in res.bank.items}


def history_of(res: ReadResult, item_id: str) -> list[int]:
    return next((h.ratings for h in _hist(res) if h.item_id == item_id), [])


class _H:
    def __init__(self, item_id: str, ratings: list[int]) -> None:
        self.item_id, self.ratings = item_id, ratings


def _hist(res: ReadResult) -> list[_H]:
    return [_H(h.item_id, [r for _, r, _ in h.reviews]) for h in res.history]


def test_every_card_is_its_own_item_with_its_own_history(package: Path, deck: Deck) -> None:
    res = read(package)
    items = by_stem(res)
    forward, reverse = items["-itis"], items["Inflammation"]
    assert forward.back == "Inflammation" and reverse.back == "-itis"  # type: ignore[attr-defined]
    assert items["-ectomy"].back == "Surgical removal"  # type: ignore[attr-defined]
    assert history_of(res, items["-ectomy"].id) == deck.reviews["basic"]  # type: ignore[attr-defined]
    assert history_of(res, forward.id) == deck.reviews["forward"]  # type: ignore[attr-defined]
    assert history_of(res, reverse.id) == deck.reviews["reverse"]  # type: ignore[attr-defined]
    # 1 basic + 2 reversed + 3 cloze + 1 multiple choice + 1 with media + 1 study-group question
    # + 1 type-in-the-answer card
    assert len(res.bank.items) == 10
    typed = items["Code for essential hypertension"]
    assert typed.back == "I10"  # type:Back is a box on the front, the answer on the back
    assert sum(len(h.reviews) for h in res.history) == sum(len(r) for r in deck.reviews.values())


def test_each_cloze_number_is_a_card(package: Path, deck: Deck) -> None:
    res = read(package)
    clozes = [i for i in res.bank.items if "is essential hypertension" in i.stem]
    assert [i.stem.split(" is ")[0] for i in clozes] == ["[...]", "I10", "I10"]
    assert "[...] type 2" in clozes[1].stem and "[asthma] unspecified" in clozes[2].stem
    assert "J45.909" not in clozes[2].stem and "J45.909" in clozes[0].stem
    for item in clozes:
        assert item.back is not None and "Check the Tabular List." in item.back
        assert "I10 is essential hypertension, E11.9" in item.back
    assert [history_of(res, i.id) for i in clozes] == [
        deck.reviews["c1"],
        deck.reviews["c2"],
        deck.reviews["c3"],
    ]
    assert len({i.id for i in clozes}) == 3


def test_a_multiple_choice_note_type_is_read_through_its_fields(package: Path, deck: Deck) -> None:
    items = by_stem(res := read(package))
    mcq = items["Which suffix means surgical repair?"]
    assert mcq.kind is ItemKind.SINGLE  # type: ignore[attr-defined]
    assert [c.text for c in mcq.choices] == ["-ectomy", "-plasty", "-otomy", "-ostomy"]  # type: ignore[attr-defined]
    assert mcq.correct_keys == ["b"]  # the answer field says 2: never "the first option"  # type: ignore[attr-defined]
    assert mcq.rationale == "-plasty is surgical repair; -ectomy is removal."  # type: ignore[attr-defined]
    assert history_of(res, mcq.id) == deck.reviews["mcq"]  # type: ignore[attr-defined]
    study = items["Which prefix means below?"]
    assert study.correct_keys == ["b"] and study.choices[1].text == "hypo-"  # type: ignore[attr-defined]


def test_media_leave_a_visible_placeholder_and_a_counted_warning(package: Path) -> None:
    res = read(package)
    item = next(i for i in res.bank.items if i.stem.startswith("Which organ"))
    assert item.stem == "Which organ is this? [image: heart.png]"
    assert item.back == "Heart [sound: lubdub.mp3]"
    text = " | ".join(w.message for w in res.warnings)
    assert (
        "1 cards show images or play sounds (the package holds 1 media files); media are not "
        "imported: cards show [image: file] or [sound: file] in their place"
    ) in text
    assert text.count("media files") == 1  # one warning, not one per place it was noticed


def test_image_occlusion_cards_are_named_not_turned_into_junk(package: Path) -> None:
    res = read(package)
    assert not any(
        "image-occlusion" in i.stem or "Label the heart" in i.stem for i in res.bank.items
    )
    (note,) = [w.message for w in res.warnings if "image occlusion" in w.message]
    assert note.startswith("1 image occlusion cards were left out")
    assert re.search(r"which the app cannot show: note \d+ \(note id \d+\)$", note)  # which one


def test_reimporting_the_same_deck_keeps_every_card_id(deck: Deck, tmp_path: Path) -> None:
    a, b = tmp_path / "a.apkg", tmp_path / "b.apkg"
    a.write_bytes(deck.new)
    b.write_bytes(deck.legacy)
    ids_a = [i.id for i in read(a, bank_name="deck").bank.items]
    ids_b = [i.id for i in read(b, bank_name="deck").bank.items]
    assert ids_a == ids_b and len(set(ids_a)) == len(ids_a)


def test_map_applies_to_anki_fields(tmp_path: Path) -> None:
    # a Basic deck of description -> code cards becomes code-entry questions with --map
    f = tmp_path / "codes.apkg"
    f.write_bytes(
        build_basic_deck(
            [
                ("Essential (primary) hypertension", "I10"),
                ("Type 2 diabetes mellitus without complications", "E11.9"),
            ]
        )
    )
    plain = read(f)
    assert {i.kind for i in plain.bank.items} == {ItemKind.FLASHCARD}
    mapped = read(f, mapping={"Front": "stem", "Back": "codes"})
    assert [(i.kind, i.codes) for i in mapped.bank.items] == [
        (ItemKind.CODE, ["I10"]),
        (ItemKind.CODE, ["E11.9"]),
    ]


def test_map_naming_a_field_no_note_type_has_is_refused(package: Path) -> None:
    with pytest.raises(InputError) as info:
        read(package, mapping={"Scenario": "stem"})
    msg = str(info.value)
    assert "--map names a field 'Scenario' that no note type in the deck has" in msg
    assert "Option 1" in msg and "Back Extra" in msg


@pytest.mark.parametrize("fmt", ["gift", "moodle", "aiken", "native"])
def test_map_is_refused_where_it_cannot_apply(fmt: str) -> None:
    from certprep.banks.formats import read_bank_bytes

    with pytest.raises(InputError) as info:
        read_bank_bytes(b"x", f"f.{fmt}", fmt, mapping={"Question": "stem"})
    assert f"--map names columns or note fields, and a {fmt} file has neither" in str(info.value)
