"""The code book's data model: ICD-10-CM entries with their tabular notes, ICD-10-PCS codes read
axis by axis, MS-DRG CC/MCC levels. Plain Python; the index (store/codebook.py) holds the rows.

Sources and years are stated in the first line of each shipped file and repeated here for the
help texts; scripts/build_codebook.py writes the files.
"""

from __future__ import annotations

import gzip
import importlib.resources
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

CM_SOURCE = "ICD-10-CM FY2026 (CMS tabular list, April 1 2026)"
PCS_SOURCE = (
    "ICD-10-PCS: sections 0-1 from the CMS FY2025 tables (every character explained) and "
    "the FY2025 PCS Index; "
    "sections 2-X from the CMS code list as shipped in the drg package (New Technology "
    "groups up to 9, FY2024), description only"
)
DRG_SOURCE = "MS-DRG v43 (FY2026 final rule, CMS tables 6I, 6J and 6K)"
CPT_NOTE = "CPT is not included (AMA licence): use your own CPT code book."
HCPCS_NOTE = (
    "HCPCS Level II is not included: no maintained package on the index carries the CMS file."
)

DATA_FILES = ("codebook_cm.jsonl.gz", "codebook_pcs.tsv.gz", "msdrg_v43.tsv.gz")
SYSTEMS = ("cm", "pcs", "drg")

# The notes of the tabular list, in the order a coder reads them, with their printed headings.
NOTE_HEADINGS: dict[str, str] = {
    "notes": "Note",
    "inclusion": "Inclusion terms",
    "includes": "Includes",
    "excludes1": "Excludes1",
    "excludes2": "Excludes2",
    "code_first": "Code first",
    "use_additional": "Use additional code",
    "code_also": "Code also",
    "seven_chr_note": "7th character",
    "seven_chr": "7th characters",
}
# Notes a code inherits from the category, block and chapter above it (the tabular prints them
# once, at the top; they apply to everything below).
INHERITED = (
    "includes",
    "excludes1",
    "excludes2",
    "code_first",
    "use_additional",
    "code_also",
    "seven_chr_note",
    "seven_chr",
)


@dataclass(frozen=True)
class CmEntry:
    """A chapter, block, category or code of the ICD-10-CM tabular list."""

    code: str  # as printed: "E11.22", a block "E08-E13", a chapter number "4"
    kind: str  # chapter | block | category | code
    title: str
    parent: str
    billable: bool
    notes: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class NoteGroup:
    """The notes of one level of the hierarchy, as they apply to the code looked up."""

    source: str  # the code, category, block or chapter that carries them
    heading: str
    lines: list[str]


def note_groups(entry: CmEntry, ancestors: list[CmEntry]) -> list[NoteGroup]:
    """The code's own notes, then those it inherits from its ancestors (nearest first)."""
    out: list[NoteGroup] = []
    for key, heading in NOTE_HEADINGS.items():
        if key in entry.notes:
            out.append(NoteGroup(entry.code, heading, list(entry.notes[key])))
    for anc in reversed(ancestors):
        for key, heading in NOTE_HEADINGS.items():
            if key in INHERITED and key in anc.notes:
                out.append(NoteGroup(anc.code, heading, list(anc.notes[key])))
    return out


def seventh_character(entry: CmEntry, ancestors: list[CmEntry]) -> str | None:
    """The code or category whose 7th-character table applies to this entry, if any."""
    for e in [entry, *reversed(ancestors)]:
        if "seven_chr" in e.notes:
            return e.code
    return None


def placeholder_rule(entry: CmEntry, ancestors: list[CmEntry]) -> str | None:
    """The placeholder convention (guidelines I.A.5) when a 7th character applies here."""
    owner = seventh_character(entry, ancestors)
    if owner is None:
        return None
    body = entry.code.replace(".", "")
    if len(body) >= 7:
        return None
    return (
        f"A 7th character (table at {owner}) is required. The 7th character must be in the "
        "7th position: a code with fewer than 6 characters takes the placeholder X in each "
        "empty position (convention I.A.5)."
    )


# -- code shapes -------------------------------------------------------------------------------
_CM_CODE = re.compile(r"^[A-Z][0-9][0-9A-Z]{0,5}$")
_PCS_CODE = re.compile(r"^[0-9A-HJ-NP-Z]{1,7}$")


def normalise_code(text: str) -> str:
    """A code as typed ("e11.22 ", "E1122") to the index form: upper case, no dot, no spaces."""
    return text.strip().upper().replace(".", "").replace(" ", "")


def looks_like_code(text: str) -> bool:
    """Whether a query is a code or a code prefix rather than words (it has a digit)."""
    raw = text.strip()
    if not raw or " " in raw or not any(c.isdigit() for c in raw):
        return False
    norm = normalise_code(raw)
    return bool(_CM_CODE.match(norm) or _PCS_CODE.match(norm))


def with_dot(code: str) -> str:
    """An ICD-10-CM code in the index form with its dot back: E1122 -> E11.22."""
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


# -- ICD-10-PCS ------------------------------------------------------------------------------
PCS_SECTIONS = {
    "0": "Medical and Surgical",
    "1": "Obstetrics",
    "2": "Placement",
    "3": "Administration",
    "4": "Measurement and Monitoring",
    "5": "Extracorporeal or Systemic Assistance and Performance",
    "6": "Extracorporeal or Systemic Therapies",
    "7": "Osteopathic",
    "8": "Other Procedures",
    "9": "Chiropractic",
    "B": "Imaging",
    "C": "Nuclear Medicine",
    "D": "Radiation Therapy",
    "F": "Physical Rehabilitation and Diagnostic Audiology",
    "G": "Mental Health",
    "H": "Substance Abuse Treatment",
    "X": "New Technology",
}
_STANDARD_AXES = (
    "Section",
    "Body System",
    "Root Operation",
    "Body Part",
    "Approach",
    "Device",
    "Qualifier",
)
PCS_AXES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys("0123", _STANDARD_AXES),
    "2": ("Section", "Body System", "Root Operation", "Body Region", "Approach", "Device", "Qualifier"),
    "3": ("Section", "Body System", "Root Operation", "Body System / Region", "Approach", "Substance", "Qualifier"),
    "4": ("Section", "Body System", "Root Operation", "Body System", "Approach", "Function / Device", "Qualifier"),
    "5": ("Section", "Body System", "Root Operation", "Body System", "Duration", "Function", "Qualifier"),
    "6": ("Section", "Body System", "Root Operation", "Body System", "Duration", "Qualifier", "Qualifier"),
    "7": ("Section", "Body System", "Root Operation", "Body Region", "Approach", "Method", "Qualifier"),
    "8": ("Section", "Body System", "Root Operation", "Body Region", "Approach", "Method", "Qualifier"),
    "9": ("Section", "Body System", "Root Operation", "Body Region", "Approach", "Method", "Qualifier"),
    "B": ("Section", "Body System", "Type", "Body Part", "Contrast", "Qualifier", "Qualifier"),
    "C": ("Section", "Body System", "Type", "Body Part", "Radionuclide", "Qualifier", "Qualifier"),
    "D": ("Section", "Body System", "Modality", "Treatment Site", "Modality Qualifier", "Isotope", "Qualifier"),
    "F": ("Section", "Section Qualifier", "Type", "Body System / Region", "Type Qualifier", "Equipment", "Qualifier"),
    "G": ("Section", "Body System", "Type", "Qualifier", "Qualifier", "Qualifier", "Qualifier"),
    "H": ("Section", "Body System", "Type", "Qualifier", "Qualifier", "Qualifier", "Qualifier"),
    "X": ("Section", "Body System", "Root Operation", "Body Part", "Approach", "Device / Substance / Technology", "Qualifier"),
}  # fmt: skip


def pcs_context(prefix: str) -> str:
    """The characters a value at position len(prefix) depends on: at most the table (3 chars)."""
    return prefix[: min(len(prefix), 3)]


@dataclass(frozen=True)
class Axis:
    """One character of an ICD-10-PCS code and what it means there."""

    position: int  # 1..7
    name: str
    value: str
    meaning: str | None  # None where the shipped tables do not spell it out (sections 2-X)
    derived: bool = False  # read from the code titles, not from a CMS axis table


Meanings = dict[tuple[str, int, str], tuple[str, bool]]  # (context, pos, value) -> label, derived


def pcs_axes(code: str, meanings: Meanings) -> list[Axis]:
    """Read a (partial) PCS code character by character with the meanings of the tables."""
    names = PCS_AXES.get(code[:1], _STANDARD_AXES)
    out = []
    for pos, value in enumerate(code[:7]):
        meaning, derived = meanings.get((pcs_context(code[:pos]), pos, value), (None, False))
        if meaning is None and pos == 0:
            meaning = PCS_SECTIONS.get(value)
        out.append(Axis(pos + 1, names[pos], value, meaning, derived))
    return out


# -- reading the shipped files -----------------------------------------------------------------
def read_data_file(name: str) -> Iterator[str]:
    """The lines of a shipped code-book file (gzip), without the header comment."""
    ref = importlib.resources.files("certprep.codesets") / name
    with ref.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                yield line.rstrip("\n")


@cache
def data_fingerprint() -> str:
    """Changes whenever a shipped data file does: names the index so a new release rebuilds it."""
    import hashlib

    digest = hashlib.sha256()
    for name in DATA_FILES:
        ref = importlib.resources.files("certprep.codesets") / name
        with ref.open("rb") as fh:
            digest.update(fh.read())
    return digest.hexdigest()[:12]
