"""`certprep serve`: the page loads and the app starts over the websocket, for this server's
pages only; loopback unless asked; TLS; the database URL never on a command line or in a log."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from certprep.cli import app
from certprep.cli.serve import allowed_origins, child_command, child_environment

aiohttp = pytest.importorskip("aiohttp", reason="textual-serve (the web extra) is not installed")
runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """A `certprep serve` process; stopped (with its app processes) on exit."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "certprep", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
        )
        self.out = ""
        self.err = ""

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.out, self.err = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.out, self.err = self.proc.communicate()


def _env(banks: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["CERTPREP_BANKS_DIR"] = str(banks)  # no bundled banks to load: starts quicker
    env.pop("CERTPREP_DB", None)
    return env


async def _get_page(session, url: str, **kw) -> tuple[int, str]:
    for _ in range(150):
        try:
            async with session.get(url, **kw) as resp:
                return resp.status, await resp.text()
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.2)
    raise AssertionError("certprep serve never answered")


async def _screen(
    session, ws_url: str, origin: str | None, until: bytes = b"Your exams", **kw
) -> bytes:
    """What the app sends over the websocket until ``until`` shows (the home screen)."""
    seen = b""
    headers = {"Origin": origin} if origin else {}
    async with session.ws_connect(ws_url, headers=headers, **kw) as ws:
        end = time.monotonic() + 40
        while time.monotonic() < end and until not in seen:
            try:
                msg = await ws.receive(timeout=2)
            except TimeoutError:
                continue
            if msg.type == aiohttp.WSMsgType.BINARY:
                seen += msg.data
            elif msg.type == aiohttp.WSMsgType.TEXT:
                seen += msg.data.encode()
            elif msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                break
    return seen


async def _refused(session, ws_url: str, origin: str, **kw) -> int:
    try:
        async with session.ws_connect(ws_url, headers={"Origin": origin}, **kw):
            return 101
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _cmdline(pid: int) -> str:
    return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()


def _environ(pid: int) -> str:
    return (Path("/proc") / str(pid) / "environ").read_bytes().replace(b"\0", b"\n").decode()


@pytest.mark.both_backends
def test_serve_starts_the_app_for_its_own_pages_only(db_path, blueprints_only) -> None:
    """The page loads; a same-origin websocket gets the app; another site's page gets 403; the
    app processes get the database through their environment, never their command line."""
    port = _free_port()
    db = str(db_path)
    base = f"http://127.0.0.1:{port}"

    async def visit() -> tuple[int, str, bytes, dict[str, int], list[int]]:
        async with aiohttp.ClientSession() as session:
            status, page = await _get_page(session, base + "/")
            ws = base + "/ws?width=120&height=36"
            refused = {
                o: await _refused(session, ws, o)
                for o in (
                    "http://evil.example",
                    f"http://evil.example:{port}",  # DNS rebinding: a foreign name, our port
                    f"https://127.0.0.1:{port}",
                    "null",
                )
            }
            seen = await _screen(session, ws, base)
            kids = _descendants(served.proc.pid)
            return status, page, seen, refused, kids

    with Served(["--db", db, "serve", "--port", str(port)], _env(blueprints_only)) as served:
        status, page, seen, refused, kids = asyncio.run(visit())
        cmdlines = {pid: _cmdline(pid) for pid in kids if Path(f"/proc/{pid}").exists()}
        environs = [_environ(pid) for pid in cmdlines]
    assert status == 200 and "certprep" in page
    assert b"Your exams" in seen, seen[-2000:]
    assert refused == dict.fromkeys(refused, 403)
    assert any("-m certprep" in c for c in cmdlines.values()), cmdlines
    for cmd in cmdlines.values():
        assert db not in cmd and "--db" not in cmd, cmd
    assert any(f"CERTPREP_DB={db}" in e for e in environs)
    assert "refused a request from origin" in served.err
    secret = None
    if "://" in db:  # a server URL (the PostgreSQL pass): its password appears nowhere
        from sqlalchemy.engine import make_url

        secret = make_url(db).password
    for text in (served.out, served.err, *cmdlines.values()):
        assert db not in text
        if secret:
            assert secret not in text


def test_the_app_command_holds_no_database_url() -> None:
    url = "postgresql+psycopg://student:s3cr3t-pw@db.example/certprep"
    command = child_command("amy")
    assert "s3cr3t" not in command and "--db" not in command and "amy" in command
    assert child_environment(url) == {"CERTPREP_DB": url}
    assert child_environment(None) == {}


def test_allowed_origins_are_this_server_only() -> None:
    local = allowed_origins("127.0.0.1", 8000, "http://127.0.0.1:8000", tls=False)
    assert local == {"http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"}
    proxied = allowed_origins("127.0.0.1", 8000, "https://exam.example.org/", tls=False)
    assert "https://exam.example.org" in proxied and "http://exam.example.org" not in proxied


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "exam.example.org"])
def test_listening_beyond_loopback_needs_allow_remote(host: str, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    result = runner.invoke(app, ["--db", str(db), "serve", "--host", host])
    assert result.exit_code == 2
    assert "--allow-remote" in result.output and "no login" in result.output
    assert not db.exists()  # refused before anything was opened


def test_allow_remote_warns_and_serves(db_path, blueprints_only) -> None:
    port = _free_port()
    args = ["--db", str(db_path), "serve", "--host", "0.0.0.0", "--port", str(port)]
    result = runner.invoke(app, [*args[:-2], "--allow-remote"])
    assert result.exit_code == 2 and "--public-url" in result.output  # where do browsers go?
    public = f"http://127.0.0.1:{port}"

    async def visit() -> tuple[int, str]:
        async with aiohttp.ClientSession() as session:
            return await _get_page(session, public + "/")

    with Served([*args, "--allow-remote", "--public-url", public], _env(blueprints_only)) as served:
        status, page = asyncio.run(visit())
    assert status == 200 and f"ws://127.0.0.1:{port}/ws" in page
    assert "WARNING" in served.err and "no login" in served.err and "not encrypted" in served.err


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl (to make a test certificate) is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_serve_speaks_tls_with_a_certificate(db_path, blueprints_only, tmp_path) -> None:
    cert, key = _self_signed(tmp_path)
    port = _free_port()
    base = f"https://127.0.0.1:{port}"
    trust = ssl.create_default_context(cafile=str(cert))

    async def visit() -> tuple[int, str, bytes, int]:
        async with aiohttp.ClientSession() as session:
            status, page = await _get_page(session, base + "/", ssl=trust)
            ws = base + "/ws?width=120&height=36"
            seen = await _screen(session, ws, base, ssl=trust)
            plain = await _refused(session, ws, f"http://127.0.0.1:{port}", ssl=trust)
            return status, page, seen, plain

    args = ["--db", str(db_path), "serve", "--port", str(port)]
    with Served([*args, "--certfile", str(cert), "--keyfile", str(key)], _env(blueprints_only)):
        status, page, seen, plain = asyncio.run(visit())
    assert status == 200 and f"wss://127.0.0.1:{port}/ws" in page
    assert b"Your exams" in seen
    assert plain == 403  # an http:// page is another origin than the https:// server


def test_a_bad_certificate_is_a_message(tmp_path: Path) -> None:
    bogus = tmp_path / "cert.pem"
    bogus.write_text("not a certificate")
    result = runner.invoke(app, ["serve", "--certfile", str(bogus)])
    assert result.exit_code == 2 and "cannot use the certificate" in result.output
    result = runner.invoke(app, ["serve", "--keyfile", str(bogus)])
    assert result.exit_code == 2 and "--keyfile needs --certfile" in result.output
