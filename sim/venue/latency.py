"""The venue-side processing delay: every inbound request waits ``fixed_us`` plus a seeded
sample before the venue acts on it (and so before it answers).

Delays are real time on the relay's ``PreciseTimer`` (sleep, then spin the last stretch),
because they shape answers on real sockets; with no delay configured a request is handled
inline, without a timer.
"""
from __future__ import annotations

import random
import time
from typing import Callable

from ..net.timer import PreciseTimer
from .config import LatencyModel


class VenueLatency:
    def __init__(self, model: LatencyModel):
        self.model = model
        self.rng = random.Random(model.seed)
        self._timer: PreciseTimer | None = None
        self._last = 0

    @property
    def zero(self) -> bool:
        return self.model.fixed_us == 0 and self.model.jitter_us == 0

    def sample_ns(self) -> int:
        m = self.model
        us = m.fixed_us
        if m.jitter_us:
            if m.distribution == "uniform":
                us += self.rng.uniform(-m.jitter_us, m.jitter_us)
            elif m.distribution == "normal":
                us += self.rng.gauss(0.0, m.jitter_us)
            else:
                us += self.rng.expovariate(1.0 / m.jitter_us)
        return max(0, int(us * 1000))

    def run(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` after one sampled delay (FIFO: a later request never overtakes)."""
        if self.zero:
            fn()
            return
        if self._timer is None:
            self._timer = PreciseTimer()   # (sched "keep": the venue's loop thread is not the timer's)
        self._last = max(self._last, time.perf_counter_ns() + self.sample_ns())
        self._timer.at(self._last, fn)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.close()
