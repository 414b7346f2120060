"""TWAP: an even schedule over the horizon, slice sizes and times randomised from a seed.

The horizon up to the schedule's end is cut into ``ceil(horizon / decision_s)`` slices. Each
slice's time moves by up to ``time_jitter`` of a slice interval and its size by up to
``size_jitter`` of an even slice (both drawn from ``seed``); sizes are then rescaled and
rounded cumulatively so they sum to the parent quantity exactly. The base rules add catch-up
(cross when behind) and the ahead-of-schedule tolerance.
"""
from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass

from ..marketdata import MarketState
from ..model import ParentOrder
from .base import NS, AlgoConfig, ScheduledAlgorithm, check


@dataclass(frozen=True, slots=True)
class TwapConfig(AlgoConfig):
    size_jitter: float = 0.2
    time_jitter: float = 0.2
    # a slice gets its interval at the touch; 2 s before the next one, what is still unfilled
    # beyond 1 % of the order crosses: the schedule gap stays within 1 % plus one (jittered) slice
    catch_up: float = 0.01
    slice_lead_s: float = 2.0

    def __post_init__(self) -> None:
        AlgoConfig.__post_init__(self)
        check(0 <= self.size_jitter < 1, f"size_jitter must be in [0, 1), not {self.size_jitter!r}")
        check(0 <= self.time_jitter < 0.5, f"time_jitter must be in [0, 0.5), not {self.time_jitter!r}")


def even_slices(qty: int, start_ns: int, end_ns: int, interval_s: float, size_jitter: float,
                time_jitter: float, seed: int) -> tuple[list[int], list[int]]:
    """(slice times, cumulative quantities): times strictly increasing in [start, end), the last
    cumulative quantity equal to ``qty``, every slice within the jitter bounds before rounding."""
    n = max(1, math.ceil((end_ns - start_ns) / (interval_s * NS) - 1e-9))
    n = min(n, qty)                       # never a slice of zero shares
    rng = random.Random(seed)
    dt = (end_ns - start_ns) / n
    times = [int(start_ns + k * dt + (rng.uniform(-time_jitter, time_jitter) * dt if k else 0)) for k in range(n)]
    weights = [1.0 + rng.uniform(-size_jitter, size_jitter) for _ in range(n)]
    total = sum(weights)
    cum, acc = [], 0.0
    for w in weights:
        acc += w
        cum.append(round(qty * acc / total))
    cum[-1] = qty
    return times, cum


class Twap(ScheduledAlgorithm):
    name = "twap"

    def __init__(self, parent: ParentOrder, config: TwapConfig, market: MarketState):
        super().__init__(parent, config, market)
        self.times, self.cum = even_slices(parent.qty, parent.start_ns, self.schedule_end_ns(), config.decision_s,
                                           config.size_jitter, config.time_jitter, config.seed)

    def target(self, now_ns: int) -> float:
        k = bisect.bisect_right(self.times, now_ns)
        return float(self.cum[k - 1]) if k else 0.0

    def next_decision_ns(self, now_ns: int) -> int:
        # Wake at the next slice time, and at least every interval (aging, catch-up).
        k = bisect.bisect_right(self.times, now_ns)
        regular = now_ns + int(self.config.decision_s * NS)
        return min(self.times[k], regular) if k < len(self.times) else regular
