"""The classroom use cases: who a login is, and the instructor's management of students."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from certprep.core.problems import InputError
from certprep.store import classroom as store
from certprep.store.classroom import Groups, Member

__all__ = ["Groups", "Member", "NewLogin", "add_login", "profile_for", "require_instructor"]


@dataclass(frozen=True)
class NewLogin:
    name: str
    password: str
    url: str  # what the student passes as --db (or puts in CERTPREP_DB)
    pgpass: str  # the same login as a ~/.pgpass line


def profile_for(engine: Engine, profile: str) -> str:
    """The learner this session acts as: on a classroom database, the login's own role.

    A student cannot choose another learner with --profile: anything but their own name (or the
    default) is refused, and the database would refuse it anyway.
    """
    bound = store.bound_learner(engine)
    if bound is None:
        return profile
    if profile not in ("default", bound):
        raise InputError(
            f"on this classroom database you are {bound!r}; --profile cannot choose another "
            f"learner ({profile!r})"
        )
    return bound


def require_instructor(engine: Engine, what: str = "the class report") -> None:
    """Refuse a student on a classroom database; anyone may on SQLite or a plain server."""
    me = store.who(engine)
    if me is None or not me.active or me.owner or me.instructor:
        return
    raise InputError(f"{what} is for the instructor; {me.user!r} is a student of this classroom")


def can_change_banks(engine: Engine) -> bool:
    """Whether this login may import or remove banks (students of a classroom may not)."""
    me = store.who(engine)
    return me is None or not me.active or me.owner or me.instructor


def _pgpass_field(text: str) -> str:
    return text.replace("\\", "\\\\").replace(":", "\\:")


def add_login(engine: Engine, name: str, *, instructor: bool = False) -> NewLogin:
    """Create a student's (or instructor's) login with a fresh random password."""
    password = secrets.token_urlsafe(18)
    store.add_member(engine, name, password, instructor=instructor)
    url = engine.url.set(drivername="postgresql", username=name, password=password)
    host = engine.url.host or "localhost"
    port = str(engine.url.port or 5432)
    db = engine.url.database or "*"
    pgpass = ":".join(_pgpass_field(x) for x in (host, port, db, name, password))
    return NewLogin(name, password, url.render_as_string(hide_password=False), pgpass)


def init(engine: Engine) -> Groups:
    return store.init_classroom(engine)


def members(engine: Engine) -> list[Member]:
    return store.members(engine)


def remove_login(engine: Engine, name: str, *, keep_work: bool = False) -> bool:
    return store.remove_member(engine, name, keep_work=keep_work)


def close(engine: Engine) -> None:
    store.close_classroom(engine)
