"""What `pip install .` ships: every package of the source tree (a subpackage left out of
pyproject's list passes every test from a checkout and breaks the installed command)."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).parent.parent


def test_every_package_in_the_tree_is_installed() -> None:
    listed = set(
        tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    in_tree = {
        ".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "certprep").rglob("__init__.py")
    }
    assert in_tree - listed == set()
