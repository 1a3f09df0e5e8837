"""Spreadsheet-shaped banks: CSV and TSV files read row by row, and the CSV writer.

One row is one question; ``columns`` matches the header to item fields and ``rows`` builds each
row's item. JSON arrays of flat objects are read in ``json_array``.
"""

from __future__ import annotations

import csv
import io
import re

from certprep.core.models import CHOICE_KEYS, Bank, Case, Item

from ._common import Collector, Draft, Options, decode_text
from .columns import CSV_COLUMNS, CSV_EXTRA_COLUMNS, map_columns, resolve_field
from .rows import build_draft

# ---------------------------------------------------------------------------- CSV / TSV


def _delimiter(first_line: str, fmt: str) -> str:
    if fmt == "tsv":
        return "\t"
    outside = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: outside.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _headerless_columns(width: int) -> dict[int, str]:
    """Positional columns of a file without a header row (Quizlet's term<TAB>definition)."""
    if width <= 2:
        return {0: "stem", 1: "answer"}
    if width == 3:
        return {0: "stem", 1: "answer", 2: "rationale"}
    n = min(width - 2, len(CHOICE_KEYS))
    cols = {0: "stem", **{i + 1: f"choice_{k}" for i, k in enumerate(CHOICE_KEYS[:n])}}
    cols[n + 1] = "answer"
    return cols


def _is_header(row: list[str], mapping: dict[str, str] | None) -> bool:
    """A first row naming the question column, or mostly known column names, is a header.

    (One known word is not enough: the answer cell of a question row is often "A" or "B".)
    """
    if mapping:
        return True
    cells = [cell for cell in row if cell.strip()]
    known = [resolve_field(cell) for cell in cells]
    if "stem" in known:
        return True
    return sum(1 for k in known if k not in (None, "ignore")) * 2 >= len(cells)


# a cell a spreadsheet would run as a formula ("=HYPERLINK(...)", and "-itis" too) is written
# with a leading apostrophe, which spreadsheets and this reader take as "text follows"; so is
# text that already begins with apostrophes before such a character, so it reads back the same
_FORMULA = re.compile(r"'*[=+\-@]")


def _clean_cell(cell: str) -> str:
    if cell.startswith("'") and _FORMULA.match(cell):
        cell = cell[1:]  # what the writer (or a spreadsheet user) put in front of a formula
    return cell.replace("\r\n", "\n").replace("\r", "\n")


def as_text_cell(text: str) -> str:
    """``text`` as a spreadsheet cell that is never run as a formula, read back as ``text``."""
    return "'" + text if _FORMULA.match(text) else text


def read_csv(data: bytes, opts: Options, c: Collector, fmt: str) -> list[Draft]:
    """Drafts from a CSV or TSV file, with a header row or (two to eight columns) without."""
    text = decode_text(data, c, opts.encoding)
    first_line_no = 1
    first, _, rest = text.partition("\n")
    delimiter = None
    if re.fullmatch(r"sep=.\r?", first):  # Excel's hint line
        delimiter = first[4]
        text = rest
        first_line_no = 2
        first = text.partition("\n")[0]
    delimiter = delimiter or _delimiter(first, fmt)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    offset = first_line_no - 1
    drafts: list[Draft] = []
    header: list[str] | None = None
    columns: dict[int, str] = {}
    prev = 0
    name = "TSV" if delimiter == "\t" else "CSV"
    while True:
        start = prev + 1 + offset
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise c.fail(_structural(str(exc), name), start) from None
        prev = reader.line_num
        row = [_clean_cell(cell) for cell in row]
        if not row or not any(cell.strip() for cell in row):
            continue
        if header is None:
            if _is_header(row, opts.mapping):
                header = row
                columns = map_columns(header, opts.mapping, c, start)
                c.check()
                continue
            header = [""] * len(row)
            columns = _headerless_columns(len(row))
            shown = ", ".join(columns[i] for i in sorted(columns))
            c.warn(
                f"no header row: the {len(row)} columns were read as {shown}; add a header "
                "row (question, A, B, ..., answer) to say otherwise",
                start,
            )
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
            c.problem(
                f"this row has {len(row)} cells but the header has {len(header)}; "
                "check the quoting of cells that contain the delimiter",
                start,
            )
            continue
        cells = {fld: row[i] for i, fld in columns.items() if i < len(row)}
        if d := build_draft(cells, c, start, None):
            drafts.append(d)
    if header is None:
        raise c.fail("the file is empty; expected a header row and one question per row")
    return drafts


def _structural(message: str, name: str) -> str:
    """csv's own words about a broken row, said the way a spreadsheet user can act on."""
    if "unexpected end of data" in message or "EOF" in message:
        return (
            f"a quoted cell that starts on this line is never closed; a {name} cell that "
            'begins with " must end with " (write "" for a quote inside it)'
        )
    if "expected after" in message:
        return (
            f'a quote inside a quoted cell on this line is not doubled; write "" for a '
            f"quote inside a cell ({name} says: {message})"
        )
    return f"not valid {name}: {message}"


# ---------------------------------------------------------------------------- writer


def _used_extras(bank: Bank) -> list[str]:
    """The optional columns some item of the bank needs."""
    used = set()
    for item in bank.items:
        used |= {f"rationale_{ch.key}" for ch in item.choices if ch.rationale}
        if item.alternatives:
            used.add("alternatives")
        for name in ("ordered", "partial_credit", "pin_choices", "code_set_year", "difficulty"):
            if getattr(item, name):
                used.add(name)
        if item.case:
            used |= {"case", "case_title", "case_text"}
    return [col for col in CSV_EXTRA_COLUMNS if col in used]


def write_csv(bank: Bank, delimiter: str = ",") -> bytes:
    """The bank as CSV (UTF-8 with a BOM so spreadsheet programs read accents right).

    Carries every item field: the documented columns, then the optional ones the bank uses
    (per-choice rationales, alternatives, ordered, partial credit, code-set year, difficulty, pinned choices,
    and each case's id, title and text on the rows of its questions). A cell a spreadsheet would
    run as a formula gets a leading apostrophe (``as_text_cell``), which the reader drops.
    """
    extras = _used_extras(bank)
    cases = {cs.id: cs for cs in bank.cases}
    out = io.StringIO(newline="")
    w = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS + extras)
    for item in bank.items:
        w.writerow([as_text_cell(cell) for cell in _row(item, cases, extras)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _row(item: Item, cases: dict[str, Case], extras: list[str]) -> list[str]:
    """One item's cells, in the order of the header."""
    by_key = {ch.key: ch for ch in item.choices}
    case = cases.get(item.case) if item.case else None
    extra = {
        **{
            f"rationale_{k}": (by_key[k].rationale or "") if k in by_key else ""
            for k in CHOICE_KEYS
        },
        "alternatives": " | ".join(", ".join(alt) for alt in item.alternatives),
        "ordered": "true" if item.ordered else "",
        "partial_credit": "true" if item.partial_credit else "",
        "pin_choices": "true" if item.pin_choices else "",
        "code_set_year": str(item.code_set_year or ""),
        "difficulty": str(item.difficulty or ""),
        "case": item.case or "",
        "case_title": (case.title or "") if case else "",
        "case_text": case.text if case else "",
    }
    return [
        item.id,
        item.kind.value,
        "; ".join(item.exams),
        item.section,
        "; ".join(item.topics),
        item.stem,
        *(by_key[k].text if k in by_key else "" for k in CHOICE_KEYS),
        "; ".join(k.upper() for k in item.correct_keys),
        "; ".join(item.codes),
        item.back or "",
        item.rationale,
        "\n".join(item.references),
        *(extra[col] for col in extras),
    ]
