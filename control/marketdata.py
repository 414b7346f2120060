"""Control's market-data input: per-venue top of book with depth, and trade prints.

control/ never imports sim/: a backtest translates the sim venues' book events into these
records, a live run builds them from the venues' ITCH feeds. ``MarketState`` keeps the latest
book of every venue, the consolidated touch and the day's traded volume for one symbol, and
feeds the rolling analytics the algorithms and the router read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from .analytics.microstructure import RollingVolatility, VolumeRate, imbalance


@dataclass(frozen=True, slots=True)
class Quote:
    """One venue's book for one symbol: ``bids``/``asks`` are (price ticks, displayed qty), best first."""
    venue: str
    symbol: str
    ts_ns: int
    bids: tuple[tuple[int, int], ...]
    asks: tuple[tuple[int, int], ...]

    @property
    def bid(self) -> int | None:
        return self.bids[0][0] if self.bids else None

    @property
    def ask(self) -> int | None:
        return self.asks[0][0] if self.asks else None

    @property
    def bid_qty(self) -> int:
        return self.bids[0][1] if self.bids else 0

    @property
    def ask_qty(self) -> int:
        return self.asks[0][1] if self.asks else 0


@dataclass(frozen=True, slots=True)
class TradePrint:
    venue: str
    symbol: str
    ts_ns: int
    price: int
    qty: int


MarketData = Union[Quote, TradePrint]


@dataclass(slots=True)
class MarketState:
    """Everything an algorithm knows about the market of its symbol, from events only."""
    symbol: str
    vol_window: int = 120                 # mid samples in the realised-volatility window
    books: dict[str, Quote] = field(default_factory=dict)
    volume: int = 0                       # shares printed on all venues since the state began
    last_price: int | None = None
    last_ts_ns: int = 0
    volatility: RollingVolatility = field(init=False)
    rate: VolumeRate = field(init=False)
    _bid: int | None = field(init=False, default=None)
    _ask: int | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.volatility = RollingVolatility(self.vol_window)
        self.rate = VolumeRate()

    def update(self, md: MarketData) -> None:
        self.last_ts_ns = md.ts_ns
        if isinstance(md, Quote):
            books = self.books
            books[md.venue] = md
            # The consolidated touch is read on every decision: compute it once per quote (one
            # plain pass: this runs for every quote of the day).
            bid = ask = None
            for q in books.values():
                side = q.bids
                if side:
                    p = side[0][0]
                    if bid is None or p > bid:
                        bid = p
                side = q.asks
                if side:
                    p = side[0][0]
                    if ask is None or p < ask:
                        ask = p
            self._bid, self._ask = bid, ask
            if bid is not None and ask is not None:
                self.volatility.add(md.ts_ns, (ask + bid) / 2)
        else:
            self.volume += md.qty
            self.last_price = md.price
            self.rate.add(md.ts_ns, md.qty)

    # consolidated touch --------------------------------------------------------------------
    def best_bid(self) -> int | None:
        return self._bid

    def best_ask(self) -> int | None:
        return self._ask

    def mid(self) -> float | None:
        b, a = self._bid, self._ask
        if b is None or a is None:
            return None
        return (a + b) / 2

    def spread(self) -> int | None:
        b, a = self.best_bid(), self.best_ask()
        return None if b is None or a is None else a - b

    def imbalance(self) -> float:
        """Consolidated top-of-book imbalance in [-1, 1] (+1: all bids)."""
        bq = sum(q.bid_qty for q in self.books.values())
        aq = sum(q.ask_qty for q in self.books.values())
        return imbalance(bq, aq)
