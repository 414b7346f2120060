import pytest

from wirespeed.enums import Side
from wirespeed.control.marketdata import Quote
from wirespeed.control.routing import Router, RouterConfig, VenueInfo


def books():
    return {
        "A": Quote("A", "XYZ", 0, ((99, 500), (98, 900)), ((100, 300), (101, 500))),
        "B": Quote("B", "XYZ", 0, ((99, 100),), ((100, 200), (102, 1000))),
        "C": Quote("C", "XYZ", 0, ((98, 700),), ((101, 400),)),
    }


def router(**cfg):
    return Router([VenueInfo("A", 0.3, 0.2), VenueInfo("B", 0.1, 0.25), VenueInfo("C", -0.1, 0.0)], RouterConfig(**cfg))


def legs_of(legs):
    return sorted((l.venue, l.qty, l.price) for l in legs)


def test_marketable_child_sweeps_touches_in_effective_price_order():
    legs = router().route(Side.BUY, 1000, 101, books())
    # B 100 (eff 100.1) 200, A 100 (100.3) 300, C 101 (100.9) 400, A 101 (101.3) 100
    assert legs_of(legs) == [("A", 400, 101), ("B", 200, 100), ("C", 400, 101)]
    assert all("sweep" in l.reason and "effective" in l.reason for l in legs)


def test_remainder_beyond_displayed_liquidity_goes_to_best_ranked_venue_at_the_limit():
    legs = router().route(Side.BUY, 2000, 101, books())
    assert legs_of(legs) == [("A", 800, 101), ("B", 800, 101), ("C", 400, 101)]
    assert sum(l.qty for l in legs) == 2000
    assert "beyond displayed liquidity" in next(l for l in legs if l.venue == "B").reason


def test_sell_sweep_mirrors():
    legs = router().route(Side.SELL, 600, 98, books())
    # bids: A 99 (eff 98.7) 500, B 99 (98.9) 100 -> B first, then A 500; C 98 not needed
    assert legs_of(legs) == [("A", 500, 99), ("B", 100, 99)]


def test_passive_child_posts_at_the_venue_with_best_rebate_and_shortest_queue():
    # at 99: A -0.2 + 0.05 ln(501) = 0.11, B -0.25 + 0.05 ln(101) = -0.02, C 0 + no queue = 0
    ranked = router().rank(Side.BUY, books(), take=False, price=99)
    assert [r.venue for r in ranked] == ["B", "C", "A"]
    assert [r.score for r in ranked] == pytest.approx([-0.25 + 0.05 * 4.61512, 0.0, -0.2 + 0.05 * 6.21661], abs=1e-4)
    legs = router().route(Side.BUY, 500, 99, books())
    assert legs_of(legs) == [("B", 500, 99)] and legs[0].reason.startswith("passive")


def test_latency_fill_rate_and_markout_history_change_the_ranking():
    r = router()
    r.stats["B"].on_ack(20_000_000)          # 20 ms -> +1 tick penalty
    assert [x.venue for x in r.rank(Side.BUY, books(), take=False, price=99)] == ["C", "A", "B"]
    r = router()
    r.on_sent("C", 1000)                      # C never fills us, and picks us off
    r.stats["C"].markouts, r.stats["C"].markout_ticks = 10, 1.0
    assert [x.venue for x in r.rank(Side.BUY, books(), take=True)] == ["B", "A", "C"]
    r.on_fill("C", 1000)
    r.stats["C"].markout_ticks = 0.0
    assert [x.venue for x in r.rank(Side.BUY, books(), take=True)][0] == "B"


def test_venue_down_and_reroute_exclude_venues():
    r = router()
    r.mark_down("B")
    assert "B" not in {l.venue for l in r.route(Side.BUY, 1000, 101, books())}
    r.mark_up("B")
    legs = r.reroute(Side.BUY, 300, 101, books(), tried={"B", "A"})
    assert legs_of(legs) == [("C", 300, 101)] and legs[0].reason.startswith("re-route after A, B")
    assert r.reroute(Side.BUY, 300, 101, books(), tried={"A", "B", "C"}) == []


def test_bad_router_setup():
    with pytest.raises(ValueError, match="at least one venue"):
        Router([])
    with pytest.raises(ValueError, match="latency_weight"):
        RouterConfig(latency_weight=-1)


def test_with_an_impact_model_the_rest_beyond_displayed_liquidity_is_split_when_it_costs_less():
    from types import SimpleNamespace as NS

    from wirespeed.control.analytics.impact import ImpactModel
    market = NS(mid=lambda: 100.0, volatility=NS(value=lambda: 0.001), rate=NS(value=lambda: 50.0))
    r = Router([VenueInfo("A", 0.3, 0.2), VenueInfo("B", 0.1, 0.25), VenueInfo("C", -0.1, 0.0)],
               impact=ImpactModel(1.0, 0.5), market=market)
    legs = r.route(Side.BUY, 2000, 101, books())
    # displayed 1400 swept as before; the rest 600 by ask depth A 800 / B 1200 / C 400 of 2400:
    # A 200, C 100, B (best ranked) the other 300
    assert legs_of(legs) == [("A", 1000, 101), ("B", 500, 101), ("C", 500, 101)]
    # sigma over 60 s = 0.001 sqrt(60) 1e4 bps; flow 50/s x 60 s x the venue's share; b = 0.5
    sig = 0.001 * 60 ** 0.5 * 1e4
    one = 0.5 * sig * (600 / (3000 * 0.5)) ** 0.5
    split = (300 * 0.5 * sig * (300 / 1500) ** 0.5 + 200 * 0.5 * sig * (200 / 1000) ** 0.5
             + 100 * 0.5 * sig * (100 / 500) ** 0.5) / 600
    assert r.impact_cost_bps(600, 0.5) == pytest.approx(one)
    reason = next(l for l in legs if l.venue == "C").reason
    assert f"expected impact {split:.2f} bps vs {one:.2f} bps on B alone" in reason
    # no measured market yet (no volatility): the old rule, all the rest to the best venue
    r.market = NS(mid=lambda: 100.0, volatility=NS(value=lambda: 0.0), rate=NS(value=lambda: 50.0))
    assert legs_of(r.route(Side.BUY, 2000, 101, books())) == [("A", 800, 101), ("B", 800, 101), ("C", 400, 101)]


def test_a_route_records_its_reasons_without_formatting_them_and_they_read_as_text():
    from wirespeed.control.routing.reason import Why
    legs = router().route(Side.BUY, 2000, 101, books())
    assert all(isinstance(l.reason, Why) and not l.reason.formatted for l in legs)
    b = next(l for l in legs if l.venue == "B").reason
    assert b == ("sweep 200 to 100 (effective 100.10); take at 100 eff 100.10, depth 200, quality penalty 0.00; "
                 "rest of 600 beyond displayed liquidity to the best venue at the limit; take at 100 eff 100.10, "
                 "depth 200, quality penalty 0.00")
    assert b.formatted and repr(b) == repr(str(b)) and f"{b}".startswith("sweep 200")


@pytest.mark.parametrize("side,price", [(Side.BUY, 99), (Side.BUY, 98), (Side.SELL, 100), (Side.SELL, 0),
                                        (Side.BUY, 0)])
def test_routes_best_post_and_best_take_are_ranks_first(side, price):
    r = router()
    r.stats["A"].on_ack(3_000_000)
    r.on_sent("C", 100)
    ranked = r.rank(side, books(), take=False, price=price)
    assert ranked
    if price:                                          # a limit that does not cross: one posting leg
        crossing = r.route(side, 100, price, books(), take_only=True)
        if not crossing:
            (post,) = r.route(side, 100, price, books())
            assert post.venue == ranked[0].venue and post.reason == f"passive: best venue to post; {ranked[0].why}"
    legs = r.route(side, 10_000, 0, books())          # a market order takes every level, best first
    take = r.rank(side, books(), take=True)
    rest = [l for l in legs if "beyond displayed liquidity" in l.reason]
    assert [l.venue for l in rest] == [take[0].venue]           # the rest goes to the best-ranked venue
    assert rest[0].reason.endswith(take[0].reason)


def _random_books(rng, venues):
    """Books best first with a few levels a side around 100; a side is sometimes empty, a venue
    sometimes has no book; quantities from a small set, so equal scores (ties) come up."""
    out = {}
    for v in venues:
        if rng.random() < 0.1:
            continue
        bid, ask = 100 - rng.randint(0, 2), 101 + rng.randint(0, 2)
        bids = tuple((bid - k, rng.choice((100, 200, 500))) for k in range(rng.randint(0, 4)))
        asks = tuple((ask + k, rng.choice((100, 200, 500))) for k in range(rng.randint(0, 4)))
        out[v] = Quote(v, "XYZ", 0, bids, asks)
    return out


def test_a_passive_route_is_ranks_first_over_random_books_and_stats():
    """The route scores posting venues in its own pass over the venues (no ranking, no sort):
    its venue and reason are rank(take=False)'s first on every book, side, exclusion, venue
    state and history, ties included; the queue ahead is the displayed quantity at or better
    than the price."""
    import random
    rng = random.Random(7)
    names = ["A", "B", "C", "D", "E"]
    checked = 0
    for _ in range(400):
        r = Router([VenueInfo(v, rng.choice((0.0, 0.1, 0.3)), rng.choice((0.0, 0.2))) for v in names])
        for v in names:
            s = r.stats[v]
            s.up = rng.random() > 0.1
            if rng.random() < 0.5:
                s.on_ack(rng.choice((100_000, 2_000_000)))
                s.sent, s.filled = 100, rng.choice((50, 100))
        bk = _random_books(rng, names)
        exclude = frozenset(rng.sample(names, rng.randint(0, 2)))
        side = rng.choice((Side.BUY, Side.SELL))
        price = rng.randint(97, 104)
        ranked = r.rank(side, bk, take=False, exclude=exclude, price=price)
        for q in ranked:                               # the queue ahead, by its definition
            own = bk[q.venue].bids if side == Side.BUY else bk[q.venue].asks
            assert q.depth == sum(n for p, n in own if (p >= price if side == Side.BUY else p <= price))
        if r.route(side, 100, price, bk, exclude=exclude, take_only=True):
            continue                                   # marketable somewhere: it takes
        legs = r.route(side, 100, price, bk, exclude=exclude)
        if not ranked:
            assert legs == []
            continue
        (leg,) = legs
        assert (leg.venue, leg.qty, leg.price) == (ranked[0].venue, 100, price)
        assert leg.reason == f"passive: best venue to post; {ranked[0].why}"
        checked += 1
    assert checked > 100


def test_quality_penalty_follows_every_change_of_a_venues_history():
    """The penalty is kept between routes and recomputed when any input changed, however it
    changed (the stats' methods or a direct write)."""
    r = router(latency_weight=0.05, fill_weight=0.5, markout_weight=0.5)
    s = r.stats["A"]

    def expected():
        return 0.05 * s.latency_us / 1e3 + 0.5 * (1 - s.fill_rate) + 0.5 * max(0.0, s.markout_ticks)
    assert r._quality("A") == expected() == 0.0
    for change in (lambda: s.on_ack(4_000_000), lambda: r.on_sent("A", 100), lambda: r.on_fill("A", 40),
                   lambda: setattr(s, "markout_ticks", 2.0), lambda: setattr(s, "latency_us", 10.0),
                   lambda: setattr(s, "sent", 400), lambda: setattr(s, "filled", 400)):
        before = r._quality("A")
        change()
        assert r._quality("A") == expected() != before
    r.config = RouterConfig(latency_weight=1.0)        # another config: recomputed with its weights
    assert r._quality("A") == 1.0 * s.latency_us / 1e3 + 0.5 * (1 - s.fill_rate) + 0.5 * 2.0


def test_a_route_from_kept_book_terms_equals_a_fresh_routers_as_books_stats_and_prices_change():
    """The router keeps each venue's book terms (a level inside the limit, the queue ahead, the
    posting terms) with the Quote they came from, and a posting reason with its inputs: over a
    run of routes where some books are replaced, histories change (by the stats' methods and by
    direct writes), prices, sides and the config move, every route equals a fresh router's
    (nothing kept) on the same books and history, reason text included; an unchanged venue's
    reason is the same object."""
    import dataclasses
    import random
    rng = random.Random(11)
    names = ["A", "B", "C", "D"]
    infos = [VenueInfo(v, rng.choice((0.0, 0.1, 0.3)), rng.choice((0.0, 0.2))) for v in names]
    r = Router(infos)
    bk = _random_books(rng, names)
    side, price, last, shared = Side.BUY, 100, None, 0
    for step in range(600):
        k = rng.random()
        if k < 0.2:
            bk.update(_random_books(rng, rng.sample(names, 1)))      # one venue's book replaced
        elif k < 0.35:
            r.on_sent(rng.choice(names), 100)
        elif k < 0.45:
            r.on_fill(rng.choice(names), 100)
        elif k < 0.5:
            setattr(r.stats[rng.choice(names)], "markout_ticks", rng.choice((0.0, 0.5)))
        elif k < 0.55:
            r.stats[rng.choice(names)].on_ack(rng.choice((100_000, 900_000)))
        elif k < 0.6:
            price = rng.randint(97, 104)
        elif k < 0.63:
            side = Side.SELL if side == Side.BUY else Side.BUY
        elif k < 0.65:
            r.config = RouterConfig(depth_weight=rng.choice((0.05, 0.2)))
        fresh = Router(infos, r.config)
        for v in names:
            fresh.stats[v] = dataclasses.replace(r.stats[v], quality_memo=None, book_memo=None, why_memo=None)
        got, want = r.route(side, 100, price, bk), fresh.route(side, 100, price, bk)
        assert [(l.venue, l.qty, l.price, str(l.reason)) for l in got] == \
               [(l.venue, l.qty, l.price, str(l.reason)) for l in want], step
        if last is not None and len(got) == 1 and got[0].reason is last:
            shared += 1
        last = got[0].reason if len(got) == 1 else None
    assert shared > 50                      # the kept reason did stand in for unchanged routes
