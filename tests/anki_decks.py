"""Anki packages built by Anki's own library (the ``anki`` package in the test extra).

One collection the way a study group makes it: Basic, Basic (and reversed card), a cloze note
with three cloze numbers, a custom multiple-choice note type, an image and a sound, and real
reviews answered through Anki's scheduler; exported in the new (.apkg with a zstd
collection.anki21b) and the legacy (collection.anki21) formats.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from anki.collection import Collection, ExportAnkiPackageOptions
from anki.import_export_pb2 import ExportLimit

MCQ_FIELDS = ["Question", "Option 1", "Option 2", "Option 3", "Option 4", "Answer", "Explanation"]
# a made-up study-group note type: neither "Front" nor "Back", the answer is the option number
STUDY_FIELDS = ["Prompt", "Choice A", "Choice B", "Choice C", "Correct", "Why"]


@dataclass
class Deck:
    new: bytes  # .apkg as Anki 2.1.50+ writes it
    legacy: bytes  # .apkg with "support older Anki versions" ticked
    reviews: dict[str, list[int]]  # what was answered, by a label of the card: ratings in order


def export_package(col: Collection, path: Path, *, legacy: bool = False) -> bytes:
    """The collection exported as Anki exports a deck: with scheduling and media."""
    options = ExportAnkiPackageOptions(
        with_scheduling=True, with_deck_configs=False, with_media=True, legacy=legacy
    )
    col.export_anki_package(out_path=str(path), options=options, limit=ExportLimit())
    return path.read_bytes()


def _answer(col: Collection, card_id: int, rating: int) -> None:
    card = col.get_card(card_id)
    card.start_timer()
    col.sched.answerCard(card, rating)


def build_deck() -> Deck:
    with tempfile.TemporaryDirectory() as tmp:
        col = Collection(str(Path(tmp) / "collection.anki2"))
        try:
            return _build(col, Path(tmp))
        finally:
            col.close()


def _build(col: Collection, tmp: Path) -> Deck:
    mm = col.models
    deck = col.decks.id("CPC::Terminology")
    basic = mm.by_name("Basic")
    reverse = mm.by_name("Basic (and reversed card)")
    cloze = mm.by_name("Cloze")
    assert basic and reverse and cloze

    mcq = mm.new("Coding MCQ")
    for name in MCQ_FIELDS:
        mm.add_field(mcq, mm.new_field(name))
    t = mm.new_template("Card 1")
    t["qfmt"] = (
        "{{Question}}<ol><li>{{Option 1}}</li><li>{{Option 2}}</li>"
        "<li>{{Option 3}}</li><li>{{Option 4}}</li></ol>"
    )
    t["afmt"] = "{{FrontSide}}<hr id=answer>Answer: {{Answer}}<br>{{Explanation}}"
    mm.add_template(mcq, t)
    mm.add(mcq)
    mcq = mm.by_name("Coding MCQ")

    study = mm.new("Study group")
    for name in STUDY_FIELDS:
        mm.add_field(study, mm.new_field(name))
    t = mm.new_template("Card 1")
    t["qfmt"] = "{{Prompt}}<br>{{Choice A}}<br>{{Choice B}}<br>{{Choice C}}"
    t["afmt"] = "{{FrontSide}}<hr id=answer>{{Correct}} {{Why}}"
    mm.add_template(study, t)
    mm.add(study)
    study = mm.by_name("Study group")

    def add(model: dict, values: dict[str, str], tags: list[str] | None = None) -> object:
        note = col.new_note(model)
        for k, v in values.items():
            note[k] = v
        note.tags = tags or []
        col.add_note(note, deck)
        return note

    n_basic = add(basic, {"Front": "-ectomy", "Back": "Surgical <b>removal</b>"}, ["suffixes"])
    n_rev = add(reverse, {"Front": "-itis", "Back": "Inflammation"}, ["suffixes"])
    n_cloze = add(
        cloze,
        {
            "Text": "{{c1::I10}} is essential hypertension, {{c2::E11.9}} type 2 diabetes "
            "without complications and {{c3::J45.909::asthma}} unspecified asthma.",
            "Back Extra": "Check the Tabular List.",
        },
        ["icd10cm"],
    )
    n_mcq = add(
        mcq,
        {
            "Question": "Which suffix means surgical repair?",
            "Option 1": "-ectomy",
            "Option 2": "-plasty",
            "Option 3": "-otomy",
            "Option 4": "-ostomy",
            "Answer": "2",
            "Explanation": "-plasty is surgical repair; -ectomy is removal.",
        },
        ["suffixes"],
    )
    image = col.media.write_data("heart.png", b"\x89PNG\r\n\x1a\n not really a picture")
    n_media = add(
        basic,
        {"Front": f'Which organ is this? <img src="{image}">', "Back": "Heart [sound:lubdub.mp3]"},
    )
    n_study = add(
        study,
        {
            "Prompt": "Which prefix means below?",
            "Choice A": "hyper-",
            "Choice B": "hypo-",
            "Choice C": "peri-",
            "Correct": "B",
            "Why": "hypo- means below or deficient.",
        },
    )
    occlusion = mm.by_name("Image Occlusion")
    if occlusion is not None:  # Anki 23.10 and later
        add(
            occlusion,
            {
                "Occlusion": "{{c1::image-occlusion:rect:left=.1:top=.2:width=.3:height=.2:oi=1}}",
                "Image": f'<img src="{image}">',
                "Header": "Label the heart",
            },
        )
    typed = mm.by_name("Basic (type in the answer)")
    add(typed, {"Front": "Code for essential hypertension", "Back": "I10"}, ["icd10cm"])
    del n_media, n_study
    reviews: dict[str, list[int]] = {}

    def answer(label: str, card_id: int, ratings: list[int]) -> None:
        for r in ratings:
            _answer(col, card_id, r)
        reviews[label] = ratings

    cards = {c.ord: c.id for c in n_basic.cards()}  # type: ignore[attr-defined]
    answer("basic", cards[0], [3, 4])
    cards = {c.ord: c.id for c in n_rev.cards()}  # type: ignore[attr-defined]
    answer("forward", cards[0], [3])
    answer("reverse", cards[1], [1, 3])
    cards = {c.ord: c.id for c in n_cloze.cards()}  # type: ignore[attr-defined]
    answer("c1", cards[0], [4])
    answer("c2", cards[1], [2])
    answer("c3", cards[2], [1, 1, 3])
    cards = {c.ord: c.id for c in n_mcq.cards()}  # type: ignore[attr-defined]
    answer("mcq", cards[0], [3])

    out = {}
    for legacy in (False, True):
        out[legacy] = export_package(col, tmp / f"deck-{legacy}.apkg", legacy=legacy)
    return Deck(new=out[False], legacy=out[True], reviews=reviews)


def build_basic_deck(pairs: list[tuple[str, str]], *, legacy: bool = False) -> bytes:
    """A deck of Basic notes (front, back), exported by Anki."""
    with tempfile.TemporaryDirectory() as tmp:
        col = Collection(str(Path(tmp) / "collection.anki2"))
        try:
            basic = col.models.by_name("Basic")
            deck = col.decks.id("Codes")
            for front, back in pairs:
                note = col.new_note(basic)  # type: ignore[arg-type]
                note["Front"], note["Back"] = front, back
                col.add_note(note, deck)
            return export_package(col, Path(tmp) / "deck.apkg", legacy=legacy)
        finally:
            col.close()
