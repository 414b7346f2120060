"""Many latency values into one ``hdrh`` histogram in one call (``_hist.record``, hist.c).

The counts live in the hdrh histogram itself, so percentiles, ``encode``, ``add`` and every
reader (report, admin table, SIGUSR1, Prometheus, ``wirespeed report``) give exactly the figures
one ``record_value`` per value gives; the Python fallback (no build, ``WIRESPEED_NATIVE=0``)
is that loop, and stays the reference the tests compare with.
"""
from __future__ import annotations

from collections import Counter

from . import ENABLED

try:
    from . import _hist
except ImportError:
    _hist = None

import os

# drain_latency's grouping of the buffered hops in one C call (hist.c ``group``); None: its Python
# loop (no build, WIRESPEED_NATIVE=0, or WIRESPEED_C_CALLS=0, the calls-in-C switch's "before")
group_hops = getattr(_hist, "group", None) if ENABLED and os.environ.get("WIRESPEED_C_CALLS", "1") != "0" else None
# the whole drain in one C pass, every value counted straight into its histograms (hist.c ``drain``);
# None: the grouping above and record_many (also WIRESPEED_C_DRAIN=0, this one's "before")
_drain = (getattr(_hist, "drain", None) if ENABLED and os.environ.get("WIRESPEED_C_CALLS", "1") != "0"
          and os.environ.get("WIRESPEED_C_DRAIN", "1") != "0" else None)

_LOWEST, _HIGHEST = 1, 60_000_000_000     # LatencyRecorder's range (wirespeed/latency.py)


def record_many(hist, values) -> None:
    """Record every value of ``values`` (ints, ns; clamped to the recorder's range) into ``hist``."""
    if not values:
        return
    lo = max(_LOWEST, hist.lowest_trackable_value)
    hi = min(_HIGHEST, hist.highest_trackable_value)
    if _hist is not None and ENABLED and hist.word_size == 8:
        n, vmin, vmax = _hist.record(hist.counts, values, hist.unit_magnitude,
                                     hist.sub_bucket_half_count_magnitude, lo, hi)
        if n:
            hist.total_count += n
            hist.min_value = min(hist.min_value, vmin)
            hist.max_value = max(hist.max_value, vmax)
        return
    record = hist.record_value
    for value, count in Counter(lo if v < lo else (hi if v > hi else v) for v in values).items():
        record(value, count)


def drain_hops(buf: list, stamps: list, histogram) -> bool:
    """drain_latency's buffered hops (``buf``) and order stamps counted into the recorder's
    histograms (``histogram(name)``) in one C pass; False (nothing counted) where Python's drain
    must do it: no build, switched off, or an item, value, name or histogram it does not take."""
    return _drain is not None and _drain(buf, stamps, histogram, _LOWEST, _HIGHEST) is True
