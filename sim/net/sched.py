"""How the thread that runs a timing loop asks the Linux scheduler to wake it promptly.

A relay thread that sleeps until shortly before a deadline loses nothing while it sleeps,
but on a busy machine its wake-up waits until the scheduler lets it preempt whoever holds
the core: measured on the shared 2-core machine, 1 in 100 wake-ups came 3-4 ms late (a
whole time slice) under the default policy. Modes, applied to the calling thread only:

- ``"normal"``: the default policy (SCHED_OTHER; a real-time thread goes back to it).
- ``"slice"``: ask EEVDF (Linux >= 6.12) for a short slice (``sched_setattr`` with
  ``sched_runtime`` = 100 us, policy SCHED_OTHER, no privilege needed): a thread with a
  short slice gets an early virtual deadline and preempts on wake-up, for no more CPU
  than it had. Where the kernel refuses, it is left as it is.
- ``"realtime"``: SCHED_FIFO priority 1 (needs CAP_SYS_NICE): woken ahead of every normal
  thread. Bounded by what the timer spins (its spin window before each deadline; past a
  half a second spun in a second the timer puts its thread back to normal) and by the
  kernel's real-time throttling; for a relay on its own core, not a shared desk machine.

``apply(mode)`` returns what was applied (``"normal"`` when the kernel refused), so a
bench can say under which policy it measured.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import sys

MODES = ("normal", "slice", "realtime")
SLICE_NS = 100_000
_SYS_SCHED_SETATTR = {"x86_64": 314, "aarch64": 274}


class _SchedAttr(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint32), ("sched_policy", ctypes.c_uint32), ("sched_flags", ctypes.c_uint64),
                ("sched_nice", ctypes.c_int32), ("sched_priority", ctypes.c_uint32),
                ("sched_runtime", ctypes.c_uint64), ("sched_deadline", ctypes.c_uint64),
                ("sched_period", ctypes.c_uint64), ("sched_util_min", ctypes.c_uint32),
                ("sched_util_max", ctypes.c_uint32)]


def _short_slice() -> bool:
    nr = _SYS_SCHED_SETATTR.get(platform.machine())
    if not sys.platform.startswith("linux") or nr is None:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return False
    attr = _SchedAttr()
    attr.size = ctypes.sizeof(attr)
    attr.sched_nice = os.getpriority(os.PRIO_PROCESS, 0)      # keep the thread's nice value
    attr.sched_runtime = SLICE_NS
    return libc.syscall(nr, 0, ctypes.byref(attr), 0) == 0


def apply(mode: str) -> str:
    """Set the calling thread's scheduling for ``mode``; returns the mode in effect."""
    if mode not in MODES:
        raise ValueError(f"sched: must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "slice":
        return "slice" if _short_slice() else "normal"
    if mode == "realtime":
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
            return "realtime"
        except (OSError, AttributeError):
            return "normal"
    try:
        if os.sched_getscheduler(0) != os.SCHED_OTHER:
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))   # (back from real time)
    except (OSError, AttributeError):
        pass
    return "normal"
