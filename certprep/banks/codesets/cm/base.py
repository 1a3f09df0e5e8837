"""What every ICD-10-CM family shares: siblings, look-alikes, distractors, the item dict."""

from __future__ import annotations

from typing import Any

from certprep.banks.codesets import (
    ItemDict,
    item_dict,
    item_rng,
)
from certprep.banks.codesets.cm.tables import (
    Node,
    Tables,
)
from certprep.core import codes


class CmBase:
    """Helpers over one loaded tabular list."""

    def __init__(self, t: Tables, seed: int) -> None:
        self.t = t
        self.seed = seed

    # -- helpers -------------------------------------------------------------------------
    def _unique_desc(self, node: Node) -> bool:
        return len(self.t.leaves_by_desc.get(node.desc.casefold(), ())) == 1

    def _reportable_leaves(self) -> list[Node]:
        return [
            n
            for n in self.t.nodes.values()
            if n.leaf and not n.extended and self._unique_desc(n) and codes.icd10cm(n.code)
        ]

    def _by_chapter(self, nodes: list[Node]) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for n in nodes:
            groups.setdefault(n.chapter, []).append(n.code)
        for g in groups.values():
            g.sort()
        return groups

    def _siblings(self, node: Node, *, leaf: bool = True) -> list[Node]:
        """Nodes next to this one: same parent first, then the rest of the category."""
        t = self.t
        near = [
            t.nodes[c]
            for c in (t.nodes[node.parent].children if node.parent in t.nodes else [])
            if c != node.code
        ]
        rest = [
            t.nodes[c]
            for c in t.by_category.get(node.category, [])
            if c != node.code and c != node.parent and t.nodes[c] not in near
        ]
        pick = [n for n in near + rest if n.leaf == leaf and n.extended == node.extended]
        return pick

    def _block_leaves(self, block: str) -> list[Node]:
        """Every reportable, uniquely described leaf of a block (cached per block)."""
        cache: dict[str, list[Node]] = self.__dict__.setdefault("_block_leaf_cache", {})
        if not cache:
            for n in self._reportable_leaves():
                cache.setdefault(n.block, []).append(n)
        return cache.get(block, [])

    def _block_headers(self, block: str) -> list[Node]:
        """Every header (category or subcategory with codes below it) of a block, cached."""
        cache: dict[str, list[Node]] = self.__dict__.setdefault("_block_header_cache", {})
        if not cache:
            for n in self.t.nodes.values():
                if not n.leaf and not n.extended and n.children and codes.icd10cm(n.code):
                    cache.setdefault(n.block, []).append(n)
        return cache.get(block, [])

    def _code_distractors(self, node: Node, item_id: str) -> list[Node]:
        """Three codes from the same block, of the same length as the node's code when it can.

        Nearest first: the node's siblings, then the rest of its category, then the other
        categories of its block. A code from another chapter, or of another length, would let
        the candidate rule it out by its first letter or its length alone.
        """
        rng = item_rng(self.seed, item_id + "|d")
        sibs = self._siblings(node)
        near = sibs[:6]
        rng.shuffle(near)
        block = [
            n
            for n in self._block_leaves(node.block)
            if n.category != node.category and n.extended == node.extended
        ]
        rng.shuffle(block)
        ordered = near + sibs[6:] + block
        size = len(node.code)
        ordered.sort(key=lambda n: len(n.code) != size)  # stable: same length first
        out: list[Node] = []
        seen = {node.desc.casefold()}
        for n in ordered:
            if n.desc.casefold() in seen or n in out or n.code == node.code:
                continue
            seen.add(n.desc.casefold())
            out.append(n)
            if len(out) == 3:
                break
        return out

    def _item(
        self,
        family: str,
        item_id: str,
        node: Node,
        stem: str,
        choices: list[dict[str, Any]],
        rationale: str,
        refs: list[str],
        kind: str = "single",
    ) -> ItemDict:
        return item_dict(item_id, self.t.topics(family, node), stem, choices, rationale, refs, kind)
