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

    # what a "use additional code" note asks for, by its words: (pattern, what, reference)
    UA_KINDS: tuple[tuple[str, str, str | None], ...] = (
        (
            r"adverse effect|identify (?:the )?drug",
            "the drug in an adverse effect (a T36-T50 code with 5th or 6th character 5), "
            "which follows the code for the nature of the adverse effect",
            "I.C.19.e.5.a",
        ),
        (
            r"external cause|\(Y92\)|\bplace\b",
            "the external cause (how, where or with what intent it happened); an external cause "
            "code is never the principal or first-listed diagnosis",
            "I.C.20",
        ),
        (
            r"infectious agent|organism|B95|bacterial agent",
            "the organism responsible (B95-B97), which follows the code for the infection",
            None,
        ),
        (
            r"tobacco|nicotine",
            "tobacco use, dependence or exposure, a risk factor the code does not carry",
            None,
        ),
        (
            r"functional activity",
            "any functional activity of the neoplasm (such as hormone excess), coded from its "
            "own chapter",
            None,
        ),
        (
            r"ulcer|stage|severity|\bsite\b",
            "the site, stage or severity that the code itself does not specify",
            None,
        ),
        (
            r"associated|complication",
            "associated conditions or injuries that the code does not include",
            None,
        ),
    )

    def note_meaning(self, code: str, kind: str, text: str) -> tuple[str, list[str]]:
        """The rationale's explanation, worded by the kind of note: only a manifestation code
        ("in diseases classified elsewhere") and its etiology make an etiology/manifestation pair.
        """
        node = self.t.nodes[code]
        manifestation = "classified elsewhere" in node.desc.casefold()
        if kind == "cf":
            if manifestation:
                return (
                    f'{code} is a manifestation code ("in diseases classified elsewhere"): it is '
                    "never reported first, and the code for the underlying condition (the "
                    "etiology) goes before it, so the two form an etiology/manifestation pair.",
                    [],
                )
            return (
                f'A "code first" note tells you that the condition it names, when it is present '
                f"and known, is sequenced before {code}. {code} is not a manifestation code: the "
                "guidelines use this note outside etiology/manifestation pairs too, and without "
                f"that condition {code} may be reported first.",
                [],
            )
        lead = (
            'A "use additional code" note tells you to add a second code when the information '
            f"is known: {code} is sequenced first and the additional code after it."
        )
        if "manifestation" in text.casefold():
            return (
                f"{lead} Here the second code is the manifestation, so {code} (the etiology) and "
                "it form an etiology/manifestation pair.",
                [],
            )
        for pattern, what, ref in self.UA_KINDS:
            if re.search(pattern, text, re.IGNORECASE):
                return f"{lead} Here it identifies {what}.", [f"{GUIDE} {ref}"] if ref else []
        return f"{lead} Here it adds detail that {code} itself does not carry.", []

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
        meaning, extra_refs = self.note_meaning(code, kind, text)
        return self._item(
            "notes",
            item_id,
            node,
            f'The {TABULAR} at {node.level} {code} ({node.desc}) has the note "{text}". '
            "When both conditions are documented, what sequencing does the note direct?",
            choices,
            f'The {TABULAR} at {_quote(node)} reads: "{text}". {meaning}',
            [f"{GUIDE} I.A.13", f"{GUIDE} I.B.7", *extra_refs, f"ICD-10-CM Tabular List {code}"],
        )

    # chapter and block placement
