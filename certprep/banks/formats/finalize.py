"""The last step of every foreign-format reader: defaults, ids, cases, validation, the Bank."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import ValidationError

from certprep.core.models import Bank, Item, derive_item_id
from certprep.core.problems import InputError, Problem

from ._common import (
    DEFAULT_RATIONALE,
    MAX_REFERENCE,
    MAX_TOPIC,
    OWN_EXAM,
    OWN_SECTION,
    Collector,
    Draft,
    Options,
    answer_of,
    id_slug,
    name_list,
    shorten_topic,
)

# ---------------------------------------------------------------------------- finalize


def _validation_messages(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors(include_url=False):
        loc = [str(p) if not isinstance(p, int) else str(p + 1) for p in err["loc"]]
        where = ".".join(loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "string_too_short":
            msg = "is empty; expected some text"
        elif err["type"] == "string_too_long":
            msg = f"is too long ({msg.lower()})"
        elif err["type"] == "string_pattern_mismatch":
            msg = f"has characters that are not allowed ({msg})"
        elif err["type"] == "missing":
            msg = "is missing"
        out.append(f"{where}: {msg}" if where else msg)
    return out


def _cases(drafts: list[Draft], items: list[Item], c: Collector) -> list[dict[str, Any]]:
    """The case scenarios the rows name (case, case_title, case_text), each told once."""
    found: dict[str, dict[str, Any]] = {}
    for d in drafts:
        if d.case is None:
            continue
        cid, title, text = d.case
        if cid not in found:
            found[cid] = {"id": cid, "title": title, "text": text}
            continue
        known = found[cid]
        for key, value in (("title", title), ("text", text)):
            if value and known[key] and value != known[key]:
                c.problem(
                    f"case {cid!r} has another {key} than on an earlier row", d.line, d.record
                )
            elif value and not known[key]:
                known[key] = value
    used = {i.case for i in items if i.case}
    for cid in sorted(used - set(found)):
        c.problem(f"case {cid!r} is named but its text is nowhere; fill the case_text column")
    out = []
    for cid, case in found.items():
        if not case["text"]:
            c.problem(f"case {cid!r} has no text; fill the case_text column on one of its rows")
            continue
        out.append({k: v for k, v in case.items() if v is not None})
    return out


def finalize(
    drafts: list[Draft], c: Collector, opts: Options, fmt: str
) -> tuple[Bank, dict[Any, str], set[str]]:
    """Fill defaults, give ids, validate every item and build the bank; raise all problems.

    Returns the bank, a map from each draft's ``key`` to its item id, and the ids derived from
    content (questions the file gave no id or unique title: an edit changes their id).
    """
    own = 0
    for d in drafts:
        if not d.data.get("exams"):
            if opts.exam:
                d.data["exams"] = [opts.exam]
            else:  # neither the file nor the caller names an exam: the learner's own deck
                d.data["exams"] = [OWN_EXAM]
                own += 1
        if not d.data.get("section"):
            if opts.section:
                d.data["section"] = opts.section
            elif d.data["exams"] == [OWN_EXAM]:
                d.data["section"] = OWN_SECTION
            else:
                # a section column only where the format has columns (GIFT, Aiken, Moodle and
                # Anki files have none to fill)
                fill = "fill the section column or " if fmt in ("csv", "tsv", "json") else ""
                c.problem(
                    f"no section for this question of exam {', '.join(d.data['exams'])}; "
                    f"{fill}pass --section",
                    d.line,
                    d.record,
                )
    names = Counter(id_slug(d.name_hint) for d in drafts if d.name_hint and not d.id_hint)
    explicit_seen: dict[str, str] = {}
    derived_seen: dict[str, str] = {}
    items: list[Item] = []
    ids: dict[Any, str] = {}
    derived_ids: set[str] = set()
    no_rationale = no_reference = long_topics = 0
    repeats: list[str] = []  # where each question left out as a repeat is, and what it repeats
    default_reference = f"Imported from {opts.file_name}"[:MAX_REFERENCE]

    for d in drafts:
        data = dict(d.data)
        where = f"line {d.line}" if d.line is not None else (d.record or "")
        if not data.get("exams") or not data.get("section"):
            continue  # already reported above
        if not str(data.get("rationale") or "").strip():
            data["rationale"] = DEFAULT_RATIONALE
            no_rationale += 1
        if not data.get("references"):
            data["references"] = [default_reference]
            no_reference += 1
        topics = [t for t in (data.get("topics") or []) if str(t).strip()]
        short = [shorten_topic(str(t)) for t in topics]
        long_topics += sum(1 for a, b in zip(topics, short, strict=True) if a != b)
        data["topics"] = short

        derived = False
        if d.id_hint and (slug := id_slug(d.id_hint)):
            item_id = slug
            if item_id in explicit_seen:
                c.problem(
                    f"id {item_id!r} appears twice (first at {explicit_seen[item_id]}); "
                    "expected each question to have its own id",
                    d.line,
                    d.record,
                )
                continue
            explicit_seen[item_id] = where
        elif d.name_hint and (slug := id_slug(d.name_hint)) and names[slug] == 1:
            item_id = slug
        else:
            base = id_slug(d.name_hint or "") or opts.bank_name
            item_id = derive_item_id(base[:100], data.get("stem", ""), answer_of(data))
            derived = True
        if derived:
            if item_id in derived_seen:
                repeats.append(f"{where} repeats {derived_seen[item_id]}")
                continue
            derived_seen[item_id] = where
        data["id"] = item_id
        try:
            item = Item.model_validate(data)
        except ValidationError as exc:
            for msg in _validation_messages(exc):
                c.problem(msg, d.line, d.record if d.record else None)
            continue
        except RecursionError:
            c.problem("question nested too deeply", d.line, d.record)
            continue
        items.append(item)
        if derived:
            derived_ids.add(item.id)
        if d.key is not None:
            ids[d.key] = item.id

    # a title-derived or content-derived id may still meet an explicit one
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            c.problem(f"id {item.id!r} is used by two questions; give them different ids")
        seen.add(item.id)

    cases = _cases(drafts, items, c)
    if not drafts and not c.problems:
        c.problem(f"found no questions; expected a {fmt} file with at least one question")
    c.check()
    if repeats:
        c.warn(
            f"{len(repeats)} questions were left out because they repeat an earlier question "
            f"word for word: {name_list(repeats)}"
        )
    if no_rationale:
        c.warn(
            f"{no_rationale} of {len(items)} questions have no rationale; they were given "
            f"{DEFAULT_RATIONALE!r}"
        )
    if no_reference:
        c.warn(
            f"{no_reference} of {len(items)} questions cite no reference; they were given "
            f"{default_reference!r}"
        )
    if own:
        c.warn(
            f"{own} questions name no exam; they go to your own deck (exam {OWN_EXAM!r}, "
            f"section {OWN_SECTION!r}) for review and drills. Pass --exam and --section, or fill "
            "exam and section columns, to place them in an exam"
        )
    if long_topics:
        c.warn(f"{long_topics} topics were longer than {MAX_TOPIC} characters and were shortened")
    header: dict[str, Any] = {
        "name": opts.bank_name,
        "title": opts.file_name,
        "source": f"Imported from {opts.file_name} ({fmt})",
        "items": items,
        "cases": cases,
    }
    if opts.exam:
        header["exams"] = [opts.exam]
    try:
        bank = Bank.model_validate(header)
    except ValidationError as exc:
        raise InputError([Problem(c.source, m) for m in _validation_messages(exc)]) from None
    return bank, ids, derived_ids
