"""The study day, in the learner's IANA time zone: it rolls over at a local hour (4:00 by default,
like Anki), not at midnight, and not at a fixed UTC offset.

Every function takes the zone explicitly (a ``zoneinfo.ZoneInfo``), so daylight-saving changes
move the UTC instant of the rollover with the wall clock: a card buried on the eve of a DST
change comes back at 04:00 local time, not 03:00 or 05:00.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class UnknownZone(ValueError):
    """A time-zone name that is not in the IANA database."""


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone called ``name`` ("Australia/Sydney"); UnknownZone with a clear message."""
    text = name.strip()
    if not text or text.startswith(("/", ".")) or ".." in text:
        raise UnknownZone(f"{name!r} is not an IANA time zone (e.g. America/New_York)")
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownZone(
            f"{name!r} is not an IANA time zone (e.g. America/New_York, Europe/London, UTC)"
        ) from None


def system_zone() -> tzinfo:
    """The machine's zone with its DST rules: $TZ, else /etc/localtime, else UTC."""
    env = os.environ.get("TZ", "").lstrip(":")
    if env:
        try:
            return zone_named(env)
        except UnknownZone:
            pass
    link = Path("/etc/localtime")
    try:
        target = str(link.resolve())
        if "zoneinfo/" in target:
            return zone_named(target.split("zoneinfo/", 1)[1])
        with link.open("rb") as fh:
            return ZoneInfo.from_file(fh, key="localtime")
    except (OSError, UnknownZone, ValueError):
        pass
    return UTC


def local_zone() -> tzinfo:
    """Kept for callers that have no learner: the system's zone (see ``system_zone``)."""
    return system_zone()


def zone_for(name: str | None) -> tzinfo:
    """The learner's zone from the setting's value: a name, or None/"" for the system's."""
    return zone_named(name) if name else system_zone()


def study_day_start(now: datetime, rollover_hour: int = 4, zone: tzinfo | None = None) -> datetime:
    """The UTC instant today's study day began: the last local ``rollover_hour`` at or before now."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = zone or system_zone()
    local = now.astimezone(zone)
    day = local.date()
    start = local_instant(day, rollover_hour, zone)
    if now < start:
        start = local_instant(day - timedelta(days=1), rollover_hour, zone)
    return start


def local_instant(day: date, hour: int, zone: tzinfo) -> datetime:
    """The UTC instant of ``hour``:00 local time on ``day`` (wall clock, DST-aware)."""
    return datetime.combine(day, time(hour), zone).astimezone(UTC)


def next_study_day(now: datetime, rollover_hour: int = 4, zone: tzinfo | None = None) -> datetime:
    """The UTC instant the next study day begins (when buried cards come back)."""
    zone = zone or system_zone()
    start = study_day_start(now, rollover_hour, zone).astimezone(zone)
    return local_instant(start.date() + timedelta(days=1), rollover_hour, zone)


def study_date(now: datetime, rollover_hour: int = 4, zone: tzinfo | None = None) -> str:
    """The calendar date (ISO) the study day is named by."""
    zone = zone or system_zone()
    return study_day_start(now, rollover_hour, zone).astimezone(zone).date().isoformat()


def study_day_number(ts: datetime, rollover_hour: int = 4, zone: tzinfo | None = None) -> int:
    """An ordinal for the study day ``ts`` falls in (consecutive days differ by 1)."""
    zone = zone or system_zone()
    return (ts.astimezone(zone) - timedelta(hours=rollover_hour)).date().toordinal()


EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_UNSEEN = object()


class EpochDays:
    """``study_day_number`` for UTC epoch seconds, without a datetime per call: the zone's UTC
    offset is looked up once per hour of the epoch (per second within an hour that holds an
    offset change, as at a DST switch), so a million reviews cost a million integer steps."""

    def __init__(self, rollover_hour: int = 4, zone: tzinfo | None = None) -> None:
        self.zone = zone or system_zone()
        self.shift = rollover_hour * 3600
        self.hours: dict[int, object] = {}

    def offset(self, epoch: int) -> int:
        """The zone's UTC offset in seconds at ``epoch``."""
        off = datetime.fromtimestamp(epoch, self.zone).utcoffset()
        return int(off.total_seconds()) if off is not None else 0

    def hour_offset(self, hour: int) -> int | None:
        """The zone's UTC offset all through ``hour`` (epoch // 3600), None if it changes in it."""
        off = self.hours.get(hour, _UNSEEN)
        if off is _UNSEEN:
            first, last = self.offset(hour * 3600), self.offset(hour * 3600 + 3599)
            off = first if first == last else None
            self.hours[hour] = off
        return off  # type: ignore[return-value]

    def __call__(self, epoch: int) -> int:
        off = self.hour_offset(epoch // 3600)
        if off is None:
            off = self.offset(epoch)
        return (epoch + off - self.shift) // 86400 + EPOCH_ORDINAL

    def span(self, epoch: int) -> tuple[int, int, int]:
        """``(day, lo, hi)``: the study day of ``epoch`` and seconds ``lo <= epoch < hi`` that all
        fall on it (within ``epoch``'s hour), so a caller streaming times in order computes a day
        once per hour rather than once per row."""
        hour = epoch // 3600
        off = self.hour_offset(hour)
        if off is None:  # an offset change within the hour: this second alone
            return self(epoch), epoch, epoch + 1
        day = (epoch + off - self.shift) // 86400
        lo = max(hour * 3600, day * 86400 - off + self.shift)
        hi = min(hour * 3600 + 3600, (day + 1) * 86400 - off + self.shift)
        return day + EPOCH_ORDINAL, lo, hi
