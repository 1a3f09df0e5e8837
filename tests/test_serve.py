"""`certprep serve`: the page loads and the app starts over the websocket."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time

import pytest

aiohttp = pytest.importorskip("aiohttp", reason="textual-serve (the web extra) is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _fetch(port: int) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.get(f"http://127.0.0.1:{port}/") as resp:
                    page = await resp.text()
                    status = resp.status
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.2)
        else:
            raise AssertionError("certprep serve never answered")
        seen = b""
        async with session.ws_connect(f"http://127.0.0.1:{port}/ws?width=120&height=36") as ws:
            end = time.monotonic() + 30
            while time.monotonic() < end and b"Your exams" not in seen:
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
        return status, page, seen


def test_serve_loads_the_page_and_starts_the_app(tmp_path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "certprep",
            "--db",
            str(tmp_path / "w.db"),
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        status, page, seen = asyncio.run(_fetch(port))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert status == 200 and "certprep" in page
    assert b"Your exams" in seen, seen[-2000:]
