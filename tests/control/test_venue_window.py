"""The venue manager keeps its paths' session windows (QuickFIX StartTime / EndTime, StartDay /
EndDay): out of the window it does not connect, it waits for the next start (``closed until`` in
its events, logged) and then logs on; a session dropped out of its window does not knock again
before the next start. The next start of a daily window, one crossing midnight, a weekly one
wrapping over the weekend and one in a time zone across a DST change; the keys named."""
import asyncio
import datetime as dt

import pytest

from wirespeed.control.venues import PathEndpoint
from wirespeed.control.venues.window import next_open, opens_in

from tests.control.desk_rig import DeskRig, desk_config
from tests.gateway.conftest import run_async, until

UTC = dt.timezone.utc


def at(y, mo, d, h, mi=0):
    return dt.datetime(y, mo, d, h, mi, tzinfo=UTC)


def window(**kw):
    return PathEndpoint("XNAS", 9, **kw).window()


def test_the_next_start_of_daily_overnight_weekly_and_zoned_windows():
    day = window(start_time="09:00:00", end_time="17:00:00")
    assert next_open(day, at(2026, 12, 2, 8)) == at(2026, 12, 2, 9)
    assert next_open(day, at(2026, 12, 2, 12)) is None
    assert next_open(day, at(2026, 12, 2, 17)) == at(2026, 12, 3, 9)        # EndTime itself is out
    night = window(start_time="22:00:00", end_time="06:00:00")            # crosses midnight
    assert next_open(night, at(2026, 12, 2, 23)) is None and next_open(night, at(2026, 12, 3, 5)) is None
    assert next_open(night, at(2026, 12, 3, 6)) == at(2026, 12, 3, 22)
    assert opens_in(night, at(2026, 12, 3, 21, 30)) == (1800.0, at(2026, 12, 3, 22))
    week = window(start_time="18:00:00", end_time="17:00:00", start_day="Sunday", end_day="Fr")
    assert next_open(week, at(2026, 12, 2, 3)) is None                    # a Wednesday night: open
    assert next_open(week, at(2026, 12, 4, 17)) == at(2026, 12, 6, 18)    # Friday's close -> Sunday
    assert next_open(week, at(2026, 12, 6, 17, 59)) == at(2026, 12, 6, 18)
    weekend = window(start_time="08:00:00", end_time="20:00:00", start_day="sa", end_day="su")
    assert next_open(weekend, at(2026, 12, 2, 12)) == at(2026, 12, 5, 8)
    assert next_open(weekend, at(2026, 12, 6, 19)) is None and next_open(weekend, at(2026, 12, 7, 7)) is not None
    ny = window(start_time="09:30:00", end_time="16:00:00", time_zone="America/New_York")
    assert next_open(ny, at(2026, 3, 6, 22)) == at(2026, 3, 7, 14, 30)    # Saturday 09:30 EST
    assert next_open(ny, at(2026, 3, 8, 22)) == at(2026, 3, 9, 13, 30)    # Monday 09:30 EDT (DST began)


def test_a_weekly_window_names_its_keys():
    with pytest.raises(ValueError, match=r"end_day: a weekly window needs start_day and end_day"):
        PathEndpoint("XNAS", 9, start_time="08:00:00", end_time="17:00:00", start_day="Monday")
    with pytest.raises(ValueError, match=r"start_day: a weekly window needs start_day and end_day"):
        PathEndpoint("XNAS", 9, start_time="08:00:00", end_time="17:00:00", end_day="Friday")
    with pytest.raises(ValueError, match=r"end_day: must be a day of the week .*not 'Fx'"):
        PathEndpoint("XNAS", 9, start_time="08:00:00", end_time="17:00:00", start_day="Mo", end_day="Fx")
    with pytest.raises(ValueError, match=r"start_day: a weekly window needs start_time and end_time"):
        PathEndpoint("XNAS", 9, start_day="Mo", end_day="Fr")


def test_a_time_zone_that_is_not_a_name_is_named():
    # (review: an int time_zone raised a TypeError that named no key)
    for bad in (5, None.__class__, b"UTC"):
        with pytest.raises(ValueError, match=r"time_zone: must be an IANA time zone name .*not "):
            PathEndpoint("XNAS", 9, start_time="09:00:00", end_time="16:00:00", time_zone=bad)
    with pytest.raises(ValueError, match=r"time_zone: unknown time zone 'Mars/Base'"):
        PathEndpoint("XNAS", 9, start_time="09:00:00", end_time="16:00:00", time_zone="Mars/Base")


@run_async(timeout=60)
async def test_the_manager_connects_only_inside_the_window_and_waits_for_the_next_start(tmp_path):
    async with DeskRig() as rig:
        now = dt.datetime.now(UTC)
        hms = lambda s: (now + dt.timedelta(seconds=s)).strftime("%H:%M:%S")  # noqa: E731
        # Closed now: the day ended 1-2 s ago and the next one starts 1-2 s from now (whole seconds).
        svc = rig.desk(desk_config(rig.venue.port, start_time=hms(2), end_time=hms(-1)))
        m = svc.managers[0]
        init = m.owned["XNAS"]
        # (the manager's wall reads ``now`` as the service starts: building it on a loaded machine
        # must not eat into the 1-2 s before the window opens, which it must find closed)
        lag = dt.datetime.now(UTC) - now
        m.wall = lambda: dt.datetime.now(UTC) - lag
        await svc.start()
        assert m.state == "down" and init.connects == 0 and not init.session.active
        opens = now.replace(microsecond=0) + dt.timedelta(seconds=2)
        assert [e.what for e in m.events if e.link == "XNAS"] == [f"closed until {opens:%Y-%m-%d %H:%M:%S} UTC"]
        await until(lambda: init.session.active, "logged on at the window's start", 400)
        assert m.wall() >= opens and init.connects == 1 and m.state == "up"
        # Dropped out of the window (the manager's windows read a second before tomorrow's start,
        # after its EndTime): no reconnect on the policy's 50-100 ms, the wait is until that start.
        tomorrow = opens + dt.timedelta(days=1)
        m.wall = lambda: tomorrow - dt.timedelta(seconds=1)
        await rig.venue.stop()
        await until(lambda: not init.session.active, "the session down")
        await asyncio.sleep(0.4)
        assert init.connects == 1
        # (the manager's poll notes the session "down" on its own tick: before or after the retry)
        waits = [e.what for e in m.events if e.what not in ("down", "up", "reconciling")]
        assert waits[-1] == f"closed until {tomorrow:%Y-%m-%d %H:%M:%S} UTC"
        assert sum(e.what.startswith("retry") for e in m.events) == 1
