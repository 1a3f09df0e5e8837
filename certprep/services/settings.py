"""Where certprep keeps its database, how a --db value becomes a URL; the learner's time zone,
the exam-day start, and saving settings without losing what another process saved."""

from __future__ import annotations

import os
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from certprep.services.services import Services

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


# -- the learner's time zone -------------------------------------------------------------------
# Setting ``time_zone``: an IANA name ("Australia/Sydney"), or absent for the system's zone. It
# places the study-day rollover, buried-until, the exam-day start and the optimizer's days.


def learner_zone(services: Services) -> tzinfo:
    """The learner's zone: their ``time_zone`` setting, else the system's (with its DST rules)."""
    from certprep.core.studyday import UnknownZone, system_zone, zone_for

    try:
        return zone_for(services.settings.get("time_zone"))
    except UnknownZone:  # a hand-edited setting: the system zone rather than a crash
        return system_zone()


def set_time_zone(services: Services, name: str | None) -> str:
    """Save the learner's IANA zone (None or "" for the system's); returns the zone in use.

    An unknown name is an InputError naming the expected form, and nothing is saved."""
    from certprep.core.problems import InputError
    from certprep.core.studyday import UnknownZone, zone_named

    if name:
        try:
            key = zone_named(name).key
        except UnknownZone as exc:
            raise InputError(str(exc)) from None
        services.update_settings(time_zone=key)
        return key
    services.update_settings(time_zone=None)
    return str(learner_zone(services))


def exam_day_start(services: Services, exam: str | None) -> datetime | None:
    """The UTC instant the exam's day starts (its study-day rollover, local), if a date is set."""
    from certprep.core.studyday import local_instant

    raw = services.settings.get("exam_dates", {}).get(exam or "")
    if not raw:
        return None
    hour = int(services.settings["rollover_hour"])
    return local_instant(date.fromisoformat(raw), hour, learner_zone(services))


def save_settings(services: Services, **changes: Any) -> dict[str, Any]:
    """Save settings a screen edited (only these keys), then keep the schedule in step: a new
    exam date, zone or rollover re-pulls the cards of exams in exam-date mode."""
    zone_changed = "time_zone" in changes
    if zone_changed:
        set_time_zone(services, changes.pop("time_zone"))
    out = services.update_settings(**changes)
    if {"exam_dates", "rollover_hour", "exam_mode"} & set(changes) or zone_changed:
        from certprep.services.review.exam_mode import reschedule_all

        reschedule_all(services)
    return out
