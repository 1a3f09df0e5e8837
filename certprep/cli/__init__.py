"""The `certprep` command: parse, call services, print. The TUI is imported only when it runs.

Exit codes: 0 ok, 2 bad input (the message says what and where), 3 not available yet, 1 a bug.
One module per command group; each registers its commands on the apps in `common`.
"""

from __future__ import annotations

import sys

from certprep.cli import banks, classroom, codes, db, report, serve, study  # noqa: F401
from certprep.cli import cards as _cards  # noqa: F401  (the card browser)
from certprep.cli.common import app, err, state

__all__ = ["app", "main", "state"]


def main() -> None:
    """Entry point of the `certprep` script."""
    try:
        app()
    except KeyboardInterrupt:
        err("interrupted")
        sys.exit(130)
