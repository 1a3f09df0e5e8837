"""One code-book index per test session (building it takes a few seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from certprep.services.codebook import CodeBook


def session_index(factory: pytest.TempPathFactory) -> Path:
    path = factory.getbasetemp() / "codebook-index" / "codebook.sqlite"
    if not path.exists():
        CodeBook(path).build()
    return path
