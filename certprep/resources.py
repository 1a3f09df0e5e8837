"""Where the shipped data lives: inside the installed package, or at the top of a checkout.

`migrations/` and `question_banks/` sit at the top of the repository and are packaged as
`certprep/migrations` and `certprep/question_banks`; code run from a checkout finds them there.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """The folder of shipped data called ``name`` (migrations or question_banks)."""
    inside = _PACKAGE / name
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / name
