"""ICD-10-CM item families, generated from the CMS tabular list shipped in ``simple-icd-10-cm``.

Families: description → code, code → description, reportable code or header, Excludes1 and
Excludes2 notes, 7th characters (with the placeholder X), "use additional code" and "code first"
notes, and chapter and block placement. Keys come straight from the tabular list; every code an
item shows is checked against the shipped table (certprep.core.codes) before it is kept.
"""

from __future__ import annotations

from certprep.banks.codesets import Family, interleave
from certprep.banks.codesets.cm.code_families import CodeFamilies
from certprep.banks.codesets.cm.excludes import ExcludesFamily
from certprep.banks.codesets.cm.notes import NotesFamily
from certprep.banks.codesets.cm.placement import PlacementFamilies
from certprep.banks.codesets.cm.seventh import SeventhFamily
from certprep.banks.codesets.cm.tables import (
    PER_BANK,
    TITLES,
    YEAR,
    load_module,
    load_tables,
)

__all__ = ["PER_BANK", "TITLES", "YEAR", "CmFamilies", "families", "load_module", "load_tables"]


class CmFamilies(CodeFamilies, ExcludesFamily, SeventhFamily, NotesFamily, PlacementFamilies):
    """The ICD-10-CM families over one loaded tabular list: one module per family."""

    # -- families --------------------------------------------------------------------------
    def families(self) -> list[Family]:
        t = self.t
        leaves = self._reportable_leaves()
        leaf_groups = self._by_chapter(leaves)
        headers = [
            n
            for n in t.nodes.values()
            if not n.leaf and any(t.nodes[c].leaf for c in t.by_category[n.category])
        ]
        excl = self._excludes_pool()
        seventh = self._seventh_pool()
        notes = self._notes_pool()
        cats = {c: t.nodes[c] for c in t.categories}
        cat_groups = self._by_chapter(list(cats.values()))
        seed = self.seed
        return [
            Family(
                "desc2code",
                TITLES["desc2code"],
                interleave(leaf_groups, seed, "desc2code"),
                self.desc2code,
                PER_BANK["desc2code"],
            ),
            Family(
                "code2desc",
                TITLES["code2desc"],
                interleave(leaf_groups, seed, "code2desc"),
                self.code2desc,
                PER_BANK["code2desc"],
            ),
            Family(
                "reportable",
                TITLES["reportable"],
                interleave(self._by_chapter(headers), seed, "reportable"),
                self.reportable,
                PER_BANK["reportable"],
            ),
            Family(
                "excludes",
                TITLES["excludes"],
                interleave(excl, seed, "excludes"),
                self.excludes,
                PER_BANK["excludes"],
            ),
            Family(
                "seventh",
                TITLES["seventh"],
                self._seventh_order(seventh, seed),
                self.seventh,
                PER_BANK["seventh"],
            ),
            Family(
                "notes",
                TITLES["notes"],
                interleave(notes, seed, "notes"),
                self.notes,
                PER_BANK["notes"],
            ),
            Family(
                "chapter",
                TITLES["chapter"],
                interleave(cat_groups, seed, "chapter"),
                self.chapter,
                PER_BANK["chapter"],
            ),
            Family(
                "block",
                TITLES["block"],
                interleave(cat_groups, seed, "block"),
                self.block,
                PER_BANK["block"],
            ),
        ]


def families(seed: int) -> list[Family]:
    """Every ICD-10-CM family, with its candidate pool in seeded order."""
    return CmFamilies(load_tables(), seed).families()
