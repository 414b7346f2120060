"""Intraday volume profiles: the plain data a VWAP schedule needs.

A ``VolumeProfile`` is the fraction of a day's volume in each bin of the continuous session
(``bins``, open to close) and in the closing auction (``auction``); they sum to 1. It is
plain data (tuples of floats, ``to_dict``/``from_dict``), so ``control/`` can take one
without importing ``sim``. ``from_trades`` measures one from a day's prints (generated or
replayed); ``average`` makes the historical profile of several days; ``u_shaped`` is the
target the synthetic market is calibrated to.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, slots=True)
class VolumeProfile:
    symbol: str
    open_s: int
    close_s: int
    bin_s: int
    bins: tuple[float, ...]
    auction: float = 0.0

    def __post_init__(self):
        n = math.ceil((self.close_s - self.open_s) / self.bin_s)
        if len(self.bins) != n:
            raise ValueError(f"VolumeProfile {self.symbol}: {len(self.bins)} bins, the session has {n}")
        total = sum(self.bins) + self.auction
        if any(b < 0 for b in self.bins) or self.auction < 0 or abs(total - 1) > 1e-6:
            raise ValueError(f"VolumeProfile {self.symbol}: fractions must be >= 0 and sum to 1, sum {total}")

    def bin_start_s(self, i: int) -> int:
        return self.open_s + i * self.bin_s

    def to_dict(self) -> dict:
        return {"symbol": self.symbol, "open_s": self.open_s, "close_s": self.close_s, "bin_s": self.bin_s,
                "bins": list(self.bins), "auction": self.auction}

    @classmethod
    def from_dict(cls, d: dict) -> "VolumeProfile":
        return cls(d["symbol"], d["open_s"], d["close_s"], d["bin_s"], tuple(d["bins"]), d.get("auction", 0.0))


def _bins(open_s: int, close_s: int, bin_s: int) -> int:
    return math.ceil((close_s - open_s) / bin_s)


def from_trades(symbol: str, trades: Iterable[tuple[int, int]], *, open_s: int, close_s: int, bin_s: int,
                auction_qty: int = 0) -> VolumeProfile:
    """``trades``: ``(ns since midnight, qty)`` of the continuous session (outside it: ignored)."""
    n = _bins(open_s, close_s, bin_s)
    vol = [0] * n
    lo, hi, width = open_s * 10**9, close_s * 10**9, bin_s * 10**9
    for ts, qty in trades:
        if lo <= ts < hi:
            vol[(ts - lo) // width] += qty
    total = sum(vol) + auction_qty
    if total == 0:
        raise ValueError(f"volume profile of {symbol}: no volume in the session")
    return VolumeProfile(symbol, open_s, close_s, bin_s, tuple(v / total for v in vol), auction_qty / total)


def average(profiles: Iterable[VolumeProfile]) -> VolumeProfile:
    """The historical profile: the mean of several days' fractions (same symbol and bins)."""
    ps = list(profiles)
    if not ps:
        raise ValueError("average of no volume profiles")
    a = ps[0]
    for p in ps[1:]:
        if (p.symbol, p.open_s, p.close_s, p.bin_s) != (a.symbol, a.open_s, a.close_s, a.bin_s):
            raise ValueError(f"cannot average profiles of {a.symbol}/{a.bin_s}s and {p.symbol}/{p.bin_s}s")
    k = len(ps)
    bins = tuple(sum(p.bins[i] for p in ps) / k for i in range(len(a.bins)))
    auction = sum(p.auction for p in ps) / k
    s = sum(bins) + auction
    return VolumeProfile(a.symbol, a.open_s, a.close_s, a.bin_s, tuple(b / s for b in bins), auction / s)


def u_rate(frac: float, u_shape: float) -> float:
    """Relative volume rate at ``frac`` (0 = open, 1 = close): 1 at midday, ``u_shape`` at the ends."""
    x = 2 * frac - 1
    return 1 + (u_shape - 1) * x * x


def u_shaped(symbol: str, *, open_s: int, close_s: int, bin_s: int, u_shape: float,
             auction: float) -> VolumeProfile:
    """The target profile: ``u_rate`` integrated over each bin, ``auction`` for the close."""
    n = _bins(open_s, close_s, bin_s)
    span = close_s - open_s
    weights = []
    for i in range(n):
        a, b = i * bin_s / span, min((i + 1) * bin_s, span) / span
        weights.append(_u_integral(b, u_shape) - _u_integral(a, u_shape))
    total = sum(weights)
    return VolumeProfile(symbol, open_s, close_s, bin_s, tuple(w / total * (1 - auction) for w in weights), auction)


def _u_integral(f: float, u: float) -> float:
    # integral of 1 + (u-1)(2f-1)^2 df = f + (u-1)(2f-1)^3 / 6
    return f + (u - 1) * (2 * f - 1) ** 3 / 6
