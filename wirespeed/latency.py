"""Per-hop latency in HDR histograms, reported as percentiles (never a mean alone)."""
from __future__ import annotations

from typing import Iterable

from hdrh.histogram import HdrHistogram

PERCENTILES = (50.0, 90.0, 99.0, 99.9)

# 1 ns .. 60 s at 3 significant digits: 0.1% resolution across the whole range.
_LOWEST, _HIGHEST, _DIGITS = 1, 60_000_000_000, 3


class LatencyRecorder:
    """Named HDR histograms, one per hop, in nanoseconds."""

    __slots__ = ("_hists",)

    def __init__(self, hops: Iterable[str] = ()):
        self._hists: dict[str, HdrHistogram] = {}
        for hop in hops:
            self.histogram(hop)

    def histogram(self, hop: str) -> HdrHistogram:
        h = self._hists.get(hop)
        if h is None:
            h = self._hists[hop] = HdrHistogram(_LOWEST, _HIGHEST, _DIGITS)
        return h

    def record(self, hop: str, ns: int) -> None:
        # Clamp rather than drop: a value outside the range is still an observation.
        self.histogram(hop).record_value(min(max(int(ns), _LOWEST), _HIGHEST))

    def merge(self, other: "LatencyRecorder") -> None:
        for hop, h in other._hists.items():
            self.histogram(hop).add(h)

    @property
    def hops(self) -> list[str]:
        return list(self._hists)

    def count(self, hop: str) -> int:
        return self._hists[hop].get_total_count() if hop in self._hists else 0

    def percentiles(self, hop: str) -> dict[str, int]:
        h = self._hists[hop]
        out = {f"p{p:g}": h.get_value_at_percentile(p) for p in PERCENTILES}
        out["max"] = h.get_max_value()
        out["count"] = h.get_total_count()
        return out

    def table(self, unit: str = "us") -> str:
        """A fixed-width percentile table, one row per hop."""
        div = {"ns": 1, "us": 1_000, "ms": 1_000_000}[unit]
        cols = [f"p{p:g}" for p in PERCENTILES] + ["max"]
        lines = [f"{'hop (' + unit + ')':<28}{'count':>9}" + "".join(f"{c:>11}" for c in cols)]
        for hop in self._hists:
            if not self.count(hop):
                continue
            p = self.percentiles(hop)
            # (a space before each number, so one too wide for its column, seconds of queueing in
            # microseconds, still reads apart from its neighbour)
            lines.append(f"{hop:<28} {p['count']:>8}" + "".join(f" {p[c] / div:>10.2f}" for c in cols))
        return "\n".join(lines)
