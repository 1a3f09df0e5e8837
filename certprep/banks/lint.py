"""The content linter: codes that exist, keys among the choices, no duplicates, every item cited,
the key neither too often nor too seldom the longest or shortest choice, ICD-10 codes checked
against the table of each item's code-set year (certprep.banks.lint_years), no code-list key
given away by the distractors built from it (certprep.banks.lint_convergence),
no "all of the above" only as a distractor, no near-duplicate stems across banks (certprep.banks.lint_rules).

python -m certprep.banks.lint [PATH ...]      (also `certprep banks check`)
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from certprep.banks import lint_years
from certprep.banks.lint_convergence import (
    convergence_lines,
    convergence_problems,
    convergence_report,
)
from certprep.banks.lint_cues import (
    longest_answer_report,
    wording_lines,
    wording_problems,
    wording_report,
)
from certprep.banks.lint_rules import near_duplicate_problems
from certprep.banks.native import load_bank, load_blueprint
from certprep.core import codes
from certprep.core.models import Bank, Blueprint, Item, ItemKind
from certprep.core.problems import InputError, Problem


def bundled_banks_dir() -> Path:
    """Where the shipped banks are: question_banks/ in a checkout, or inside the package."""
    from certprep.resources import shipped_dir

    return shipped_dir("question_banks")


def load_blueprints(directory: Path | None = None) -> dict[str, Blueprint]:
    """Every blueprint under question_banks/blueprints, by key."""
    directory = directory or bundled_banks_dir() / "blueprints"
    out: dict[str, Blueprint] = {}
    for path in sorted(directory.glob("*.y*ml")):
        bp = load_blueprint(path)
        out[bp.key] = bp
    return out


def _item_codes(item: Item) -> list[tuple[str, str]]:
    """(where, code-like token) pairs in the parts of an item that state answers."""
    found: list[tuple[str, str]] = []
    texts = [("stem", item.stem)] + [(f"choice {c.key}", c.text) for c in item.choices]
    if item.back:
        texts.append(("back", item.back))
    for where, text in texts:
        for kind, tokens in codes.codes_in_text(text).items():
            found += [(f"{where} ({kind})", t) for t in tokens]
    return found


def _rationales(item: Item) -> list[tuple[str, str]]:
    return [("rationale", item.rationale)] + [
        (f"choice {c.key} rationale", c.rationale or "") for c in item.choices
    ]


_HEADER_WORDS = ("header", "category", "not reportable", "cannot be reported", "placeholder")


def lint_item(item: Item, blueprints: dict[str, Blueprint]) -> list[str]:
    """Problems with one item, as messages."""
    out: list[str] = []
    for exam in item.exams:
        bp = blueprints.get(exam)
        if bp is not None and bp.section(item.section) is None:
            keys = ", ".join(s.key for s in bp.sections)
            out.append(f"section {item.section!r} is not in the {exam} blueprint ({keys})")
    if not item.rationale.strip():
        out.append("missing rationale")
    if not item.references:
        out.append("missing reference")
    year = lint_years.item_year(item)
    unknown = lint_years.unknown_year(year)
    if unknown is not None:
        return [*out, unknown]
    about_headers = any(w in item.stem.casefold() for w in _HEADER_WORDS)
    correct = {f"choice {k}" for k in item.correct_keys}
    for where, token in _item_codes(item):
        if "icd10cm" in where:
            entry = codes.icd10cm(token, year)
            if entry is None:
                out.append(f"{where}: {token} is not an ICD-10-CM FY{year} code")
            elif not entry.reportable and where.split(" (")[0] in correct and not about_headers:
                out.append(f"{where}: {token} is a header, not reportable, yet the key reports it")
        elif "icd10pcs" in where and codes.icd10pcs(token, year) is None:
            out.append(f"{where}: {token} is not a valid ICD-10-PCS FY{year} code (all sections)")
    for where, text in _rationales(item):  # a PCS code quoted in a rationale is checked too
        for token in codes.codes_in_text(text)["icd10pcs"]:
            if codes.icd10pcs(token, year) is None:
                out.append(
                    f"{where}: {token} is not a valid ICD-10-PCS FY{year} code (all sections)"
                )
    if item.kind is ItemKind.CODE:
        for option in [item.codes, *item.alternatives]:
            for code in option:
                out += _check_answer_code(code, year)
    return out


def _check_answer_code(code: str, year: int = codes.CM_YEAR) -> list[str]:
    """ICD-10-CM answers are written with their dot (or as a 3-character category like I10)."""
    raw = code.strip().upper()
    base = raw.split("-")[0]  # a CPT or HCPCS code may carry a modifier: 27447-RT
    if "." in raw or (len(raw) == 3 and raw[0].isalpha() and raw[1:].isdigit()):
        entry = codes.icd10cm(raw, year)
        if entry is None:
            return [f"code answer {code}: not an ICD-10-CM FY{year} code"]
        if not entry.reportable:
            return [f"code answer {code}: an ICD-10-CM header, not reportable as is"]
        return []
    if len(raw) == 7 and codes.ICD10PCS_SHAPE_RE.match(raw):
        if codes.icd10pcs(raw, year) is None:
            return [f"code answer {code}: not a valid ICD-10-PCS FY{year} code (all sections)"]
        return []
    if codes.is_cpt_shape(base) or codes.is_hcpcs_shape(base):
        return []
    return [
        f"code answer {code}: not of a CPT (5 digits or 4 + F/T/U), HCPCS (letter + 4 digits), "
        "ICD-10-CM (with its dot) or ICD-10-PCS (7 characters) form"
    ]


def lint_bank(bank: Bank, source: str, blueprints: dict[str, Blueprint]) -> list[Problem]:
    """Problems with a whole bank: every item's, plus duplicate stems."""
    problems: list[Problem] = []
    stems: dict[str, str] = {}
    for item in bank.items:
        for msg in lint_item(item, blueprints):
            problems.append(Problem(source, msg, record=item.id))
        norm = " ".join(item.stem.casefold().split())
        if norm in stems:
            problems.append(Problem(source, f"same stem as item {stems[norm]}", record=item.id))
        else:
            stems[norm] = item.id
    return problems


@dataclass
class CheckResult:
    """What `banks check` found: problems (a failing check) and the rates it reports."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_paths(
    paths: Iterable[Path], blueprints: dict[str, Blueprint] | None = None
) -> CheckResult:
    """Lint bank files (directories are searched for *.yaml / *.json bank files).

    Each item is checked on its own, then the rules that need every bank at once: the
    longest- and shortest-answer rates per exam, wording cues per exam and near-duplicate
    stems across banks.
    """
    blueprints = load_blueprints() if blueprints is None else blueprints
    result = CheckResult()
    loaded: list[tuple[Bank, str]] = []
    for path in paths:
        files = (
            sorted(
                p
                for p in path.rglob("*")
                if p.suffix in (".yaml", ".yml", ".json") and "blueprints" not in p.parts
            )
            if path.is_dir()
            else [path]
        )
        for f in files:
            try:
                bank = _read(f, result)
            except InputError as exc:
                result.problems += exc.problems
                continue
            result.problems += lint_bank(bank, str(f), blueprints)
            loaded.append((bank, str(f)))
    longest = longest_answer_report(b for b, _ in loaded)
    result.notes += longest.lines()
    where = ", ".join(str(p) for p in paths)
    result.problems += longest.problems(where)
    wording = wording_report(b for b, _ in loaded)
    result.notes += wording_lines(wording)
    result.problems += wording_problems(wording, where)
    convergence = convergence_report(b for b, _ in loaded)
    result.notes += convergence_lines(convergence)
    result.problems += convergence_problems(convergence, where)
    result.problems += near_duplicate_problems(loaded)
    result.notes += lint_years.fy2027_note(b for b, _ in loaded)
    return result


def _read(path: Path, result: CheckResult) -> Bank:
    """A native bank file as written, or any other format the import reads (GIFT, Moodle XML,
    Aiken, CSV, Anki ...) as it would be imported, with the reader's notes."""
    if path.suffix.lower() in (".yaml", ".yml") or path.is_dir():
        return load_bank(path)
    from certprep.banks.formats import read_bank

    read = read_bank(path)
    if read.fmt == "native":
        return load_bank(path)  # the native loader's own messages, lines and checks
    result.notes += [f"note: {w}" for w in read.warnings]
    return read.bank


def lint_paths(
    paths: Iterable[Path], blueprints: dict[str, Blueprint] | None = None
) -> list[Problem]:
    """The problems `check_paths` finds."""
    return check_paths(list(paths), blueprints).problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    paths = [Path(a) for a in args] or [bundled_banks_dir()]
    result = check_paths(paths)
    for note in result.notes:
        print(note)
    problems = result.problems
    for p in problems:
        print(p)
    print(f"{len(problems)} problems", file=sys.stderr)
    return 2 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
