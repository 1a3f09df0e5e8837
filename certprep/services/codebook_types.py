"""What the code book answers with: search hits, a CM entry with its notes, a PCS code read axis
by axis and its valid next characters, the MS-DRG status of a diagnosis."""

from __future__ import annotations

from dataclasses import dataclass

from certprep.core import codebook as cb


@dataclass(frozen=True)
class Hit:
    system: str  # cm | pcs | pcsindex (an entry of the ICD-10-PCS Index)
    code: str  # as printed (E11.22, 0DTJ4ZZ, a block E08-E13); the main term of an index entry
    title: str  # the code's title; an index entry's first lines
    billable: bool
    kind: str  # block | category | code | index
    level: str | None = None  # MS-DRG v43: "MCC", "CC" or None (CM codes only)


@dataclass(frozen=True)
class SearchResult:
    query: str
    system: str | None
    hits: list[Hit]
    elapsed_ms: float
    by_code: bool  # the query was read as a code prefix


@dataclass(frozen=True)
class DrgStatus:
    code: str  # as printed
    level: str | None  # MCC | CC | None (neither)
    collection: str | None  # the PDX exclusion collection (table 6K)
    alive_only: bool  # CC/MCC only if the patient is discharged alive (table 6K part 2)
    pdx: str | None = None  # the principal diagnosis asked about
    excluded: bool | None = None  # whether that principal diagnosis excludes it as a CC/MCC

    @property
    def summary(self) -> str:
        if self.level is None:
            return f"{self.code}: not a CC or MCC (MS-DRG v43)"
        text = f"{self.code}: {self.level} (MS-DRG v43)"
        if self.alive_only:
            text += ", only if the patient is discharged alive"
        if self.pdx is not None:
            article = "an" if self.level == "MCC" else "a"
            text += (
                f"; excluded as {article} {self.level} when {self.pdx} is the principal diagnosis"
                if self.excluded
                else f"; counts as {article} {self.level} with {self.pdx} as the principal diagnosis"
            )
        return text


@dataclass(frozen=True)
class CmDetail:
    entry: cb.CmEntry
    ancestors: list[cb.CmEntry]  # chapter first
    children: list[cb.CmEntry]
    notes: list[cb.NoteGroup]
    placeholder: str | None
    seventh_from: str | None
    drg: DrgStatus | None


@dataclass(frozen=True)
class PcsDetail:
    code: str
    title: str | None  # None unless the code is a complete, valid code
    axes: list[cb.Axis]
    valid_prefix: str  # the longest leading part that starts a valid code


@dataclass(frozen=True)
class PcsChoice:
    value: str
    meaning: str | None
    count: int  # valid codes below
    code: str | None  # the complete code when this choice ends one
    title: str | None  # its description (complete codes, or the only code below)
    derived: bool = False  # the meaning was read from the code titles (sections 2-X)
