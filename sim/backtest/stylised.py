"""``StylisedDay``: a small, fast, fully seeded trading day for tests and quick sweeps.

Not the calibrated market (that is sim/market's participants; ``days.make_day("synthetic")``):
just enough market to exercise algorithms, router and TCA end to end. On each of three venues a maker keeps 5 levels of 300 shares each side of a mid
that random-walks one tick with probability 0.3 a second and follows what takers consume (a
sweep of the touch moves it: permanent impact); takers arrive Poisson with a U-shaped
intensity and trade 100-400 shares at market. All seeded."""
from __future__ import annotations

import math
import random

from wirespeed.enums import Side, TimeInForce
from wirespeed.control.algorithms.vwap import VolumeProfile
from wirespeed.control.routing import VenueInfo
from wirespeed.prices import TickSize
from .day import Calibration

S = 1_000_000_000


class StylisedDay:
    symbol = "XYZ"
    tick = TickSize(1, 2)

    def __init__(self, seed: int = 1, hours: float = 2.0, rate: float = 1.5):
        self.seed, self.rate = seed, rate
        self.venues = [VenueInfo("A", 0.3, 0.2), VenueInfo("B", 0.2, 0.1), VenueInfo("C", 0.1, 0.0)]
        self.latency_ns = {"A": 100_000, "B": 250_000, "C": 400_000}
        self.open_ns = 34_200 * S
        self.close_ns = self.open_ns + int(hours * 3600 * S)

    def intensity(self, t_ns: int) -> float:
        x = (t_ns - self.open_ns) / (self.close_ns - self.open_ns)
        return self.rate * (0.6 + 1.6 * (x - 0.5) ** 2 * 4)

    def volume_profile(self) -> VolumeProfile:
        n = 24
        step = (self.close_ns - self.open_ns) // n
        starts = tuple(self.open_ns + i * step for i in range(n))
        return VolumeProfile(starts, tuple(self.intensity(s + step // 2) * 250 * step / S for s in starts),
                             self.close_ns)

    def calibration(self) -> Calibration:
        return Calibration(10_000.0, 1.0, math.sqrt(0.3), self.rate * 250)

    def install(self, ctx) -> None:
        rng = random.Random(self.seed)
        state = {"mid": 10_000, "orders": {v.name: [] for v in self.venues}}

        def book_mid():
            # the makers lean on what was taken: the new mid is where the books' touch is now
            bids = [v.book.best_bid() for v in ctx.venues.values() if v.book.best_bid() is not None]
            asks = [v.book.best_ask() for v in ctx.venues.values() if v.book.best_ask() is not None]
            if bids and asks:
                state["mid"] = (max(bids) + min(asks)) // 2

        def requote():
            book_mid()
            mid = state["mid"]
            for v in self.venues:
                for oid in state["orders"][v.name]:
                    ctx.external_cancel(v.name, oid)
                state["orders"][v.name] = []
                for k in range(1, 6):
                    for side, px in ((Side.BUY, mid - k), (Side.SELL, mid + k)):
                        oid = ctx.external(v.name, side, px, 300)
                        if oid is not None:
                            state["orders"][v.name].append(oid)

        def tick_():
            if rng.random() < 0.3:
                state["mid"] += rng.choice((-1, 1))
                requote()
            t = ctx.now_ns() + S
            if t < self.close_ns:
                ctx.at(t, tick_)

        def taker():
            v = rng.choice(self.venues).name
            ctx.external(v, rng.choice((Side.BUY, Side.SELL)), 0, rng.randint(1, 4) * 100, TimeInForce.IOC)
            if rng.random() < 0.2:
                requote()
            t = ctx.now_ns() + int(rng.expovariate(self.intensity(ctx.now_ns())) * S)
            if t < self.close_ns:
                ctx.at(t, taker)
        ctx.at(self.open_ns, requote)
        ctx.at(self.open_ns + S, tick_)
        ctx.at(self.open_ns + S // 3, taker)
