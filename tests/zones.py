"""Run a test under several system time zones: far east, west with DST, and UTC.

``system_tz`` sets $TZ (what a learner's machine says) for the test, and the learner has no
``time_zone`` setting, so certprep must follow the system's IANA zone with its DST rules.
CI also runs the scheduling tests whole with TZ set (``.ci/run``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

ZONES = ("Australia/Sydney", "America/New_York", "UTC")


def _set_tz(monkeypatch: pytest.MonkeyPatch, name: str | None) -> None:
    if name is None:
        monkeypatch.delenv("TZ", raising=False)
    else:
        monkeypatch.setenv("TZ", name)
    time.tzset()


@pytest.fixture(params=ZONES)
def system_tz(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The system's zone for this test (one of ``ZONES``)."""
    name = str(request.param)
    _set_tz(monkeypatch, name)
    yield name
    monkeypatch.undo()
    time.tzset()
