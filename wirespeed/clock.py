"""Clocks. Hops are stamped with ``perf_counter_ns`` (monotonic, ns); FIX wants UTC strings."""
from __future__ import annotations

import asyncio
import calendar
import datetime as _dt
import time
from typing import Protocol

from .ascii import digits

#: Monotonic nanoseconds: use for every latency stamp.
now_ns = time.perf_counter_ns
#: Wall-clock nanoseconds since the epoch (UTC): use for SendingTime/TransactTime.
wall_ns = time.time_ns

_cache_sec = -1
_cache_prefix = ""
_MILLIS = [".%03d" % i for i in range(1000)]
_time_ns = time.time_ns


def fix_timestamp(epoch_ns: int | None = None) -> str:
    """UTCTimestamp with milliseconds, ``YYYYMMDD-HH:MM:SS.sss``.

    The date/second prefix is cached and the milliseconds come from a table: on the hot
    path this is one clock read, two divisions and one concatenation.
    """
    global _cache_sec, _cache_prefix
    if epoch_ns is None:
        epoch_ns = _time_ns()
    sec = epoch_ns // 1_000_000_000
    if sec != _cache_sec:
        _cache_prefix = time.strftime("%Y%m%d-%H:%M:%S", time.gmtime(sec))
        _cache_sec = sec
    return _cache_prefix + _MILLIS[epoch_ns // 1_000_000 % 1000]


_parse_cache: dict[str, int] = {}


def parse_fix_timestamp(text: str) -> int:
    """UTCTimestamp (with or without fractional seconds) -> epoch ns. Raises ValueError.

    The date-and-second part is cached: a stream of messages shares a handful of
    seconds, so the calendar arithmetic runs once per second, not per message.
    """
    main, frac = text[:17], text[18:]
    if len(text) > 17 and (text[17] != "." or not frac or not digits(frac) or len(frac) > 9):
        raise ValueError(f"malformed UTCTimestamp {text!r}")
    secs = _parse_cache.get(main)
    if secs is None:
        if len(main) != 17 or main[8] != "-" or main[11] != ":" or main[14] != ":" or \
                not digits(main[:8] + main[9:11] + main[12:14] + main[15:17]):
            raise ValueError(f"malformed UTCTimestamp {text!r}")
        try:
            d = _dt.datetime(int(main[:4]), int(main[4:6]), int(main[6:8]), int(main[9:11]), int(main[12:14]),
                             int(main[15:17]) if main[15:17] != "60" else 59)
        except ValueError:
            raise ValueError(f"malformed UTCTimestamp {text!r}") from None
        secs = calendar.timegm(d.timetuple())
        if len(_parse_cache) > 64:
            _parse_cache.clear()
        _parse_cache[main] = secs
    return secs * 1_000_000_000 + (int(frac.ljust(9, "0")) if frac else 0)


class Clock(Protocol):
    """Where everything that decides by time reads it: venues, market participants, feeds,
    algorithms. ``WallClock`` is real time; an accelerated simulated clock (sim) runs a trading
    day in seconds behind the same three calls. Latency stamps stay on ``now_ns`` (real time,
    always): a simulated clock must never be used to measure code."""

    def time_ns(self) -> int:
        """Epoch nanoseconds (UTC) on this clock: timestamps, schedules, decisions."""
        ...

    def monotonic_ns(self) -> int:
        """Nanoseconds that never go back on this clock: durations and timers."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class WallClock:
    """Real time: the clock of a live gateway and control plane."""
    __slots__ = ()

    def time_ns(self) -> int:
        return _time_ns()

    def monotonic_ns(self) -> int:
        return time.monotonic_ns()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


WALL = WallClock()
