"""ICD-10-CM item families, generated from the CMS tabular list shipped in ``simple-icd-10-cm``.

Families: description → code, code → description, reportable code or header, Excludes1 and
Excludes2 notes, 7th characters (with the placeholder X), "use additional code" and "code first"
notes, and chapter and block placement. Keys come straight from the tabular list; every code an
item shows is checked against the shipped table (certprep.core.codes) before it is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from certprep.banks.codesets import (
    INSTALL_HINT,
    Family,
    ItemDict,
    interleave,
    item_rng,
    one_line,
    single,
)
from certprep.core import codes
from certprep.core.problems import InputError

YEAR = codes.CM_YEAR
TABULAR = f"ICD-10-CM FY{YEAR} tabular list"
GUIDE = "ICD-10-CM Official Guidelines"

# full-build items per bank, per family (two CM banks: CPC and CCS)
PER_BANK = {
    "desc2code": 1500,
    "code2desc": 1300,
    "reportable": 800,
    "excludes": 800,
    "seventh": 900,
    "notes": 500,
    "chapter": 400,
    "block": 500,
}

TITLES = {
    "desc2code": "ICD-10-CM: description to code",
    "code2desc": "ICD-10-CM: code to description",
    "reportable": "ICD-10-CM: reportable code or header",
    "excludes": "ICD-10-CM: Excludes1 and Excludes2 notes",
    "seventh": "ICD-10-CM: 7th characters and the placeholder X",
    "notes": "ICD-10-CM: use additional code and code first",
    "chapter": "ICD-10-CM: chapter placement",
    "block": "ICD-10-CM: block placement",
}

TOPIC = {
    "desc2code": "description-to-code",
    "code2desc": "code-to-description",
    "reportable": "reportable-vs-header",
    "excludes": "excludes-notes",
    "seventh": "seventh-character",
    "notes": "use-additional-code-and-code-first",
    "chapter": "chapter-placement",
    "block": "block-placement",
}

_REF = re.compile(r"^([A-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?)\.?-?$")
_RANGE_END = re.compile(r"\(([A-Z]\d{2}-[A-Z][0-9A-Z]{2})\)\s*$")
_PARENS = re.compile(r"\(([^()]*)\)\s*$")
_TRAILING_RANGE = re.compile(r"\s*\([A-Z0-9]{3}(?:-[A-Z0-9]{3})?\)$")


def _strip_range(title: str) -> str:
    return _TRAILING_RANGE.sub("", title)


def load_module() -> Any:
    """simple_icd_10_cm, imported only when items are generated (3.5 s and 200 MB)."""
    try:
        import simple_icd_10_cm
    except ImportError:
        raise InputError(INSTALL_HINT) from None
    return simple_icd_10_cm


@dataclass
class Node:
    code: str  # with its dot
    desc: str
    leaf: bool
    parent: str | None
    chapter: str  # "4"
    block: str  # innermost block, "E08-E13"
    category: str  # "E11" (the node itself for a category)
    extended: bool  # made by adding a 7th character
    children: list[str] = field(default_factory=list)

    @property
    def level(self) -> str:
        if self.code == self.category:
            return "category"
        return "code" if self.leaf else "subcategory"


@dataclass
class Tables:
    cm: Any  # the simple_icd_10_cm module
    nodes: dict[str, Node]
    chapters: list[str]  # "1".."22" in tabular order
    chapter_desc: dict[str, str]
    blocks: dict[str, list[str]]  # chapter -> its blocks in tabular order
    block_desc: dict[str, str]
    categories: list[str]  # tabular order
    cat_index: dict[str, int]
    leaves_by_desc: dict[str, list[str]]
    by_category: dict[str, list[str]]  # category -> all its nodes (category included)

    def chapter_label(self, ch: str) -> str:
        return f"Chapter {ch}: {self.chapter_desc[ch]}"

    def chapter_title(self, ch: str) -> str:
        """The chapter's title without its code range (the range would give the answer away)."""
        return f"Chapter {ch}: {_strip_range(self.chapter_desc[ch])}"

    def chapter_range(self, ch: str) -> str:
        m = _RANGE_END.search(self.chapter_desc[ch])
        return m.group(1) if m else ch

    def topics(self, family: str, node: Node) -> list[str]:
        return [
            TOPIC[family],
            f"chapter {node.chapter} ({self.chapter_range(node.chapter)})",
            f"block {node.block}",
            f"category {node.category}",
        ]


def load_tables() -> Tables:
    cm = load_module()
    nodes: dict[str, Node] = {}
    chapters: list[str] = []
    chapter_desc: dict[str, str] = {}
    blocks: dict[str, list[str]] = {}
    block_desc: dict[str, str] = {}
    categories: list[str] = []
    chapter = block = category = ""
    for code in cm.get_all_codes(True):
        if cm.is_chapter(code):
            chapter = code
            chapters.append(code)
            chapter_desc[code] = one_line(cm.get_description(code))
            blocks[code] = []
            continue
        if cm.is_block(code) and code not in block_desc:
            # a one-category block (C50) shares its name with its category: block first
            blocks[chapter].append(code)
            block_desc[code] = one_line(cm.get_description(code, prioritize_blocks=True))
            continue
        parent: str | None = cm.get_parent(code)
        if cm.is_category(code) and code not in nodes:
            category = code
            categories.append(code)
            block = parent or ""
            parent = None  # a category's parent is a block, not a code
        nodes[code] = Node(
            code=code,
            desc=one_line(cm.get_description(code)),
            leaf=cm.is_leaf(code),
            parent=parent,
            chapter=chapter,
            block=block,
            category=category,
            extended=cm.is_extended_subcategory(code),
        )
    for node in nodes.values():
        if node.parent in nodes:
            nodes[node.parent].children.append(node.code)
    leaves_by_desc: dict[str, list[str]] = {}
    by_category: dict[str, list[str]] = {}
    for node in nodes.values():
        by_category.setdefault(node.category, []).append(node.code)
        if node.leaf:
            leaves_by_desc.setdefault(node.desc.casefold(), []).append(node.code)
    return Tables(
        cm=cm,
        nodes=nodes,
        chapters=chapters,
        chapter_desc=chapter_desc,
        blocks=blocks,
        block_desc=block_desc,
        categories=categories,
        cat_index={c: i for i, c in enumerate(categories)},
        leaves_by_desc=leaves_by_desc,
        by_category=by_category,
    )


def _quote(node: Node) -> str:
    return f'{node.code} "{node.desc}"'


def _placement(t: Tables, node: Node) -> str:
    return f"category {node.category}, block {node.block}, chapter {node.chapter}"


class CmFamilies:
    """The ICD-10-CM families over one loaded tabular list."""

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
                interleave(seventh, seed, "seventh"),
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
        look = [o for o in others if o.chapter != node.chapter]
        extra = (
            f" {look[0].code} looks similar but sits in chapter {look[0].chapter}"
            f' and means "{look[0].desc}".'
            if look
            else ""
        )
        return self._item(
            "desc2code",
            item_id,
            node,
            f'Which ICD-10-CM code has the tabular list description "{node.desc}"?',
            choices,
            f"In the {TABULAR}, {_quote(node)} is a reportable code in "
            f"{_placement(t, node)}.{extra} Look the term up in the Alphabetic Index, then "
            "confirm the code and its description in the Tabular List.",
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
        key = below[rng.randrange(len(below))]
        others = [
            t.nodes[c]
            for c in t.by_category[head.category]
            if c != code and not t.nodes[c].leaf and codes.icd10cm(c)
        ]
        rng.shuffle(others)
        # nearest first: the header's siblings, then its parent, then the rest of the category
        others.sort(
            key=lambda n: 0 if n.parent == head.parent else 1 if n.code == head.parent else 2
        )
        pool = [head, *others]
        if len(pool) < 3:  # borrow headers from the neighbouring categories of the block
            for cat in t.categories:
                if t.nodes[cat].block == head.block and cat != head.category:
                    pool += [t.nodes[c] for c in t.by_category[cat] if not t.nodes[c].leaf]
                if len(pool) >= 6:
                    break
        distractors = pool[:3]
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
    def _seventh_pool(self) -> dict[str, list[str]]:
        """Bases whose children are codes made by a 7th character (S72.001, T36.0X1, O31.00)."""
        t = self.t
        groups: dict[str, list[str]] = {}
        for code, node in t.nodes.items():
            if node.leaf or node.extended or not node.children:
                continue
            if all(t.nodes[c].extended for c in node.children):
                groups.setdefault(node.category, []).append(code)
        # one group per category keeps S and T from filling the family
        return {k: sorted(v) for k, v in groups.items()}

    def _seven_defs(self, base: str) -> tuple[dict[str, str], str, str]:
        """The 7th-character values for a base code, the note and where the table puts them."""
        cm = self.t.cm
        for owner in [base, *cm.get_ancestors(base)]:
            if cm.is_chapter_or_block(owner):
                break
            defs = cm.get_seven_chr_def(owner)
            if defs:
                return (
                    {k: one_line(v) for k, v in defs.items()},
                    one_line(cm.get_seven_chr_note(owner)),
                    owner,
                )
        return {}, "", ""

    @staticmethod
    def full_code(base: str, char: str) -> str:
        raw = base.replace(".", "")
        raw = raw.ljust(6, "X") + char
        return raw[:3] + "." + raw[3:]

    def seventh(self, base: str) -> ItemDict | None:
        t = self.t
        node = t.nodes[base]
        defs, note, owner = self._seven_defs(base)
        if len(defs) < 2:
            return None
        built = {
            ch: self.full_code(base, ch)
            for ch in defs
            if self.full_code(base, ch) in t.nodes and codes.icd10cm(self.full_code(base, ch))
        }
        if len(built) < 2:
            return None
        rng = item_rng(self.seed, f"cm-seventh-{base}")
        chars = sorted(built)
        # mostly the encounter characters learners meet daily, when the base has them
        common = [c for c in chars if c in "ADS"]
        char = rng.choice(common if common and rng.random() < 0.7 else chars)
        full = built[char]
        variant = "meaning" if rng.random() < 0.5 else "build"
        item_id = f"cm-7thchar-{variant}-{full}"
        raw = base.replace(".", "")
        placeholder = ""
        refs = [f"{GUIDE} I.A.5"]
        if len(raw) < 6:
            n_x = 6 - len(raw)
            placeholder = (
                f" {base} has only {len(raw)} characters, so the placeholder X fills "
                f"{'position 6' if n_x == 1 else f'positions {len(raw) + 1} to 6'} and keeps the "
                "7th character in the 7th position."
            )
            refs.append(f"{GUIDE} I.A.4")
        if node.chapter == "19":
            refs.append(f"{GUIDE} I.C.19.a")
        listed = "; ".join(f'{c} "{v}"' for c, v in sorted(defs.items()))
        rationale = (
            f"The {TABULAR} gives these 7th characters for {owner}: {listed}."
            + (f' Its note: "{note.rstrip(".")}."' if note else "")
            + f' So {full} is {base} with 7th character {char}, "{defs[char]}".'
            + placeholder
        )
        if variant == "meaning":
            choices = single(
                item_id,
                self.seed,
                (defs[char], f"7th character {char}."),
                [
                    (defs[c], f"7th character {c}.")
                    for c in rng.sample(chars, len(chars))
                    if c != char
                ],
            )
            stem = (
                f'{full} reports "{node.desc}" with a 7th character. '
                f'What does its 7th character "{char}" specify?'
            )
        else:
            choices = single(
                item_id,
                self.seed,
                (full, f'7th character {char}: "{defs[char]}".'),
                [
                    (built[c], f'7th character {c}: "{defs[c]}".')
                    for c in rng.sample(chars, len(chars))
                    if c != char and defs[c].casefold() != defs[char].casefold()
                ],
            )
            stem = f'Which ICD-10-CM code reports "{node.desc}", {defs[char]}?'
        if choices is None:
            return None
        return self._item("seventh", item_id, node, stem, choices, rationale, refs)

    # use additional code / code first
    def _notes_pool(self) -> dict[str, list[tuple[str, str]]]:
        t = self.t
        groups: dict[str, list[tuple[str, str]]] = {}
        for code, node in t.nodes.items():
            for kind, text in (
                ("ua", t.cm.get_use_additional_code(code)),
                ("cf", t.cm.get_code_first(code)),
            ):
                if text and text.strip():
                    groups.setdefault(node.chapter, []).append((code, kind))
        return {k: sorted(v) for k, v in groups.items()}

    @staticmethod
    def note_text(kind: str, raw: str) -> str:
        lines = [line.strip() for line in raw.strip().split("\n") if line.strip()]
        body = lines[0]
        if len(lines) > 1:
            body += " " + "; ".join(lines[1:])
        lead = "Use additional" if kind == "ua" else "Code first"
        if kind == "ua" and not re.match(r"(code|external|place|cause)", body):
            lead = "Use additional code"
        sep = "" if body.startswith(",") else " "
        return lead + sep + body

    def notes(self, subject: tuple[str, str]) -> ItemDict | None:
        code, kind = subject
        t = self.t
        node = t.nodes[code]
        raw = t.cm.get_use_additional_code(code) if kind == "ua" else t.cm.get_code_first(code)
        text = self.note_text(kind, raw)
        item_id = f"cm-{'useadditional' if kind == 'ua' else 'codefirst'}-{code}"
        options = {
            "ua": f"{code} first, then the code the note asks for",
            "cf": f"The code for the condition the note names first, then {code}",
            "either": "In either order; the note does not govern sequencing",
            "alone": f"{code} alone; the condition the note names is not coded with it",
        }
        choices = single(
            item_id,
            self.seed,
            (options[kind], None),
            [(v, None) for k, v in options.items() if k != kind],
        )
        if choices is None:
            return None
        if kind == "ua":
            meaning = (
                f'A "use additional code" note tells you to add a secondary code, if known: '
                f"{code} is sequenced first and the additional code after it, as for an "
                "etiology/manifestation pair."
            )
        else:
            meaning = (
                f'A "code first" note tells you that the underlying condition, when present '
                f"and known, is sequenced first and {code} after it, as for an "
                "etiology/manifestation pair."
            )
        return self._item(
            "notes",
            item_id,
            node,
            f'The {TABULAR} at {node.level} {code} ({node.desc}) has the note "{text}". '
            "When both conditions are documented, what sequencing does the note direct?",
            choices,
            f'The {TABULAR} at {_quote(node)} reads: "{text}". {meaning}',
            [f"{GUIDE} I.A.13", f"{GUIDE} I.B.7", f"ICD-10-CM Tabular List {code}"],
        )

    # chapter and block placement
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


def families(seed: int) -> list[Family]:
    """Every ICD-10-CM family, with its candidate pool in seeded order."""
    return CmFamilies(load_tables(), seed).families()
