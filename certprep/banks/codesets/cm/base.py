"""What every ICD-10-CM family shares: siblings, look-alikes, distractors, the item dict."""

from __future__ import annotations

from typing import Any

from certprep.banks.codesets import (
    ItemDict,
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

    def _look_alikes(self, node: Node) -> list[Node]:
        """Codes that look like this one: the same characters under another first letter."""
        out = []
        for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            if letter == node.code[0]:
                continue
            other = self.t.nodes.get(letter + node.code[1:])
            if other is not None and other.leaf and not other.extended:
                out.append(other)
        return out

    def _code_distractors(self, node: Node, item_id: str) -> list[Node]:
        """Two near siblings and one look-alike from another chapter when there is one."""
        rng = item_rng(self.seed, item_id + "|d")
        sibs = self._siblings(node)
        near = sibs[:6]
        rng.shuffle(near)
        looks = self._look_alikes(node)
        rng.shuffle(looks)
        picked = near[:2] + looks[:1]
        rest = [n for n in sibs[2:] + near[2:] + looks[1:] if n not in picked]
        out: list[Node] = []
        seen = {node.desc.casefold()}
        for n in picked + rest:
            if n.desc.casefold() in seen or n in out:
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
        return {
            "id": item_id,
            "kind": kind,
            "topics": self.t.topics(family, node),
            "stem": stem,
            "choices": choices,
            "rationale": rationale,
            "references": refs,
        }
