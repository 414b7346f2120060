"""How the thread that runs a timing loop asks the Linux scheduler to wake it promptly.

A relay thread that sleeps until shortly before a deadline loses nothing while it sleeps,
but on a busy machine its wake-up waits until the scheduler lets it preempt whoever holds
the core: measured on the shared 2-core machine, 1 in 100 wake-ups came 3-4 ms late (a
whole time slice) under the default policy. Modes, applied to the calling thread only, and only where asked (the relay CLI and its
bench; a timer built on a test's or the gateway's loop thread leaves that thread alone):

- ``"keep"``: change nothing (``TimerConfig``'s default).
- ``"normal"``: the default policy (SCHED_OTHER; a real-time thread goes back to it).
- ``"slice"``: ask EEVDF (Linux >= 6.12) for a short slice (``sched_setattr`` with
  ``sched_runtime`` = 100 us, policy SCHED_OTHER, no privilege needed): a thread with a
  short slice gets an early virtual deadline and preempts on wake-up, for no more CPU
  than it had. Reported only if the kernel kept it (read back with ``sched_getattr``;
  older kernels accept the call and ignore the field); else ``"normal"``.
- ``"realtime"``: SCHED_FIFO priority 1 (needs CAP_SYS_NICE): woken ahead of every normal
  thread. Bounded by what the timer spins (its spin window before each deadline; past a
  half a second spun in a second the timer puts its thread back to normal) and by the
  kernel's real-time throttling; for a relay on its own core, not a shared desk machine.

``apply(mode)`` returns what is in effect (``"normal"`` when the kernel refused, or the
thread's own policy for ``"keep"``), so a bench can say under which policy it measured.
``save()`` / ``restore(saved)`` take and put back a thread's policy, priority, nice value
and slice: what a timer applied is undone when it is closed.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import platform
import sys
import threading
from dataclasses import dataclass

MODES = ("keep", "normal", "slice", "realtime")
SLICE_NS = 100_000
_SYS_SCHED_SETATTR = {"x86_64": 314, "aarch64": 274}
_SYS_SCHED_GETATTR = {"x86_64": 315, "aarch64": 275}
log = logging.getLogger("wirespeed.net.sched")


class _SchedAttr(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint32), ("sched_policy", ctypes.c_uint32), ("sched_flags", ctypes.c_uint64),
                ("sched_nice", ctypes.c_int32), ("sched_priority", ctypes.c_uint32),
                ("sched_runtime", ctypes.c_uint64), ("sched_deadline", ctypes.c_uint64),
                ("sched_period", ctypes.c_uint64), ("sched_util_min", ctypes.c_uint32),
                ("sched_util_max", ctypes.c_uint32)]


def _libc():
    if not sys.platform.startswith("linux") or platform.machine() not in _SYS_SCHED_SETATTR:
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


def _getattr(tid: int = 0) -> _SchedAttr | None:
    libc = _libc()
    if libc is None:
        return None
    attr = _SchedAttr()
    if libc.syscall(_SYS_SCHED_GETATTR[platform.machine()], tid, ctypes.byref(attr), ctypes.sizeof(attr), 0):
        return None
    return attr


def _setattr(attr: _SchedAttr, tid: int = 0) -> bool:
    libc = _libc()
    attr.size = ctypes.sizeof(attr)
    return libc is not None and libc.syscall(_SYS_SCHED_SETATTR[platform.machine()], tid, ctypes.byref(attr), 0) == 0


def _short_slice() -> bool:
    attr = _SchedAttr()
    attr.sched_nice = os.getpriority(os.PRIO_PROCESS, 0)      # keep the thread's nice value
    attr.sched_runtime = SLICE_NS
    if not _setattr(attr):
        return False
    # Kernels before EEVDF's custom slices (6.12) take the call and ignore sched_runtime for
    # SCHED_OTHER: believe what reads back, not the return code.
    back = _getattr()
    return back is not None and back.sched_runtime == SLICE_NS


def current() -> str:
    """The calling thread's mode as ``apply`` names them."""
    try:
        if os.sched_getscheduler(0) == os.SCHED_FIFO:
            return "realtime"
    except (OSError, AttributeError):
        return "normal"
    back = _getattr()
    return "slice" if back is not None and back.sched_runtime == SLICE_NS else "normal"


@dataclass(frozen=True, slots=True)
class Saved:
    """A thread's scheduling as it was: restored onto that thread (``tid``) by ``restore``."""
    tid: int
    policy: int
    priority: int
    nice: int
    runtime: int            # the EEVDF slice asked for (0: the default)


def save() -> Saved | None:
    """The calling thread's scheduling, or None where it cannot be read."""
    tid = threading.get_native_id()
    attr = _getattr()
    if attr is not None:
        return Saved(tid, attr.sched_policy, attr.sched_priority, attr.sched_nice, attr.sched_runtime)
    try:
        return Saved(tid, os.sched_getscheduler(0), os.sched_getparam(0).sched_priority,
                     os.getpriority(os.PRIO_PROCESS, 0), 0)
    except (OSError, AttributeError):
        return None


def restore(saved: Saved | None) -> bool:
    """Put ``saved`` back on its thread (from any thread: Linux takes a thread id); False, logged,
    where the kernel refuses (a real-time policy given up cannot come back without privilege)."""
    if saved is None:
        return False
    attr = _SchedAttr()
    attr.sched_policy, attr.sched_priority, attr.sched_nice = saved.policy, saved.priority, saved.nice
    if _setattr(attr, saved.tid):          # runtime 0: the kernel's default slice, not a custom one
        # A fair thread reads back its slice whether it asked for one or not: only one that
        # differs from the default was asked for, and only that is asked for again.
        back = _getattr(saved.tid)
        if saved.runtime and back is not None and back.sched_runtime != saved.runtime:
            attr.sched_runtime = saved.runtime
            _setattr(attr, saved.tid)
        return True
    try:
        os.sched_setscheduler(saved.tid, saved.policy, os.sched_param(saved.priority))
        return True
    except (OSError, AttributeError) as exc:
        log.warning("could not restore the scheduling of thread %d (policy %d): %s", saved.tid, saved.policy, exc)
        return False


def apply(mode: str) -> str:
    """Set the calling thread's scheduling for ``mode``; returns the mode in effect."""
    if mode not in MODES:
        raise ValueError(f"sched: must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "keep":
        return current()
    if mode == "slice":
        return "slice" if _short_slice() else "normal"
    if mode == "realtime":
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
            return "realtime"
        except (OSError, AttributeError):
            return "normal"
    back = _getattr()
    if back is not None and back.sched_runtime and back.sched_policy == os.SCHED_OTHER:
        back.sched_runtime = 0                  # (back from a short slice)
        _setattr(back)
    try:
        if os.sched_getscheduler(0) != os.SCHED_OTHER:
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))   # (back from real time)
    except (OSError, AttributeError):
        pass
    return "normal"
