"""Chapter and block placement families."""

from __future__ import annotations

from certprep.banks.codesets import (
    ItemDict,
    item_rng,
    single,
)
from certprep.banks.codesets.cm.base import CmBase
from certprep.banks.codesets.cm.tables import (
    GUIDE,
    TABULAR,
    _quote,
    _strip_range,
)


class PlacementFamilies(CmBase):
    """chapter, block."""

    def chapter(self, cat: str) -> ItemDict | None:
        t = self.t
        node = t.nodes[cat]
        item_id = f"cm-chapter-{cat}"
        rng = item_rng(self.seed, item_id)
        pos = t.chapters.index(node.chapter)
        # chapters sharing the first letter (C/D, H), then neighbours
        same_letter = [
            ch
            for ch in t.chapters
            if ch != node.chapter and cat[0] in t.chapter_range(ch).replace("-", "")[::3]
        ]
        near = [
            t.chapters[p] for p in (pos - 1, pos + 1, pos - 2, pos + 2) if 0 <= p < len(t.chapters)
        ]
        rng.shuffle(near)
        picks = list(dict.fromkeys(same_letter + near))
        choices = single(
            item_id,
            self.seed,
            (t.chapter_title(node.chapter), None),
            [(t.chapter_title(ch), None) for ch in picks if ch != node.chapter],
        )
        if choices is None:
            return None
        return self._item(
            "chapter",
            item_id,
            node,
            f"In which chapter of the ICD-10-CM tabular list is category {cat} ({node.desc}) classified?",
            choices,
            f"The {TABULAR} places {_quote(node)} in block {node.block} "
            f'("{t.block_desc[node.block]}") of {t.chapter_label(node.chapter)}.',
            [f"{GUIDE} I.A.2", f"ICD-10-CM Tabular List category {cat}"],
        )

    def _block_contains(self, block: str, cat: str) -> bool:
        t = self.t
        start, _, end = block.partition("-")
        end = end or start
        if start <= cat <= end:
            return True
        i = t.cat_index.get(cat)
        s, e = t.cat_index.get(start), t.cat_index.get(end)
        return i is not None and s is not None and e is not None and s <= i <= e

    def block(self, cat: str) -> ItemDict | None:
        t = self.t
        node = t.nodes[cat]
        item_id = f"cm-block-{cat}"
        rng = item_rng(self.seed, item_id)
        blocks = t.blocks[node.chapter]
        pos = blocks.index(node.block)
        near = [blocks[p] for p in range(pos - 3, pos + 4) if 0 <= p < len(blocks) and p != pos]
        near = [b for b in near if not self._block_contains(b, cat)]
        rng.shuffle(near)

        def label(b: str) -> str:
            return _strip_range(t.block_desc[b])

        choices = single(
            item_id, self.seed, (label(node.block), None), [(label(b), None) for b in near]
        )
        if choices is None:
            return None
        return self._item(
            "block",
            item_id,
            node,
            f"Which block of the ICD-10-CM tabular list contains category {cat} ({node.desc})?",
            choices,
            f"The {TABULAR} lists {_quote(node)} in block {node.block} "
            f'("{t.block_desc[node.block]}"), {t.chapter_label(node.chapter)}.',
            [f"{GUIDE} I.A.2", f"ICD-10-CM Tabular List category {cat}"],
        )
