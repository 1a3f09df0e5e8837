"""`certprep serve --login`: learners sign in; each session is its own learner; sessions end."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from certprep.cli import app
from certprep.cli.serve_login import Accounts, Sessions, hash_password, verify_password

from .test_serve import (
    Served,
    _cmdline,
    _descendants,
    _env,
    _environ,
    _free_port,
    _get_page,
    _screen,
)

aiohttp = pytest.importorskip("aiohttp", reason="textual-serve (the web extra) is not installed")
runner = CliRunner()


def test_passwords_are_stored_as_salted_scrypt_hashes(tmp_path: Path) -> None:
    one, two = hash_password("correct horse"), hash_password("correct horse")
    assert one.startswith("scrypt$") and one != two  # salted: same password, other hash
    assert verify_password("correct horse", one) and not verify_password("wrong horse", one)
    assert not verify_password("x", "garbage")
    accounts = tmp_path / "accounts.json"
    result = runner.invoke(
        app,
        ["accounts", "add", "amy", "--accounts", str(accounts)],
        input="correct horse\ncorrect horse\n",
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(accounts.stat().st_mode) == 0o600
    assert "correct horse" not in accounts.read_text()
    assert Accounts(accounts).check("amy", "correct horse")
    assert not Accounts(accounts).check("amy", "Correct horse")
    assert not Accounts(accounts).check("bob", "correct horse")
    listed = runner.invoke(app, ["accounts", "list", "--accounts", str(accounts)])
    assert listed.output.split() == ["amy"]
    short = runner.invoke(
        app, ["accounts", "add", "bob", "--accounts", str(accounts)], input="short\nshort\n"
    )
    assert short.exit_code == 2 and "8 characters" in short.output
    bad = runner.invoke(app, ["accounts", "add", "a\x1b[2Jb", "--accounts", str(accounts)])
    assert bad.exit_code == 2
    assert (
        runner.invoke(app, ["accounts", "remove", "amy", "--accounts", str(accounts)]).exit_code
        == 0
    )
    assert json.loads(accounts.read_text())["accounts"] == {}


def test_sessions_expire_and_end(monkeypatch: pytest.MonkeyPatch) -> None:
    import certprep.cli.serve_login as login

    now = [1000.0]
    monkeypatch.setattr(login.time, "monotonic", lambda: now[0])
    sessions = Sessions(lifetime=3600)
    token = sessions.start("amy")
    assert sessions.get(token).name == "amy"
    assert sessions.get("forged-token") is None and sessions.get(None) is None
    now[0] += 3599
    assert sessions.get(token) is not None
    now[0] += 2
    assert sessions.get(token) is None  # expired
    other = sessions.start("bob")
    assert sessions.end(other).name == "bob" and sessions.get(other) is None  # logged out


def test_repeated_wrong_passwords_pause_sign_ins(monkeypatch: pytest.MonkeyPatch) -> None:
    import certprep.cli.serve_login as login

    now = [0.0]
    monkeypatch.setattr(login.time, "monotonic", lambda: now[0])
    throttle = login.Throttle(limit=5, pause=300)
    for _ in range(4):
        throttle.failed("amy")
    assert not throttle.blocked("amy")
    throttle.failed("amy")
    assert throttle.blocked("amy") and not throttle.blocked("bob")
    now[0] += 301
    assert not throttle.blocked("amy")  # the pause is over
    throttle.failed("amy")
    throttle.succeeded("amy")
    assert not throttle.blocked("amy")


def test_serve_login_needs_accounts(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["--db", str(tmp_path / "x.db"), "serve", "--accounts", str(tmp_path / "none.json")]
    )
    assert result.exit_code == 2 and "certprep accounts add" in result.output


@pytest.mark.sqlite_only
def test_each_signed_in_session_is_its_own_learner(tmp_path: Path, blueprints_only) -> None:
    accounts = tmp_path / "accounts.json"
    store = Accounts(accounts)
    amy_db = tmp_path / "amy-own.db"  # stands for amy's own PostgreSQL role URL
    store.set_password("amy", "amy-password-1", db=str(amy_db))
    store.set_password("bob", "bob-password-2")
    db = tmp_path / "class.db"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    ws_url = base + "/ws?width=120&height=36"

    async def sign_in(session, name: str, password: str) -> int:
        async with session.post(
            base + "/login",
            data={"name": name, "password": password},
            headers={"Origin": base},
            allow_redirects=False,
        ) as resp:
            return resp.status

    async def visit() -> dict[str, object]:
        out: dict[str, object] = {}
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as anon:
            await _get_page(anon, base + "/login")
            async with anon.get(base + "/", allow_redirects=False) as resp:
                out["anon_index"] = (resp.status, resp.headers.get("Location"))
            try:
                async with anon.ws_connect(ws_url, headers={"Origin": base}):
                    out["anon_ws"] = 101
            except aiohttp.WSServerHandshakeError as exc:
                out["anon_ws"] = exc.status
            out["wrong"] = await sign_in(anon, "amy", "bob-password-2")
            out["unknown"] = await sign_in(anon, "mallory", "whatever-1")
            out["cross_site"] = None
            async with anon.post(
                base + "/login",
                data={"name": "amy", "password": "amy-password-1"},
                headers={"Origin": "http://evil.example"},
                allow_redirects=False,
            ) as resp:
                out["cross_site"] = resp.status
        for name, password in (("amy", "amy-password-1"), ("bob", "bob-password-2")):
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar) as session:
                out[f"{name}_login"] = await sign_in(session, name, password)
                cookie = next(c for c in jar if c.key == "certprep_session")
                out[f"{name}_cookie"] = (cookie["httponly"], cookie["samesite"])
                async with session.get(base + "/") as resp:
                    out[f"{name}_index"] = resp.status
                # the home screen's counts are drawn: the learner has been looked up (made)
                seen = await _screen(session, ws_url, base, until=b"No questions yet")
                out[f"{name}_screen"] = b"No questions yet" in seen
                kids = [p for p in _descendants(served.proc.pid) if Path(f"/proc/{p}").exists()]
                out[f"{name}_cmdlines"] = [_cmdline(p) for p in kids]
                out[f"{name}_environs"] = [_environ(p) for p in kids]
                async with session.post(base + "/logout", allow_redirects=False) as resp:
                    out[f"{name}_logout"] = resp.status
                token = cookie.value
            # the old token no longer opens the app
            async with aiohttp.ClientSession(cookies={"certprep_session": token}) as stale:
                try:
                    async with stale.ws_connect(ws_url, headers={"Origin": base}):
                        out[f"{name}_after_logout"] = 101
                except aiohttp.WSServerHandshakeError as exc:
                    out[f"{name}_after_logout"] = exc.status
        return out

    args = ["--db", str(db), "--profile", "amy", "serve", "--port", str(port)]
    with Served([*args, "--accounts", str(accounts)], _env(blueprints_only)) as served:
        out = asyncio.run(visit())
    assert out["anon_index"] == (302, "/login")
    assert out["anon_ws"] == 403
    assert out["wrong"] == 401 and out["unknown"] == 401 and out["cross_site"] == 403
    for name in ("amy", "bob"):
        assert out[f"{name}_login"] == 303 and out[f"{name}_index"] == 200
        assert out[f"{name}_cookie"] == (True, "Strict")
        assert out[f"{name}_screen"] is True
        assert any(f"--profile {name}" in c for c in out[f"{name}_cmdlines"])
        assert out[f"{name}_logout"] == 303 and out[f"{name}_after_logout"] == 403
    # bob's session ran as bob, though the server was started with --profile amy
    assert not any("--profile amy" in c for c in out["bob_cmdlines"])
    # amy's apps connected with her own database URL, given in their environment only
    assert any(f"CERTPREP_DB={amy_db}\n" in e for e in out["amy_environs"])
    assert not any(str(amy_db) in c for c in out["amy_cmdlines"] + out["bob_cmdlines"])
    assert not any(str(amy_db) in e for e in out["bob_environs"])

    def learners(path: Path) -> set[str]:
        con = sqlite3.connect(path)
        try:
            return {r[0] for r in con.execute("SELECT name FROM learner")}
        finally:
            con.close()

    assert "amy" in learners(amy_db) and "bob" in learners(db) and "bob" not in learners(amy_db)
    assert "amy-password-1" not in served.out + served.err
