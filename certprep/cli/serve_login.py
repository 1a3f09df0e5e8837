"""Sign-in for `certprep serve`: accounts with scrypt password hashes, sessions that expire.

An accounts file (JSON, 0600, ``certprep accounts add NAME --accounts FILE``) maps a learner's
name to a salted scrypt hash of their password. With ``certprep serve --accounts FILE`` every
page but the sign-in form needs a session cookie (random, HttpOnly, SameSite=Strict, Secure
over HTTPS) and every browser tab's app runs as the signed-in learner (``--profile NAME``), so
one learner cannot reach another's work through the browser. Sessions end after a fixed time
or at /logout, which also closes that session's running apps.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACCOUNTS_FORMAT = "certprep-accounts/1"
COOKIE = "certprep_session"
# scrypt cost: 2^15 * 8 * 128 bytes = 32 MiB of memory and ~0.1 s per guess
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_LEN = 2**15, 8, 1, 32
_MAXMEM = 64 * 1024 * 1024


class AccountsError(Exception):
    """The accounts file cannot be read or written; the message says why."""


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64): a slow, salted hash of ``password``."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        dklen=SCRYPT_LEN,
        maxmem=_MAXMEM,
    )
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        want = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(want),
            maxmem=_MAXMEM,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


# a hash to check against when the name is unknown, so both take the same time
_DUMMY = hash_password("certprep", salt=b"\0" * 16)


@dataclass
class Account:
    password: str  # the scrypt hash
    db: str | None = None  # this learner's own database URL (their PostgreSQL role), if any


class Accounts:
    """The accounts file: name -> password hash (and the learner's own database URL, for a
    per-student PostgreSQL role). Written atomically, owner-only."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Account]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise AccountsError(f"cannot read the accounts file {self.path}: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != ACCOUNTS_FORMAT:
            raise AccountsError(f"{self.path} is not a certprep accounts file")
        out: dict[str, Account] = {}
        for name, entry in data.get("accounts", {}).items():
            if isinstance(entry, str):
                out[str(name)] = Account(entry)
            elif isinstance(entry, dict) and isinstance(entry.get("password"), str):
                db = entry.get("db")
                out[str(name)] = Account(entry["password"], str(db) if db else None)
            else:
                raise AccountsError(f"{self.path}: the account {name!r} is not readable")
        return out

    def save(self, accounts: dict[str, Account]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            entries = {
                name: {"password": a.password, **({"db": a.db} if a.db else {})}
                for name, a in accounts.items()
            }
            json.dump({"format": ACCOUNTS_FORMAT, "accounts": entries}, fh, indent=2)
        os.chmod(tmp, 0o600)
        tmp.replace(self.path)

    def set_password(self, name: str, password: str, *, db: str | None = None) -> None:
        """Add or update an account; ``db`` (if given) replaces the learner's database URL."""
        accounts = self.load()
        old = accounts.get(name)
        accounts[name] = Account(hash_password(password), db or (old.db if old else None))
        self.save(accounts)

    def remove(self, name: str) -> bool:
        accounts = self.load()
        if name not in accounts:
            return False
        del accounts[name]
        self.save(accounts)
        return True

    def check(self, name: str, password: str) -> Account | None:
        """The account, if the password is right (as slow for unknown names as for known)."""
        account = self.load().get(name)
        ok = verify_password(password, account.password if account else _DUMMY)
        return account if ok and account is not None else None


@dataclass
class Session:
    name: str
    expires: float
    db: str | None = None  # the learner's own database URL, for their apps' environment
    sockets: list[Any] = field(default_factory=list)


class Sessions:
    """Signed-in browsers: a random token per sign-in, valid for ``lifetime`` seconds."""

    def __init__(self, lifetime: float) -> None:
        self.lifetime = lifetime
        self._by_token: dict[str, Session] = {}

    def start(self, name: str, db: str | None = None) -> str:
        token = secrets.token_urlsafe(32)
        self._by_token[token] = Session(name, time.monotonic() + self.lifetime, db)
        return token

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        session = self._by_token.get(token)
        if session is None:
            return None
        if time.monotonic() >= session.expires:
            del self._by_token[token]
            return None
        return session

    def end(self, token: str | None) -> Session | None:
        return self._by_token.pop(token or "", None)


class Throttle:
    """After ``limit`` wrong passwords for a name, sign-ins for it wait ``pause`` seconds."""

    def __init__(self, limit: int = 5, pause: float = 300.0) -> None:
        self.limit = limit
        self.pause = pause
        self._failures: dict[str, tuple[int, float]] = {}

    def blocked(self, name: str) -> bool:
        count, until = self._failures.get(name, (0, 0.0))
        if count >= self.limit and time.monotonic() < until:
            return True
        if count >= self.limit:
            del self._failures[name]  # the pause is over: a fresh start
        return False

    def failed(self, name: str) -> None:
        count, _ = self._failures.get(name, (0, 0.0))
        self._failures[name] = (count + 1, time.monotonic() + self.pause)

    def succeeded(self, name: str) -> None:
        self._failures.pop(name, None)


def login_page(message: str = "") -> str:
    note = f"<p class='err'>{html.escape(message)}</p>" if message else ""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>certprep — sign in</title><style>body{font-family:system-ui,sans-serif;"
        "max-width:22rem;margin:4rem auto}label,input,button{display:block;width:100%;"
        "margin:.4rem 0}.err{color:#b00}</style></head><body><h1>certprep</h1>"
        f"{note}<form method='post' action='/login'>"
        "<label>Name <input name='name' autocomplete='username' required></label>"
        "<label>Password <input name='password' type='password' "
        "autocomplete='current-password' required></label>"
        "<button type='submit'>Sign in</button></form></body></html>"
    )
