"""Readers and writers of bank files in foreign formats: pure functions of bytes.

Read: native (YAML/JSON), csv, tsv, json (an array of flat objects), aiken, gift, moodle
(XML) and apkg (Anki .apkg/.colpkg, with review history). Write: native, json, csv, tsv, gift
and moodle. Every failure is an ``InputError`` listing all problems found, each naming the file
and the line or record; no input makes a reader raise anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from certprep.core.models import Bank
from certprep.core.problems import InputError, Problem

from ._common import (
    DEFAULT_RATIONALE,
    MAX_FILE_BYTES,
    Collector,
    Draft,
    Options,
    decode_text,
    key_slug,
)
from .finalize import finalize

__all__ = [
    "DEFAULT_RATIONALE",
    "FORMATS",
    "WRITABLE",
    "CardHistory",
    "ReadResult",
    "detect_format",
    "read_bank",
    "read_bank_bytes",
    "write_bank",
    "write_bank_with_warnings",
]

FORMATS = ("native", "csv", "tsv", "json", "aiken", "gift", "moodle", "apkg")
MAPPABLE = ("csv", "tsv", "json", "apkg")  # formats --map applies to
WRITABLE = ("native", "json", "csv", "tsv", "gift", "moodle")
_ALIASES = {"yaml": "native", "yml": "native", "xml": "moodle", "colpkg": "apkg", "anki": "apkg"}
_EXTENSIONS = {
    ".yaml": "native",
    ".yml": "native",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".gift": "gift",
    ".aiken": "aiken",
    ".xml": "moodle",
    ".apkg": "apkg",
    ".colpkg": "apkg",
}


_MARKS = ("suspended", "flagged", "marked")


@dataclass
class CardHistory:
    """Review history carried over from Anki for one item."""

    item_id: str
    reviews: list[tuple[datetime, int, int]]  # (UTC time, rating 1-4, duration ms)
    marks: frozenset[str] = frozenset()  # set in Anki: "suspended", "flagged", "marked"


@dataclass
class ReadResult:
    """A validated bank read from a file, with what came along and what to tell the user."""

    bank: Bank
    history: list[CardHistory] = field(default_factory=list)  # only apkg files have any
    warnings: list[Problem] = field(default_factory=list)
    fmt: str = ""  # the format the file was read as (after "auto")
    derived: set[str] = field(default_factory=set)  # ids derived from content (no id in file)


# ---------------------------------------------------------------------------- detection


def _looks_like_gift(text: str) -> bool:
    body = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("//"))
    if re.search(r"^\s*(::.+?::|\$CATEGORY:)", body, re.M):
        return True
    return bool(re.search(r"\{\s*(=|~|T\s*\}|F\s*\}|TRUE\s*\}|FALSE\s*\})", body))


def _looks_like_aiken(text: str) -> bool:
    return bool(re.search(r"^\s*ANSWER\s*:\s*[A-Fa-f]\b", text, re.M)) and bool(
        re.search(r"^\s*([A-Fa-f][.)]\s+|[A-F][.)])\S", text, re.M)
    )


def detect_format(path: Path, head: bytes) -> str:
    """The format of a file from its extension and its first bytes; InputError when unknown."""
    suffix = path.suffix.lower()
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head[: len(head) // 2 * 2].decode("utf-16", "replace").lstrip("\ufeff")
    else:
        text = head.decode("utf-8", "replace").lstrip("\ufeff")
    first = text.lstrip()[:1]
    if head.startswith(b"PK\x03\x04") and suffix not in (".csv", ".tsv", ".txt"):
        return "apkg"
    if suffix == ".json":
        return "json" if first == "[" else "native"
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    # .txt and unknown extensions: look at the content
    if first == "<" and re.search(r"<quiz[\s>]", text):
        return "moodle"
    if first == "{":
        return "native"
    if first == "[":
        return "json"
    if re.search(r"^format:\s*certprep-bank/", text, re.M):
        return "native"
    if _looks_like_aiken(text):
        return "aiken"
    if _looks_like_gift(text):
        return "gift"
    if suffix == ".txt":
        header = text.partition("\n")[0]
        return "tsv" if "\t" in header else "csv"
    raise InputError(
        f"cannot tell the format of this file; pass --format, one of {', '.join(FORMATS)}",
        str(path),
    )


# ---------------------------------------------------------------------------- reading


def _read_bytes(path: Path) -> bytes:
    source = str(path)
    try:
        if not path.is_file():
            raise InputError("no such file (or it is a folder)", source)
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"the file is {size // (1024 * 1024)} MiB; bank files may be at most "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MiB",
                source,
            )
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", source) from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", source)
    return data


def read_bank(
    path: Path,
    fmt: str = "auto",
    *,
    bank_name: str | None = None,
    exam: str | None = None,
    section: str | None = None,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
) -> ReadResult:
    """Read a bank file of any supported format into a validated Bank.

    ``exam`` and ``section`` fill in what the file does not say (formats other than native and
    csv/json never say it). ``mapping`` maps column names to fields for csv, tsv and json.
    Raises InputError with every problem found.
    """
    path = Path(path)
    data = _read_bytes(path)
    return read_bank_bytes(
        data,
        path,
        fmt,
        bank_name=bank_name,
        exam=exam,
        section=section,
        mapping=mapping,
        encoding=encoding,
    )


def read_bank_bytes(
    data: bytes,
    path: Path | str,
    fmt: str = "auto",
    *,
    bank_name: str | None = None,
    exam: str | None = None,
    section: str | None = None,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
) -> ReadResult:
    """``read_bank`` for bytes already in memory; ``path`` names the file in messages."""
    path = Path(path)
    source = str(path)
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", source)
    fmt = (fmt or "auto").strip().lower()
    fmt = _ALIASES.get(fmt, fmt)
    if fmt == "auto":
        fmt = detect_format(path, data[:4096])
    elif fmt not in FORMATS:
        raise InputError(
            f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)} or auto", source
        )
    c = Collector(source)
    if mapping and fmt not in MAPPABLE:
        raise c.fail(
            f"--map names columns or note fields, and a {fmt} file has neither; it applies to "
            f"{', '.join(MAPPABLE)} files. Import without --map"
        )
    if encoding and fmt == "apkg":
        raise c.fail(
            "--encoding names a text file's encoding, and an Anki package's text is always "
            "UTF-8. Import without --encoding"
        )
    name = key_slug(bank_name) if bank_name else key_slug(path.stem)
    if bank_name and not name:
        raise InputError(
            f"bank name {bank_name!r} has no letters or digits; expected a short key like cpc-deck",
            source,
        )
    opts = Options(
        source=source,
        file_name=path.name,
        bank_name=name or "imported",
        exam=_key_option(exam, "exam", c),
        section=_key_option(section, "section", c),
        mapping=mapping,
        encoding=encoding,
        bank_given=bool(bank_name),
    )
    try:
        if fmt == "native":
            return _read_native(data, path, opts, c, rename=bank_name is not None)
        history: dict[Any, list[tuple[datetime, int, int]]] = {}
        marks: dict[Any, frozenset[str]] = {}
        if fmt in ("csv", "tsv"):
            from .tabular import read_csv

            drafts = read_csv(data, opts, c, fmt)
        elif fmt == "json":
            from .json_array import read_json_array

            drafts = read_json_array(data, opts, c)
        elif fmt == "aiken":
            from .aiken import read_aiken

            drafts = read_aiken(data, opts, c)
        elif fmt == "gift":
            from .gift import read_gift

            drafts = read_gift(data, opts, c)
        elif fmt == "moodle":
            from .moodle import read_moodle

            drafts = read_moodle(data, opts, c)
        else:
            from .anki import read_apkg

            drafts, history, marks = read_apkg(data, opts, c)
        return _result(drafts, history, opts, c, fmt, marks)
    except RecursionError:
        raise InputError([*c.problems, Problem(source, "the file is nested too deeply")]) from None


def _key_option(value: str | None, what: str, c: Collector) -> str | None:
    if value is None or not value.strip():
        return None
    key = key_slug(value)
    if not key:
        c.problem(f"--{what} {value!r} has no letters or digits; expected a key like cpc")
        return None
    return key


def _result(
    drafts: list[Draft],
    history: dict[Any, list[tuple[datetime, int, int]]],
    opts: Options,
    c: Collector,
    fmt: str,
    marks: dict[Any, frozenset[str]] | None = None,
) -> ReadResult:
    bank, ids, derived = finalize(drafts, c, opts, fmt)
    marks = marks or {}
    histories = [
        CardHistory(ids[key], sorted(history.get(key, [])), marks.get(key, frozenset()))
        for key in [*history, *(marks.keys() - history.keys())]
        if key in ids
    ]
    counts = {m: sum(1 for h in histories if m in h.marks) for m in _MARKS}
    if said := ", ".join(f"{n} {m}" for m, n in counts.items() if n):
        c.warn(
            f"cards in the deck: {said}; with --with-history they stay so (without it they are "
            "imported as new cards to study)"
        )
    return ReadResult(bank, histories, c.warnings, fmt, derived)


def _read_native(
    data: bytes, path: Path, opts: Options, c: Collector, *, rename: bool
) -> ReadResult:
    from certprep.banks.native import load_bank_text

    text = decode_text(data, c, opts.encoding)
    c.check()
    try:
        bank = load_bank_text(
            text, opts.source, as_json=path.suffix.lower() == ".json" or text.lstrip()[:1] == "{"
        )
    except ValueError as exc:  # e.g. an integer past Python's 4300-digit limit
        raise c.fail(f"cannot read a value in the file: {str(exc)[:120]}") from None
    if rename and opts.bank_name != bank.name:
        bank = bank.model_copy(update={"name": opts.bank_name})
    return ReadResult(bank, [], c.warnings, "native")


# ---------------------------------------------------------------------------- writing


def write_bank_with_warnings(bank: Bank, fmt: str) -> tuple[bytes, list[Problem]]:
    """The bank in ``fmt`` and what the format could not carry, one warning per kind of loss.

    An export with no question in it is an InputError: a bank of flashcards as GIFT, say.
    """
    fmt = _ALIASES.get(fmt.strip().lower(), fmt.strip().lower())
    from certprep.banks.native import dump_bank

    from .carry import header_warnings, quiz_warnings

    if fmt not in WRITABLE:
        raise InputError(f"cannot write {fmt!r}; expected one of {', '.join(WRITABLE)}")
    if not bank.items:
        raise InputError(f"bank {bank.name!r} has no items to export", bank.name)
    if fmt == "native":
        return dump_bank(bank).encode(), []
    if fmt == "json":
        return dump_bank(bank, as_json=True).encode(), []
    if fmt in ("csv", "tsv"):
        from .tabular import write_csv

        return write_csv(bank, "," if fmt == "csv" else "\t"), header_warnings(bank, fmt)
    if fmt == "gift":
        from .gift_writer import write_gift

        out, skipped = write_gift(bank)
    else:
        from .moodle import write_moodle

        out, skipped = write_moodle(bank)
    if len(skipped) == len(bank.items):
        raise InputError(
            f"nothing to export: all {len(skipped)} items of bank {bank.name!r} are flashcards "
            f"and {fmt} has no flashcards; export to csv, tsv or native instead",
            bank.name,
        )
    return out, quiz_warnings(bank, fmt, skipped)


def write_bank(bank: Bank, fmt: str) -> bytes:
    """The bank as a file in ``fmt``: native (YAML), json, csv, tsv, gift or moodle.

    GIFT and Moodle XML have no flashcards: those items are left out and listed in a comment
    at the top of the file (``write_bank_with_warnings`` returns the list too).
    """
    return write_bank_with_warnings(bank, fmt)[0]
