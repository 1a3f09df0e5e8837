"""The `certprep` command: parse, call services, print. The TUI is imported only when it runs.

Exit codes: 0 ok, 2 bad input (the message says what and where), 3 not available yet, 1 a bug.
One module per command group; each registers its commands on the apps in `common`.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["app", "main", "state"]


def __getattr__(name: str) -> Any:
    """``app`` and ``state`` (and the command modules) load on first use: a plain ``certprep``
    starts the TUI without them (``certprep.cli.launch``)."""
    if name in ("app", "state"):
        return getattr(_commands(), name)
    raise AttributeError(name)


def _commands() -> Any:
    from certprep.cli import banks, classroom, codes, common, db, report, serve, study  # noqa: F401
    from certprep.cli import cards as _cards  # noqa: F401  (the card browser)

    return common


def main() -> None:
    """Entry point of the `certprep` script."""
    from certprep.cli.launch import home_from_argv

    try:
        code = home_from_argv(sys.argv[1:])
        if code is not None:
            sys.exit(code)
        common = _commands()
        common.app()
    except KeyboardInterrupt:
        from certprep.cli.common import err

        err("interrupted")
        sys.exit(130)
