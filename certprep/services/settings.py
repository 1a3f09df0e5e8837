"""Where certprep keeps its database by default, and how a --db value becomes a URL."""

from __future__ import annotations

import os
from pathlib import Path

DB_ENV = "CERTPREP_DB"
DEFAULT_PROFILE = "default"


def data_dir() -> Path:
    """The per-user data directory (platformdirs), e.g. ~/.local/share/certprep on Linux."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("certprep", appauthor=False))


def default_db_path() -> Path:
    return data_dir() / "certprep.db"


def resolve_db(db: str | None) -> str:
    """--db, else $CERTPREP_DB, else the file under the user data directory; as an SQLAlchemy URL."""
    from certprep.store.engine import database_url

    value = db or os.environ.get(DB_ENV) or str(default_db_path())
    return database_url(value)
