"""`certprep serve`: certprep in a web browser."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from certprep.cli.common import (
    EXIT_NOT_AVAILABLE,
    app,
    fail,
    state,
)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (keep 127.0.0.1 unless behind a proxy).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Serve certprep in a web browser (textual-serve): one app per browser tab."""
    import shlex

    try:
        from textual_serve.server import Server
    except ImportError:
        fail("certprep serve needs the web extra: pip install 'certprep[web]'", EXIT_NOT_AVAILABLE)
    state.services()  # migrate and load the banks once, before the first browser connects
    parts = [sys.executable, "-m", "certprep", "--profile", state.profile]
    if state.db:
        parts += ["--db", state.db]
    typer.echo(f"certprep in the browser: http://{host}:{port}/  (ctrl+c stops)", err=True)
    Server(shlex.join(parts), host=host, port=port, title="certprep").serve()
