"""A timer for microsecond deadlines on an event loop whose own timers are millisecond-coarse.

asyncio and uvloop wake timers through epoll/libuv with millisecond timeouts, so a
``call_at`` lands anywhere up to ~1 ms late. ``PreciseTimer`` keeps its deadlines in a
heap and has the kernel wake the loop through a timerfd the loop reads (``wake="kernel"``,
Linux; elsewhere the loop's own timer, ``wake="loop"``, then polling): first ``margin``
before the earliest deadline, then again ``spin`` before it, and spins on
``perf_counter_ns`` for the rest. The loop serves its sockets in between.

Why sleep twice rather than sleep once and poll: a thread that polls for a millisecond is
CPU-bound in the scheduler's eyes, and on a loaded machine it is preempted for a whole
time slice (3-4 ms) more often than 1 in 100 waits; a sleeping thread is woken with
priority. A wake-up after a sleep of milliseconds is late by tens of microseconds
typically and hundreds now and then (the idle vCPU is halted, the timer interrupt, the
loop reaching the reader); after a sleep of a few hundred microseconds it is late by far
less (the idle CPU is still polling). With ``adaptive``, the margin follows the worst
lateness of the recent first wake-ups and the spin that of the second ones, each within
its bounds, so CPU is spent in the last microseconds before a deadline only, and none
while no deadline is pending.

``poll`` (``TimerConfig.spinning()``, opt-in: ``wirespeed relay --spin``) is what network
emulators do when the tail matters: no second sleep. While a deadline is pending within the
margin (the *horizon*), the thread busy-polls: it goes round the loop, whose every turn is an
``epoll_wait`` with a zero timeout (the sockets: traffic arriving meanwhile is read at once,
with no wake-up), until the last ``spin`` before the deadline. A sleeping thread is woken late
by 100-650 us at p99 on a shared VM even at SCHED_FIFO; one that does not sleep is not woken at
all. The price is a CPU: the thread runs flat out whenever a deadline is that close.

Deadlines are real time (``perf_counter_ns``): the relay delays real bytes on real
sockets, which no simulated clock can speed up.
"""
from __future__ import annotations

import asyncio
import gc
import heapq
import itertools
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable

from . import sched as _sched
from .timerfd import KernelTimer

_now = time.perf_counter_ns
_WINDOW = 1024         # wake-ups the adaptive margin looks back on
_EVERY = 32            # it is recomputed after this many new ones
_PAD_NS = 20_000       # margin over the latest wake-ups observed (the worst of the window)
_MIN_SLEEP_NS = 20_000 # a second sleep shorter than this is not worth the wake-up
_BUDGET_NS = 1_000_000_000      # a real-time thread may spin at most max_spin_share of each second
                                # (half by default; the spinning preset: all, the kernel RT throttle
                                # bounding it at 95 %): past it, back to normal scheduling (says so)
log = logging.getLogger("wirespeed.net.timer")


@dataclass(frozen=True, slots=True)
class TimerConfig:
    """How a ``PreciseTimer`` waits for its deadlines.

    ``wake``: ``"kernel"`` (a timerfd; falls back to the loop's timers where there is none)
    or ``"loop"`` (``call_later``). ``margin_us``: wake this long before a deadline (the
    starting value when ``adaptive``). ``spin_us``: spin within this of the deadline.
    ``max_margin_us``: the adaptive margin's ceiling (polling longer costs CPU, and a
    CPU-bound process loses its core). ``sched``: how the loop's thread asks the scheduler
    to wake it promptly (``sim/net/sched.py``: ``"keep"``, ``"normal"``, ``"slice"``,
    ``"realtime"``), applied to the thread that creates the timer and put back as it was by
    ``close()``. The default, ``"keep"``, leaves that thread alone: a timer is built on
    whatever thread runs the loop (a test's, the gateway's), whose scheduling is not the
    timer's to change; the relay CLI and its bench ask for ``"slice"`` on their own thread.
    ``TimerConfig.loop_timers()`` is the event loop's own timers alone (the baseline the
    bench measures against).

    ``poll``: within the margin, busy-poll the loop (its sockets, with zero-timeout epolls)
    instead of sleeping again until ``spin`` before the deadline; the margin is then the
    horizon, adaptive within ``margin_us`` .. ``max_margin_us``. ``cpu``: pin the timer's
    thread to that CPU (``os.sched_setaffinity``; put back by ``close()``). ``max_spin_share``:
    a real-time thread that spun (or polled) more than this share of a second goes back to
    normal scheduling. ``TimerConfig.spinning()`` is the busy-polling preset.
    """
    wake: str = "kernel"
    margin_us: int = 200
    spin_us: int = 60
    adaptive: bool = True
    max_margin_us: int = 400
    sched: str = "keep"
    max_spin_us: int = 150
    poll: bool = False
    cpu: int | None = None
    max_spin_share: float = 0.5

    def __post_init__(self):
        if self.wake not in ("kernel", "loop"):
            raise ValueError(f"wake: must be 'kernel' or 'loop', not {self.wake!r}")
        for name in ("margin_us", "spin_us", "max_margin_us", "max_spin_us"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ValueError(f"{name}: must be an integer >= 0 (microseconds), not {v!r}")
        if self.max_margin_us < self.margin_us:
            raise ValueError(f"max_margin_us: must be >= margin_us ({self.margin_us}), not {self.max_margin_us}")
        if self.max_spin_us < self.spin_us:
            raise ValueError(f"max_spin_us: must be >= spin_us ({self.spin_us}), not {self.max_spin_us}")
        if self.sched not in _sched.MODES:
            raise ValueError(f"sched: must be one of {', '.join(_sched.MODES)}, not {self.sched!r}")
        if not isinstance(self.poll, bool):
            raise ValueError(f"poll: must be true or false, not {self.poll!r}")
        if self.cpu is not None and (not isinstance(self.cpu, int) or isinstance(self.cpu, bool) or self.cpu < 0):
            raise ValueError(f"cpu: must be a CPU number >= 0 or None, not {self.cpu!r}")
        share = self.max_spin_share
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
            raise ValueError(f"max_spin_share: must be a number in (0, 1], not {share!r}")

    @classmethod
    def loop_timers(cls) -> "TimerConfig":
        return cls("loop", 0, 0, False, 0, "keep", 0)

    @classmethod
    def spinning(cls, *, horizon_us: int = 1000, max_horizon_us: int = 3000, spin_us: int = 10,
                 sched: str = "realtime", cpu: int | None = None) -> "TimerConfig":
        """Busy-poll every deadline from ``horizon_us`` before it (adaptive up to
        ``max_horizon_us``: the worst recent wake-up + 20 us), spin its last ``spin_us``; on a
        SCHED_FIFO thread by default, which may use its whole CPU (``max_spin_share`` 1: the
        kernel's real-time throttling, 95 % of a second, is the bound)."""
        return cls("kernel", horizon_us, spin_us, True, max_horizon_us, sched, spin_us, True, cpu, 1.0)


class _Lateness:
    """The last ``_WINDOW`` wake-ups' lateness (ns, a ring) and the bound learned from it."""
    __slots__ = ("ring", "i", "new")

    def __init__(self):
        self.ring: list[int] = []
        self.i = self.new = 0

    def add(self, late_ns: int) -> bool:
        """Record one; True when it is time to recompute the bound."""
        if len(self.ring) < _WINDOW:
            self.ring.append(late_ns)
        else:
            self.ring[self.i] = late_ns
            self.i = (self.i + 1) % _WINDOW
        self.new += 1
        if self.new >= _EVERY:
            self.new = 0
            return True
        return False

    def bound(self, lo: int, hi: int) -> int:
        # The worst of the window, not a percentile: one wake-up in a hundred late is already
        # the p99 of the error, and a wider window costs only a little sleep or spin earlier.
        return min(hi, max(lo, max(self.ring) + _PAD_NS))

    def percentiles(self) -> tuple[int, int]:
        late = sorted(self.ring)
        n = len(late)
        return (late[n // 2], late[int(0.99 * (n - 1))]) if n else (0, 0)


class PreciseTimer:
    """Deadlines in ``perf_counter_ns``; see the module text. Two wake-ups per deadline with a
    kernel timer: the first ``margin`` before it (after a sleep of any length: its lateness sets
    the margin), the second ``spin`` before it (after a sleep shorter than the margin, which
    the kernel and the vCPU serve far more promptly: its lateness sets the spin), then a spin."""
    __slots__ = ("_loop", "_heap", "_seq", "_handle", "_polling", "_kernel", "_armed_at", "_stage", "config",
                 "margin_ns", "spin_ns", "_far", "_near", "wakes", "late_wakes", "sched", "_spun", "_budget_at",
                 "_saved", "_poll_from", "_busy", "_born", "_affinity", "_gc_held")

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
        self._stage = 1             # the pending wake-up: 1 margin before, 2 spin before
        self.margin_ns, self.spin_ns = config.margin_us * 1000, config.spin_us * 1000
        self._far, self._near = _Lateness(), _Lateness()
        self.wakes = self.late_wakes = 0
        # (the thread that creates the timer runs its loop); what it was is put back by close()
        self._saved = _sched.save() if config.sched != "keep" else None
        self._affinity = self._pin(config.cpu)
        self.sched = _sched.apply(config.sched)
        self._spun, self._budget_at = 0, _now()     # ns spun since, for the real-time spin budget
        self._poll_from = 0         # when the current stretch of polling began (0: not polling)
        self._busy, self._born = 0, _now()          # ns spun or polled in all: the CPU it cost
        self._gc_held = False       # the collector held off by this polling timer (see _start_polling)

    @staticmethod
    def _pin(cpu: int | None) -> tuple[int, set[int]] | None:
        """Pin the calling thread to ``cpu``; what it was, for ``close()``."""
        if cpu is None:
            return None
        if not hasattr(os, "sched_setaffinity"):
            raise ValueError("cpu: this system cannot pin a thread to a CPU")
        allowed = os.sched_getaffinity(0)
        if cpu not in allowed:
            raise ValueError(f"cpu: must be one of the CPUs this thread may run on "
                             f"({', '.join(map(str, sorted(allowed)))}), not {cpu}")
        os.sched_setaffinity(0, {cpu})          # (pid 0: the calling thread only, on Linux)
        return threading.get_native_id(), allowed

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
        self._release_gc()
        self._disarm()
        if self._kernel is not None:
            self._loop.remove_reader(self._kernel.fd)
            self._kernel.close()
            self._kernel = None

    def close(self) -> None:
        """``cancel_all``, and give the thread back the scheduling it had before this timer."""
        self.cancel_all()
        if self._saved is not None:
            _sched.restore(self._saved)
            self._saved = None
            self.sched = "keep"
        if self._affinity is not None:
            tid, allowed = self._affinity
            self._affinity = None
            try:
                os.sched_setaffinity(tid, allowed)
            except OSError as exc:      # (the thread has ended: nothing left to put back)
                log.info("relay timer: affinity of thread %d not restored: %s", tid, exc)

    def stats(self) -> dict:
        """Wake-ups, how many came after the deadline itself, the current margin and spin, and
        the lateness of the recent wake-ups of each stage (p50/p99, ns): where an error came from."""
        far, near = self._far.percentiles(), self._near.percentiles()
        busy = self._busy + (_now() - self._poll_from if self._poll_from else 0)
        return {"wake": "kernel" if self._kernel is not None or self._kernel_wanted() else "loop",
                "sched": self.sched, "poll": self.config.poll, "cpu": self.config.cpu,
                "busy_share": round(busy / max(_now() - self._born, 1), 4),
                "wakes": self.wakes, "late_wakes": self.late_wakes,
                "margin_ns": self.margin_ns, "spin_ns": self.spin_ns,
                "wake_late_p50": far[0], "wake_late_p99": far[1], "near_late_p50": near[0], "near_late_p99": near[1]}

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
        """Wake up ``margin`` before the earliest deadline (or start on it now)."""
        if self._polling or not self._heap:
            return
        wake_at = self._heap[0][0] - self.margin_ns
        if wake_at <= _now():
            self._disarm()
            self._start_polling()
            return
        self._arm_at(wake_at, 1)

    def _arm_at(self, wake_at: int, stage: int) -> None:
        if self._kernel_wanted():
            if self._kernel is None:
                self._kernel = KernelTimer()
                self._loop.add_reader(self._kernel.fd, self._kernel_wake)
            self._kernel.arm(wake_at)
        else:
            if self._handle is not None:
                self._handle.cancel()
            self._handle = self._loop.call_later((wake_at - _now()) / 1e9, self._wake)
        self._armed_at, self._stage = wake_at, stage

    def _kernel_wake(self) -> None:
        self._kernel.clear()
        if self._armed_at and not self._polling:
            if _now() >= self._armed_at:
                self._wake()
            elif self._stage == 1:
                self._arm()        # an expiry of an earlier arming, read late: wait for this one

    def _wake(self) -> None:
        now = _now()
        self._handle = None
        if self._armed_at:
            self._learn(now - self._armed_at, self._stage)
            self._armed_at = 0
        self._start_polling(now)
        self._tick()

    def _start_polling(self, now: int = 0) -> None:
        """Go round the loop (call_soon: its epoll does not block) until the deadline is near."""
        self._polling = True
        if not self._poll_from:
            self._poll_from = now or _now()
            if self.config.poll and gc.isenabled():
                # A collection holds the GIL for 0.1-0.7 ms (measured in the bench): not while a
                # deadline is this close. It runs when the polling stops (``_release_gc``).
                gc.disable()
                self._gc_held = True
        if not now:
            self._loop.call_soon(self._tick)

    def _stop_polling(self, now: int) -> None:
        self._polling = False
        if self._poll_from:
            self._spun += now - self._poll_from
            self._busy += now - self._poll_from
            self._poll_from = 0
        self._release_gc()

    def _release_gc(self) -> None:
        if self._gc_held:
            self._gc_held = False
            gc.enable()
            self._collect(1)

    @staticmethod
    def _collect(over: int) -> None:
        """Collect now what the collector would have collected by itself (``over`` times its
        threshold of young objects: 1 when polling stops, more while it goes on)."""
        count, threshold = gc.get_count(), gc.get_threshold()
        if threshold[0] and count[0] >= over * threshold[0]:
            gen = 2 if count[2] >= threshold[2] > 0 else 1 if count[1] >= threshold[1] > 0 else 0
            gc.collect(gen)

    def _learn(self, late_ns: int, stage: int = 1) -> None:
        self.wakes += 1
        if self._heap and _now() > self._heap[0][0]:
            self.late_wakes += 1
        cfg = self.config
        if stage == 1:
            if self._far.add(late_ns) and cfg.adaptive:
                # (a polling timer's margin is its horizon: never below the one configured)
                lo = cfg.margin_us * 1000 if cfg.poll else self.spin_ns
                self.margin_ns = self._far.bound(lo, cfg.max_margin_us * 1000)
        elif self._near.add(late_ns) and cfg.adaptive:
            self.spin_ns = self._near.bound(cfg.spin_us * 1000, cfg.max_spin_us * 1000)

    def _budget(self, now: int) -> None:
        """A SCHED_FIFO thread that spins too much (a stream of deadlines, each spun for) would
        starve the machine's other work: past ``max_spin_share`` of a second spun, normal."""
        if now - self._budget_at >= _BUDGET_NS:
            if self._poll_from:         # (the stretch polled so far counts in the second it is in)
                self._spun += now - self._poll_from
                self._busy += now - self._poll_from
                self._poll_from = now
            if self.sched == "realtime" and self._spun > self.config.max_spin_share * (now - self._budget_at):
                self.sched = _sched.apply("normal")
                log.warning("relay timer: spun %.0f%% of the last second at real-time priority; back to normal "
                            "scheduling", 100 * self._spun / (now - self._budget_at))
            self._spun, self._budget_at = 0, now

    def _tick(self) -> None:
        heap = self._heap
        now = _now()
        self._budget(now)
        fired = False
        while heap:
            deadline = heap[0][0]
            if deadline > now:
                if deadline - now > self.spin_ns:
                    break
                while _now() < deadline:   # the last stretch: spin, no wake-up is this precise
                    pass
                if not self._poll_from:    # (inside a polled stretch it is counted with it)
                    self._spun += deadline - now
                    self._busy += deadline - now
            heapq.heappop(heap)[2]()
            fired = True
            now = _now()
        if fired and self._gc_held:
            # Polling without end (a stream of close deadlines): collect anyway, just after a write,
            # once ten thresholds of young objects have built up, so memory stays bounded.
            self._collect(10)
        if not heap:
            self._stop_polling(now)
            return
        left = heap[0][0] - now
        if left > self.margin_ns:
            self._stop_polling(now)
            self._arm()
        elif self.config.poll:
            self._start_polling()          # busy-poll: the loop's next turn reads the sockets, then here again
        elif left - self.spin_ns > _MIN_SLEEP_NS and self._kernel_wanted():
            # Within the margin: sleep again, briefly, to ``spin`` before the deadline rather than
            # poll (a polling thread looks CPU-bound to the scheduler and is preempted).
            self._stop_polling(now)
            self._arm_at(heap[0][0] - self.spin_ns, 2)
        else:
            self._start_polling()
