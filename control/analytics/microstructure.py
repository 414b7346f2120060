"""Spread, depth, order-book imbalance, realised volatility and volume rate.

Pure functions of book levels, and two small rolling estimators fed event by event (bounded
memory: a fixed window of samples), so an algorithm can read them in O(1) on every decision.
"""
from __future__ import annotations

import math
from collections import deque
from typing import Sequence

NS = 1_000_000_000


def spread(bid: int, ask: int) -> int:
    """Quoted spread in ticks."""
    return ask - bid


def spread_bps(bid: int, ask: int) -> float:
    """Quoted spread relative to the mid, in basis points."""
    mid = (bid + ask) / 2
    return (ask - bid) / mid * 1e4 if mid > 0 else math.inf


def depth(levels: Sequence[tuple[int, int]], n: int = 5) -> int:
    """Displayed quantity of the best ``n`` price levels."""
    return sum(q for _, q in levels[:n])


def imbalance(bid_qty: int, ask_qty: int) -> float:
    """(bid - ask) / (bid + ask): +1 all bids, -1 all asks, 0 balanced or empty."""
    total = bid_qty + ask_qty
    return (bid_qty - ask_qty) / total if total else 0.0


def realised_volatility(ts_ns: Sequence[int], prices: Sequence[float]) -> float:
    """Volatility of log returns per sqrt(second) from price samples (0 with < 3 samples).

    Returns over uneven intervals are scaled by their length: sum(r^2) / sum(dt).
    """
    if len(prices) < 3:
        return 0.0
    ss = 0.0
    for i in range(1, len(prices)):
        r = math.log(prices[i] / prices[i - 1])
        ss += r * r
    span = (ts_ns[-1] - ts_ns[0]) / NS
    return math.sqrt(ss / span) if span > 0 else 0.0


class RollingVolatility:
    """Realised volatility (log returns, per sqrt(second)) over the last ``window`` mid changes."""
    __slots__ = ("window", "_sq", "_ts", "_last", "_sum")

    def __init__(self, window: int = 120):
        if window < 2:
            raise ValueError(f"volatility window must be at least 2 samples, not {window!r}")
        self.window = window
        self._sq: deque[float] = deque()
        self._ts: deque[int] = deque()
        self._last: float | None = None
        self._sum = 0.0

    def add(self, ts_ns: int, price: float) -> None:
        if price <= 0 or price == self._last:
            return
        if self._last is not None:
            r = math.log(price / self._last)
            self._sq.append(r * r)
            self._sum += r * r
            if len(self._sq) > self.window:
                self._sum -= self._sq.popleft()
        self._ts.append(ts_ns)
        if len(self._ts) > self.window + 1:
            self._ts.popleft()
        self._last = price

    def value(self) -> float:
        """Per sqrt(second); 0 until two returns are seen."""
        if len(self._sq) < 2:
            return 0.0
        span = (self._ts[-1] - self._ts[0]) / NS
        return math.sqrt(max(self._sum, 0.0) / span) if span > 0 else 0.0


class VolumeRate:
    """Shares per second over a sliding time window (default 60 s)."""
    __slots__ = ("window_ns", "_prints", "_sum")

    def __init__(self, window_s: float = 60.0):
        if not window_s > 0:
            raise ValueError(f"volume-rate window must be positive seconds, not {window_s!r}")
        self.window_ns = int(window_s * NS)
        self._prints: deque[tuple[int, int]] = deque()
        self._sum = 0

    def add(self, ts_ns: int, qty: int) -> None:
        self._prints.append((ts_ns, qty))
        self._sum += qty
        cutoff = ts_ns - self.window_ns
        while self._prints and self._prints[0][0] < cutoff:
            self._sum -= self._prints.popleft()[1]

    def value(self) -> float:
        return self._sum / (self.window_ns / NS)
