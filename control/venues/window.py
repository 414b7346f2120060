"""When a session's window opens next: the venue manager connects a path only inside its window
(QuickFIX's StartTime / EndTime, StartDay / EndDay), so it does not knock on a venue that is
closed and be logged out at once. Sans-IO: the ``Schedule`` and ``now`` in, a wait out.
"""
from __future__ import annotations

import datetime as dt

from wirespeed.gateway.session.schedule import Schedule


def next_open(schedule: Schedule, now: dt.datetime) -> dt.datetime | None:
    """The next StartTime (of StartDay for a weekly window) after ``now`` (aware, UTC), as UTC;
    None when ``now`` is inside the window (or there is none). A window crossing midnight or the
    weekend opens at its start as any other: ``period_start`` is the latest start, so the next
    one is a day (a week) after it, on the zone's wall clock (09:00 local across a DST change)."""
    if schedule.contains(now):
        return None
    step = dt.timedelta(days=1 if schedule.start_day is None else 7)
    # (wall-clock arithmetic in the zone, then in UTC)
    start = (schedule.period_start(now) + step).astimezone(dt.timezone.utc)
    while start <= now:       # (a start inside a DST gap can come out before now; one more step)
        start += step
    return start


def opens_in(schedule: Schedule, now: dt.datetime) -> tuple[float, dt.datetime | None]:
    """(seconds until the window is open, when): (0, None) inside it."""
    at = next_open(schedule, now)
    return ((at - now).total_seconds(), at) if at is not None else (0.0, None)
