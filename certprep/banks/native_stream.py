"""Native JSON bank files read in bounded pieces, so a bank of any size imports in bounded memory.

The file is read a megabyte at a time and hashed as it is read; the top-level keys before
``items`` (the header and the cases) are read whole, then the items are handed out a batch at a
time, each batch validated as the whole-file reader validates it (``banks.native``), with the
bank's defaults applied. The checks that span the whole bank (an id twice, a case nobody has,
an item with no exam) are made as the batches pass, in the whole-file reader's words.

Items are read two ways. The fast path (``_fast``) finds where a batch's last item ends by the
text that separates this file's items and has pydantic-core parse and validate the whole batch
from the text; when that does not give exactly a batch of valid items (a problem in one, a
layout it misreads, the file's end), the batch is read the plain way: the stdlib's C scanner
decodes each item (``raw_decode``) and pydantic validates the values, item by item on a
problem, so results and messages are the plain path's. Both agree on every valid item
(tests/test_import_fast.py).
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import TypeAdapter, ValidationError

from certprep.banks.native import json_syntax, validation_problems
from certprep.core.models import (
    BankHeader,
    Case,
    Item,
    place_items,
    repeated_ids,
)
from certprep.core.problems import InputError, Problem

CHUNK = 1 << 20  # bytes read at a time
BATCH = 2000  # items validated (and written) at a time
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_CARRY = 16  # a syntax error this close to the end of what was read may be a cut token
FAST = True  # try the fast path (``NativeJsonStream._fast``); the tests compare both
FAST_MAX_CHARS = 16 << 20  # the fast path reads at most this far ahead for a batch
_NEXT = re.compile(r'[ \t\n\r]*\{[ \t\n\r]*(?:"[A-Za-z_]{1,20}")?')


class Row(NamedTuple):
    """One item as the importer writes it: ``prepare``'d where it was validated."""

    id: str  # the author's id (the source id)
    key: str  # the id the payload speaks (the database's key, when the importer made it)
    kind: str
    section: str
    case: str | None
    hash: str
    payload: str
    exams: list[str]
    topics: list[str]
    stem: str


def prepare(item: Item, sid: str) -> Row:
    """The stored form of a validated item: its payload (pydantic's Rust serialiser, as
    ``model_dump_json(exclude_none=True)``) and the payload's hash (``payload_hash``)."""
    data = _SERIALISE(item, exclude_none=True)
    return Row(
        sid,
        item.id,
        item.kind.value,
        item.section,
        item.case,
        _sha256(data).hexdigest()[:16],
        data.decode(),
        item.exams,
        item.topics,
        item.stem,
    )


_SERIALISE = Item.__pydantic_serializer__.to_json
_sha256 = hashlib.sha256


class Layout(Exception):
    """The file is valid JSON the stream reader does not take (items not the last key, ...):
    read it whole instead (or, past the whole-file limit, say how to lay it out)."""


@cache
def _items_adapter() -> TypeAdapter[list[Item]]:
    return TypeAdapter(list[Item])


@cache
def _cases_adapter() -> TypeAdapter[list[Case]]:
    return TypeAdapter(list[Case])


class NativeJsonStream:
    """One native JSON bank file, read forwards once: ``open()``, then ``batches()``, then
    ``checksum()``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.source = str(path)
        self.size = path.stat().st_size
        self._fh = path.open("rb")
        self._hash = hashlib.sha256()
        self._text = codecs.getincrementaldecoder("utf-8-sig")()
        self._buf = ""
        self._pos = 0
        self._line = 1  # the line _buf starts on
        self._eof = False
        self.read_bytes = 0
        self.header: BankHeader | None = None
        self.cases: list[Case] = []
        self.items_seen = 0
        self._ids: set[str] = set()
        self._case_ids: set[str] = set()
        # the fast path's separator: None until learnt, "" once it failed (see _fast)
        self._sep: str | None = None if FAST else ""
        self.fast_batches = 0  # batches the fast path read
        self._sep_end = 0

    def close(self) -> None:
        self._fh.close()

    # ------------------------------------------------------------------ reading

    def _more(self, size: int = 0) -> bool:
        data = self._fh.read(size or CHUNK)
        self._hash.update(data)
        self.read_bytes += len(data)
        try:
            text = self._text.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            at = self.read_bytes - len(data) + max(0, exc.start)
            raise InputError(
                [Problem(self.source, f"byte {at} is not UTF-8 text; save the file as UTF-8")]
            ) from None
        self._line += self._buf.count("\n", 0, self._pos)
        self._buf = self._buf[self._pos :] + text
        self._pos = 0
        if not data:
            self._eof = True
        return bool(data)

    def _syntax(self, msg: str, pos: int) -> InputError:
        line = self._line + self._buf.count("\n", 0, pos)
        cut = self._eof and (msg.startswith("Unterminated") or not self._buf[pos:].strip())
        return InputError([Problem(self.source, json_syntax(msg, cut), line)])

    def _peek(self) -> str:
        """The next character that is not white space ("" at the end of the file)."""
        while True:
            m = _WS.match(self._buf, self._pos)
            self._pos = m.end() if m else self._pos
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._more():
                return ""

    def _expect(self, chars: str, msg: str) -> str:
        c = self._peek()
        if not c or c not in chars:
            raise self._syntax(msg, self._pos)
        self._pos += 1
        return c

    def _value(self) -> Any:
        self._peek()
        size = CHUNK
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                cut = exc.pos >= len(self._buf) - _CARRY or exc.msg.startswith("Unterminated")
                if self._eof or not cut:
                    raise self._syntax(exc.msg, exc.pos) from None
                self._more(size)
                size *= 2  # a long value: read more at a time, not once per piece
                continue
            except (ValueError, RecursionError) as exc:  # a 5,000-digit number, deep nesting
                raise InputError(
                    [Problem(self.source, f"cannot read a value in the file: {str(exc)[:120]}")]
                ) from None
            if end >= len(self._buf) and not self._eof:
                self._more()  # a number may go on in the next piece
                continue
            self._pos = end
            return value

    # ------------------------------------------------------------------ the bank

    def open(self) -> None:
        """Read the header and the cases (everything before ``items``) and validate them."""
        self._expect("{", "a bank file is a mapping with 'name' and 'items'")
        head: dict[str, Any] = {}
        items_next = False
        if self._peek() == "}":
            self._pos += 1
        else:
            while True:
                if self._peek() != '"':
                    raise self._syntax(
                        "Expecting property name enclosed in double quotes", self._pos
                    )
                key = self._value()
                self._expect(":", "Expecting ':' delimiter")
                if key == "items":
                    if self._peek() != "[":
                        raise Layout("'items' is not a list")
                    self._pos += 1
                    items_next = True
                    break
                head[key] = self._value()
                if self._expect(",}", "Expecting ',' delimiter") == "}":
                    break
        if not items_next:
            self._end()
        cases = head.pop("cases", [])
        problems: list[Problem] = []
        try:
            self.header = BankHeader.model_validate(head)
        except ValidationError as exc:
            problems += validation_problems(exc, self.source, head, {})
        try:
            self.cases = _cases_adapter().validate_python(cases)
        except ValidationError as exc:
            problems += validation_problems(exc, self.source, {"cases": cases}, {}, prefix="cases")
        self._case_ids = {c.id for c in self.cases}
        if len(self._case_ids) != len(self.cases):
            problems.append(Problem(self.source, "two cases share an id"))
        if problems:
            raise InputError(problems)
        self._items_open = items_next

    def _end(self) -> None:
        if self._peek():
            raise self._syntax("Extra data", self._pos)

    def _raw_batches(self) -> Iterator[list[Any] | _Valid]:
        """The items a batch at a time: raw values, or a batch the fast path already validated
        (``_fast``, tried at the start of each batch)."""
        if not getattr(self, "_items_open", False):
            return
        batch: list[Any] = []
        if self._peek() == "]":
            self._pos += 1
        else:
            decode, ws = _DECODER.raw_decode, _WS.match
            while True:
                if not batch and self._sep:
                    valid = self._fast()
                    if valid is not None:
                        yield valid
                        continue
                buf = self._buf
                try:  # the usual case, an item and its comma in what was read: at once
                    value, end = decode(buf, ws(buf, self._pos).end())  # type: ignore[union-attr]
                    done = buf[end] == ","
                except (ValueError, IndexError, RecursionError):
                    done = False
                if done:
                    self._pos = end + 1
                    if self._sep is None:
                        self._learn(end)
                else:
                    value = self._value()
                    if self._expect(",]", "Expecting ',' delimiter") == "]":
                        batch.append(value)
                        break
                batch.append(value)
                if len(batch) >= BATCH:
                    yield batch
                    batch = []
        if batch:
            yield batch
        if self._expect(",}", "Expecting ',' delimiter") == ",":
            raise Layout("a key follows 'items'")
        self._end()

    # ------------------------------------------------------------------ the fast path

    def _learn(self, end: int) -> None:
        """Note how this file's items follow one another (the text from the white space before
        an item's closing brace to the next item's first key: ``},`` a line break and
        ``{"id"`` in an exported file), from an item whose comma is at ``end``."""
        buf = self._buf
        start = end - 1  # (the item's closing brace, its comma at ``end``)
        while start > 0 and buf[start - 1] in " \t\r\n":
            start -= 1
        nxt = _NEXT.match(buf, end + 1)
        if nxt is None:
            return  # (the next item is not in what was read yet: learnt at a later item)
        self._sep = buf[start : nxt.end()]
        self._sep_end = end - start  # where the item ends in the pattern (its comma)

    def _fast(self) -> _Valid | None:
        """The next ``BATCH`` items, validated by pydantic-core straight from the text, when
        the file's separator (``_learn``) finds where they end; None otherwise (the batch is
        then read as before, with the same results and messages, see the module).

        Sound whatever the separator finds: a cut inside an item leaves an unclosed string or
        brace, so the text does not parse as a list; one that parses ends at an item's end,
        and the list's length is the number of items before it."""
        pat, found, off, last = self._sep or "", 0, 0, 0
        while found < BATCH:  # (offsets from self._pos, which _more moves)
            buf, pos = self._buf, self._pos
            at = buf.find(pat, pos + off)
            if at < 0:
                if self._eof or len(buf) - pos > FAST_MAX_CHARS:
                    self._sep = ""  # (the last batch, huge items, or a separator seen once)
                    return None
                off = max(off, len(buf) - pos - len(pat) + 1)
                self._more()
                continue
            found += 1
            last = at - pos + self._sep_end  # where the item found ends (its comma)
            off = at - pos + len(pat)
        buf, pos = self._buf, self._pos
        text = buf[pos : pos + last]
        try:
            items = _items_adapter().validate_json("[" + text + "]")
        except ValueError:  # (ValidationError, json_invalid among them)
            self._sep = ""  # (an item with a problem, or a layout the pattern misreads)
            return None
        if len(items) != BATCH:
            self._sep = ""
            return None
        self._pos = pos + last + 1
        self.fast_batches += 1
        return _Valid(items)

    def batches(self) -> Iterator[tuple[list[Item], list[Problem]]]:
        """The items a batch at a time, validated, with the problems each batch has."""
        assert self.header is not None
        exams, year = self.header.exams, self.header.code_set_year
        adapter = _items_adapter()
        for raw in self._raw_batches():
            start = self.items_seen
            self.items_seen += len(raw)
            invalid: list[Problem] = []
            if isinstance(raw, _Valid):
                items = raw.items
            else:
                try:
                    items = adapter.validate_python(raw)
                except ValidationError:  # each item alone: the valid ones are still checked
                    items = []
                    data = {"items": _Offset(raw, start)}
                    for i, one in enumerate(raw):
                        try:
                            items += adapter.validate_python([one])
                        except ValidationError as exc:
                            invalid += validation_problems(
                                exc, self.source, data, {}, prefix="items", at=start + i
                            )
            # the whole-bank checks, as Bank's validator makes them
            found = repeated_ids(items, self._ids)
            found += place_items(items, self._case_ids, exams, year)
            yield items, invalid + [Problem(self.source, msg) for msg in found]

    def checksum(self) -> str:
        """The file's SHA-256 (as ``checksum_bytes``), once every batch was read."""
        while self._more():  # (the hash covers the whole file)
            pass
        self.close()
        return self._hash.hexdigest()


class _Valid:
    """A batch of items validated by the fast path."""

    def __init__(self, items: list[Item]) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)


class _Offset:
    """A batch of raw items indexed by their place in the whole file (for messages)."""

    def __init__(self, raw: list[Any], start: int) -> None:
        self.raw, self.start = raw, start

    def __getitem__(self, i: int) -> Any:
        return self.raw[i - self.start]
