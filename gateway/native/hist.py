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


def drain_hops(buf: list, stamps: list, histogram, ring: "StampRing | None" = None) -> bool:
    """drain_latency's buffered hops (``buf``), order stamps and stamp ring counted into the
    recorder's histograms (``histogram(name)``) in one C pass, the ring emptied; False (nothing
    counted, the ring as it was) where Python's drain must do it: no build, switched off, or an item,
    value, name or histogram it does not take."""
    return _drain is not None and _drain(buf, stamps, histogram, _LOWEST, _HIGHEST, ring) is True


#: the ring's capacity in words: ~9 words an order and its reports (a hop 2, the stamps 5), so
#: ~14,000 orders, 0.7 s at 20,000/s; the 50-ms drain empties it long before (full: the writer drains)
RING_WORDS = 1 << 17
_HEAD = 2      # words: used, capacity (gateway/native/stamp_ring.h)


class StampRing:
    """The C paths' hops and order stamps as 64-bit words, not one Python tuple a hop (the C
    writers: book.h ``ring_put``; the layout: gateway/native/stamp_ring.h). ``names`` are the
    (hop, venue, client) of each id the words carry, ``ids`` the way back; both only grow (a few
    per venue and client). ``take`` hands the words to Python's drain as the tuples of
    ``OrderGateway._hop_buf`` and ``_hops``, where the C drain (``drain_hops``) does not count them."""

    __slots__ = ("buf", "ids", "names")

    def __init__(self, words: int = RING_WORDS):
        if isinstance(words, bool) or not isinstance(words, int) or words < 5:
            raise ValueError(f"a stamp ring needs an int of at least 5 words, not {words!r}")
        self.buf = bytearray(8 * (_HEAD + words))
        self.buf[8:16] = words.to_bytes(8, "little", signed=True)
        self.ids: dict[tuple[str, str, str], int] = {}
        self.names: list[tuple[str, str, str]] = []

    def used(self) -> int:
        """The words written since the last drain."""
        return int.from_bytes(self.buf[:8], "little", signed=True)

    def items(self) -> tuple[list, list]:
        """The words as (hops, stamps): (hop, venue, client, ns) and (t0, t1, t2, t3, venue, client)."""
        hops, stamps = [], []
        with memoryview(self.buf).cast("q") as w:
            i, end, names = _HEAD, _HEAD + w[0], self.names
            while i < end:
                h = w[i]
                hop, venue, client = names[h >> 1]
                if h & 1:
                    stamps.append((w[i + 1], w[i + 2], w[i + 3], w[i + 4], venue, client))
                    i += 5
                else:
                    hops.append((hop, venue, client, w[i + 1]))
                    i += 2
        return hops, stamps

    def put(self, hop: str, venue: str, client: str, *values: int) -> bool:
        """One hop's value (``hop``, one value) or an order's stamps ("client->venue", t0..t3)
        written as book.h's ``ring_put`` writes them; False: no room (nothing written)."""
        if len(values) not in (1, 4):
            raise ValueError(f"a ring entry is one hop value or four stamps, not {len(values)} values")
        key = (hop, venue, client)
        with memoryview(self.buf).cast("q") as w:
            if w[0] + 1 + len(values) > w[1]:
                return False
            gid = self.ids.get(key)
            if gid is None:
                gid = self.ids[key] = len(self.names)
                self.names.append(key)
            i = _HEAD + w[0]
            w[i] = gid << 1 | (len(values) == 4)
            for k, v in enumerate(values, i + 1):
                w[k] = v
            w[0] += 1 + len(values)
        return True

    def take(self) -> tuple[list, list]:
        """``items``, the ring emptied."""
        got = self.items()
        self.clear()
        return got

    def clear(self) -> None:
        self.buf[:8] = bytes(8)


def stamp_ring() -> StampRing | None:
    """The gateway's stamp ring, or None (the C paths append tuples, as before): no build,
    ``WIRESPEED_NATIVE=0``, or ``WIRESPEED_STAMP_RING=0`` (the ring's "before")."""
    if _hist is None or not ENABLED or os.environ.get("WIRESPEED_STAMP_RING", "1") == "0":
        return None
    return StampRing()
