"""The Excludes1 and Excludes2 family."""

from __future__ import annotations

import re

from certprep.banks.codesets import (
    ItemDict,
    one_line,
    single,
)
from certprep.banks.codesets.cm.base import CmBase
from certprep.banks.codesets.cm.tables import (
    _PARENS,
    _REF,
    GUIDE,
    TABULAR,
    _quote,
)
from certprep.core import codes


class ExcludesFamily(CmBase):
    """excludes."""

    def _resolves(self, term: str) -> bool:
        """Whether a note's term ends in (codes) that all exist: E10.-, O24.4-, E70-E72, S38.21."""
        m = _PARENS.search(term)
        if not m:
            return False
        t = self.t
        for ref in m.group(1).split(","):
            ref = ref.strip()
            ends = ref.split("-") if re.fullmatch(r"[A-Z0-9.]+-[A-Z0-9.]+-?", ref) else [ref]
            for end in ends:
                hit = _REF.match(end.strip())
                if not hit or hit.group(1) not in t.nodes or not codes.icd10cm(hit.group(1)):
                    return False
        return True

    def _excludes_pool(self) -> dict[str, list[tuple[str, int, int]]]:
        t = self.t
        groups: dict[str, list[tuple[str, int, int]]] = {}
        for code, node in t.nodes.items():
            ex1 = t.cm.get_excludes1(code)
            ex2 = t.cm.get_excludes2(code)
            if not ex1 and not ex2:
                continue
            folded1 = {e.casefold() for e in ex1}
            folded2 = {e.casefold() for e in ex2}
            # a term that also sits in another note of the code would make two answers right
            elsewhere = " ".join(
                [*t.cm.get_includes(code), *t.cm.get_inclusion_term(code), t.cm.get_code_also(code)]
            ).casefold()
            for kind, terms in ((1, ex1), (2, ex2)):
                for i, term in enumerate(terms):
                    f = term.casefold()
                    if (
                        (f in folded1 and f in folded2)
                        or f in elsewhere
                        or not self._resolves(term)
                    ):
                        continue
                    groups.setdefault(node.chapter, []).append((code, kind, i))
        for g in groups.values():
            g.sort()
        return groups

    EXCL_CHOICES = {
        1: "Excludes1: the two are never reported together; the named condition is coded elsewhere",
        2: "Excludes2: the named condition is not part of this code; both may be reported when the patient has both",
        3: "Includes: the named condition is classified to this code",
        4: "Code also: report both codes, in either order",
    }

    def excludes(self, subject: tuple[str, int, int]) -> ItemDict | None:
        code, kind, i = subject
        t = self.t
        node = t.nodes[code]
        terms = t.cm.get_excludes1(code) if kind == 1 else t.cm.get_excludes2(code)
        term = one_line(terms[i])
        item_id = f"cm-excludes{kind}-{code}-{i + 1}"
        choices = single(
            item_id,
            self.seed,
            (self.EXCL_CHOICES[kind], None),
            [(self.EXCL_CHOICES[k], None) for k in (1, 2, 3, 4) if k != kind],
        )
        if choices is None:
            return None
        if kind == 1:
            meaning = (
                "An Excludes1 note means NOT CODED HERE: the excluded code is never used at the "
                "same time as the code above the note, because the two conditions cannot occur "
                "together (the exception is when the two conditions are unrelated to each other)."
            )
        else:
            meaning = (
                "An Excludes2 note means NOT INCLUDED HERE: the excluded condition is not part of "
                "the condition the code represents, but a patient may have both at the same time, "
                "and then both codes may be reported together."
            )
        return self._item(
            "excludes",
            item_id,
            node,
            f'At {node.level} {code} ({node.desc}), the {TABULAR} has a note naming "{term}". '
            "Which note is it, and what does it mean for coding?",
            choices,
            f'The {TABULAR} at {_quote(node)} lists "{term}" under Excludes{kind}. {meaning}',
            [f"{GUIDE} I.A.12.{'a' if kind == 1 else 'b'}", f"ICD-10-CM Tabular List {code}"],
        )

    # 7th characters
