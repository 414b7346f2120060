"""The accelerated, in-process path: a venue core on a simulated clock with in-process feed
subscribers (no socket, no encoding) rebuilding the engine's book, timestamps on that clock."""
import random

from wirespeed.clock import SimClock
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.sim.feed import FeedBook, FeedPublisher, FeedSymbol
from wirespeed.sim.venue import VenueCore, VenueSpec, VenueSymbol


class Owner:
    def __init__(self):
        self.reports = []

    def on_report(self, r):
        self.reports.append(r)


def test_in_process_feed_follows_the_engine_on_a_simulated_clock():
    clock = SimClock.at_day(1_764_547_200_000_000_000, "09:30")
    spec = VenueSpec("SIMV", ouch=False, symbols=(VenueSymbol("AAPL", "0.01", "100.00", levels=3, level_qty=200),))
    pub = FeedPublisher([FeedSymbol.of("AAPL", 1, spec.symbol_table().by_name("AAPL").tick)], session="SIMV",
                        clock=clock)
    seen, stamps = FeedBook(), []
    pub.subscribe(seen)
    pub.subscribe(lambda ev: stamps.append(ev.ts_ns))
    core = VenueCore(spec, clock=clock, sink=pub)
    core.start()
    rng, owners = random.Random(4), [Owner(), Owner()]
    live = []
    for i in range(400):
        clock.advance(0.01)
        owner = rng.choice(owners)
        if live and rng.random() < 0.3:
            o = live.pop(rng.randrange(len(live)))
            core.cancel(o.owner, o, None)
            continue
        side = rng.choice([Side.BUY, Side.SELL])
        price = 10_000 + rng.randint(-6, 6)
        o = core.new_order(owner, None, f"C{i}", "AAPL", side, OrdType.LIMIT,
                           rng.choice([TimeInForce.DAY, TimeInForce.IOC]), rng.choice([50, 100, 300]), price,
                           participant=id(owner))
        if o is not None and o.open:
            live.append(o)
        live = [x for x in live if x.open]
    book = core.books["AAPL"]
    mirror = seen.book("AAPL")
    assert mirror.depth(Side.BUY, 20) == book.depth(Side.BUY, 20)
    assert mirror.depth(Side.SELL, 20) == book.depth(Side.SELL, 20)
    assert stamps == sorted(stamps) and stamps[0] >= (9 * 60 + 30) * 60 * 10 ** 9
    assert stamps[-1] <= (9 * 60 + 30) * 60 * 10 ** 9 + 5 * 10 ** 9
    assert pub.stats["messages"] == 0 and core.stats["fills"] > 0      # nothing encoded in process
    fills = [r for o in owners for r in o.reports if r.kind == "trade"]
    client_orders = {r.order.id: r.order for o in owners for r in o.reports if r.order is not None}
    assert sum(r.last_qty for r in fills) == sum(o.cum for o in client_orders.values()) > 0
