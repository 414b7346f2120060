"""Iceberg: show only a display quantity, refresh it when it fills, randomise its size, and
re-price it by rule when the market moves away.

One child is working at a time: ``display_qty`` shares, drawn each refresh from
``display_qty * (1 +/- display_jitter)`` (seeded), capped by what remains. It sits at the
urgency's price (passive at the touch by default). Price rules: when our touch moves away
from the child by ``reprice_ticks`` or more, the child is replaced at the new price; it is
never moved beyond the parent's limit (placement clamps), and only towards the market (a touch on
the child's far side is the book not yet showing the child itself). At the end time the rest is cancelled:
an iceberg never crosses to finish.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from wirespeed.enums import Side

from ..marketdata import MarketData, MarketState, Quote
from ..model import Action, ChildDone, ChildFill, ParentOrder, ReplaceChild
from .base import NS, AlgoConfig, Algorithm, check
from .placement import limit_price


@dataclass(frozen=True, slots=True)
class IcebergConfig(AlgoConfig):
    display_qty: int = 500
    display_jitter: float = 0.2
    reprice_ticks: int = 1

    def __post_init__(self) -> None:
        AlgoConfig.__post_init__(self)
        check(isinstance(self.display_qty, int) and self.display_qty > 0,
              f"display_qty must be a positive integer, not {self.display_qty!r}")
        check(0 <= self.display_jitter < 1, f"display_jitter must be in [0, 1), not {self.display_jitter!r}")
        check(isinstance(self.reprice_ticks, int) and self.reprice_ticks > 0,
              f"reprice_ticks must be a positive integer, not {self.reprice_ticks!r}")


class Iceberg(Algorithm):
    name = "iceberg"

    def __init__(self, parent: ParentOrder, config: IcebergConfig, market: MarketState):
        super().__init__(parent, config, market)
        self.rng = random.Random(config.seed)
        self.displays: list[int] = []     # every display size shown, in order
        self._stale_venue: str | None = None   # refresh waits for this venue's next quote

    def _display(self) -> int:
        c = self.config
        lo = max(1, int(c.display_qty * (1 - c.display_jitter)))
        hi = max(lo, int(c.display_qty * (1 + c.display_jitter)))
        return min(self.rng.randint(lo, hi), self.remaining)

    def _refresh(self, now_ns: int) -> list[Action]:
        if self.working or self.remaining <= 0 or now_ns >= self.parent.end_ns or now_ns < self.parent.start_ns:
            return []
        qty = self._display()
        child = self._new(now_ns, qty, self.config.urgency)
        if child is None:
            return []
        self.displays.append(qty)
        return [child]

    def on_timer(self, now_ns: int) -> list[Action]:
        p = self.parent
        if now_ns < p.start_ns:
            self.next_timer_ns = p.start_ns
            return []
        if now_ns >= p.end_ns or self.remaining <= 0:
            self.next_timer_ns = None
            return self.cancel_all()
        self.next_timer_ns = min(p.end_ns, now_ns + int(self.config.decision_s * NS))
        return self._refresh(now_ns) + self._reprice(now_ns)

    def _reprice(self, now_ns: int) -> list[Action]:
        out: list[Action] = []
        p = self.parent
        for cid, w in self.working.items():
            if w.cancel_sent:
                continue
            price = limit_price(p.side, w.urgency, self.market.best_bid(), self.market.best_ask(), p.limit)
            # only towards the market: our touch above a resting buy (below a sell) moved away from
            # it. A touch on the child's other side is the book not yet showing the child itself
            # (live, the feed brings our own order back a round trip later); following it backed
            # the child off its price and queue, which the backtest's book never asked for.
            if price is not None and p.sign * (price - w.price) >= self.config.reprice_ticks:
                w.price, w.placed_ns = price, now_ns
                out.append(ReplaceChild(cid, w.qty, price, w.urgency))
        return out

    def on_market(self, md: MarketData) -> list[Action]:
        if self.started and isinstance(md, Quote) and md.ts_ns < self.parent.end_ns:
            out = []
            if self._stale_venue == md.venue:
                self._stale_venue = None
                out = self._refresh(md.ts_ns)
            return out + self._reprice(md.ts_ns)
        return []

    def on_fill(self, fill: ChildFill) -> list[Action]:
        w = self.working.get(fill.child_id)
        super().on_fill(fill)
        if w is not None and fill.child_id not in self.working:
            # The refresh goes at the touch. If the fill's venue still shows a level at the filled
            # child's price holding at least its size, that may be the child itself, its fill
            # come back before the feed's update (live); the refresh then waits for that venue's
            # next quote rather than join a touch that is gone (the timer refreshes regardless).
            q = self.market.books.get(fill.venue)
            side = (q.bids if self.parent.side == Side.BUY else q.asks) if q is not None else ()
            if any(px == w.price and qty >= w.qty for px, qty in side):
                self._stale_venue = fill.venue
                return []
            return self._refresh(fill.ts_ns)
        return []

    def on_done(self, done: ChildDone) -> list[Action]:
        super().on_done(done)
        return self._refresh(done.ts_ns)
