"""The ICD-10-CM tabular list as generators read it: nodes, chapters, blocks, notes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from certprep.banks.codesets import (
    INSTALL_HINT,
    one_line,
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
