"""Clocks. Hops are stamped with ``perf_counter_ns`` (monotonic, ns); FIX wants UTC strings."""
from __future__ import annotations

import time
from .ascii import digits

#: Monotonic nanoseconds: use for every latency stamp.
now_ns = time.perf_counter_ns
#: Wall-clock nanoseconds since the epoch (UTC): use for SendingTime/TransactTime.
wall_ns = time.time_ns

_cache_sec = -1
_cache_prefix = ""


def fix_timestamp(epoch_ns: int | None = None) -> str:
    """UTCTimestamp with milliseconds, ``YYYYMMDD-HH:MM:SS.sss``.

    The date/second prefix is cached: on the hot path only the milliseconds change.
    """
    global _cache_sec, _cache_prefix
    if epoch_ns is None:
        epoch_ns = time.time_ns()
    sec, ns = divmod(epoch_ns, 1_000_000_000)
    if sec != _cache_sec:
        _cache_prefix = time.strftime("%Y%m%d-%H:%M:%S", time.gmtime(sec))
        _cache_sec = sec
    return f"{_cache_prefix}.{ns // 1_000_000:03d}"


def parse_fix_timestamp(text: str) -> int:
    """UTCTimestamp (with or without fractional seconds) -> epoch ns. Raises ValueError."""
    import calendar
    main, _, frac = text.partition(".")
    if len(main) != 17 or main[8] != "-":
        raise ValueError(f"malformed UTCTimestamp {text!r}")
    tm = time.strptime(main, "%Y%m%d-%H:%M:%S")
    if frac and (not digits(frac) or len(frac) > 9):
        raise ValueError(f"malformed UTCTimestamp {text!r}")
    return calendar.timegm(tm) * 1_000_000_000 + int(frac.ljust(9, "0") or "0")
