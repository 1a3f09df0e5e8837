"""Two processes reviewing and one importing on the same SQLite file: no lost writes, no lock errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa

from certprep.banks.importer import import_bank
from certprep.banks.native import dump_bank
from certprep.services import Services
from certprep.store.tables import ITEM, REVIEW_LOG

from .conftest import make_bank

REVIEWER = """
import sys
from certprep.services import open_services
from certprep.services.review import ReviewSession
from certprep.core.scheduling import Rating
db, profile, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
services = open_services(db, profile)
services.update_settings(new_per_day=n)
session = ReviewSession(services)
done = 0
while done < n and (card := session.next_card()) is not None:
    session.rate(card, Rating.EASY)
    done += 1
print(done)
"""

IMPORTER = """
import sys
from pathlib import Path
from certprep.services import open_services
from certprep.services.imports import import_files
services = open_services(sys.argv[1], "importer")
for _ in range(3):
    [s] = import_files(services, [Path(sys.argv[2])], on_duplicate="update")
print(s.total)
"""


@pytest.mark.both_backends  # on PostgreSQL too: the writer lock
def test_two_reviewers_and_an_importer_at_once(services: Services, db_path, tmp_path) -> None:
    import_bank(services.engine, make_bank(300), checksum="g")
    big = tmp_path / "big.yaml"
    big.write_text(dump_bank(make_bank(3000, name="big")))
    env_py = [sys.executable, "-c"]
    procs = [
        subprocess.Popen(
            [*env_py, REVIEWER, str(db_path), "alice", "150"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ),
        subprocess.Popen(
            [*env_py, REVIEWER, str(db_path), "bob", "150"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ),
        subprocess.Popen(
            [*env_py, IMPORTER, str(db_path), str(big)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ),
    ]
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert "locked" not in err
    assert [o.strip() for o, _ in outs] == ["150", "150", "3000"]
    with services.engine.connect() as conn:
        logs = conn.execute(sa.select(sa.func.count()).select_from(REVIEW_LOG)).scalar_one()
        items = conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar_one()
    assert logs == 300 and items == 3300
