"""`certprep serve`: certprep in a web browser (textual-serve), with walls.

- The WebSocket that drives the app accepts only pages from the server's own origin (a page on
  another site, or a DNS-rebinding name, gets 403), so no other site can drive it or read it.
- It listens on loopback unless --allow-remote is given (and then warns: there is no login).
- TLS with --certfile/--keyfile, or behind a reverse proxy (README "Browser mode").
- The database URL (which may hold a password) reaches each app process through the
  environment (CERTPREP_DB), never its command line, and no log shows it.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from certprep.cli.common import (
    EXIT_NOT_AVAILABLE,
    app,
    err,
    fail,
    state,
)

DB_ENV = "CERTPREP_DB"


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def child_command(profile: str) -> str:
    """The command each browser tab's app runs: no database URL in it (that goes by env)."""
    return shlex.join([sys.executable, "-m", "certprep", "--profile", profile])


def child_environment(db: str | None) -> dict[str, str]:
    """What the app processes need in their environment: the database, if one was chosen."""
    return {DB_ENV: db} if db else {}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(scheme)
    port = parts.port or default
    return f"{scheme}://{host}" + ("" if port == default else f":{port}")


def allowed_origins(host: str, port: int, public_url: str, *, tls: bool) -> set[str]:
    """The origins whose pages may open the app's WebSocket: the public URL's, and on a
    loopback server the loopback names for the same port."""
    scheme = "https" if tls else "http"
    out = {_origin(public_url)}
    if is_loopback(host):
        for name in ("localhost", "127.0.0.1", "[::1]"):
            out.add(_origin(f"{scheme}://{name}:{port}"))
    return out


def make_server(
    command: str,
    *,
    host: str,
    port: int,
    public_url: str,
    ssl_context: Any = None,
) -> Any:
    """A textual-serve Server that checks the Origin of every WebSocket and can speak TLS."""
    import asyncio
    import logging
    import signal

    from aiohttp import web
    from textual_serve.server import Server

    log = logging.getLogger("textual-serve")
    tls = ssl_context is not None

    class CertprepServer(Server):
        origins = allowed_origins(host, port, public_url, tls=tls)

        def initialize_logging(self) -> None:
            # textual-serve logs tracebacks with local variables, which would print the
            # children's environment (and the database URL in it): plain messages instead
            logging.basicConfig(
                level="DEBUG" if self.debug else "INFO",
                format="%(levelname)s %(name)s: %(message)s",
            )

        async def handle_websocket(self, request: web.Request) -> Any:
            origin = request.headers.get("Origin")
            # a browser always sends Origin on a WebSocket; a page from elsewhere is refused
            if origin is not None and _origin(origin) not in self.origins:
                log.warning("refused a WebSocket from origin %r (not this server's)", origin)
                raise web.HTTPForbidden(text="certprep: this page is not from this server\n")
            return await super().handle_websocket(request)

        def serve(self, debug: bool = False) -> None:
            self.debug = debug
            self.initialize_logging()
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                loop.add_signal_handler(signal.SIGINT, self.request_exit)
                loop.add_signal_handler(signal.SIGTERM, self.request_exit)
            except NotImplementedError:
                pass
            web.run_app(
                self._make_app(),
                host=self.host,
                port=self.port,
                handle_signals=False,
                loop=loop,
                ssl_context=ssl_context,
                print=lambda *args: None,
            )

    return CertprepServer(
        command, host=host, port=port, title="certprep", public_url=public_url.rstrip("/")
    )


def _ssl_context(certfile: Path, keyfile: Path | None) -> Any:
    import ssl

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        ctx.load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as exc:
        fail(f"certprep serve: cannot use the certificate {certfile}: {exc}")
    return ctx


@app.command()
def serve(
    host: Annotated[
        str,
        typer.Option(help="Address to listen on; beyond this machine needs --allow-remote."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="Listen on an address other machines can reach (there is no login: use TLS "
            "and a reverse proxy that authenticates).",
        ),
    ] = False,
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            help="The URL browsers use (behind a reverse proxy, or when --host is 0.0.0.0).",
        ),
    ] = None,
    certfile: Annotated[
        Path | None, typer.Option("--certfile", help="TLS certificate (PEM): serve HTTPS.")
    ] = None,
    keyfile: Annotated[
        Path | None, typer.Option("--keyfile", help="TLS private key (PEM), if not in certfile.")
    ] = None,
) -> None:
    """Serve certprep in a web browser (textual-serve): one app per browser tab."""
    try:
        import textual_serve.server  # noqa: F401
    except ImportError:
        fail("certprep serve needs the web extra: pip install 'certprep[web]'", EXIT_NOT_AVAILABLE)
    if keyfile is not None and certfile is None:
        fail("certprep serve: --keyfile needs --certfile")
    remote = not is_loopback(host)
    if remote and not allow_remote:
        fail(
            f"certprep serve: {host} can be reached from other machines, and certprep serve has "
            "no login: anyone who reaches it uses this database as this profile. Pass "
            "--allow-remote to do it anyway (with --certfile/--keyfile or behind an HTTPS "
            "reverse proxy), or keep the default 127.0.0.1."
        )
    if public_url is not None and urlsplit(public_url).scheme not in ("http", "https"):
        fail(f"--public-url must start with http:// or https://, not {public_url!r}")
    if public_url is None and is_wildcard(host):
        fail(
            f"certprep serve: with --host {host}, say the address browsers use: "
            "--public-url http://THIS-MACHINE:PORT (or https://…)"
        )
    ssl_context = _ssl_context(certfile, keyfile) if certfile is not None else None
    scheme = "https" if ssl_context is not None else "http"
    shown_host = f"[{host}]" if ":" in host else host
    url = public_url or f"{scheme}://{shown_host}:{port}"
    state.services()  # migrate and load the banks once, before the first browser connects
    # the app processes find the database in their environment, not on their command line
    os.environ.update(child_environment(state.db))
    if remote:
        err(
            f"WARNING: certprep serve listens on {host}: other machines can reach it, and there "
            "is no login (every tab is profile " + repr(state.profile) + ")."
        )
        if ssl_context is None and not url.startswith("https://"):
            err(
                "WARNING: without --certfile/--keyfile or an HTTPS proxy, traffic is not encrypted."
            )
    err(f"certprep in the browser: {url}/  (ctrl+c stops)")
    make_server(
        child_command(state.profile),
        host=host,
        port=port,
        public_url=url,
        ssl_context=ssl_context,
    ).serve()
