"""The code-book index: one SQLite file (FTS5) built from the shipped tables, read by everyone.

The file lives beside the learner databases (``<data dir>/codebook/codebook-<fingerprint>.sqlite``)
and is named after the data it holds, so a release with new tables builds a new one. It is built
once, by ``build_index`` (first use, or ``certprep codes --build``), into a temporary file that is
renamed into place: readers never see half an index, and two builders racing both end with the
same complete file. After that it is opened read-only.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import tempfile
from pathlib import Path

from certprep.core import codebook as cb

INDEX_ENV = "CERTPREP_CODEBOOK_INDEX"
SCHEMA_VERSION = "4"  # part of the file name: a release with a new layout builds a new file

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE entry (
    id INTEGER PRIMARY KEY, system TEXT NOT NULL, code TEXT NOT NULL, dotless TEXT NOT NULL,
    title TEXT NOT NULL, billable INTEGER NOT NULL, kind TEXT NOT NULL, depth INTEGER NOT NULL
);
CREATE TABLE cm (
    code TEXT PRIMARY KEY, dotless TEXT NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL,
    parent TEXT NOT NULL, billable INTEGER NOT NULL, notes TEXT NOT NULL, ord INTEGER NOT NULL
);
CREATE TABLE pcs (code TEXT PRIMARY KEY, title TEXT NOT NULL);
CREATE TABLE pcs_index (term TEXT PRIMARY KEY, lines TEXT NOT NULL);
CREATE TABLE pcs_meaning (
    context TEXT NOT NULL, pos INTEGER NOT NULL, value TEXT NOT NULL, label TEXT NOT NULL,
    derived INTEGER NOT NULL,
    PRIMARY KEY (context, pos, value)
);
CREATE TABLE drg_level (code TEXT PRIMARY KEY, level TEXT NOT NULL, collection TEXT);
CREATE TABLE drg_exclusion (collection TEXT NOT NULL, code TEXT NOT NULL,
    PRIMARY KEY (collection, code)) WITHOUT ROWID;
CREATE TABLE drg_alive (code TEXT PRIMARY KEY);
CREATE VIRTUAL TABLE fts USING fts5(
    title, terms, content='', tokenize='unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE fts_vocab USING fts5vocab(fts, 'row');
"""
_INDEXES = """
CREATE INDEX ix_entry_depth_dotless ON entry(depth, dotless);
CREATE INDEX ix_cm_dotless ON cm(dotless);
CREATE INDEX ix_cm_parent ON cm(parent, ord);
"""


def default_index_path() -> Path:
    """$CERTPREP_CODEBOOK_INDEX, else a file named after the data under the user data dir."""
    env = os.environ.get(INDEX_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    base = Path(user_data_dir("certprep", appauthor=False)) / "codebook"
    return base / f"codebook-v{SCHEMA_VERSION}-{cb.data_fingerprint()}.sqlite"


def is_built(path: Path) -> bool:
    """Whether a complete index is at path (the rename happens last, so existing is enough)."""
    return path.is_file()


def build_index(path: Path) -> Path:
    """Build the index into path (atomically). Returns path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".codebook-", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        con = sqlite3.connect(tmp)
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.executescript(_SCHEMA)
        with con:
            entries: list[Entry] = []
            _load_cm(con, entries)
            _load_pcs(con, entries)
            _add_entries(con, entries)
            _load_drg(con)
            con.executescript(_INDEXES)
            con.execute("INSERT INTO fts(fts) VALUES ('optimize')")
            con.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [
                    ("schema", SCHEMA_VERSION),
                    ("cm_source", cb.CM_SOURCE),
                    ("pcs_source", cb.PCS_SOURCE),
                    ("drg_source", cb.DRG_SOURCE),
                ],
            )
        con.execute("VACUUM")
        con.close()
        tmp.chmod(0o644)  # read by every learner (mkstemp makes it private)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    remove_older_indexes(path)
    return path


def remove_older_indexes(path: Path) -> None:
    """Indexes of earlier data or layouts beside this one (default names only): 60 MB each."""
    if not path.name.startswith("codebook-v"):
        return
    for old in path.parent.glob("codebook-v*.sqlite"):
        if old != path:
            with contextlib.suppress(OSError):  # in use elsewhere (Windows): a later build
                old.unlink()


Entry = tuple[str, str, str, bool, str, str]  # system, code, title, billable, kind, extra terms
_WORD = re.compile(r"[0-9A-Za-z]+")


def _add_entries(con: sqlite3.Connection, entries: list[Entry]) -> None:
    """Number the entries shortest title first: for a word in thousands of titles, the search
    reads the first matches in id order instead of ranking them all (bm25 favours short titles
    for a single word, so the order is nearly the same)."""

    def searched_title(e: Entry) -> str:  # an index entry is found by its term
        return e[1] if e[0] == "pcsindex" else e[2]

    entries.sort(key=lambda e: (len(_WORD.findall(searched_title(e))), e[0] != "cm", e[1]))
    for rowid, entry in enumerate(entries, start=1):
        system, code, title, billable, kind, extra = entry
        dotless = "" if system == "pcsindex" else cb.normalise_code(code)
        con.execute(
            "INSERT INTO entry VALUES (?,?,?,?,?,?,?,?)",
            (rowid, system, code, dotless, title, int(billable), kind, len(dotless)),
        )
        terms = f"{code} {dotless} {extra}".strip() if dotless else extra
        con.execute(
            "INSERT INTO fts (rowid, title, terms) VALUES (?, ?, ?)",
            (rowid, searched_title(entry), terms),
        )


def _load_cm(con: sqlite3.Connection, entries: list[Entry]) -> None:
    for ord_, line in enumerate(cb.read_data_file("codebook_cm.jsonl.gz")):
        row = json.loads(line)
        code, kind, title = row["c"], row["k"], row["t"]
        notes = row.get("n", {})
        billable = bool(row.get("b"))
        con.execute(
            "INSERT INTO cm VALUES (?,?,?,?,?,?,?,?)",
            (
                code,
                cb.normalise_code(code),
                kind,
                title,
                row["p"],
                int(billable),
                json.dumps(notes, ensure_ascii=False),
                ord_,
            ),
        )
        if kind == "chapter":
            continue
        # inclusion terms are other words for the same thing: searchable, ranked below the title
        extra = " ".join(notes.get("inclusion", []) + notes.get("includes", []))
        entries.append(("cm", code, title, billable, kind, extra))


def _load_pcs(con: sqlite3.Connection, entries: list[Entry]) -> None:
    for line in cb.read_data_file("codebook_pcs.tsv.gz"):
        fields = line.split("\t")
        if fields[0] == "I":  # the PCS Index: a main term and its lines
            _, term, joined = line.split("\t", 2)
            lines = joined.split("\x1f")
            con.execute("INSERT INTO pcs_index VALUES (?, ?)", (term, "\n".join(lines)))
            summary = "; ".join(ln.strip() for ln in lines[:3]) + ("; …" if len(lines) > 3 else "")
            entries.append(("pcsindex", term, summary, False, "index", ""))
        elif fields[0] in ("@", "~"):  # ~: read from the code titles (sections 2-X)
            mark, context, pos, value, label = fields
            con.execute(
                "INSERT INTO pcs_meaning VALUES (?,?,?,?,?)",
                (context, int(pos), value, label, int(mark == "~")),
            )
        else:
            code, title = fields
            con.execute("INSERT INTO pcs VALUES (?, ?)", (code, title))
            entries.append(("pcs", code, title, True, "code", ""))


def _load_drg(con: sqlite3.Connection) -> None:
    for line in cb.read_data_file("msdrg_v43.tsv.gz"):
        fields = line.split("\t")
        if fields[0] == "L":
            _, code, level, collection = fields
            con.execute("INSERT INTO drg_level VALUES (?,?,?)", (code, level, collection or None))
        elif fields[0] == "X":
            _, collection, members = fields
            con.executemany(
                "INSERT OR IGNORE INTO drg_exclusion VALUES (?, ?)",
                [(collection, m) for m in members.split()],
            )
        elif fields[0] == "A":
            con.executemany("INSERT INTO drg_alive VALUES (?)", [(m,) for m in fields[1].split()])


def open_index(path: Path) -> sqlite3.Connection:
    """A read-only connection to a built index (usable from any thread)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    con.execute("PRAGMA query_only=ON")
    return con
