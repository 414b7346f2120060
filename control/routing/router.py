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
cannot cover goes to the best-ranked venue at the child's price, or, with an impact model, is
split across venues by displayed depth when the model expects that to cost less (the square-root
law makes a split of a large rest cheaper than one venue's share of the flow). A passive child
goes whole to
the best venue to post on. ``reroute`` sends a remainder (after a reject, a partial IOC fill
or a venue going down) to the next venue, excluding the ones already tried. Every leg carries
the reason it was sent where it went.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

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


class Ranked(NamedTuple):
    """A ranked venue; ``reason`` is formatted only when read (a leg needs it; a child is
    ranked on every venue). ``take``: a take ranking at ``ref`` (the far touch) costing ``eff``;
    else posting at ``ref`` for ``rebate`` behind a queue of ``depth``."""
    venue: str
    score: float
    take: bool
    ref: int
    eff: float
    rebate: float
    depth: int
    quality: float

    @property
    def reason(self) -> str:
        if self.take:
            what = f"take at {self.ref} eff {abs(self.eff):.2f}"
        else:
            what = f"post at {self.ref}: rebate {self.rebate}, queue ahead {self.depth}"
        return f"{what}, depth {self.depth}, quality penalty {self.quality:.2f}"


class Router:
    """``impact`` (an ``analytics.impact.ImpactModel``) and ``market`` (the ``MarketState`` the
    algorithm reads) let the router price what the books do not show: the rest of a marketable
    child beyond the displayed liquidity is split across venues where the model expects it to
    cost less than on the best venue alone (see ``split_rest``)."""

    #: the horizon (s) over which a resting rest is expected to meet the venue's flow
    IMPACT_HORIZON_S = 60.0

    def __init__(self, venues: list[VenueInfo], config: RouterConfig = RouterConfig(), *, impact=None,
                 market=None):
        if not venues:
            raise ValueError("the router needs at least one venue")
        self.venues = {v.name: v for v in venues}
        if len(self.venues) != len(venues):
            raise ValueError("duplicate venue names")
        self.config = config
        self.stats = {v.name: VenueStats() for v in venues}
        self.impact, self.market = impact, market

    def impact_cost_bps(self, qty: float, venue_share: float) -> float | None:
        """The impact model's expected cost (bps) of ``qty`` shares meeting a venue that carries
        ``venue_share`` of the market's flow over ``IMPACT_HORIZON_S``: the square-root term
        ``b sigma_T sqrt(qty / V_venue)``; None without a model or a measured market."""
        m = self.market
        if self.impact is None or m is None or venue_share <= 0:
            return None
        mid, vol, rate = m.mid(), m.volatility.value(), m.rate.value()
        if not mid or vol <= 0 or rate <= 0:
            return None
        T = self.IMPACT_HORIZON_S
        sigma_bps = vol * math.sqrt(T) * 1e4          # log-return volatility over the horizon
        volume = rate * T * venue_share
        return self.impact.impact_coef * sigma_bps * math.sqrt(qty / volume)

    def split_rest(self, rest: int, ranked: list[str], books: dict[str, Quote], buy: bool):
        """How to place ``rest`` shares beyond the displayed liquidity: on the best venue, or
        split by displayed depth (each venue's share of the liquidity) when the impact model
        expects the split to cost less. Returns ([(venue, qty)], reason)."""
        best = ranked[0]
        depth = {v: sum(q for _, q in (books[v].asks if buy else books[v].bids)) for v in ranked}
        total = sum(depth.values())
        if len(ranked) < 2 or total <= 0:
            return [(best, rest)], ""
        share = {v: depth[v] / total for v in ranked}
        one = self.impact_cost_bps(rest, share[best])
        if one is None:
            return [(best, rest)], ""
        parts, left = [], rest
        for v in ranked[1:]:
            q = int(rest * share[v])
            if q > 0:
                parts.append((v, q))
                left -= q
        parts.insert(0, (best, left))
        split = sum(q * self.impact_cost_bps(q, share[v]) for v, q in parts if q > 0) / rest
        if split < one:
            return [p for p in parts if p[1] > 0], (f"split by displayed depth: expected impact {split:.2f} bps "
                                                    f"vs {one:.2f} bps on {best} alone")
        return [(best, rest)], f"expected impact {one:.2f} bps on {best} alone (split {split:.2f} bps)"

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
                ref, rebate = touch, 0.0
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
                rebate = info.make_rebate
            quality = self._quality(name)
            score = eff + quality + depth_term
            out.append(Ranked(name, score, take, ref, eff, rebate, depth, quality))
        out.sort(key=lambda r: (r.score, r.venue))
        return out

    def route(self, side: Side, qty: int, price: int, books: dict[str, Quote], exclude=(),
              take_only: bool = False) -> list[Leg]:
        """Legs for a child of ``qty`` at limit ``price`` (0: a market order); [] when no venue is
        up. ``take_only`` (an IOC child): only the displayed liquidity, no resting remainder."""
        buy = side == Side.BUY
        # limit as a bound on the far side's prices (a market order, price 0: none); sells
        # compare negated prices so one test serves both sides
        bound = (price if buy else -price) if price else math.inf
        sgn = 1 if buy else -1
        levels = []
        if price and not any(((q.asks[0][0] <= price) if q.asks else False) if buy else
                             ((q.bids[0][0] >= price) if q.bids else False) for q in books.values()):
            ranked_take = {}                 # a passive child: no venue's touch to take
        else:
            ranked_take = {r.venue: r for r in self.rank(side, books, True, exclude)}
        for name, r in ranked_take.items():
            fee, q = self.venues[name].take_fee, books[name]
            score = r.score
            for p, lq in (q.asks if buy else q.bids):
                if sgn * p > bound:
                    break
                levels.append((sgn * p + fee, score, name, p, lq))
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
                order = list(ranked_take)
                parts, why = self.split_rest(left, order, books, buy)
                if len(parts) == 1:
                    best = parts[0][0]
                    legs = _merge(legs, Leg(best, left, price, f"rest of {left} beyond displayed liquidity to the "
                                                              f"best venue at the limit; {ranked_take[best].reason}"
                                                              + (f"; {why}" if why else "")), price)
                else:
                    for v, q in parts:
                        legs = _merge(legs, Leg(v, q, price, f"rest {q} of {left} beyond displayed liquidity at the "
                                                             f"limit, {why}; {ranked_take[v].reason}"), price)
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


def _merge(legs: list[Leg], extra: Leg, price: int) -> list[Leg]:
    for i, l in enumerate(legs):
        if l.venue == extra.venue:
            legs[i] = Leg(l.venue, l.qty + extra.qty, price, l.reason + "; " + extra.reason)
            return legs
    return legs + [extra]
