"""A timer for microsecond deadlines on an event loop whose own timers are millisecond-coarse.

asyncio and uvloop wake timers through epoll/libuv with millisecond timeouts, so a
``call_at`` lands anywhere up to ~1 ms late. ``PreciseTimer`` keeps its deadlines in a
heap and has the kernel wake the loop ``margin`` before the earliest one, through a
timerfd the loop reads (``wake="kernel"``, Linux; elsewhere the loop's own timer,
``wake="loop"``). From the wake-up it re-polls the loop every iteration (``call_soon``,
so sockets keep being served) and, within ``spin`` of the deadline, spins on
``perf_counter_ns``.

Why sleep in the kernel rather than poll: a process that polls for a millisecond is
CPU-bound in the scheduler's eyes, and on a loaded machine it is preempted for a whole
time slice (3-4 ms) more often than 1 in 100 waits; a process that sleeps until shortly
before its deadline is woken with priority. The wake-up itself is late by tens of
microseconds typically and hundreds now and then (timer interrupt, wake-up, the loop
reaching the reader): with ``adaptive`` the margin follows the 99th percentile of the
lateness observed over the last wake-ups (within ``spin`` .. ``max_margin``), so CPU is
spent near deadlines only, and none while no deadline is pending.

Deadlines are real time (``perf_counter_ns``): the relay delays real bytes on real
sockets, which no simulated clock can speed up.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from dataclasses import dataclass
from typing import Callable

from . import sched as _sched
from .timerfd import KernelTimer

_now = time.perf_counter_ns
_WINDOW = 128          # wake-ups the adaptive margin looks back on
_EVERY = 32            # it is recomputed after this many new ones
_PAD_NS = 20_000       # margin over the latest wake-ups observed (the worst of the window)


@dataclass(frozen=True, slots=True)
class TimerConfig:
    """How a ``PreciseTimer`` waits for its deadlines.

    ``wake``: ``"kernel"`` (a timerfd; falls back to the loop's timers where there is none)
    or ``"loop"`` (``call_later``). ``margin_us``: wake this long before a deadline (the
    starting value when ``adaptive``). ``spin_us``: spin within this of the deadline.
    ``max_margin_us``: the adaptive margin's ceiling (polling longer costs CPU, and a
    CPU-bound process loses its core). ``sched``: how the loop's thread asks the scheduler
    to wake it promptly (``sim/net/sched.py``: ``"normal"``, ``"slice"``, ``"realtime"``),
    applied to the thread that creates the timer. ``TimerConfig.loop_timers()`` is the
    event loop's own timers alone (the baseline the bench measures against).
    """
    wake: str = "kernel"
    margin_us: int = 300
    spin_us: int = 60
    adaptive: bool = True
    max_margin_us: int = 800
    sched: str = "slice"

    def __post_init__(self):
        if self.wake not in ("kernel", "loop"):
            raise ValueError(f"wake: must be 'kernel' or 'loop', not {self.wake!r}")
        for name in ("margin_us", "spin_us", "max_margin_us"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ValueError(f"{name}: must be an integer >= 0 (microseconds), not {v!r}")
        if self.max_margin_us < self.margin_us:
            raise ValueError(f"max_margin_us: must be >= margin_us ({self.margin_us}), not {self.max_margin_us}")
        if self.sched not in _sched.MODES:
            raise ValueError(f"sched: must be one of {', '.join(_sched.MODES)}, not {self.sched!r}")

    @classmethod
    def loop_timers(cls) -> "TimerConfig":
        return cls("loop", 0, 0, False, 0, "normal")


class PreciseTimer:
    __slots__ = ("_loop", "_heap", "_seq", "_handle", "_polling", "_kernel", "_armed_at", "config",
                 "margin_ns", "spin_ns", "_late", "_late_i", "_new", "wakes", "late_wakes", "sched")

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None, config: TimerConfig = TimerConfig()):
        if not isinstance(config, TimerConfig):
            raise TypeError(f"config must be a TimerConfig, not {config!r}")
        self._loop = loop or asyncio.get_running_loop()
        self.config = config
        self._heap: list = []
        self._seq = itertools.count()
        self._handle: asyncio.TimerHandle | None = None
        self._polling = False
        self._kernel: KernelTimer | None = None
        self._armed_at = 0          # when the pending wake-up is due (0: none pending)
        self.margin_ns, self.spin_ns = config.margin_us * 1000, config.spin_us * 1000
        self._late: list[int] = []  # the last _WINDOW wake-ups' lateness, ns (a ring)
        self._late_i = self._new = 0
        self.wakes = self.late_wakes = 0
        self.sched = _sched.apply(config.sched)     # (the thread that creates the timer runs its loop)

    def __len__(self) -> int:
        return len(self._heap)

    def at(self, deadline_ns: int, callback: Callable[[], None]) -> None:
        """Run ``callback()`` at ``deadline_ns`` (perf_counter_ns), never before; FIFO among equals."""
        heapq.heappush(self._heap, (deadline_ns, next(self._seq), callback))
        if self._heap[0][2] is callback:
            self._arm()

    def cancel_all(self) -> None:
        """Drop every deadline and release the timerfd (a later ``at`` opens another)."""
        self._heap.clear()
        self._disarm()
        if self._kernel is not None:
            self._loop.remove_reader(self._kernel.fd)
            self._kernel.close()
            self._kernel = None

    def stats(self) -> dict:
        """Wake-ups, how many came after the deadline itself, the current margin and the
        lateness of the recent wake-ups (p50/p99, ns): where a late write's error came from."""
        late = sorted(self._late)
        n = len(late)
        return {"wake": "kernel" if self._kernel is not None or self._kernel_wanted() else "loop",
                "sched": self.sched, "wakes": self.wakes, "late_wakes": self.late_wakes, "margin_ns": self.margin_ns,
                "wake_late_p50": late[n // 2] if n else 0, "wake_late_p99": late[int(0.99 * (n - 1))] if n else 0}

    # -- waiting ---------------------------------------------------------------
    def _kernel_wanted(self) -> bool:
        return self.config.wake == "kernel" and KernelTimer.available()

    def _disarm(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._armed_at and self._kernel is not None:
            self._kernel.disarm()
        self._armed_at = 0

    def _arm(self) -> None:
        if self._polling or not self._heap:
            return
        wake_at = self._heap[0][0] - self.margin_ns
        now = _now()
        if wake_at <= now:
            self._disarm()
            self._polling = True
            self._loop.call_soon(self._tick)
            return
        if self._kernel_wanted():
            if self._kernel is None:
                self._kernel = KernelTimer()
                self._loop.add_reader(self._kernel.fd, self._kernel_wake)
            self._kernel.arm(wake_at)
        else:
            if self._handle is not None:
                self._handle.cancel()
            self._handle = self._loop.call_later((wake_at - now) / 1e9, self._wake)
        self._armed_at = wake_at

    def _kernel_wake(self) -> None:
        self._kernel.clear()
        if self._armed_at and not self._polling:
            if _now() >= self._armed_at:
                self._wake()
            else:
                self._arm()        # an expiry of an earlier arming, read late: wait for this one

    def _wake(self) -> None:
        now = _now()
        self._handle = None
        if self._armed_at:
            self._learn(now - self._armed_at)
            self._armed_at = 0
        self._polling = True
        self._tick()

    def _learn(self, late_ns: int) -> None:
        self.wakes += 1
        if self._heap and _now() > self._heap[0][0]:
            self.late_wakes += 1
        if len(self._late) < _WINDOW:
            self._late.append(late_ns)
        else:
            self._late[self._late_i] = late_ns
            self._late_i = (self._late_i + 1) % _WINDOW
        self._new += 1
        cfg = self.config
        if cfg.adaptive and self._new >= _EVERY:
            self._new = 0
            # The worst of the window, not a percentile: one wake-up in a hundred late is already
            # the p99 of the error, and a wider margin costs only polling before the deadline.
            self.margin_ns = min(cfg.max_margin_us * 1000, max(self.spin_ns, max(self._late) + _PAD_NS))

    def _tick(self) -> None:
        heap = self._heap
        now = _now()
        while heap:
            deadline = heap[0][0]
            if deadline > now:
                if deadline - now > self.spin_ns:
                    break
                while _now() < deadline:   # the last stretch: spin, no wake-up is this precise
                    pass
            heapq.heappop(heap)[2]()
            now = _now()
        self._polling = False
        if heap:
            if heap[0][0] - now <= self.margin_ns:
                self._polling = True
                self._loop.call_soon(self._tick)
            else:
                self._arm()
