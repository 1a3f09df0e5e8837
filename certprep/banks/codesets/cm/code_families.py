"""Families on codes themselves: description to code, code to description, reportable or header."""

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
    Node,
    _placement,
    _quote,
)
from certprep.core import codes


class CodeFamilies(CmBase):
    """desc2code, code2desc, reportable."""

    # description -> code
    def desc2code(self, code: str) -> ItemDict | None:
        t = self.t
        node = t.nodes[code]
        item_id = f"cm-desc2code-{code}"
        others = self._code_distractors(node, item_id)
        choices = single(
            item_id,
            self.seed,
            (code, f"{_quote(node)}: the code the description belongs to."),
            [(o.code, f"{_quote(o)}: a different condition.") for o in others],
        )
        if choices is None or len(choices) < 3:
            return None
        extra = "".join(f' {o.code} is "{o.desc}".' for o in others)
        return self._item(
            "desc2code",
            item_id,
            node,
            f'Which ICD-10-CM code has the tabular list description "{node.desc}"?',
            choices,
            f"In the {TABULAR}, {_quote(node)} is a reportable code in "
            f"{_placement(t, node)}. The other choices are codes of the same block:{extra} "
            "Look the term up in the Alphabetic Index, then confirm the code and its "
            "description in the Tabular List.",
            [
                f"{GUIDE} I.B.1",
                f"{GUIDE} I.B.2",
                f"ICD-10-CM Tabular List category {node.category}",
            ],
        )

    # code -> description
    def code2desc(self, code: str) -> ItemDict | None:
        t = self.t
        node = t.nodes[code]
        item_id = f"cm-code2desc-{code}"
        others = self._code_distractors(node, item_id)
        choices = single(
            item_id,
            self.seed,
            (node.desc, f"This is the tabular list description of {code}."),
            [(o.desc, f"This describes {o.code}.") for o in others],
        )
        if choices is None or len(choices) < 3:
            return None
        return self._item(
            "code2desc",
            item_id,
            node,
            f"In the {TABULAR}, what does code {code} describe?",
            choices,
            f"In the {TABULAR}, {_quote(node)} sits in {_placement(t, node)}. "
            + " ".join(f'{o.code} is "{o.desc}".' for o in others),
            [f"{GUIDE} I.B.1", f"ICD-10-CM Tabular List category {node.category}"],
        )

    # reportable leaf among headers
    def reportable(self, code: str) -> ItemDict | None:
        t = self.t
        head = t.nodes[code]
        item_id = f"cm-reportable-{code}"
        rng = item_rng(self.seed, item_id)
        below = [
            t.nodes[c]
            for c in t.cm.get_descendants(code)
            if c in t.nodes and t.nodes[c].leaf and codes.icd10cm(c)
        ]
        if not below:
            return None
        # headers of the same block that are not above the key: the candidate must know which
        # codes are subdivided, not pick the longest code or the one in the named category
        block_headers = self._block_headers(head.block)
        below = [k for k in below if not k.extended]  # 7th characters have their own family
        if not below:
            return None

        def peers(key: Node) -> list[Node]:
            above = {key.parent, *t.cm.get_ancestors(key.code)}
            return [n for n in block_headers if n.code not in above]

        def fit(key: Node) -> int:  # headers at least as long as the key
            return sum(len(n.code) >= len(key.code) for n in peers(key))

        rng.shuffle(below)
        below.sort(key=lambda k: -min(fit(k), 2))  # stable: a key with long-enough peers first
        key = below[0]
        if fit(key) < 2:
            return None  # too few headers as long as any key: the length would answer it
        others = peers(key)
        rng.shuffle(others)
        size = len(key.code)
        # block headers of the key's length first (no length cue at all), then longer ones
        others.sort(key=lambda n: 0 if len(n.code) == size else 1 if len(n.code) > size else 2)
        distractors = others[:3]
        if len(distractors) < 2:
            return None

        def why(n: Node) -> str:
            kids = ", ".join(n.children[:3]) + (" …" if len(n.children) > 3 else "")
            return f"{_quote(n)} is a header with codes below it ({kids}); it cannot be reported as is."

        choices = single(
            item_id,
            self.seed,
            (f"{key.code} {key.desc}", f"{_quote(key)} has no codes below it: it is reportable."),
            [(f"{n.code} {n.desc}", why(n)) for n in distractors],
        )
        if choices is None:
            return None
        refs = [f"{GUIDE} I.B.2"]
        seventh = ""
        if key.extended:
            refs.append(f"{GUIDE} I.A.5")
            seventh = " Its 7th character completes it; without it the code is invalid."
        if "X" in key.code[4:7]:
            refs.append(f"{GUIDE} I.A.4")
        return self._item(
            "reportable",
            item_id,
            head,
            f"A coder is working in {head.level} {code} ({head.desc}) of the ICD-10-CM tabular "
            "list. Which of these codes can be reported as is, without adding characters?",
            choices,
            f"In the {TABULAR}, {_quote(key)} has no subdivisions, so it is a valid code at its "
            f"highest level of detail.{seventh} The other choices are headers: categories or "
            "subcategories that are further subdivided. A code is reported at the highest number "
            "of characters available; a header is never reported.",
            refs,
        )

    # Excludes1 / Excludes2
