"""The documents a newcomer reads carry no merge leftovers."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent


@pytest.mark.parametrize("doc", ["README.md", "docs/architecture.md"])
def test_no_merge_conflict_markers(doc: str) -> None:
    lines = (REPO / doc).read_text(encoding="utf-8").splitlines()
    markers = [i + 1 for i, line in enumerate(lines) if line.startswith(("<<<<<<< ", ">>>>>>> "))]
    assert markers == []
