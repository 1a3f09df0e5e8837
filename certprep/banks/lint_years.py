"""The code-set year of an item: which shipped ICD-10 tables its codes are checked against, and
the FY2027 note (items written for FY2026 that use a code no longer valid on 1 October 2026).

An item's `code_set_year` (or its bank's) picks the table: 2026 -> FY2026, 2027 -> FY2027
(certprep.core.codes.CODE_SET_YEARS); an item with none is read as FY2026.
"""

from __future__ import annotations

from collections.abc import Iterable

from certprep.core import codes
from certprep.core.models import Bank, Item

FY2026, FY2027 = 2026, 2027


def item_year(item: Item) -> int:
    """The fiscal year whose code set the item is written for."""
    return item.code_set_year or codes.CM_YEAR


def unknown_year(year: int) -> str | None:
    """The problem with a code-set year that has no shipped table, or None."""
    if year in codes.CODE_SET_YEARS:
        return None
    have = ", ".join(f"FY{y}" for y in codes.CODE_SET_YEARS)
    values = ", ".join(str(y) for y in codes.CODE_SET_YEARS)
    return (
        f"code_set_year {year}: there is no ICD-10 code table for FY{year}; certprep ships "
        f"{have} (code_set_year {values}), so its codes were not checked"
    )


def _all_codes(item: Item) -> list[str]:
    """Every ICD-10-CM and ICD-10-PCS code an item states: stem, choices, back, rationales
    and code answers."""
    texts = [item.stem, item.back or "", item.rationale]
    texts += [c.text for c in item.choices] + [c.rationale or "" for c in item.choices]
    found: list[str] = []
    for text in texts:
        kinds = codes.codes_in_text(text)
        found += kinds["icd10cm"] + kinds["icd10pcs"]
    for option in [item.codes, *item.alternatives]:
        found += [c.strip().upper() for c in option]
    return list(dict.fromkeys(found))


def no_longer_valid(code: str, year: int = FY2027) -> bool:
    """A FY2026 ICD-10 code that the later year deleted, or expanded into new codes (a FY2026
    reportable ICD-10-CM code that is only a category in the later year)."""
    if len(code) == 7 and "." not in code and codes.icd10pcs(code, FY2026) is not None:
        return codes.icd10pcs(code, year) is None
    before = codes.icd10cm(code, FY2026)
    if before is None:
        return False  # not a FY2026 code: the FY2026 check reports it
    after = codes.icd10cm(code, year)
    return after is None or (before.reportable and not after.reportable)


def fy2027_changed(banks: Iterable[Bank]) -> tuple[int, list[tuple[str, list[str]]]]:
    """How many items are written for FY2026, and which of them (id, codes) use a code no
    longer valid in FY2027."""
    total = 0
    changed: list[tuple[str, list[str]]] = []
    for bank in banks:
        for item in bank.items:
            if item_year(item) != FY2026:
                continue
            total += 1
            gone = [c for c in _all_codes(item) if no_longer_valid(c)]
            if gone:
                changed.append((item.id, gone))
    return total, changed


def fy2027_note(banks: Iterable[Bank]) -> list[str]:
    """The note `banks check` prints: the FY2026 items a FY2027 candidate would be misled by."""
    total, changed = fy2027_changed(banks)
    if not total:
        return []
    lines = [
        f"FY2027 check: {len(changed)} of {total} items written for FY2026 use an ICD-10 code "
        "deleted or expanded in FY2027 (not valid from 1 October 2026)"
    ]
    lines += [f"  {item_id}: {', '.join(gone)}" for item_id, gone in changed]
    return lines
