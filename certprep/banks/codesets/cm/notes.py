"""The "use additional code" and "code first" family."""

from __future__ import annotations

import re

from certprep.banks.codesets import (
    ItemDict,
    single,
)
from certprep.banks.codesets.cm.base import CmBase
from certprep.banks.codesets.cm.tables import (
    GUIDE,
    TABULAR,
    _quote,
)


class NotesFamily(CmBase):
    """notes."""

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
