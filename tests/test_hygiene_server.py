"""A database of another application is refused on a server backend too (no application_id
there): certprep does not add its tables beside someone else's."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest


@pytest.mark.both_backends
def test_a_server_database_of_another_application_is_refused(request, tmp_path: Path) -> None:
    """On PostgreSQL too (no application_id there): tables that are not certprep's, no schema."""
    import sqlalchemy as sa

    from certprep.services import open_services
    from certprep.store.migrate import SchemaError

    server = request.getfixturevalue("_pg_server")
    if server is None:  # the SQLite pass: the same refusal, by the file check
        url = str(tmp_path / "other.db")
        con = sqlite3.connect(url)
        con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
        con.commit()
        con.close()
        cleanup = None
    else:
        admin, _template = server
        name = f"certprep_test_foreign_{os.getpid()}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        other = sa.create_engine(url)
        with other.begin() as conn:
            conn.execute(sa.text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
        other.dispose()
        cleanup = (admin, name)
    try:
        with pytest.raises(SchemaError, match="another application"):
            open_services(url)
        check = sa.create_engine(url if "://" in url else f"sqlite:///{url}")
        with check.connect() as conn:
            assert sa.inspect(conn).get_table_names() == ["invoices"]  # nothing added
        check.dispose()
    finally:
        if cleanup:
            admin, name = cleanup
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
