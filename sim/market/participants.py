"""The participants of the synthetic market; each acts through ``VenueAccess`` on the clock.

- ``LatentValue``: the symbol's unobserved fair value, a Gaussian random walk in ticks.
- ``MarketMaker``: quotes a ladder of ``levels`` prices a side around the value, the
  spread and depth of its profile, re-centred every ``requote_s`` (only an outside order left
  stale in the way of the new ladder is taken: makers never cross each other or the noise);
  refills a taken level at the next re-quote.
- ``TakerFlow``: the liquidity takers, arriving as a Poisson process whose rate follows
  the U-shaped intraday curve: noise traders (random side), momentum traders (the side
  of the last 30 s mid move) and value traders (towards the latent value), each a
  marketable IOC of a size drawn from the profile's trade-size distribution.
- ``PassiveNoise``: noise limit orders resting 1..levels ticks behind the touch, cancelled
  after an exponential life, or as soon as the makers' re-centred touch reaches them (noise
  traders never improve on the quote: the spread stays the makers').
- ``CloseAuction``: market-on-close orders in the last window, crossed at the close.
"""
from __future__ import annotations

import math
import random
from bisect import bisect
from itertools import accumulate

from wirespeed.enums import OrdType, Side, TimeInForce

from ..book import STP, BookOrder
from .config import SymbolProfile
from .profile import u_rate

_BUY, _SELL = Side.BUY, Side.SELL
_IOC, _DAY, _LIMIT = TimeInForce.IOC, TimeInForce.DAY, OrdType.LIMIT
NS = 1_000_000_000


class LatentValue:
    __slots__ = ("value", "sigma_step", "step_s", "rng", "clock")

    def __init__(self, profile: SymbolProfile, rng: random.Random, clock, session_s: float, step_s: float = 0.25):
        self.value = float(profile.start_ticks)
        sigma_day = profile.start_ticks * profile.volatility_bps / 10_000
        self.sigma_step = sigma_day * math.sqrt(step_s / session_s)
        self.step_s, self.rng, self.clock = step_s, rng, clock

    def start(self, until_ns: int) -> None:
        self._step(until_ns)

    def _step(self, until_ns: int) -> None:
        self.value += self.rng.gauss(0.0, self.sigma_step)
        if self.value < 1:
            self.value = 1.0
        if self.clock.time_ns() + self.step_s * NS < until_ns:
            self.clock.call_later(self.step_s, self._step, until_ns)


class SizeDraw:
    """Draws sizes from ``(size, weight)`` pairs."""
    __slots__ = ("sizes", "cum", "total", "rng")

    def __init__(self, pairs, rng: random.Random):
        self.sizes = [s for s, _ in pairs]
        self.cum = list(accumulate(w for _, w in pairs))
        self.total = self.cum[-1]
        self.rng = rng

    def __call__(self) -> int:
        return self.sizes[bisect(self.cum, self.rng.random() * self.total)]


class MarketMaker:
    def __init__(self, name: str, symbol: str, access, value: LatentValue, profile: SymbolProfile,
                 rng: random.Random):
        self.name, self.symbol, self.access, self.value = name, symbol, access, value
        self.p = profile
        self.rng = rng
        self.clip = profile.depth // profile.makers
        self.bids: list[BookOrder | None] = [None] * profile.levels
        self.asks: list[BookOrder | None] = [None] * profile.levels
        self.position = 0
        self.traded = 0
        self.desk: MakerDesk | None = None
        self.dirty = True               # a ladder order was taken, cut or refused since the last re-quote

    def on_fill(self, trade, maker: bool) -> None:
        mine = trade.passive if maker else trade.aggressor
        self.position += trade.qty if mine.side == _BUY else -trade.qty
        self.traded += trade.qty
        self.dirty = True
        if maker and self.desk is not None:
            # a taker hit us: the desk's memory of the flow (temporary and permanent impact)
            self.desk.on_taken(trade.qty if trade.aggressor.side == _BUY else -trade.qty)

    def on_stp(self, order, qty: int) -> None:
        self.dirty = True

    def quote(self, centre: int, away_first: bool, phase: int) -> None:
        """Re-centre the ladder on ``centre`` (the desk's: the value plus the flow's skew).
        Phase 0 moves the side away from the centre's move, phase 1 the side towards it: the
        ``MakerDesk`` runs phase 0 for every maker before phase 1, so re-centred makers never
        cross each other or themselves."""
        p = self.p
        bid0 = centre - p.spread_ticks // 2
        if (phase == 0) == away_first:
            self._ladder(self.asks, _SELL, bid0 + p.spread_ticks, +1)
        else:
            self._ladder(self.bids, _BUY, bid0, -1)

    def _ladder(self, orders, side, top: int, step: int) -> None:
        """Make the side's orders the ladder ``top, top + step, ...``, ``clip`` shares each.
        An order already at a wanted price keeps its place in the queue (a one-tick move of the
        centre re-prices one order a side, not the whole ladder, as a real maker would); a
        partly taken one is topped up (to the back); the rest move to the prices left open."""
        access, symbol, clip = self.access, self.symbol, self.clip
        book = access.engine.books[symbol]
        n = len(orders)
        # Fast path (nearly every re-quote of a day): the whole ladder rests untouched and
        # the centre moved by fewer ticks than it has levels, so only the orders that fell off
        # one end move, to the other end. (Written out: this runs ~250,000 times a day.)
        first = orders[0]
        if first is not None and top - step > 0 and top + step * n > 0:
            shift = (top - first.price) * step          # levels the ladder moves outward (+) or in (-)
            if shift and -n < shift < n:
                resting = book._orders
                for o in orders:
                    if o is None or o.qty != clip or o.id not in resting:
                        break
                else:
                    if shift == 1 or shift == -1:
                        # a one-tick move (most of them): the one order off one end goes to the
                        # other, the list rotated in place (what the general case below does)
                        o = orders.pop(0) if shift > 0 else orders.pop()
                        res = access.replace(symbol, o.id, top + step * (n - 1) if shift > 0 else top, clip)
                        if res is None or not res.rested:
                            o = None
                            self.dirty = True
                        if shift > 0:
                            orders.append(o)
                        else:
                            orders.insert(0, o)
                        return
                    if shift > 0:
                        moving, kept, first_level = orders[:shift], orders[shift:], n - shift
                    else:
                        moving, kept, first_level = orders[n + shift:], orders[:n + shift], 0
                    replace = access.replace
                    for j, o in enumerate(moving):
                        # through the access, not the book: what the access stands for (a live
                        # venue's engine telling its sessions, fills and STP cuts routed to their
                        # owners) must see a maker's replace that trades
                        res = replace(symbol, o.id, top + step * (first_level + j), clip)
                        if res is None or not res.rested:
                            moving[j] = None
                            self.dirty = True
                    orders[:] = kept + moving if shift > 0 else moving + kept
                    return
        wanted = [top + step * k for k in range(n)]
        at: dict[int, BookOrder] = {}
        spare: list[BookOrder] = []
        lo, hi = min(wanted[0], wanted[-1]), max(wanted[0], wanted[-1])
        for o in orders:
            if o is None or o.id not in book:
                continue
            if lo <= o.price <= hi and o.price not in at:
                at[o.price] = o
            else:
                spare.append(o)
        for k in range(n):
            price = wanted[k]
            o = at.get(price)
            if price < 1:
                orders[k] = None
                continue
            if o is None and spare:
                o = spare.pop()
            if o is None:
                o = BookOrder(access.next_id(), side, price, clip, _LIMIT, _DAY, self,
                              participant=self.name, stp=STP.CANCEL_OLDEST)
                res = access.submit(symbol, o)
            elif o.price != price or o.qty < clip:
                res = access.replace(symbol, o.id, price, clip)
            else:
                orders[k] = o
                continue
            if res is None or not res.rested:
                orders[k] = None
                self.dirty = True       # try again at the next re-quote
            else:
                orders[k] = o
        for o in spare:                 # prices below one tick: nothing to quote there
            access.cancel(symbol, o.id)

    def withdraw(self) -> None:
        for orders in (self.bids, self.asks):
            for k, o in enumerate(orders):
                if o is not None:
                    self.access.cancel(self.symbol, o.id)
                    orders[k] = None


class FlowMemory:
    """The makers' memory of the net signed flow that took from them (shares, buys positive),
    decaying with ``decay_s``, and the skew it puts on their centre:
    ``impact_ticks * sign(flow) * sqrt(|flow| / depth)``. Venues that share one symbol share
    one memory (``SyntheticDay``), as they share the latent value, so their quotes agree."""
    __slots__ = ("flow", "ts_ns", "decay_ns", "impact_ticks", "depth", "clock")

    def __init__(self, profile: SymbolProfile, clock):
        self.flow, self.ts_ns, self.clock = 0.0, 0, clock
        self.decay_ns = profile.impact_decay_s * NS
        self.impact_ticks, self.depth = profile.impact_ticks, profile.depth

    def now(self) -> float:
        t = self.clock.time_ns()
        if t != self.ts_ns:
            if self.flow:
                self.flow *= math.exp((self.ts_ns - t) / self.decay_ns)
            self.ts_ns = t
        return self.flow

    def add(self, signed_qty: int) -> None:
        self.flow = self.now() + signed_qty

    def skew(self) -> float:
        f = self.now()
        if not f or not self.impact_ticks:
            return 0.0
        s = self.impact_ticks * math.sqrt(abs(f) / self.depth)
        return s if f > 0 else -s


class MakerDesk:
    """Re-quotes every maker of a symbol at once, every ``requote_s``, around one centre, and
    only when something changed: the centre moved, or a ladder order was taken, cut or refused.

    The centre is the latent value skewed by the makers' ``FlowMemory``: a burst that eats the
    book moves the quotes away from the taker (square-root in the burst, relaxing as the memory
    fades: the finite refill a real book has), while flow spread over time keeps the memory
    short and costs little. Each taken share also moves the latent value itself by
    ``permanent_bps`` per 1 % of ``daily_volume`` (information in the flow: the part that
    never reverts)."""

    def __init__(self, makers: list[MarketMaker], value: LatentValue, profile: SymbolProfile, clock,
                 passive: "PassiveNoise | None" = None):
        self.makers, self.value, self.p, self.clock = makers, value, profile, clock
        self.passive = passive
        self._last = None
        self._until = 0
        self.memory = FlowMemory(profile, clock)
        p = profile
        # ticks of value per share of net taken flow
        self.permanent = p.permanent_bps * p.start_ticks / 1e4 / (0.01 * p.daily_volume)
        for mm in makers:
            mm.desk = self

    def on_taken(self, signed_qty: int) -> None:
        self.memory.add(signed_qty)
        if self.permanent:
            self.value.value += self.permanent * signed_qty

    def start(self, until_ns: int) -> None:
        self._until = until_ns
        self.requote()

    def requote(self) -> None:
        centre = int(round(self.value.value + self.memory.skew()))
        if centre != self._last or self._taken():
            if self.passive is not None:
                bid0 = centre - self.p.spread_ticks // 2
                self.passive.prune(bid0, bid0 + self.p.spread_ticks)
            up = self._last is None or centre >= self._last
            for mm in self.makers:
                mm.dirty = False
            for phase in (0, 1):
                for mm in self.makers:
                    mm.quote(centre, up, phase)
            self._last = centre
        clock = self.clock
        if clock.time_ns() + self.p.requote_s * NS < self._until:
            clock.call_later(self.p.requote_s, self.requote)

    def _taken(self) -> bool:
        """Whether any maker's ladder lost an order or shares since the last re-quote."""
        return any(mm.dirty for mm in self.makers)

    def withdraw(self) -> None:
        for mm in self.makers:
            mm.withdraw()


class TakerFlow:
    """Noise, momentum and value takers: one Poisson stream on the U-shaped rate."""

    def __init__(self, symbol: str, access, value: LatentValue, profile: SymbolProfile, rng: random.Random,
                 open_ns: int, close_ns: int):
        self.symbol, self.access, self.value, self.p, self.rng = symbol, access, value, profile, rng
        self.open_ns, self.close_ns = open_ns, close_ns
        self.size = SizeDraw(profile.trade_sizes, rng)
        span_s = (close_ns - open_ns) / NS
        orders = profile.daily_volume * (1 - profile.close_auction_share) / profile.mean_trade_size
        # mean of u_rate over the day is 1 + (u - 1) / 3
        self.base_rate = orders / (span_s * (1 + (profile.u_shape - 1) / 3))
        self.mids: list[float] = []
        self.sent = 0
        self.sizes: list[int] = []      # executed quantity of each taking order that traded

    def start(self) -> None:
        self._schedule()
        self._sample_mid()

    def _rate(self, now: int) -> float:
        return self.base_rate * u_rate((now - self.open_ns) / (self.close_ns - self.open_ns), self.p.u_shape)

    def _schedule(self) -> None:
        clock = self.access.clock
        gap = self.rng.expovariate(self._rate(clock.time_ns()))
        if clock.time_ns() + gap * NS < self.close_ns:
            clock.call_later(gap, self._arrive)

    def _sample_mid(self) -> None:
        book = self.access.engine.books[self.symbol]
        bb, ba = book.best_bid(), book.best_ask()
        if bb is not None and ba is not None:
            self.mids.append((bb + ba) / 2)
            if len(self.mids) > 31:
                del self.mids[0]
        clock = self.access.clock
        if clock.time_ns() + NS < self.close_ns:
            clock.call_later(1.0, self._sample_mid)

    def _arrive(self) -> None:
        p, rng = self.p, self.rng
        book = self.access.engine.books[self.symbol]
        bb, ba = book.best_bid(), book.best_ask()
        # the same three draws whatever the book shows (see SyntheticMarket: one stream each)
        r, coin, size = rng.random(), rng.random(), self.size()
        if r < p.momentum_share and len(self.mids) > 30 and self.mids[-1] != self.mids[0]:
            side, kind = (_BUY if self.mids[-1] > self.mids[0] else _SELL), "momentum"
        elif r < p.momentum_share + p.value_share and bb is not None and ba is not None \
                and self.value.value != (bb + ba) / 2:
            side, kind = (_BUY if self.value.value > (bb + ba) / 2 else _SELL), "value"
        else:
            side, kind = (_BUY if coin < 0.5 else _SELL), "noise"
        best = ba if side == _BUY else bb
        if best is not None:
            price = best + 2 if side == _BUY else best - 2
            if price > 0:
                self.sent += 1
                o = BookOrder(self.access.next_id(), side, price, size, _LIMIT, _IOC, None, participant=kind)
                self.access.submit(self.symbol, o)
                if o.filled:
                    self.sizes.append(o.filled)
        self._schedule()


class PassiveNoise:
    """Limit orders resting behind the touch, each cancelled after an exponential life."""

    def __init__(self, symbol: str, access, profile: SymbolProfile, rng: random.Random, close_ns: int):
        self.symbol, self.access, self.p, self.rng, self.close_ns = symbol, access, profile, rng, close_ns
        self.size = SizeDraw(profile.trade_sizes, rng)
        self.live: dict[int, BookOrder] = {}

    def prune(self, bid: int, ask: int) -> None:
        """Cancel every noise order at or through the makers' next touch (``bid``/``ask``)."""
        access, symbol = self.access, self.symbol
        stale = [o for o in self.live.values() if (o.price >= bid if o.side == _BUY else o.price <= ask)]
        for o in stale:
            self._cancel(o.id)

    def _cancel(self, oid: int) -> None:
        if self.live.pop(oid, None) is not None:
            self.access.cancel(self.symbol, oid)

    def start(self) -> None:
        if self.p.passive_rate > 0:
            self._schedule()

    def _schedule(self) -> None:
        clock = self.access.clock
        gap = self.rng.expovariate(self.p.passive_rate)
        if clock.time_ns() + gap * NS < self.close_ns:
            clock.call_later(gap, self._arrive)

    def _arrive(self) -> None:
        rng, access = self.rng, self.access
        book = access.engine.books[self.symbol]
        # the same four draws whatever the book shows
        side = _BUY if rng.random() < 0.5 else _SELL
        behind, size, life = rng.randint(1, self.p.levels), self.size(), rng.expovariate(1 / self.p.passive_life_s)
        touch = book.best_bid() if side == _BUY else book.best_ask()
        if touch is not None:
            price = touch - behind if side == _BUY else touch + behind
            if price > 0:
                o = BookOrder(access.next_id(), side, price, size, _LIMIT, _DAY, None, participant="passive")
                if access.submit(self.symbol, o).rested:
                    self.live[o.id] = o
                    access.clock.call_later(life, self._cancel, o.id)
        self._schedule()


class CloseAuction:
    """Market-on-close orders arriving over the last ``window_s``, crossed at the close at
    the makers' mid: the matched volume is the smaller side, the imbalance goes unfilled."""

    def __init__(self, symbol: str, access, profile: SymbolProfile, rng: random.Random, close_ns: int,
                 window_s: int):
        self.symbol, self.access, self.p, self.rng = symbol, access, profile, rng
        self.close_ns, self.window_s = close_ns, window_s
        self.size = SizeDraw(profile.trade_sizes, rng)
        per_side = profile.daily_volume * profile.close_auction_share / profile.mean_trade_size
        self.rate = 2 * per_side / window_s
        self.buy = self.sell = 0
        self.volume = 0
        self.price: int | None = None

    def start(self) -> None:
        if self.p.close_auction_share > 0:
            self.access.clock.call_at(self.close_ns - self.window_s * NS, self._schedule)

    def _schedule(self) -> None:
        clock = self.access.clock
        gap = self.rng.expovariate(self.rate)
        if clock.time_ns() + gap * NS < self.close_ns:
            clock.call_later(gap, self._arrive)

    def _arrive(self) -> None:
        if self.rng.random() < 0.5:
            self.buy += self.size()
        else:
            self.sell += self.size()
        self._schedule()

    def cross(self) -> None:
        book = self.access.engine.books[self.symbol]
        bb, ba = book.best_bid(), book.best_ask()
        self.price = (bb + ba) // 2 if bb is not None and ba is not None else (bb or ba)
        self.volume = min(self.buy, self.sell) if self.price is not None else 0
        if self.price is not None:
            self.access.engine.cross_trade(self.symbol, self.price, self.volume)    # the feed's Cross Trade
