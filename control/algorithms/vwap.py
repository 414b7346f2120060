"""VWAP: a schedule from the symbol's historical intraday volume profile, re-weighted as the
day's actual volume comes in, under a participation cap.

``VolumeProfile`` holds the expected volume of each bucket of the day (from history; the sim's
market supplies it for its calibrated days). Over the order's horizon the historical schedule
is the expected volume's cumulative share. As the day trades, the volume seen so far replaces
the history for the past, and the expected rest of the horizon is scaled by how much busier
(or quieter) the day is running than history, blended in as the horizon elapses: the target is
``seen / (seen + expected_rest)``. That re-weighted fraction is held within ``max_deviation`` of
the order around the historical one: early in the horizon a few large prints make the day's pace
look far off history, and following them unbounded made the schedule jump by more than a slice
between two decisions (the schedule gap, executed against scheduled, went past its goal of 2 %
plus one slice); bounded, the schedule moves by at most one historical slice plus twice the bound
per interval, and the catch-up keeps the executions within ``catch_up`` of it.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

from ..marketdata import MarketState
from ..model import ParentOrder
from .base import AlgoConfig, ScheduledAlgorithm, check


@dataclass(frozen=True, slots=True)
class VolumeProfile:
    """Expected shares traded per bucket: bucket ``i`` covers ``[starts_ns[i], starts_ns[i+1])``
    (the last one ends at ``end_ns``). Times are on the same clock as the order's."""
    starts_ns: tuple[int, ...]
    volumes: tuple[float, ...]
    end_ns: int

    def __post_init__(self) -> None:
        check(len(self.starts_ns) == len(self.volumes) and self.volumes, "volume profile needs one volume a bucket")
        check(all(a < b for a, b in zip(self.starts_ns, self.starts_ns[1:] + (self.end_ns,))),
              "volume profile buckets must be in increasing time order")
        check(all(v >= 0 for v in self.volumes) and sum(self.volumes) > 0,
              "volume profile volumes must be non-negative and not all zero")

    @classmethod
    def from_fractions(cls, open_ns: int, bin_s: int, fractions, total_volume: float, end_ns: int) -> "VolumeProfile":
        """From a measured profile's plain data (sim/market's ``VolumeProfile.to_dict``: the
        fraction of the day's volume in each ``bin_s`` bin from the open) and the day's volume."""
        n = len(fractions)
        starts = tuple(open_ns + i * bin_s * 1_000_000_000 for i in range(n))
        return cls(starts, tuple(f * total_volume for f in fractions), end_ns)

    def cumulative(self, t_ns: int) -> float:
        """Expected shares from the profile's start to ``t_ns`` (linear inside a bucket)."""
        if t_ns <= self.starts_ns[0]:
            return 0.0
        i = bisect.bisect_right(self.starts_ns, t_ns) - 1
        before = sum(self.volumes[:i])
        b_end = self.starts_ns[i + 1] if i + 1 < len(self.starts_ns) else self.end_ns
        frac = min(1.0, (t_ns - self.starts_ns[i]) / (b_end - self.starts_ns[i]))
        return before + self.volumes[i] * frac

    def between(self, a_ns: int, b_ns: int) -> float:
        return self.cumulative(b_ns) - self.cumulative(a_ns)


@dataclass(frozen=True, slots=True)
class VwapConfig(AlgoConfig):
    profile: VolumeProfile | None = None
    participation_cap: float | None = 0.25
    catch_up: float = 0.01             # see TwapConfig: the gap within 1 % plus one slice
    slice_lead_s: float = 2.0
    #: the re-weighted schedule stays within this fraction of the order of the historical one
    max_deviation: float = 0.02

    def __post_init__(self) -> None:
        AlgoConfig.__post_init__(self)
        check(self.profile is not None, "VWAP needs the symbol's intraday volume profile")
        check(0 <= self.max_deviation <= 1, f"max_deviation must be in [0, 1], not {self.max_deviation!r}")


class Vwap(ScheduledAlgorithm):
    name = "vwap"

    def __init__(self, parent: ParentOrder, config: VwapConfig, market: MarketState):
        super().__init__(parent, config, market)
        self.profile = config.profile
        self.expected = self.profile.between(parent.start_ns, self.schedule_end_ns())
        check(self.expected > 0, "the volume profile expects no volume over the order's horizon")

    def historical_fraction(self, now_ns: int) -> float:
        return min(1.0, self.profile.between(self.parent.start_ns, now_ns) / self.expected)

    def target(self, now_ns: int) -> float:
        # The target is a step on the decision grid, as TWAP's: at ``now`` what is due by the next
        # decision (the slice of this interval is due at its start). A target moving on between
        # decisions would, at the slice-lead check, count the next interval's share as already due
        # and the gap before a decision would hold nearly two slices.
        t = min(self.grid_after(now_ns), self.schedule_end_ns())
        f_t = self.historical_fraction(t)
        if f_t >= 1.0:
            return float(self.parent.qty)
        f = self.historical_fraction(now_ns)
        seen = float(self.market_volume() + self.filled)
        if seen <= 0 or f <= 0:
            return self.parent.qty * f_t
        pace = seen / (f * self.expected)            # how busy today runs against history
        ratio = 1.0 + f * (pace - 1.0)               # trust today's pace more as it accumulates
        due = seen + (f_t - f) * self.expected * ratio   # expected by t, today's pace
        rest = (1.0 - f) * self.expected * ratio
        d = self.config.max_deviation
        return self.parent.qty * min(f_t + d, max(f_t - d, due / (seen + rest)))
