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
    login: Annotated[
        bool,
        typer.Option("--login", help="Learners sign in (accounts: `certprep accounts add NAME`)."),
    ] = False,
    accounts_file: Annotated[
        Path | None,
        typer.Option("--accounts", help="The accounts file for --login (implies --login)."),
    ] = None,
    session_hours: Annotated[
        float, typer.Option(min=0.01, max=24 * 30, help="Sign-ins last this long.")
    ] = 12.0,
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
            f"certprep serve: {host} can be reached from other machines. Pass --allow-remote to "
            "do it (with --login, and --certfile/--keyfile or behind an HTTPS reverse proxy); "
            "without --login there is no login: anyone who reaches it uses this database as "
            "this profile. Or keep the default 127.0.0.1."
        )
    accounts = None
    if login or accounts_file is not None:
        from certprep.cli.serve_login import Accounts, AccountsError

        accounts = Accounts(accounts_file or default_accounts_file())
        try:
            if not accounts.load():
                fail(
                    f"certprep serve --login: no accounts in {accounts.path}; add one with "
                    "`certprep accounts add NAME`"
                )
        except AccountsError as exc:
            fail(f"certprep: {exc}")
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
            f"WARNING: certprep serve listens on {host}: other machines can reach it"
            + (
                "."
                if accounts
                else ", and there is no login (every tab is profile " + repr(state.profile) + ")."
            )
        )
        if ssl_context is None and not url.startswith("https://"):
            err(
                "WARNING: without --certfile/--keyfile or an HTTPS proxy, traffic is not encrypted."
            )
    err(f"certprep in the browser: {url}/  (ctrl+c stops)")
    from certprep.cli.serve_login import Sessions
    from certprep.cli.serve_web import CertprepServer

    CertprepServer(
        child_command(state.profile),
        host=host,
        port=port,
        public_url=url.rstrip("/"),
        origins=allowed_origins(host, port, url, tls=ssl_context is not None),
        origin_of=_origin,
        ssl_context=ssl_context,
        accounts=accounts,
        sessions=Sessions(session_hours * 3600) if accounts else None,
        command_for=child_command,
    ).serve()


def default_accounts_file() -> Path:
    from certprep.services.settings import data_dir

    return data_dir() / "accounts.json"


accounts_app = typer.Typer(
    help="Sign-in accounts for `certprep serve --login`.", no_args_is_help=True
)
app.add_typer(accounts_app, name="accounts")
AccountsOption = Annotated[
    Path | None, typer.Option("--accounts", help="The accounts file (default: in the data dir).")
]


def _accounts(path: Path | None) -> Any:
    from certprep.cli.serve_login import Accounts

    return Accounts(path or default_accounts_file())


@accounts_app.command("add")
def accounts_add(
    name: Annotated[str, typer.Argument(help="The learner's name (their profile).")],
    accounts_file: AccountsOption = None,
    own_db: Annotated[
        bool,
        typer.Option(
            "--own-db",
            help="Also ask for this learner's own database URL (their PostgreSQL role); "
            "their browser sessions connect with it.",
        ),
    ] = False,
) -> None:
    """Add a learner (or set a new password); the password is asked for, never an argument."""
    from certprep.cli.serve_login import AccountsError
    from certprep.core.text import visible

    name = name.strip()
    if not name or len(name) > 64 or visible(name) != name:
        fail("a name is 1 to 64 characters, without control characters")
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        fail("a password has at least 8 characters")
    db = None
    if own_db:  # a URL with a password: typed at a hidden prompt, kept in the 0600 file only
        db = typer.prompt("Database URL", hide_input=True).strip()
        if "://" not in db:
            fail("the database URL looks like postgresql://NAME:PASSWORD@HOST/DATABASE")
    accounts = _accounts(accounts_file)
    try:
        accounts.set_password(name, password, db=db)
    except AccountsError as exc:
        fail(f"certprep: {exc}")
    typer.echo(f"{name} can sign in (accounts in {accounts.path})")


@accounts_app.command("remove")
def accounts_remove(name: str, accounts_file: AccountsOption = None) -> None:
    """Remove a learner's account (their progress stays in the database)."""
    from certprep.cli.serve_login import AccountsError

    try:
        removed = _accounts(accounts_file).remove(name)
    except AccountsError as exc:
        fail(f"certprep: {exc}")
    if not removed:
        fail(f"no account {name!r}")
    typer.echo(f"removed the account {name}")


@accounts_app.command("list")
def accounts_list(accounts_file: AccountsOption = None) -> None:
    """The names that can sign in."""
    from certprep.cli.serve_login import AccountsError

    try:
        names = sorted(_accounts(accounts_file).load())
    except AccountsError as exc:
        fail(f"certprep: {exc}")
    for n in names:
        typer.echo(n)
