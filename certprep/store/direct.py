"""Statements on the hot path, run on SQLite's own cursor.

SQLAlchemy's per-statement machinery (execution context, events, result objects) costs about
30 µs a statement; SQLite itself needs 5–20 µs for a primary-key read or a one-row write. The
answer path runs four statements per rating and one per card shown, so on SQLite a ``Direct``
statement is compiled once per engine by SQLAlchemy (the same SQL, the same type processing:
UTC datetimes, JSON with the engine's serializer) and executed on the driver's cursor inside the
caller's SQLAlchemy transaction. Any other backend runs the statement through SQLAlchemy as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import Executable

_Processor = Callable[[Any], Any] | None


class Row(dict[str, Any]):
    """A row as a dict whose columns also read as attributes (``row.state``), like SQLAlchemy's."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


# SQLAlchemy's own, not public: what a compiled statement does to each bind and result column
PRIVATE = ("_bind_processors", "_result_columns")


class UnsupportedSQLAlchemy(RuntimeError):
    """The installed SQLAlchemy lacks what ``Direct`` reads from its compiled statements."""


def _check(compiled: Any) -> None:
    missing = [name for name in PRIVATE if not hasattr(compiled, name)]
    if missing:
        raise UnsupportedSQLAlchemy(
            f"certprep needs SQLAlchemy 2.1.x; SQLAlchemy {sa.__version__} is installed and its "
            f"compiled statements have no {', '.join(missing)} (read by certprep/store/direct.py). "
            'Install a supported version: pip install "sqlalchemy>=2.1,<2.2"'
        )


class _Compiled:
    __slots__ = ("binds", "columns", "fixed", "sql")

    def __init__(self, stmt: Any, dialect: Any, column_keys: Sequence[str] | None) -> None:
        compiled = stmt.compile(dialect=dialect, column_keys=column_keys)
        _check(compiled)
        procs: dict[str, _Processor] = compiled._bind_processors
        self.sql: str = compiled.string
        self.binds: list[tuple[str, _Processor]] = [
            (name, procs.get(name)) for name in (compiled.positiontup or ())
        ]
        # the statement's own values (``retired IS 0``), for binds the caller does not give
        self.fixed: dict[str, Any] = {
            name: b.effective_value for name, b in compiled.binds.items() if not b.required
        }
        self.columns: list[tuple[str, _Processor]] = [
            (rc.keyname, rc.type._cached_result_processor(dialect, None))
            for rc in compiled._result_columns
        ]

    def params(self, values: Mapping[str, Any]) -> list[Any]:
        fixed = self.fixed
        out = []
        for name, p in self.binds:
            v = values[name] if name in values else fixed[name]
            out.append(p(v) if p else v)
        return out


class Direct:
    """One statement; ``first``/``write`` run it on the connection's driver cursor on SQLite.

    Insert and update statements are compiled for the keys they are given (as SQLAlchemy would
    compile them for those parameters); each key set is compiled once per dialect.
    """

    def __init__(self, stmt: Executable) -> None:
        self.stmt = stmt
        self._compiled: dict[tuple[int, tuple[str, ...] | None], _Compiled] = {}

    def _for(self, conn: Connection, keys: tuple[str, ...] | None) -> _Compiled:
        dialect = conn.dialect
        key = (id(dialect), keys)
        c = self._compiled.get(key)
        if c is None:
            c = self._compiled[key] = _Compiled(self.stmt, dialect, keys)
        return c

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Row | None:
        """The first row (column name to processed value), or None."""
        if conn.dialect.name != "sqlite":
            row = conn.execute(self.stmt, dict(params)).first()
            return None if row is None else Row(row._mapping)
        c = self._for(conn, None)
        raw = _run(conn, c, params, lambda cur: cur.fetchone())
        if raw is None:
            return None
        return Row((name, p(v) if p else v) for (name, p), v in zip(c.columns, raw, strict=True))

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Row]:
        """Every row (column name to processed value)."""
        if conn.dialect.name != "sqlite":
            return [Row(r._mapping) for r in conn.execute(self.stmt, dict(params))]
        c = self._for(conn, None)
        raws = _run(conn, c, params, lambda cur: cur.fetchall())
        cols = c.columns
        return [
            Row((name, p(v) if p else v) for (name, p), v in zip(cols, raw, strict=True))
            for raw in raws
        ]

    def write(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Run an insert or update; returns the new row's id (inserts) or the rows changed."""
        if conn.dialect.name != "sqlite":
            res = conn.execute(self.stmt, dict(params))
            if res.is_insert:
                return int(res.inserted_primary_key[0])  # type: ignore[index]
            return int(res.rowcount)
        c = self._for(conn, tuple(params))  # (keys that are no column are bound parameters)
        insert = c.sql.startswith("INSERT")
        return int(_run(conn, c, params, lambda cur: cur.lastrowid if insert else cur.rowcount))


def _run(
    conn: Connection, c: _Compiled, params: Mapping[str, Any], read: Callable[[Any], Any]
) -> Any:
    """Execute on the driver's cursor and ``read`` the outcome; a driver error is raised as
    SQLAlchemy raises it (``OperationalError`` for a locked or full database …), so callers
    handle the same exceptions whichever way a statement ran."""
    dbapi = conn.dialect.loaded_dbapi
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        values = c.params(params)
        cur.execute(c.sql, values)
        return read(cur)
    except dbapi.Error as exc:
        raise sa_exc.DBAPIError.instance(c.sql, values, exc, dbapi.Error) from exc
    finally:
        cur.close()
