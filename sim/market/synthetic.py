"""A synthetic trading day: a seeded market of participants trading through one venue.

    market = SyntheticMarket(MarketConfig(symbols=(SymbolProfile("SIMA"),), seed=7))
    day = market.run_day()            # runs the session on its SimClock, then the close
    day["SIMA"].spread_mean, .depth_mean, .trade_sizes(), .profile, .events, .auction_volume

The market owns (or is given) a ``SimClock`` and a ``MatchingEngine``; a backtest passes
its own so that its orders meet the participants in the same books and time (and
``record=False``: it measures the day from its own tape, not from ``days``). Instead of
``run_day`` it may call ``start()``, drive the clock itself, and ``close()`` at the end.
Same seed, same config: the same day, event for event.
"""
from __future__ import annotations

import calendar
import random
from collections import Counter
from dataclasses import dataclass, field

from wirespeed.clock import DAY_NS, SimClock

from ..engine import MatchingEngine
from ..events import (END_OF_MARKET_HOURS, START_OF_MARKET_HOURS, AddOrder, OrderExecuted, OrderReplace)
from .access import VenueAccess
from .config import MarketConfig, SymbolProfile
from .participants import NS, CloseAuction, LatentValue, MakerDesk, MarketMaker, PassiveNoise, TakerFlow
from .profile import VolumeProfile, from_trades

#: The day a market runs on when no clock is given (a Monday).
DEFAULT_DAY_NS = calendar.timegm((2026, 11, 30, 0, 0, 0)) * NS


@dataclass(slots=True)
class SymbolDay:
    """What one symbol's day came to, measured from the venue's book events and samples."""
    symbol: str
    events: int = 0
    trades: list = field(default_factory=list)        # (ns since midnight, qty, price)
    spreads: list = field(default_factory=list)       # sampled best ask - best bid (ticks)
    depths: list = field(default_factory=list)        # sampled displayed qty at the best bid and ask
    taker_sizes: list = field(default_factory=list)  # executed qty of each taking order
    auction_volume: int = 0
    auction_price: int | None = None
    profile: VolumeProfile | None = None

    @property
    def volume(self) -> int:
        return sum(q for _, q, _ in self.trades) + self.auction_volume

    @property
    def spread_mean(self) -> float:
        """Mean sampled spread (ticks); NaN if the book never had both sides."""
        return sum(self.spreads) / len(self.spreads) if self.spreads else float("nan")

    @property
    def depth_mean(self) -> float:
        return sum(self.depths) / len(self.depths) if self.depths else float("nan")

    def trade_sizes(self) -> dict[int, float]:
        """Fraction of the taking orders that traded, by executed size (a trade as a
        participant sees it; one order may print against several resting orders)."""
        c = Counter(self.taker_sizes)
        n = sum(c.values())
        return {k: v / n for k, v in sorted(c.items())} if n else {}


class _Recorder:
    """The market's own subscriber: counts each symbol's events and keeps its prints."""
    __slots__ = ("days",)

    def __init__(self, days: dict[str, SymbolDay]):
        self.days = days

    def __call__(self, ev) -> None:
        day = self.days.get(getattr(ev, "symbol", None))
        if day is None:
            return
        day.events += 1
        if type(ev) is OrderExecuted:
            day.trades.append((ev.ts_ns, ev.qty, ev.price))


class SyntheticMarket:
    def __init__(self, config: MarketConfig, *, clock: SimClock | None = None,
                 engine: MatchingEngine | None = None, record: bool = True):
        if not isinstance(config, MarketConfig):
            raise TypeError(f"config must be a MarketConfig, not {config!r}")
        self.config = config
        self.clock = clock or SimClock(DEFAULT_DAY_NS + config.open_s * NS)
        day0 = self.clock.time_ns() - self.clock.time_ns() % DAY_NS
        self.open_ns, self.close_ns = day0 + config.open_s * NS, day0 + config.close_s * NS
        self.engine = engine or MatchingEngine("SIM", clock=self.clock)
        for prof in config.symbols:
            if prof.symbol not in self.engine.books:
                self.engine.add_symbol(prof.symbol)
        self.access = VenueAccess(self.engine)
        self.days = {p.symbol: SymbolDay(p.symbol) for p in config.symbols}
        # ``record=False`` (a backtest, which measures from its own tape): no day statistics,
        # and one subscriber fewer on every book event; the market itself is the same
        if record:
            self.engine.subscribe(_Recorder(self.days))
        self._parts: dict[str, dict] = {}
        session_s = config.close_s - config.open_s
        for prof in config.symbols:
            # one stream per participant, each drawing the same numbers whatever the book does:
            # an outside order changes what the participants do, never the dice they roll
            # (so the same day without the order is the same day)
            rng = {role: random.Random(f"{config.seed}:{prof.symbol}:{role}")
                   for role in ("value", "takers", "passive", "auction")}
            value = LatentValue(prof, rng["value"], self.clock, session_s)
            makers = [MarketMaker(f"MM{i}", prof.symbol, self.access, value, prof, None) for i in range(prof.makers)]
            passive = PassiveNoise(prof.symbol, self.access, prof, rng["passive"], self.close_ns)
            self._parts[prof.symbol] = {
                "value": value,
                "makers": MakerDesk(makers, value, prof, self.clock, passive),
                "takers": TakerFlow(prof.symbol, self.access, value, prof, rng["takers"], self.open_ns, self.close_ns),
                "passive": passive,
                "auction": CloseAuction(prof.symbol, self.access, prof, rng["auction"], self.close_ns,
                                        config.auction_window_s),
            }
        self._started = self._closed = False

    def value(self, symbol: str) -> float:
        """The latent value (ticks) right now: what value traders know and makers quote around."""
        return self._parts[symbol]["value"].value

    def start(self) -> None:
        """Schedule the whole session on the clock (call at or before the open)."""
        if self._started:
            raise RuntimeError("market already started")
        self._started = True
        self.clock.call_at(self.open_ns, self._open)
        self.clock.call_at(self.close_ns, self.close)

    def _open(self) -> None:
        self.engine.system_event(START_OF_MARKET_HOURS)
        for parts in self._parts.values():
            parts["value"].start(self.close_ns)
            parts["makers"].start(self.close_ns)   # quote at the open, then every requote_s
            parts["takers"].start()
            parts["passive"].start()
            parts["auction"].start()
        self.clock.call_later(self.config.sample_s, self._sample)

    def _sample(self) -> None:
        for sym, day in self.days.items():
            book = self.engine.books[sym]
            bb, ba = book.best_bid(), book.best_ask()
            if bb is not None and ba is not None:
                day.spreads.append(ba - bb)
                day.depths.append((book.bids.levels[bb].total + book.asks.levels[ba].total) / 2)
        if self.clock.time_ns() + self.config.sample_s * NS < self.close_ns:
            self.clock.call_later(self.config.sample_s, self._sample)

    def close(self) -> None:
        """The close: the auction crosses, makers withdraw, profiles are measured."""
        if self._closed:
            return
        self._closed = True
        c = self.config
        for sym, parts in self._parts.items():
            auction = parts["auction"]
            auction.cross()
            parts["makers"].withdraw()
            day = self.days[sym]
            day.taker_sizes = parts["takers"].sizes
            day.auction_volume, day.auction_price = auction.volume, auction.price
            # A day without a single trade has no profile (None), rather than no close.
            day.profile = from_trades(sym, ((t, q) for t, q, _ in day.trades), open_s=c.open_s,
                                      close_s=c.close_s, bin_s=c.bin_s, auction_qty=auction.volume) \
                if day.trades or auction.volume else None
        self.engine.system_event(END_OF_MARKET_HOURS)

    def run_day(self) -> dict[str, SymbolDay]:
        self.start()
        self.clock.run_until(self.close_ns)
        self.close()
        return self.days


def historical_profile(config: MarketConfig, symbol: str, days: int = 5) -> VolumeProfile:
    """The average volume profile of ``days`` generated days (seeds ``config.seed``,
    ``config.seed + 1``, ...): what a VWAP schedule takes as its history."""
    if not isinstance(days, int) or days <= 0:
        raise ValueError(f"days must be a positive integer, not {days!r}")
    from dataclasses import replace
    from .profile import average
    config.profile(symbol)
    return average(SyntheticMarket(replace(config, seed=config.seed + i)).run_day()[symbol].profile
                   for i in range(days))
