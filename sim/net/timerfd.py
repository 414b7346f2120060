"""A Linux ``timerfd`` (through ctypes: Python 3.11 has no ``os.timerfd_*``), for wake-ups
an event loop can wait on with nanosecond deadlines.

The loop's own timers reach the kernel as epoll timeouts in whole milliseconds; a timerfd
armed at an absolute ``CLOCK_MONOTONIC`` time (the clock of ``time.perf_counter_ns`` on
Linux) becomes readable when the kernel's high-resolution timer fires, so a reader
callback on the loop (``loop.add_reader``) runs tens of microseconds after the deadline
instead of up to a millisecond. ``KernelTimer.available()`` is False elsewhere (other
systems, no libc, a perf_counter on another clock): callers fall back to the loop's timers.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import time

_CLOCK_MONOTONIC = 1
_TFD_NONBLOCK, _TFD_CLOEXEC = 0o4000, 0o2000000
_TFD_TIMER_ABSTIME = 1


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


def _load():
    if not sys.platform.startswith("linux"):
        return None
    if "CLOCK_MONOTONIC" not in time.get_clock_info("perf_counter").implementation:
        return None      # deadlines are perf_counter_ns: the timerfd must count the same clock
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.timerfd_create.argtypes = (ctypes.c_int, ctypes.c_int)
        libc.timerfd_settime.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.POINTER(_Itimerspec), ctypes.c_void_p)
        return libc
    except (OSError, AttributeError):
        return None


_libc = _load()


class KernelTimer:
    """One timerfd: ``arm(deadline_ns)`` (absolute, perf_counter_ns), ``disarm()``, ``fd`` to
    wait on, ``clear()`` once readable, ``close()``."""
    __slots__ = ("fd", "_spec")

    @staticmethod
    def available() -> bool:
        return _libc is not None

    def __init__(self):
        if _libc is None:
            raise OSError("timerfd is not available on this system")
        fd = _libc.timerfd_create(_CLOCK_MONOTONIC, _TFD_NONBLOCK | _TFD_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"timerfd_create: {os.strerror(err)}")
        self.fd = fd
        self._spec = _Itimerspec()

    def arm(self, deadline_ns: int) -> None:
        """Fire once at ``deadline_ns`` (a time already past fires at once); replaces any earlier arming."""
        v = self._spec.it_value
        deadline_ns = max(deadline_ns, 1)      # 0 would disarm
        v.tv_sec, v.tv_nsec = divmod(deadline_ns, 1_000_000_000)
        if _libc.timerfd_settime(self.fd, _TFD_TIMER_ABSTIME, ctypes.byref(self._spec), None) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"timerfd_settime: {os.strerror(err)}")

    def disarm(self) -> None:
        v = self._spec.it_value
        v.tv_sec = v.tv_nsec = 0
        _libc.timerfd_settime(self.fd, 0, ctypes.byref(self._spec), None)

    def clear(self) -> None:
        """Consume the expiry count, so the fd is no longer readable."""
        try:
            os.read(self.fd, 8)
        except (BlockingIOError, InterruptedError):
            pass

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
