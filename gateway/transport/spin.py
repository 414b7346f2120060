"""Spin-wait: keep the event loop polling for a while after each read instead of sleeping.

A process that sleeps in ``epoll_wait`` between messages pays twice when the next one
arrives: the wake-up itself, and a path whose caches have gone cold while the core idled
(measured here: the engine's per-message Python takes ~3x as long after a 100 µs sleep as
in a hot loop, and the same after a 100 µs busy wait as hot). Low-latency engines spin
instead; a ``Spinner`` does that for a bounded time after each read: while a callback
is pending, libuv polls with a zero timeout, so the loop keeps checking its sockets and
timers without ever blocking. After ``micros`` without a read it stops, and the loop
sleeps as usual: an idle engine burns no CPU.

A spinning loop keeps one core busy: give the engine its own core (``CPUAffinity``).
"""
from __future__ import annotations

import asyncio
import time


class Spinner:
    """Shared by every connection of one event loop; ``touch()`` after each read."""

    __slots__ = ("window_s", "_until", "_active", "_loop", "spins")

    def __init__(self, micros: float):
        if micros <= 0:
            raise ValueError(f"spin window must be > 0 microseconds, not {micros!r}")
        self.window_s = micros / 1e6
        self._until = 0.0
        self._active = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self.spins = 0   # loop iterations spent polling (for tests and tuning)

    @property
    def active(self) -> bool:
        return self._active

    def touch(self) -> None:
        """A read happened: spin until ``micros`` after now."""
        self._until = time.perf_counter() + self.window_s
        if not self._active:
            self._active = True
            loop = self._loop = asyncio.get_running_loop()
            loop.call_soon(self._spin)

    def _spin(self) -> None:
        if time.perf_counter() < self._until:
            self.spins += 1
            self._loop.call_soon(self._spin)
        else:
            self._active = False
