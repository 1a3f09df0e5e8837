"""The seventh-character family (with the placeholder X)."""

from __future__ import annotations

from certprep.banks.codesets import (
    ItemDict,
    interleave,
    item_rng,
    one_line,
    single,
)
from certprep.banks.codesets.cm.base import CmBase
from certprep.banks.codesets.cm.tables import (
    GUIDE,
    TABULAR,
)
from certprep.core import codes


class SeventhFamily(CmBase):
    """seventh."""

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

    def _seventh_order(self, groups: dict[str, list[str]], seed: int) -> list[str]:
        """The pool in draw order: two bases whose 7th characters go beyond A, D and S (fractures,
        pregnancy, gout, coma scale ...) for each base that has only A, D and S (most injuries and
        poisonings), so the family does not test the three encounter characters over and over."""
        rich: dict[str, list[str]] = {}
        plain: dict[str, list[str]] = {}
        for cat, bases in groups.items():
            defs, _note, _owner = self._seven_defs(bases[0])
            (plain if set(defs) <= set("ADS") else rich)[cat] = bases
        a = interleave(rich, seed, "seventh-rich")
        b = interleave(plain, seed, "seventh")
        out: list[str] = []
        while a or b:
            out += a[:2] + b[:1]
            a, b = a[2:], b[1:]
        return out

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
        # any value the code really has, not mostly A, D and S
        char = rng.choice(chars)
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
