"""The study day: it rolls over at a local hour (4:00 by default, like Anki), not at midnight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo


def local_zone() -> tzinfo:
    """The machine's local time zone."""
    zone = datetime.now().astimezone().tzinfo
    return zone if zone is not None else UTC


def study_day_start(now: datetime, rollover_hour: int = 4, zone: tzinfo | None = None) -> datetime:
    """The UTC instant today's study day began: the last local ``rollover_hour`` at or before now."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = zone or local_zone()
    local = now.astimezone(zone)
    start = local.replace(hour=rollover_hour, minute=0, second=0, microsecond=0)
    if local < start:
        start -= timedelta(days=1)
    return start.astimezone(UTC)


def next_study_day(now: datetime, rollover_hour: int = 4, zone: tzinfo | None = None) -> datetime:
    """The UTC instant the next study day begins (when buried cards come back)."""
    zone = zone or local_zone()
    start = study_day_start(now, rollover_hour, zone).astimezone(zone)
    return (start + timedelta(days=1)).replace(hour=rollover_hour).astimezone(UTC)


def study_date(now: datetime, rollover_hour: int = 4, zone: tzinfo | None = None) -> str:
    """The calendar date (ISO) the study day is named by."""
    zone = zone or local_zone()
    return study_day_start(now, rollover_hour, zone).astimezone(zone).date().isoformat()
