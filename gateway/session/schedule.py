"""A session's time window, as QuickFIX reads StartTime/EndTime, StartDay/EndDay and its time zone.

- Daily (no days): open from StartTime to EndTime every day; a window may cross midnight.
  StartTime equal to EndTime is QuickFIX's 24-hour session: it never closes.
- Weekly (StartDay and EndDay): open from StartDay StartTime to EndDay EndTime; it may wrap
  over the weekend (StartDay Sunday, EndDay Friday, or StartDay Friday, EndDay Monday).
  The same day and time at both ends is a window that never closes.
- A session *period* runs from one start to the next (for a 24-hour session: a day from
  StartTime). QuickFIX starts every period with fresh sequence numbers: a store created
  before the current period began is reset (``period_start``); QuickFIX's NonStopSession,
  which would keep them, is not supported.
- Times are UTC unless a time zone is given: an IANA name (QuickFIX/J's TimeZone, which
  overrides UseLocalTime) or "local" (UseLocalTime=Y: the machine's local time).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_day(text: str) -> int:
    """Monday = 0. QuickFIX reads a day by its first two letters: "Mon", "mo", "Monday"."""
    t = text.strip().lower()
    matches = [i for i, d in enumerate(DAYS) if len(t) >= 2 and d.startswith(t)]
    if len(matches) != 1:
        raise ValueError(f"must be a day of the week (Monday..Sunday, or its first letters), not {text!r}")
    return matches[0]


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


@dataclass(frozen=True)
class Schedule:
    start_time: dt.time | None
    end_time: dt.time | None
    start_day: int | None = None
    end_day: int | None = None
    time_zone: str | None = None     # IANA name, "local", or None (UTC)

    def check(self) -> None:
        """ValueError naming the setting that cannot be used."""
        if (self.start_day is None) != (self.end_day is None):
            raise ValueError("start_day: StartDay and EndDay go together")
        if self.start_day is not None and self.start_time is None:
            raise ValueError("start_time: a weekly session (StartDay/EndDay) needs StartTime and EndTime")
        self.zone()

    def zone(self) -> dt.tzinfo | None:
        if self.time_zone is None:
            return dt.timezone.utc
        if self.time_zone == "local":
            return None   # astimezone(None): the machine's local time
        if not isinstance(self.time_zone, str):
            raise ValueError(f"time_zone: must be an IANA time zone name (such as America/New_York) or "
                             f"'local', not {self.time_zone!r}")
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"time_zone: unknown time zone {self.time_zone!r} (an IANA name such as "
                             "America/New_York)") from None

    def contains(self, now: dt.datetime) -> bool:
        """Whether ``now`` (aware; a naive one is taken as UTC) is inside the window."""
        if self.start_time is None or self.end_time is None:
            return True
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.timezone.utc)
        local = now.astimezone(self.zone())
        if self.start_day is None:
            start, end, t = _seconds(self.start_time), _seconds(self.end_time), _seconds(local.time())
        else:
            start = self.start_day * 86400 + _seconds(self.start_time)
            end = self.end_day * 86400 + _seconds(self.end_time)
            t = local.weekday() * 86400 + _seconds(local.time())
        if start == end:
            return True          # QuickFIX: the same start and end is a session that never closes
        if start < end:
            return start <= t < end
        return t >= start or t < end   # crosses midnight (daily) or the week's end (weekly)

    def period_start(self, now: dt.datetime) -> dt.datetime | None:
        """The start of the latest period begun at or before ``now`` (None without a schedule)."""
        if self.start_time is None or self.end_time is None:
            return None
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.timezone.utc)
        local = now.astimezone(self.zone())
        start = local.replace(hour=self.start_time.hour, minute=self.start_time.minute,
                              second=self.start_time.second, microsecond=0)
        if self.start_day is None:
            return start if start <= local else start - dt.timedelta(days=1)
        start -= dt.timedelta(days=(local.weekday() - self.start_day) % 7)
        return start if start <= local else start - dt.timedelta(days=7)
