"""A classroom on PostgreSQL: login roles, grants and row-level security.

The policies themselves are schema objects (migration 0003). Here are the server-side acts the
instructor (the owner of the tables) performs: create the two group roles of this database
(``<database>_student`` and ``<database>_instructor``), grant them what they may do, turn row
security on, and create or drop one login role per student. Role and database names are always
quoted as identifiers; passwords are written as quoted literals (PostgreSQL takes no parameters
in CREATE ROLE).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from certprep.core.problems import InputError

LEARNER_TABLES = ("learner", "card", "review_log", "exam_attempt", "exam_answer", "unseen_hint")
BANK_TABLES = ("bank", "case_text", "item", "item_exam", "item_topic", "item_count")
# a role name that is also a fine profile name: letters, digits, _ . - ; starts with a letter
ROLE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,62}")


@dataclass(frozen=True)
class Groups:
    student: str
    instructor: str


@dataclass(frozen=True)
class Who:
    """The login of a connection and what it may do on this database."""

    user: str
    owner: bool  # owns the tables (or is a superuser): not bound by row security
    instructor: bool
    active: bool  # row security is on: this database is a classroom


@dataclass(frozen=True)
class Member:
    name: str
    role: str  # "student" | "instructor"
    has_learner: bool
    reviews: int
    attempts: int


def require_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        raise InputError(
            "a classroom needs a PostgreSQL database (--db postgresql://user@host/db): "
            "a SQLite file has no logins to keep students apart"
        )


def _q(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def scram_verifier(password: str, *, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for ``password`` (RFC 5802/7677).

    CREATE ROLE is given this, never the password itself, so the password reaches no server
    log or statistics view (as psql's \\password does it).
    """
    import base64
    import hashlib
    import hmac
    import os

    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(b: bytes) -> str:
        return base64.b64encode(b).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def check_name(name: str) -> str:
    if not ROLE_NAME.fullmatch(name):
        raise InputError(
            f"{name!r} cannot be a student's login: use 1 to 63 letters, digits, '_', '.' or '-', "
            "starting with a letter"
        )
    if name.lower().startswith("pg_") or name.lower() in ("public", "postgres"):
        raise InputError(f"{name!r} is reserved by PostgreSQL; choose another name")
    return name


def groups(conn: Connection) -> Groups:
    row = conn.execute(
        sa.text(
            "SELECT certprep_class_role('student') AS s, certprep_class_role('instructor') AS i"
        )
    ).one()
    return Groups(row.s, row.i)


def who(engine: Engine) -> Who | None:
    """Who this connection is on a PostgreSQL database with certprep's tables; None elsewhere."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT current_user AS me, c.relrowsecurity AS active,"
                " pg_has_role(current_user, c.relowner, 'USAGE') AS owner,"
                " certprep_is_instructor() AS instructor"
                " FROM pg_class c WHERE c.oid = to_regclass('learner')"
            )
        ).first()
    if row is None:
        return None
    return Who(str(row.me), bool(row.owner), bool(row.instructor), bool(row.active))


def bound_learner(engine: Engine) -> str | None:
    """The learner a login is bound to on a classroom database (its role name), or None.

    The owner of the tables is not bound (it is the instructor's administrative login).
    """
    me = who(engine)
    if me is None or not me.active or me.owner:
        return None
    return me.user


def _role_exists(conn: Connection, name: str) -> bool:
    return (
        conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first()
        is not None
    )


def _owner_only(conn: Connection) -> None:
    owner = conn.execute(
        sa.text(
            "SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c"
            " WHERE c.oid = to_regclass('learner')"
        )
    ).scalar()
    if not owner:
        raise InputError(
            "only the owner of certprep's tables (the instructor's administrative login) can "
            "manage the classroom; connect with that login's --db URL"
        )


def _privileged(fn_name: str, exc: sa.exc.DBAPIError) -> InputError:
    text = str(exc.orig)
    if "permission denied" in text or "must have" in text or "must be" in text:
        return InputError(
            f"{fn_name}: the server refused ({text.strip()}). The owner's login needs the "
            "CREATEROLE attribute: as a superuser, ALTER ROLE <owner> CREATEROLE"
        )
    return InputError(f"{fn_name}: the server refused: {text.strip()}")


def init_classroom(engine: Engine) -> Groups:
    """Create the group roles, grant them their rights and turn row security on. Idempotent."""
    require_postgresql(engine)
    try:
        with engine.begin() as conn:
            _owner_only(conn)
            g = groups(conn)
            s, i = _q(conn, g.student), _q(conn, g.instructor)
            for name in (g.student, g.instructor):
                if not _role_exists(conn, name):
                    conn.exec_driver_sql(f"CREATE ROLE {_q(conn, name)} NOLOGIN")
            schema = _q(conn, conn.execute(sa.text("SELECT current_schema()")).scalar_one())
            both = f"{s}, {i}"
            conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {schema} TO {both}")
            conn.exec_driver_sql(f"GRANT SELECT ON alembic_version TO {both}")
            banks = ", ".join(BANK_TABLES)
            conn.exec_driver_sql(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {banks} FROM {s}")
            conn.exec_driver_sql(f"GRANT SELECT ON {banks} TO {both}")
            conn.exec_driver_sql(f"GRANT INSERT, UPDATE, DELETE ON {banks} TO {i}")
            conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE ON learner TO {both}")
            rest = ", ".join(LEARNER_TABLES[1:])
            conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {rest} TO {both}")
            conn.exec_driver_sql(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {both}")
            for table in LEARNER_TABLES:
                conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            db_owner = conn.execute(
                sa.text(
                    "SELECT pg_has_role(current_user, datdba, 'USAGE') FROM pg_database"
                    " WHERE datname = current_database()"
                )
            ).scalar()
            if db_owner:
                # only this classroom's logins (and the owner) may connect to its database
                db = _q(conn, conn.execute(sa.text("SELECT current_database()")).scalar_one())
                conn.exec_driver_sql(f"REVOKE CONNECT ON DATABASE {db} FROM PUBLIC")
                conn.exec_driver_sql(f"GRANT CONNECT ON DATABASE {db} TO {both}")
            return g
    except sa.exc.DBAPIError as exc:
        raise _privileged("classroom init", exc) from None


def _active_groups(conn: Connection) -> Groups:
    _owner_only(conn)
    g = groups(conn)
    if not _role_exists(conn, g.student):
        raise InputError("this database is not a classroom yet; run `certprep classroom init`")
    return g


def add_member(engine: Engine, name: str, password: str, *, instructor: bool = False) -> None:
    """Create a login role for a student (or an instructor) of this classroom."""
    require_postgresql(engine)
    check_name(name)
    try:
        with engine.begin() as conn:
            g = _active_groups(conn)
            if _role_exists(conn, name):
                raise InputError(
                    f"a login named {name!r} already exists on this server; choose another name "
                    "(logins are shared by every database on a server)"
                )
            group = g.instructor if instructor else g.student
            conn.exec_driver_sql(
                f"CREATE ROLE {_q(conn, name)} LOGIN PASSWORD {_literal(scram_verifier(password))}"
                f" IN ROLE {_q(conn, group)}"
            )
    except sa.exc.DBAPIError as exc:
        raise _privileged("classroom add-student", exc) from None


def members(engine: Engine) -> list[Member]:
    """Students and instructors of this classroom with a count of their work."""
    require_postgresql(engine)
    with engine.connect() as conn:
        g = _active_groups(conn)
        rows = conn.execute(
            sa.text(
                "SELECT m.rolname AS name, g.rolname = :i AS instructor, l.id AS lid,"
                " (SELECT count(*) FROM review_log r WHERE r.learner_id = l.id) AS reviews,"
                " (SELECT count(*) FROM exam_attempt a WHERE a.learner_id = l.id) AS attempts"
                " FROM pg_auth_members am JOIN pg_roles m ON m.oid = am.member"
                " JOIN pg_roles g ON g.oid = am.roleid"
                " LEFT JOIN learner l ON l.name = m.rolname"
                " WHERE g.rolname IN (:s, :i) ORDER BY m.rolname"
            ),
            {"s": g.student, "i": g.instructor},
        ).all()
    return [
        Member(
            r.name,
            "instructor" if r.instructor else "student",
            r.lid is not None,
            int(r.reviews or 0),
            int(r.attempts or 0),
        )
        for r in rows
    ]


def student_logins(engine: Engine) -> list[str]:
    """The student logins of this classroom, signed in yet or not: what the class report
    lists. Unlike ``members`` the instructor's own login may ask (the role catalogues are
    readable by every login); empty where the database is not a classroom."""
    require_postgresql(engine)
    with engine.connect() as conn:
        g = groups(conn)
        rows = conn.execute(
            sa.text(
                "SELECT m.rolname FROM pg_auth_members am JOIN pg_roles m ON m.oid = am.member"
                " JOIN pg_roles g ON g.oid = am.roleid WHERE g.rolname = :s ORDER BY m.rolname"
            ),
            {"s": g.student},
        ).all()
    return [str(r[0]) for r in rows]


def remove_member(engine: Engine, name: str, *, keep_work: bool = False) -> bool:
    """Drop a student's login (and, unless ``keep_work``, their learner row and all its work).

    Returns whether a learner row was deleted. Only logins of this classroom can be removed.
    """
    require_postgresql(engine)
    try:
        with engine.begin() as conn:
            g = _active_groups(conn)
            member = conn.execute(
                sa.text(
                    "SELECT 1 FROM pg_auth_members am JOIN pg_roles m ON m.oid = am.member"
                    " JOIN pg_roles g ON g.oid = am.roleid"
                    " WHERE m.rolname = :n AND g.rolname IN (:s, :i)"
                ),
                {"n": name, "s": g.student, "i": g.instructor},
            ).first()
            if member is None:
                raise InputError(
                    f"{name!r} is not a login of this classroom; `certprep classroom list` "
                    "shows them"
                )
            deleted = False
            if not keep_work:
                deleted = bool(
                    conn.execute(
                        sa.text("DELETE FROM learner WHERE name = :n"), {"n": name}
                    ).rowcount
                )
            conn.exec_driver_sql(f"DROP ROLE {_q(conn, name)}")
            return deleted
    except sa.exc.DBAPIError as exc:
        raise _privileged("classroom remove-student", exc) from None


def close_classroom(engine: Engine) -> None:
    """Undo `init`: drop every login of the classroom and its groups, row security off."""
    require_postgresql(engine)
    with engine.begin() as conn:
        _owner_only(conn)
        g = groups(conn)
        names = [
            r[0]
            for r in conn.execute(
                sa.text(
                    "SELECT m.rolname FROM pg_auth_members am JOIN pg_roles m ON m.oid = am.member"
                    " JOIN pg_roles g ON g.oid = am.roleid WHERE g.rolname IN (:s, :i)"
                ),
                {"s": g.student, "i": g.instructor},
            )
        ]
        for name in names:
            conn.exec_driver_sql(f"DROP ROLE {_q(conn, name)}")
        schema = _q(conn, conn.execute(sa.text("SELECT current_schema()")).scalar_one())
        db = _q(conn, conn.execute(sa.text("SELECT current_database()")).scalar_one())
        for grp in (g.student, g.instructor):
            if not _role_exists(conn, grp):
                continue
            q = _q(conn, grp)
            tables = ", ".join(("alembic_version", *BANK_TABLES, *LEARNER_TABLES))
            conn.exec_driver_sql(f"REVOKE ALL ON {tables} FROM {q}")
            conn.exec_driver_sql(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {q}")
            conn.exec_driver_sql(f"REVOKE ALL ON SCHEMA {schema} FROM {q}")
            conn.exec_driver_sql(f"REVOKE ALL ON DATABASE {db} FROM {q}")
            conn.exec_driver_sql(f"DROP ROLE {q}")
        for table in LEARNER_TABLES:
            conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        if conn.execute(
            sa.text(
                "SELECT pg_has_role(current_user, datdba, 'USAGE') FROM pg_database"
                " WHERE datname = current_database()"
            )
        ).scalar():
            conn.exec_driver_sql(f"GRANT CONNECT ON DATABASE {db} TO PUBLIC")
