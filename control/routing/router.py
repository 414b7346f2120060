"""The smart order router: rank venues, split a child by available liquidity, re-route.

Ranking (lower score is better, in ticks per share):

* effective price: for taking, the far touch plus the take fee (buy) / minus it (sell); for
  posting (the price is the child's on every venue) minus the maker rebate;
* plus ``latency_weight`` x measured latency (ms): a slow venue's quote is more likely gone;
* plus ``fill_weight`` x (1 - fill rate) and ``markout_weight`` x markout: venues that rarely
  fill us or pick us off cost more than their quote says;
* minus ``depth_weight`` x log(1 + displayed depth at the touch) (posting: the displayed
  quantity at or better than our price is the queue ahead of us, so it adds instead).

A marketable child (its price reaches the far touch somewhere) is split: every displayed level
on every up venue at or inside the child's price is taken in order of effective price (ties
by venue score), so the touch of several venues is swept at once; what displayed liquidity
cannot cover goes to the best-ranked venue at the child's price. A passive child goes whole to
the best venue to post on. ``reroute`` sends a remainder (after a reject, a partial IOC fill
or a venue going down) to the next venue, excluding the ones already tried. Every leg carries
the reason it was sent where it went.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from wirespeed.enums import Side

from ..marketdata import Quote
from .venues import VenueInfo, VenueStats


@dataclass(frozen=True, slots=True)
class RouterConfig:
    latency_weight: float = 0.05     # ticks per ms
    fill_weight: float = 0.5         # ticks at fill rate 0
    markout_weight: float = 0.5
    depth_weight: float = 0.05

    def __post_init__(self) -> None:
        for k in ("latency_weight", "fill_weight", "markout_weight", "depth_weight"):
            v = getattr(self, k)
            if not (isinstance(v, (int, float)) and v >= 0):
                raise ValueError(f"router {k} must be a non-negative number, not {v!r}")


@dataclass(frozen=True, slots=True)
class Leg:
    venue: str
    qty: int
    price: int
    reason: str


@dataclass(frozen=True, slots=True)
class Ranked:
    """A ranked venue; ``reason`` is formatted only when read (one leg in a ranking needs it,
    and a child is ranked on every venue)."""
    venue: str
    score: float
    what: object             # _Take / _Post: str() formats it
    depth: int
    quality: float

    @property
    def reason(self) -> str:
        return f"{self.what}, depth {self.depth}, quality penalty {self.quality:.2f}"


class Router:
    def __init__(self, venues: list[VenueInfo], config: RouterConfig = RouterConfig()):
        if not venues:
            raise ValueError("the router needs at least one venue")
        self.venues = {v.name: v for v in venues}
        if len(self.venues) != len(venues):
            raise ValueError("duplicate venue names")
        self.config = config
        self.stats = {v.name: VenueStats() for v in venues}

    def _quality(self, venue: str) -> float:
        s, c = self.stats[venue], self.config
        return (c.latency_weight * s.latency_us / 1e3 + c.fill_weight * (1 - s.fill_rate)
                + c.markout_weight * max(0.0, s.markout_ticks))

    def rank(self, side: Side, books: dict[str, Quote], take: bool, exclude=(), price: int | None = None) -> list[Ranked]:
        """Up venues (with a book) best first, for taking (``take``) or posting at ``price``
        (default: each venue's own touch)."""
        buy = side == Side.BUY
        out = []
        c = self.config
        for name, info in self.venues.items():
            q = books.get(name)
            if q is None or name in exclude or not self.stats[name].up:
                continue
            if take:
                touch, depth = (q.ask, q.ask_qty) if buy else (q.bid, q.bid_qty)
                if touch is None:
                    continue
                eff = touch + info.take_fee if buy else -(touch - info.take_fee)
                depth_term = -c.depth_weight * math.log1p(depth)
                what = _Take(touch, eff)
            else:
                # Posting: the price is the child's on every venue; what differs is the rebate
                # and the queue ahead of us (displayed quantity at or better than our price).
                own = q.bids if buy else q.asks
                ref = price if price is not None else (own[0][0] if own else None)
                if ref is None:
                    continue
                ahead = sum(lq for p, lq in own if (p >= ref if buy else p <= ref))
                eff = -info.make_rebate
                depth, depth_term = ahead, c.depth_weight * math.log1p(ahead)
                what = _Post(ref, info.make_rebate, ahead)
            quality = self._quality(name)
            score = eff + quality + depth_term
            out.append(Ranked(name, score, what, depth, quality))
        out.sort(key=lambda r: (r.score, r.venue))
        return out

    def route(self, side: Side, qty: int, price: int, books: dict[str, Quote], exclude=(),
              take_only: bool = False) -> list[Leg]:
        """Legs for a child of ``qty`` at limit ``price`` (0: a market order); [] when no venue is
        up. ``take_only`` (an IOC child): only the displayed liquidity, no resting remainder."""
        buy = side == Side.BUY
        if price == 0:                       # a market order (the naive baselines): no limit
            crosses = lambda p: True  # noqa: E731
        else:
            crosses = lambda p: p <= price if buy else p >= price  # noqa: E731
        levels = []
        if price != 0 and not any(
                (q.asks and crosses(q.asks[0][0])) if buy else (q.bids and crosses(q.bids[0][0]))
                for q in books.values()):
            ranked_take = {}                 # a passive child: no venue's touch to take
        else:
            ranked_take = {r.venue: r for r in self.rank(side, books, True, exclude)}
        for name, r in ranked_take.items():
            info, q = self.venues[name], books[name]
            for p, lq in (q.asks if buy else q.bids):
                if not crosses(p):
                    break
                eff = p + info.take_fee if buy else -(p - info.take_fee)
                levels.append((eff, r.score, name, p, lq))
        if levels:
            levels.sort()
            left, alloc = qty, {}
            for eff, _, name, p, lq in levels:
                if left <= 0:
                    break
                take = min(left, lq)
                left -= take
                n, worst, best_eff = alloc.get(name, (0, p, eff))
                alloc[name] = (n + take, p, best_eff)
            legs = [Leg(v, n, p, f"sweep {n} to {p} (effective {abs(e):.2f}); {ranked_take[v].reason}")
                    for v, (n, p, e) in alloc.items()]
            if left > 0 and not take_only:
                best = next(iter(ranked_take))
                legs = _merge(legs, Leg(best, left, price, f"rest of {left} beyond displayed liquidity to the best "
                                                          f"venue at the limit; {ranked_take[best].reason}"), price)
            return legs
        if take_only:
            return []
        ranked = self.rank(side, books, False, exclude, price)
        if not ranked:
            return []
        best = ranked[0]
        return [Leg(best.venue, qty, price, f"passive: best venue to post; {best.reason}")]

    def reroute(self, side: Side, qty: int, price: int, books: dict[str, Quote], tried,
                take_only: bool = False) -> list[Leg]:
        legs = self.route(side, qty, price, books, exclude=tried, take_only=take_only)
        return [Leg(l.venue, l.qty, l.price, f"re-route after {', '.join(sorted(tried))}: {l.reason}") for l in legs]

    # -- history ---------------------------------------------------------------------------
    def on_sent(self, venue: str, qty: int) -> None:
        self.stats[venue].sent += qty

    def on_fill(self, venue: str, qty: int) -> None:
        self.stats[venue].filled += qty

    def mark_down(self, venue: str) -> None:
        self.stats[venue].up = False

    def mark_up(self, venue: str) -> None:
        self.stats[venue].up = True


class _Take(tuple):
    """What a take ranking says, formatted when a reason is read."""
    __slots__ = ()

    def __new__(cls, touch, eff):
        return tuple.__new__(cls, (touch, eff))

    def __str__(self) -> str:
        return f"take at {self[0]} eff {abs(self[1]):.2f}"

    __format__ = lambda self, spec: format(str(self), spec)  # noqa: E731


class _Post(tuple):
    __slots__ = ()

    def __new__(cls, ref, rebate, ahead):
        return tuple.__new__(cls, (ref, rebate, ahead))

    def __str__(self) -> str:
        return f"post at {self[0]}: rebate {self[1]}, queue ahead {self[2]}"

    __format__ = lambda self, spec: format(str(self), spec)  # noqa: E731


def _merge(legs: list[Leg], extra: Leg, price: int) -> list[Leg]:
    for i, l in enumerate(legs):
        if l.venue == extra.venue:
            legs[i] = Leg(l.venue, l.qty + extra.qty, price, l.reason + "; " + extra.reason)
            return legs
    return legs + [extra]
