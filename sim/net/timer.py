"""A timer for microsecond deadlines on an event loop whose own timers are millisecond-coarse.

asyncio and uvloop wake timers through epoll/libuv with millisecond timeouts, so a
``call_at`` lands anywhere up to ~1 ms late. ``PreciseTimer`` keeps its deadlines in a
heap and lets the loop sleep only until ``coarse_ns`` before the earliest one; from
there it re-polls the loop every iteration (``call_soon``, so sockets keep being
served) and, within ``spin_ns`` of the deadline, spins on ``perf_counter_ns``. The cost
is CPU near deadlines; the gain is writes within a few microseconds of their deadline.
Deadlines are real time (``perf_counter_ns``): the relay delays real bytes on real
sockets, which no simulated clock can speed up.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Callable

_now = time.perf_counter_ns


class PreciseTimer:
    __slots__ = ("_loop", "_heap", "_seq", "_handle", "_polling", "coarse_ns", "spin_ns")

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None, *, coarse_us: int = 1500, spin_us: int = 150):
        if coarse_us < 0 or spin_us < 0:
            raise ValueError(f"coarse_us and spin_us must be >= 0, not {coarse_us!r}, {spin_us!r}")
        self._loop = loop or asyncio.get_running_loop()
        self._heap: list = []
        self._seq = itertools.count()
        self._handle: asyncio.TimerHandle | None = None
        self._polling = False
        self.coarse_ns, self.spin_ns = coarse_us * 1000, spin_us * 1000

    def __len__(self) -> int:
        return len(self._heap)

    def at(self, deadline_ns: int, callback: Callable[[], None]) -> None:
        """Run ``callback()`` at ``deadline_ns`` (perf_counter_ns), never before; FIFO among equals."""
        heapq.heappush(self._heap, (deadline_ns, next(self._seq), callback))
        if self._heap[0][2] is callback:
            self._arm()

    def cancel_all(self) -> None:
        self._heap.clear()
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _arm(self) -> None:
        if self._polling or not self._heap:
            return
        wait = self._heap[0][0] - _now() - self.coarse_ns
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if wait > 0:
            self._handle = self._loop.call_later(wait / 1e9, self._wake)
        else:
            self._polling = True
            self._loop.call_soon(self._tick)

    def _wake(self) -> None:
        self._handle = None
        self._polling = True
        self._tick()

    def _tick(self) -> None:
        heap = self._heap
        now = _now()
        while heap:
            deadline = heap[0][0]
            if deadline > now:
                if deadline - now > self.spin_ns:
                    break
                while _now() < deadline:   # the last stretch: spin, the loop's timers cannot hit it
                    pass
            heapq.heappop(heap)[2]()
            now = _now()
        self._polling = False
        if heap:
            if heap[0][0] - now <= self.coarse_ns:
                self._polling = True
                self._loop.call_soon(self._tick)
            else:
                self._arm()
