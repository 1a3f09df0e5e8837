"""Moodle XML question files, read (through defusedxml only) and written.

Read: multichoice (single or multiple response), truefalse, shortanswer (a code-entry item),
category pseudo-questions (topics of the questions after them), tags (topics), idnumber or
name (the item id), generalfeedback (the rationale) and per-answer feedback (choice rationales).
HTML text is reduced to plain text; nothing in it is interpreted as markup afterwards.
Other question types are skipped with a warning.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # building output only; input goes through defusedxml
from typing import Any

import defusedxml
import defusedxml.ElementTree as DET

from certprep.core.models import CHOICE_KEYS, Bank, Item, ItemKind, split_codes

from ._common import (
    Collector,
    Draft,
    Options,
    Skipped,
    decode_text,
    infer_choice_kind,
    name_list,
    report_skipped,
)
from .carry import META_PREFIX, apply_meta, item_meta
from .gift import _category_topics
from .gift_writer import item_stem
from .text import html_to_text, text_in_format

_SUPPORTED = ("multichoice", "truefalse", "shortanswer")
_REFS = "\n\nReferences:\n"  # the end of a general feedback written by certprep


def _text_of(el: Any) -> str:
    if el is None:
        return ""
    t = el.find("text")
    return (t.text or "") if t is not None else ""


def _conv(el: Any, default_fmt: str = "html") -> str:
    """The plain text of a Moodle text element, read in the format its attribute names
    (html, moodle_auto_format, markdown, plain_text)."""
    if el is None:
        return ""
    return text_in_format(_text_of(el), el.get("format") or default_fmt)


def _fraction(el: Any, record: str, c: Collector) -> float | None:
    raw = (el.get("fraction") or "0").strip()
    try:
        value = float(raw)
    except ValueError:
        c.problem(f"answer fraction {raw[:20]!r} is not a number; expected 0 to 100", None, record)
        return None
    if value != value:  # NaN
        c.problem("answer fraction is not a number; expected 0 to 100", None, record)
        return None
    return value


def read_moodle(data: bytes, opts: Options, c: Collector) -> list[Draft]:
    """Drafts from a Moodle XML quiz file (in the encoding it declares, or ``--encoding``)."""
    source: bytes | str = decode_text(data, c, opts.encoding) if opts.encoding else data
    try:
        root = DET.fromstring(source, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except ET.ParseError as exc:
        if not opts.encoding and (bad := _not_utf8(data)) is not None:  # saved in another encoding
            raise c.fail(
                f"byte {bad} (0x{data[bad : bad + 1].hex()}) is not UTF-8 text and the XML "
                "declares no other encoding; save the file as UTF-8, or pass --encoding with the "
                "encoding it was saved in (Windows: --encoding cp1252)",
                data.count(b"\n", 0, bad) + 1,
            ) from None
        at = exc.position[0] if getattr(exc, "position", None) else None
        raise c.fail(f"not valid XML: {exc}; expected a Moodle XML export", at) from None
    except defusedxml.DefusedXmlException:
        raise c.fail(
            "the XML declares a DTD or entities, which are refused for safety; expected a "
            "plain Moodle XML export"
        ) from None
    except (LookupError, ValueError) as exc:  # an unknown or unsupported declared encoding
        raise c.fail(f"cannot read the XML: {exc}; save it as UTF-8", 1) from None
    except RecursionError:
        raise c.fail("XML nested too deeply") from None
    if root.tag != "quiz":
        raise c.fail(f"the top element is <{str(root.tag)[:40]}>; expected <quiz>", 1)
    drafts: list[Draft] = []
    partial: list[str] = []  # questions with an answer worth part of the mark
    skipped = Skipped()
    topics: list[str] = []
    files = with_files = 0
    for n, q in enumerate(root.findall("question"), start=1):
        qtype = (q.get("type") or "").strip()
        if qtype == "category":
            topics = _category_topics(_text_of(q.find("category")))
            continue
        name = html_to_text(_text_of(q.find("name")))
        record = f"question {n}" + (f" {name[:40]!r}" if name else "")
        if qtype not in _SUPPORTED:
            skipped.add(qtype or "without a type", f"{record}: {qtype or 'no type'}")
            continue
        if embedded := len(q.findall(".//file")):
            files += embedded
            with_files += 1
        qtext = q.find("questiontext")
        fmt = (qtext.get("format") if qtext is not None else None) or "html"
        stem = _conv(qtext)
        rationale = _conv(q.find("generalfeedback"), fmt) or None
        answers = []
        bad = False
        for a in q.findall("answer"):
            frac = _fraction(a, record, c)
            if frac is None:
                bad = True
                continue
            text = _conv(a, fmt)
            fb = _conv(a.find("feedback"), fmt) or None
            answers.append((frac, text, fb))
        if bad:
            continue
        fields: dict[str, Any] = {"stem": stem}
        single = _text_of_plain(q.find("single")).strip().casefold() not in ("false", "0")
        if (qtype == "shortanswer" or single) and any(0 < f < 99.99 for f, _, _ in answers):
            partial.append(record)  # an answer worth part of the mark: here right or wrong
        if qtype == "shortanswer":
            sets = [split_codes(t) for f, t, _ in answers if f >= 99.99 and split_codes(t)]
            if not sets:
                c.problem("a short-answer question with no answer worth 100%", None, record)
                continue
            fields["kind"] = "code"
            fields["codes"] = sets[0]
            if alts := [s for s in sets[1:] if s != sets[0]]:
                fields["alternatives"] = alts
        elif qtype == "truefalse":
            value = None
            fbs: dict[bool, str | None] = {}
            for f, t, fb in answers:
                is_true = t.strip().casefold() == "true"
                fbs[is_true] = fb
                if f >= 99.99:
                    value = is_true
            if value is None:
                c.problem(
                    "a true/false question with no answer worth 100%; expected 'true' or "
                    "'false' with fraction 100",
                    None,
                    record,
                )
                continue
            choices = []
            for key, label, is_true in (("a", "True", True), ("b", "False", False)):
                ch: dict[str, Any] = {"key": key, "text": label, "correct": is_true == value}
                if fbs.get(is_true):
                    ch["rationale"] = fbs[is_true]
                choices.append(ch)
            fields["kind"] = "true_false"
            fields["choices"] = choices
        else:
            if len(answers) > len(CHOICE_KEYS):
                kind = f"multichoice with more than {len(CHOICE_KEYS)} answers"
                skipped.add(kind, f"{record}: {len(answers)} answers")
                continue
            choices = []
            for key, (f, t, fb) in zip(CHOICE_KEYS, answers, strict=False):
                ch = {"key": key, "text": t, "correct": f >= 99.99 if single else f > 0}
                if fb:
                    ch["rationale"] = fb
                choices.append(ch)
            fields["kind"] = infer_choice_kind(choices)
            fields["choices"] = choices
            shuffle = _text_of_plain(q.find("shuffleanswers")).strip().casefold()
            if shuffle in ("false", "0"):  # the teacher kept the written order
                fields["pin_choices"] = True
            right = [ch for ch in choices if ch["correct"]]
            if rationale is None and len(right) == 1:
                rationale = right[0].get("rationale")
        if rationale:
            fields["rationale"] = rationale
        tags = [_text_of(t).strip() for t in q.findall("tags/tag")]
        for tag in tags:
            if tag.startswith(META_PREFIX) and "=" in tag:
                meta_key, _, meta_value = tag[len(META_PREFIX) :].partition("=")
                apply_meta(fields, meta_key, meta_value, c, None, record)
        tags = [t for t in tags if t and not t.startswith(META_PREFIX)]
        if all_topics := [*topics, *tags]:
            fields["topics"] = all_topics
        if fields.get("rationale") and _REFS in fields["rationale"]:
            rationale, _, refs = fields["rationale"].rpartition(_REFS)
            fields["references"] = [r.strip() for r in refs.split("\n") if r.strip()]
            fields["rationale"] = rationale.strip()
        id_hint = _text_of_plain(q.find("idnumber")).strip() or None
        drafts.append(Draft(fields, record=record, id_hint=id_hint, name_hint=name or None))
    report_skipped(c, skipped, drafts)
    if partial:
        c.warn(
            f"{len(partial)} questions give part of the mark to some answers; here only an "
            f"answer worth the full mark is right: {name_list(partial)}"
        )
    if files:
        c.warn(
            f"{with_files} questions embed {files} files (images and the like); they are not "
            "imported: the text shows [image: file] in their place"
        )
    return drafts


def _not_utf8(data: bytes) -> int | None:
    """The offset of the first byte that is not UTF-8, in a file that declares no encoding (nor
    starts with a UTF-16 byte order mark); None when the text is UTF-8 or says what it is."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or re.match(
        rb"\s*<\?xml[^>]*encoding\s*=", data.lstrip(b"\xef\xbb\xbf")
    ):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def _text_of_plain(el: Any) -> str:
    """An element's own text (Moodle writes <single>true</single>, <idnumber>x</idnumber>)."""
    if el is None:
        return ""
    return el.text or _text_of(el)


# ---------------------------------------------------------------------------- writer

_BAD_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return _BAD_XML.sub("", text)


def _text_el(parent: ET.Element, tag: str, text: str, fmt: str | None = "plain_text") -> ET.Element:
    el = ET.SubElement(parent, tag)
    if fmt:
        el.set("format", fmt)
    ET.SubElement(el, "text").text = _clean(text)
    return el


def _answer(q: ET.Element, fraction: str, text: str, feedback: str | None) -> None:
    a = ET.SubElement(q, "answer", {"fraction": fraction, "format": "plain_text"})
    ET.SubElement(a, "text").text = _clean(text)
    fb = ET.SubElement(a, "feedback", {"format": "plain_text"})
    ET.SubElement(fb, "text").text = _clean(feedback or "")


def _fraction_text(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def write_moodle(bank: Bank) -> tuple[bytes, list[str]]:
    """Moodle XML and the ids of items it cannot carry (flashcards)."""
    quiz = ET.Element("quiz")
    skipped: list[str] = []
    cases = {cs.id: cs for cs in bank.cases}
    for item in bank.items:
        if item.kind is ItemKind.FLASHCARD:
            skipped.append(item.id)
            continue
        quiz.append(_question_el(item, cases))
    if skipped:
        quiz.insert(
            0,
            ET.Comment(
                f" {len(skipped)} flashcards left out (Moodle has no flashcards): "
                + ", ".join(skipped[:50]).replace("--", "- -")
                + " "
            ),
        )
    ET.indent(quiz)
    body = ET.tostring(quiz, encoding="unicode")
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
    return text.encode("utf-8", "replace"), skipped


def _question_el(item: Item, cases: dict[str, Any]) -> ET.Element:
    plain_tf = [ch.text for ch in item.choices] == ["True", "False"]
    if item.kind is ItemKind.CODE:
        qtype = "shortanswer"
    elif item.kind is ItemKind.TRUE_FALSE and plain_tf:
        qtype = "truefalse"
    else:
        qtype = "multichoice"
    q = ET.Element("question", {"type": qtype})
    _text_el(q, "name", item.id, None)
    _text_el(q, "questiontext", item_stem(item, cases))
    _text_el(q, "generalfeedback", item.rationale + _REFS + "\n".join(item.references))
    ET.SubElement(q, "defaultgrade").text = "1"
    ET.SubElement(q, "penalty").text = "0.3333333"
    ET.SubElement(q, "hidden").text = "0"
    ET.SubElement(q, "idnumber").text = _clean(item.id)
    if qtype == "shortanswer":
        ET.SubElement(q, "usecase").text = "0"
        for codes in [item.codes, *item.alternatives]:
            if codes:
                _answer(q, "100", ", ".join(codes), None)
    elif qtype == "truefalse":
        for ch in item.choices:
            _answer(q, "100" if ch.correct else "0", ch.text.lower(), ch.rationale)
    else:
        multiple = item.kind is ItemKind.MULTIPLE
        ET.SubElement(q, "single").text = "false" if multiple else "true"
        ET.SubElement(q, "shuffleanswers").text = "false" if item.pin_choices else "true"
        ET.SubElement(q, "answernumbering").text = "abc"
        n = max(1, len(item.correct_keys))
        for ch in item.choices:
            if multiple:
                frac = _fraction_text(100 / n) if ch.correct else "-100"
            else:
                frac = "100" if ch.correct else "0"
            _answer(q, frac, ch.text, ch.rationale)
    tags = ET.SubElement(q, "tags")
    for t in item.topics:
        _text_el(tags, "tag", t, None)
    for key, value in item_meta(item, references=False):
        _text_el(tags, "tag", f"{META_PREFIX}{key}={value}", None)
    return q
