"""Clocks. Hops are stamped with ``perf_counter_ns`` (monotonic, ns); FIX wants UTC strings."""
from __future__ import annotations

import asyncio
import calendar
import datetime as _dt
import heapq as _heapq
import itertools as _itertools
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


# -- simulated time ----------------------------------------------------------------------

DAY_NS = 86_400_000_000_000


class TimerHandle:
    """A scheduled callback of a ``SimClock``; ``cancel()`` before it runs drops it."""
    __slots__ = ("when", "fn", "args", "cancelled")

    def __init__(self, when: int, fn, args: tuple):
        self.when, self.fn, self.args, self.cancelled = when, fn, args, False

    def cancel(self) -> None:
        self.cancelled = True


class SimClock:
    """Discrete-event simulated time: nothing waits for real.

    Time stands still until the clock runs its next scheduled callback (``call_at`` /
    ``call_later``, in time order, ties in scheduling order), then jumps to it. In-process
    backtests and the synthetic market drive it with ``run_until(t)`` / ``run()``;
    coroutines that ``await clock.sleep(s)`` run under ``clock.run_async(coro)``, whose
    event loop takes its time from this clock and, when nothing is ready, jumps to the
    next timer instead of blocking (loopback I/O still works, it is polled).

    ``start_ns`` is epoch nanoseconds (UTC); ``SimClock.at_day(date_ns, "09:30")`` builds
    one at a time of day.
    """

    def __init__(self, start_ns: int = 0):
        if not isinstance(start_ns, int) or isinstance(start_ns, bool) or start_ns < 0:
            raise ValueError(f"SimClock start_ns must be a non-negative integer (epoch ns), not {start_ns!r}")
        self._now = start_ns
        self._heap: list = []
        self._seq = _itertools.count()

    @classmethod
    def at_day(cls, day_ns: int, hhmm: str = "09:30") -> "SimClock":
        """A clock at ``hhmm`` (UTC) of the day that contains epoch ns ``day_ns``."""
        try:
            h, m = (int(x) for x in hhmm.split(":"))
            if not (0 <= h < 24 and 0 <= m < 60):
                raise ValueError
        except ValueError:
            raise ValueError(f"time of day must be HH:MM, not {hhmm!r}") from None
        return cls(day_ns - day_ns % DAY_NS + (h * 60 + m) * 60_000_000_000)

    # Clock protocol
    def time_ns(self) -> int:
        return self._now

    def monotonic_ns(self) -> int:
        return self._now

    async def sleep(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self.call_later(seconds, _wake, fut)
        await fut

    # scheduler
    def call_at(self, when_ns: int, fn, *args) -> TimerHandle:
        """Run ``fn(*args)`` at epoch ns ``when_ns`` (now, if that has passed)."""
        if when_ns < self._now:
            when_ns = self._now
        h = TimerHandle(when_ns, fn, args)
        _heapq.heappush(self._heap, (when_ns, next(self._seq), h))
        return h

    def call_later(self, delay_s: float, fn, *args) -> TimerHandle:
        if delay_s < 0:
            delay_s = 0
        return self.call_at(self._now + int(delay_s * 1e9), fn, *args)

    def next_time(self) -> int | None:
        """When the next live callback is due, or None."""
        heap = self._heap
        while heap and heap[0][2].cancelled:
            _heapq.heappop(heap)
        return heap[0][0] if heap else None

    def run_until(self, end_ns: int) -> int:
        """Run every callback due up to ``end_ns`` (those they schedule too); the clock ends at
        ``end_ns``. Returns how many ran."""
        heap, pop = self._heap, _heapq.heappop
        n = 0
        while heap and heap[0][0] <= end_ns:
            when, _, h = pop(heap)
            if h.cancelled:
                continue
            self._now = when
            h.fn(*h.args)
            n += 1
        if end_ns > self._now:
            self._now = end_ns
        return n

    def run(self, max_callbacks: int | None = None) -> int:
        """Run callbacks until none is left (or ``max_callbacks`` ran)."""
        heap, pop = self._heap, _heapq.heappop
        n = 0
        while heap and (max_callbacks is None or n < max_callbacks):
            when, _, h = pop(heap)
            if h.cancelled:
                continue
            self._now = when
            h.fn(*h.args)
            n += 1
        return n

    def advance(self, seconds: float) -> int:
        """Move time forward ``seconds``, running what falls due."""
        return self.run_until(self._now + int(seconds * 1e9))

    def run_async(self, coro):
        """Run ``coro`` to completion on an event loop that lives in this clock's time."""
        loop = _SimEventLoop(self)
        try:
            return loop.run_until_complete(coro)
        finally:
            loop.close()


def _wake(fut) -> None:
    if not fut.done():
        fut.set_result(None)


class _SimSelector:
    """Wraps the loop's selector: polls real I/O without blocking; when the loop has nothing
    ready, the simulated clock jumps to the next of its own callbacks or the loop's timers."""

    def __init__(self, inner, clock: SimClock, loop):
        self._inner, self._clock, self._loop = inner, clock, loop

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def select(self, timeout=None):
        events = self._inner.select(0)
        if events or timeout == 0:
            return events
        clock = self._clock
        nxt = clock.next_time()
        # ceil, at least 1 ns: float seconds near 1.7e9 are coarser than a ns, and a jump of 0
        # would spin forever short of the loop's timer.
        loop_deadline = None if timeout is None else clock._now + max(1, -int(-timeout * 1e9 // 1))
        if nxt is None and loop_deadline is None:
            # Nothing scheduled anywhere: only real I/O can wake us; wait a little for it.
            return self._inner.select(0.001)
        target = min(t for t in (nxt, loop_deadline) if t is not None)
        clock.run_until(target)
        return []


class _SimEventLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: SimClock):
        super().__init__()
        self._sim_clock = clock
        # A timer is due when ``when < time() + resolution``; at epoch seconds a float step is
        # ~2e-7 s, so the default 1 ns resolution would leave a timer due "now" forever.
        self._clock_resolution = 1e-6
        self._selector = _SimSelector(self._selector, clock, self)

    def time(self) -> float:
        return self._sim_clock._now / 1e9


class ScaledClock:
    """Real time sped up ``speed`` times, for runs over real sockets (venues, feeds and
    clients in separate tasks or processes): ``time_ns`` starts at ``start_ns`` and advances
    ``speed`` simulated ns per real ns; ``sleep(s)`` waits ``s / speed`` real seconds."""
    __slots__ = ("speed", "_start", "_real0")

    def __init__(self, speed: float, start_ns: int | None = None):
        if not isinstance(speed, (int, float)) or isinstance(speed, bool) or not speed > 0:
            raise ValueError(f"ScaledClock speed must be a positive number, not {speed!r}")
        self.speed = float(speed)
        self._real0 = time.monotonic_ns()
        self._start = _time_ns() if start_ns is None else start_ns

    def time_ns(self) -> int:
        return self._start + int((time.monotonic_ns() - self._real0) * self.speed)

    def monotonic_ns(self) -> int:
        return self.time_ns()

    async def sleep(self, seconds: float) -> None:
        # (uvloop's timers count whole milliseconds of a cached loop time: one may fire up to 1 ms
        # of real time early, a simulated second at 1000x; what is left is slept again)
        end = time.monotonic_ns() + int(seconds / self.speed * 1e9)
        await asyncio.sleep(seconds / self.speed)
        while (left := end - time.monotonic_ns()) > 0:
            await asyncio.sleep(left / 1e9)
