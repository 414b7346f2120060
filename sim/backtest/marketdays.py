"""sim/market's days as backtest ``Day``s: the calibrated synthetic day on several venues, and a
day replayed from a LOBSTER message file or a wirespeed CSV.

Synthetic: one ``SyntheticMarket`` per venue (its own makers, takers and passive noise, with the
venue's share of the symbol's volume and depth) on the backtest's clock and that venue's engine.
All venues follow one latent value and one memory of the flow taken from the makers (the
primary venue's, against the symbol's whole depth): the others' participants are pointed at them
and their own value is never started, so prices agree across venues up to what the flow does to
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
from ..market.lobster import EXECUTE, EXECUTE_HIDDEN, read_messages
from ..market.profile import from_trades, u_shaped
from ..market.replay import Replay
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
            # the venue's share of the volume, depth and passive noise; its share of the
            # permanent impact, so that the shared value moves by permanent_bps per 1 % of the
            # symbol's whole volume
            prof = replace(self.base, daily_volume=max(1, int(self.base.daily_volume * share)),
                           depth=max(self.base.makers, int(self.base.depth * share)),
                           passive_rate=self.base.passive_rate * share,
                           permanent_bps=self.base.permanent_bps * share)
            # (the market's own spread/depth samples are for sim/market's calibration report;
            # a backtest measures from its tape, so one sample a minute is plenty)
            m = SyntheticMarket(MarketConfig(symbols=(prof,), seed=self.seed * 101 + i, sample_s=60.0),
                                clock=ctx.clock, engine=ctx.venues[name].engine, record=False)
            parts = m._parts[self.symbol]
            if primary is None:
                primary, memory = parts["value"], parts["makers"].memory
                # one memory of the consolidated flow against the consolidated depth
                memory.depth = self.base.depth
            else:
                # follow the primary's latent value and flow memory (see the module docstring)
                for maker in parts["makers"].makers:
                    maker.value = primary
                parts["makers"].value = primary
                parts["makers"].memory = memory
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



class ReplayDay:
    """A recorded day replayed into one venue's engine (``market.replay.Replay``): that venue is the
    whole market, and our orders meet the recorded book. The volume profile and calibration are
    measured from the file's executions (the replayed day's own: a replay knows its day)."""
    tick = TickSize(1, 2)
    VENUE = "XREP"

    def __init__(self, path: str, seed: int = 0, price_scale: int = 100):
        self.path, self.seed, self.price_scale = path, seed, price_scale
        self.rows = list(read_messages(path))
        if not self.rows:
            raise ValueError(f"{path}: no rows to replay")
        self.symbol = self.rows[0].symbol
        self.open_ns = DEFAULT_DAY_NS + 34_200 * NS
        self.close_ns = DEFAULT_DAY_NS + 57_600 * NS
        self.venues = [VenueInfo(self.VENUE, 0.3, 0.2)]
        self.latency_ns = {self.VENUE: 200_000}
        self._execs = [(m.ts_ns, m.size, m.price // price_scale) for m in self.rows
                       if m.type in (EXECUTE, EXECUTE_HIDDEN) and m.symbol == self.symbol]
        if not self._execs:
            raise ValueError(f"{path}: no executions of {self.symbol}: nothing to trade against")

    def install(self, ctx) -> None:
        Replay(ctx.venues[self.VENUE].engine, [m for m in self.rows if m.symbol == self.symbol],
               price_scale=self.price_scale, source=self.path).start()

    def volume_profile(self) -> VolumeProfile:
        p = from_trades(self.symbol, ((t, q) for t, q, _ in self._execs), open_s=34_200, close_s=57_600, bin_s=1800)
        total = sum(q for _, q, _ in self._execs)
        return VolumeProfile.from_fractions(self.open_ns, 1800, p.bins, total, self.close_ns)

    def calibration(self) -> Calibration:
        prices = [p for _, _, p in self._execs]
        ss = sum(math.log(b / a) ** 2 for a, b in zip(prices, prices[1:]) if a > 0 and b > 0)
        span = max(1.0, (self._execs[-1][0] - self._execs[0][0]) / NS)
        mid = sum(prices) / len(prices)
        sigma = math.sqrt(ss / span) * mid
        return Calibration(mid, 1.0, max(sigma, 1e-3), sum(q for _, q, _ in self._execs) / span)
