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
from operator import itemgetter
from typing import NamedTuple

from wirespeed.enums import Side

from ..marketdata import Quote
from .reason import Why
from .venues import VenueInfo, VenueStats

# Enum members read on every child's path as module constants: an enum member read off its class
# (``Side.BUY``) costs about ten global reads on Python 3.11; the same objects, so ``is`` and ``==`` hold.
_BUY = Side.BUY


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


class Leg(NamedTuple):
    """One venue's part of a child. A tuple rather than a frozen dataclass: one is built for
    every leg of every child, and a tuple is built three times faster. ``reason`` is a ``Why``
    (a string, formatted when read)."""
    venue: str
    qty: int
    price: int
    reason: Why | str


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
    def why(self) -> Why:
        if self.take:
            return Why("take at {} eff {:.2f}, depth {}, quality penalty {:.2f}", self.ref, abs(self.eff), self.depth,
                       self.quality)
        return Why(_POST, self.ref, self.rebate, self.depth, self.depth, self.quality)

    @property
    def reason(self) -> str:
        return str(self.why)


def queue_ahead(own, price: int, buy: bool) -> int:
    """Shares resting on our own side ``own`` (levels best first) at ``price`` or better: the
    queue a child posted at ``price`` stands behind (a prefix of the levels)."""
    ahead = 0
    if buy:
        for p, lq in own:
            if p < price:
                break
            ahead += lq
    else:
        for p, lq in own:
            if p > price:
                break
            ahead += lq
    return ahead


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
        return self._quality_of(self.stats[venue])

    def _quality_of(self, s: VenueStats) -> float:
        """The venue's quality penalty from its history. Every route scores every up venue and
        a venue's history changes only when it is sent, acknowledges, fills or is marked: the
        last inputs and result are kept on its stats and the penalty is recomputed only when
        an input differs (the same operations on the same values when it is)."""
        c = self.config
        lat, sent, filled, mk = s.latency_us, s.sent, s.filled, s.markout_ticks
        m = s.quality_memo
        if m is not None and m[0] is c and m[1] == lat and m[2] == sent and m[3] == filled and m[4] == mk:
            return m[5]
        # (``s.fill_rate`` written out: a property's frame on every route)
        q = (c.latency_weight * lat / 1e3 + c.fill_weight * (1 - (filled / sent if sent else 1.0))
             + c.markout_weight * (mk if mk > 0.0 else 0.0))
        s.quality_memo = (c, lat, sent, filled, mk, q)
        return q

    def rank(self, side: Side, books: dict[str, Quote], take: bool, exclude=(), price: int | None = None) -> list[Ranked]:
        """Up venues (with a book) best first, for taking (``take``) or posting at ``price``
        (default: each venue's own touch)."""
        buy = side == _BUY
        out = self._takes(buy, books, exclude) if take else self._posts(buy, books, exclude, price)
        out.sort(key=_BY_SCORE)
        return out

    def _takes(self, buy: bool, books: dict[str, Quote], exclude) -> list[Ranked]:
        """Each up venue with a far touch, scored for taking (unsorted)."""
        out = []
        stats = self.stats
        for name, info in self.venues.items():
            q = books.get(name)
            if q is None or name in exclude:
                continue
            s = stats[name]
            if not s.up:
                continue
            far = q.asks if buy else q.bids
            if not far:
                continue
            touch, depth = far[0]
            score, touch, eff, depth, quality = self._take_score(buy, info, s, touch, depth)
            out.append(Ranked(name, score, True, touch, eff, 0.0, depth, quality))
        return out

    def _posts(self, buy: bool, books: dict[str, Quote], exclude, price: int | None) -> list[Ranked]:
        """Each up venue with a book, scored for posting at ``price`` (unsorted). The price is the
        child's on every venue; what differs is the rebate and the queue ahead of us (displayed
        quantity at or better than our price)."""
        out = []
        stats = self.stats
        for name, info in self.venues.items():
            q = books.get(name)
            if q is None or name in exclude:
                continue
            s = stats[name]
            if not s.up:
                continue
            own = q.bids if buy else q.asks
            ref = price if price is not None else (own[0][0] if own else None)
            if ref is None:
                continue
            score, name, ref, eff, rebate, ahead, quality = self._post_score(buy, name, info, s, own, ref)
            out.append(Ranked(name, score, False, ref, eff, rebate, ahead, quality))
        return out

    def _post_score(self, buy: bool, name: str, info: VenueInfo, s: VenueStats, own, ref: int) -> tuple:
        """A venue's posting score at ``ref`` on its own side ``own`` (best first): (score, name,
        ref, eff, rebate, queue ahead, quality), a plain tuple (a route scores every venue and
        keeps one; min over the tuples is min over (score, name), names being unique)."""
        ahead = queue_ahead(own, ref, buy)
        rebate = info.make_rebate
        eff = -rebate
        quality = self._quality_of(s)
        return eff + quality + self.config.depth_weight * math.log1p(ahead), name, ref, eff, rebate, ahead, quality

    def route(self, side: Side, qty: int, price: int, books: dict[str, Quote], exclude=(),
              take_only: bool = False) -> list[Leg]:
        """Legs for a child of ``qty`` at limit ``price`` (0: a market order); [] when no venue is
        up. ``take_only`` (an IOC child): only the displayed liquidity, no resting remainder."""
        buy = side == _BUY
        # limit as a bound on the far side's prices (a market order, price 0: none); sells
        # compare negated prices so one test serves both sides
        bound = (price if buy else -price) if price else math.inf
        sgn = 1 if buy else -1
        # One pass over the venues: each up venue's take score (as ``rank(take=True)`` scores
        # it, the same float operations in the same order) and its levels inside the limit;
        # while no venue has a level inside the limit, each venue's posting score too (as
        # ``rank(take=False)`` scores it: ``_post_score``), for a passive child, the common one,
        # needs no second pass. Why not ``rank``: this runs for every child, and the Ranked
        # records (and their sort) are only needed for a rest beyond the displayed liquidity;
        # the reasons are formatted for the venues that get a leg only.
        stats, config = self.stats, self.config
        levels = []
        cands = {}                    # venue -> (score, touch, eff, depth, quality) of the venues to take on
        later = []                    # up venues with a touch outside the limit: scored only for a rest
        posts = []                    # every up venue's posting score while no level is inside the limit
        post = not take_only
        for name, info in self.venues.items():
            q = books.get(name)
            if q is None or name in exclude:
                continue
            s = stats[name]
            if not s.up:
                continue
            # What this venue's book says for a child at ``price`` (a level inside the limit?
            # the posting terms), kept on its stats with the quote it came from: a venue whose
            # book did not change since the last child is not read again (Quote is immutable;
            # a new book is a new Quote).
            m = s.book_memo
            if m is None or m[0] is not q or m[1] != price or m[2] is not buy or m[3] is not config:
                m = self._book_terms(s, info, q, price, buy, sgn, bound)
            if m[4]:
                far = q.asks if buy else q.bids
                post = False          # a level inside the limit: the child takes, it does not post
                touch, depth = far[0]
                fee = info.take_fee
                entry = cands[name] = self._take_score(buy, info, s, touch, depth)
                score = entry[0]
                for p, lq in far:
                    if sgn * p > bound:
                        break
                    levels.append((sgn * p + fee, score, name, p, lq))
                continue
            if m[9]:
                later.append(name)
            if post:
                # ``_post_score``'s tuple from the kept terms: the same float operations in the
                # same order ((eff + quality) + depth term), so the same scores and ties
                # (``_quality_of``'s memo read inline: a method call a venue cost more than the test)
                qm, eff = s.quality_memo, m[5]
                if (qm is not None and qm[0] is config and qm[1] == s.latency_us and qm[2] == s.sent
                        and qm[3] == s.filled and qm[4] == s.markout_ticks):
                    quality = qm[5]
                else:
                    quality = self._quality_of(s)
                posts.append((eff + quality + m[8], name, price, eff, m[6], m[7], quality, m, s))
        if levels:
            levels.sort()
            left, alloc = qty, {}
            for eff, _, name, p, lq in levels:
                if left <= 0:
                    break
                take = min(left, lq)
                left -= take
                a = alloc.get(name)
                if a is None:
                    alloc[name] = [take, p, eff]
                else:
                    a[0] += take
                    a[1] = p
            legs = []
            for v, (n, p, e) in alloc.items():
                _, touch, eff, depth, quality = cands[v]
                legs.append(Leg(v, n, p, Why(_SWEEP, n, p, abs(e), touch, abs(eff), depth, quality)))
            if left > 0 and not take_only:
                for name in later:
                    touch, depth = (books[name].asks if buy else books[name].bids)[0]
                    cands[name] = self._take_score(buy, self.venues[name], stats[name], touch, depth)
                ranked_take = {name: Ranked(name, score, True, touch, eff, 0.0, depth, quality)
                               for name, (score, touch, eff, depth, quality)
                               in sorted(cands.items(), key=lambda kv: (kv[1][0], kv[0]))}
                order = list(ranked_take)
                parts, why = self.split_rest(left, order, books, buy)
                if len(parts) == 1:
                    best = parts[0][0]
                    legs = _merge(legs, Leg(best, left, price, Why(
                        "rest of {} beyond displayed liquidity to the best venue at the limit; {}{}", left,
                        ranked_take[best].why, f"; {why}" if why else "")), price)
                else:
                    for v, q in parts:
                        legs = _merge(legs, Leg(v, q, price, Why("rest {} of {} beyond displayed liquidity at the "
                                                                 "limit, {}; {}", q, left, why, ranked_take[v].why)),
                                      price)
            return legs
        if not posts:                 # (take_only, or no venue up)
            return []
        # rank(take=False)'s first, without sorting the rest: with no level inside the limit on
        # any venue, ``posts`` holds every up venue with a book, scored as ``_posts`` scores
        # it, and the min of (score, venue, ...) is the sort's first (names are unique)
        # (the last two items, the venue's book terms and stats, are never compared: the venue
        # names before them are unique)
        _, venue, ref, _, rebate, ahead, quality, m, s = min(posts) if len(posts) > 1 else posts[0]
        # The reason is the last one this venue got when its book terms and quality are the same
        # (the same text: a Why is immutable, so one can stand in several legs' records).
        w = s.why_memo
        if w is not None and w[0] is m and w[1] == quality:
            why = w[2]
        else:
            why = Why(_PASSIVE, ref, rebate, ahead, ahead, quality)
            s.why_memo = (m, quality, why)
        # (``tuple.__new__``: ``Leg._make``'s construction, without the generated ``__new__``'s frame)
        return [tuple.__new__(Leg, (venue, qty, price, why))]

    def _book_terms(self, s: VenueStats, info: VenueInfo, q: Quote, price: int, buy: bool, sgn: int, bound) -> tuple:
        """(quote, price, buy, config, a level inside the limit, eff, rebate, queue ahead, depth
        term, a far touch at all) of venue stats ``s``'s book ``q`` for a child at ``price``, as
        ``_post_score`` computes them (its queue ahead, its ``-rebate``, its
        ``depth_weight * log1p(ahead)``), kept as ``s.book_memo``."""
        far = q.asks if buy else q.bids
        inside = bool(far) and sgn * far[0][0] <= bound
        own = q.bids if buy else q.asks
        ahead = queue_ahead(own, price, buy)
        rebate = info.make_rebate
        c = self.config
        m = s.book_memo = (q, price, buy, c, inside, -rebate, rebate, ahead, c.depth_weight * math.log1p(ahead),
                           bool(far))
        return m

    def _take_score(self, buy: bool, info: VenueInfo, s: VenueStats, touch: int, depth: int):
        """(score, touch, eff, depth, quality) as ``rank(take=True)`` scores a venue: the same float
        operations in the same order, so the same ties."""
        eff = touch + info.take_fee if buy else -(touch - info.take_fee)
        quality = self._quality_of(s)
        return eff + quality + -self.config.depth_weight * math.log1p(depth), touch, eff, depth, quality

    def reroute(self, side: Side, qty: int, price: int, books: dict[str, Quote], tried,
                take_only: bool = False) -> list[Leg]:
        legs = self.route(side, qty, price, books, exclude=tried, take_only=take_only)
        if not legs:
            return legs
        tried = ", ".join(sorted(tried))
        return [Leg(l.venue, l.qty, l.price, Why("re-route after {}: {}", tried, l.reason)) for l in legs]

    # -- history ---------------------------------------------------------------------------
    def on_sent(self, venue: str, qty: int) -> None:
        self.stats[venue].sent += qty

    def on_fill(self, venue: str, qty: int) -> None:
        self.stats[venue].filled += qty

    def mark_down(self, venue: str) -> None:
        self.stats[venue].up = False

    def mark_up(self, venue: str) -> None:
        self.stats[venue].up = True


_BY_SCORE = itemgetter(1, 0)        # (score, venue) of a Ranked: the ranking's order, ties by name
_POST = "post at {}: rebate {}, queue ahead {}, depth {}, quality penalty {:.2f}"
_PASSIVE = "passive: best venue to post; " + _POST     # (one format: the text of the nested Why it was)
_SWEEP = "sweep {} to {} (effective {:.2f}); take at {} eff {:.2f}, depth {}, quality penalty {:.2f}"


def _merge(legs: list[Leg], extra: Leg, price: int) -> list[Leg]:
    for i, l in enumerate(legs):
        if l.venue == extra.venue:
            legs[i] = Leg(l.venue, l.qty + extra.qty, price, Why("{}; {}", l.reason, extra.reason))
            return legs
    return legs + [extra]
