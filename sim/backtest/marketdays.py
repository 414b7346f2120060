"""sim/market's calibrated synthetic day as a backtest ``Day``, on several venues.

Synthetic: one ``SyntheticMarket`` per venue (its own makers, takers and passive noise, with the
venue's share of the symbol's volume and depth) on the backtest's clock and that venue's engine.
All venues follow one latent value, the primary venue's: the others' participants are pointed at
it and their own is never started, so prices agree across venues up to what the flow does to
each book (as on real fragmented markets, where arbitrage keeps them together). The historical
volume profile VWAP plans with is the calibration's U-shaped target (``profile.u_shaped``).
"""
from __future__ import annotations

import math
from dataclasses import replace

from wirespeed.control.algorithms.vwap import VolumeProfile
from wirespeed.control.routing import VenueInfo
from wirespeed.prices import TickSize

from ..market.config import MarketConfig, SymbolProfile
from ..market.profile import u_shaped
from ..market.synthetic import DEFAULT_DAY_NS, SyntheticMarket
from .day import Calibration

NS = 1_000_000_000
#: name, share of volume and depth, take fee and make rebate (ticks a share), one-way latency
VENUES = (("XPRI", 0.5, 0.30, 0.20, 150_000), ("XALT", 0.3, 0.25, 0.15, 250_000), ("XINV", 0.2, 0.05, -0.05, 400_000))


class _Idle:
    """A latent value that never moves: what a secondary market gets instead of its own."""
    value = 0.0

    def start(self, until_ns: int) -> None:
        pass


class SyntheticDay:
    tick = TickSize(1, 2)

    def __init__(self, seed: int, profile: SymbolProfile | None = None):
        self.seed = seed
        self.base = profile or SymbolProfile("SIMA")
        self.symbol = self.base.symbol
        self.config = MarketConfig(symbols=(self.base,), seed=seed)
        day0 = DEFAULT_DAY_NS
        self.open_ns, self.close_ns = day0 + self.config.open_s * NS, day0 + self.config.close_s * NS
        self.venues = [VenueInfo(n, take, make) for n, _, take, make, _ in VENUES]
        self.latency_ns = {n: lat for n, _, _, _, lat in VENUES}
        self.markets: list[SyntheticMarket] = []

    def install(self, ctx) -> None:
        primary = None
        for i, (name, share, *_rest) in enumerate(VENUES):
            prof = replace(self.base, daily_volume=max(1, int(self.base.daily_volume * share)),
                           depth=max(self.base.makers, int(self.base.depth * share)))
            m = SyntheticMarket(MarketConfig(symbols=(prof,), seed=self.seed * 101 + i), clock=ctx.clock,
                                engine=ctx.venues[name].engine)
            parts = m._parts[self.symbol]
            if primary is None:
                primary = parts["value"]
            else:
                # follow the primary's latent value (see the module docstring)
                for maker in parts["makers"].makers:
                    maker.value = primary
                parts["makers"].value = primary
                parts["takers"].value = primary
                parts["value"] = _Idle()
            m.start()
            self.markets.append(m)

    def volume_profile(self) -> VolumeProfile:
        c, p = self.config, self.base
        target = u_shaped(self.symbol, open_s=c.open_s, close_s=c.close_s, bin_s=c.bin_s, u_shape=p.u_shape,
                          auction=p.close_auction_share)
        return VolumeProfile.from_fractions(self.open_ns, c.bin_s, target.bins, p.daily_volume, self.close_ns)

    def calibration(self) -> Calibration:
        p, c = self.base, self.config
        session = c.close_s - c.open_s
        sigma = p.start_ticks * p.volatility_bps / 1e4 / math.sqrt(session)
        return Calibration(float(p.start_ticks), p.spread_ticks / 2, sigma, p.daily_volume / session)

