"""Venue managers that own their sessions and feeds, inside the desk service's builder, over
loopback against a sim venue: connect, log on and join the feed; the venue killed and
restarted (the manager reconnects on its policy, the gateway reconciles the orders that were
working there, the parent loses no quantity); stop (parents canceled, venue orders canceled,
sessions logged out, feed left)."""
import asyncio
import functools

import pytest

from wirespeed.config import GatewayConfig, RiskConfig, SymbolConfig, SymbolLimits
from wirespeed.control.live.algo_client import AlgoClient
from wirespeed.control.risk import BreakerConfig
from wirespeed.control.service import DeskService
from wirespeed.control.service_config import AlgoDefaults, ControlServiceConfig, DeskConfig, VenueEntry
from wirespeed.control.venues import FeedEndpoint, PathEndpoint, ReconnectPolicy, VenueConfig
from wirespeed.enums import Side
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.service_config import ClientSessionConfig
from wirespeed.sim.venue import SimVenue, VenueSpec, VenueSymbol

from tests.gateway.conftest import run_async, until

SPEC = VenueSpec("XNAS", ouch=False, symbols=(VenueSymbol("MSFT", "0.01", "410.00", levels=3, level_qty=500),))


def desk_config(venue: SimVenue, **desk) -> ControlServiceConfig:
    return ControlServiceConfig(
        clients=(ClientSessionConfig("CLIENT1"),),
        venues=(VenueEntry("XNAS", paths=(PathEndpoint("XNAS", venue.port),), take_fee=0.3, make_rebate=0.2,
                           feed=FeedEndpoint(venue.feed.request_port, snapshot_port=venue.feed.snapshot_port),
                           reconnect=ReconnectPolicy(0.05, 0.2, 0.2, seed=3)),),
        gateway=GatewayConfig(port=0),
        risk=RiskConfig(default=SymbolLimits(max_qty=5000, collar_ticks=200)),
        symbols=(SymbolConfig("MSFT", "0.01", "410.00"),),
        algo=AlgoDefaults(decision_s=0.5, min_child=100),
        breakers=BreakerConfig(venue_recovery_s=0.2),
        desk=DeskConfig(**desk))


def test_the_algo_defaults_build_each_algorithm_and_name_a_bad_key():
    from wirespeed.control.model import ExecutionRefused, ParentOrder
    from wirespeed.symbols import SymbolTable
    from wirespeed.prices import TickSize
    symbols = SymbolTable.of([("MSFT", TickSize.parse("0.01"), "410.00")])
    parent = ParentOrder("P1", "MSFT", Side.BUY, 3000, 0, 60 * 1_000_000_000)
    d = AlgoDefaults(decision_s=2, urgency="mid", expected_volume_per_s=100, volume_fractions=(2, 1, 1))
    vwap = d.configs("vwap", parent, symbols)
    assert vwap.profile.volumes == (3000.0, 1500.0, 1500.0)        # 100/s x 60 s, split 2:1:1
    assert vwap.profile.starts_ns == (0, 20 * 1_000_000_000, 40 * 1_000_000_000)
    assert vwap.decision_s == 2 and vwap.urgency.value == "mid"
    is_cfg = d.configs("is", parent, symbols)
    assert is_cfg.params.sigma == 0.05 and is_cfg.params.eta > 0
    assert d.configs("adaptive", parent, symbols).is_config is not None
    assert d.configs("iceberg", parent, symbols).display_qty == 100
    with pytest.raises(ExecutionRefused, match=r"is needs the market's volume \(algo.expected_volume_per_s\)"):
        AlgoDefaults().configs("is", parent, symbols)
    with pytest.raises(ValueError, match=r"volume_fractions: must be non-negative and not all zero"):
        AlgoDefaults(volume_fractions=(0, 0))
    with pytest.raises(ValueError, match=r"expected_volume_per_s: must be >= 0"):
        AlgoDefaults(expected_volume_per_s=-1)


def test_a_path_config_names_its_key():
    with pytest.raises(ValueError, match=r"port: must be a TCP port"):
        PathEndpoint("XNAS", -1)
    with pytest.raises(ValueError, match=r"username: an OUCH path needs"):
        PathEndpoint("XNAS", 1, protocol="ouch")
    with pytest.raises(ValueError, match=r"venue XNAS: links and paths: give one"):
        VenueConfig("XNAS", links=("XNAS",), paths=(PathEndpoint("XNAS", 1),))
    with pytest.raises(ValueError, match=r"venue XNAS: paths\[1\].name: 'A' named twice"):
        VenueConfig("XNAS", paths=(PathEndpoint("A", 1), PathEndpoint("A", 2)))
    with pytest.raises(ValueError, match=r"retry_s: must be a positive number of seconds"):
        FeedEndpoint(1, retry_s=0)


@run_async(timeout=60)
async def test_the_manager_connects_reconnects_after_a_venue_restart_and_stops_cleanly():
    venue = SimVenue(SPEC)
    await venue.start()
    svc = DeskService(desk_config(venue))
    client = None
    try:
        port = await svc.start()
        m = svc.managers[0]
        orders = svc.gateway.orders
        # connected and logged on by the manager (the gateway starts no venue session itself)
        assert m.state == "up" and "XNAS" in m.owned and not svc.gateway.initiators
        assert m.backoffs["XNAS"] is m.owned["XNAS"].backoff            # the manager's policy
        # the feed joined through the gateway's feed handler: its book is the venue's
        book = m.feed.book.book("MSFT")
        await until(lambda: book.best_bid() is not None, "feed book")
        assert book.best_bid() == venue.books["MSFT"].best_bid()
        assert book.depth(Side.SELL, 3) == [(p, q) for p, q in venue.books["MSFT"].depth(Side.SELL, 3)]
        await until(lambda: svc.desk._books.get("MSFT", {}).get("XNAS") is not None, "desk quote")

        client = AlgoClient("127.0.0.1", port, "CLIENT1", "WIRESPEED", timeout=5)
        await client.__aenter__()
        # passive, priced under the bid: its children rest at the venue
        st = await client.submit("P1", "MSFT", "buy", 1000, "twap", {"DurationSecs": "30", "Urgency": "passive",
                                                                      "DecisionSecs": "0.5"}, limit="409.00")
        assert st.ok, st.text
        parent = svc.desk.parents[("CLIENT1", "P1")]
        await until(lambda: orders.working(venue="XNAS"), "a child working at the venue")
        before = {s.order.order_id for s in orders.working(venue="XNAS")}

        await venue.stop()                                       # the venue is killed
        await until(lambda: m.state == "down", "down", 300)
        m.poll()
        restarted = SimVenue(VenueSpec(SPEC.name, ouch=False, fix_port=venue.port, symbols=SPEC.symbols))
        # its feed comes back on the ports it had (a new day of sequence numbers there)
        restarted.feed.start = functools.partial(restarted.feed.start, request_port=venue.feed.request_port,
                                                 snapshot_port=venue.feed.snapshot_port)
        await asyncio.sleep(0.3)                                 # refused attempts on the policy meanwhile
        await until(lambda: m.feed.ended, "the venue's feed said end of session")   # (its own datagram)
        await restarted.start()
        venue = restarted
        await until(lambda: m.state == "up", "up again", 500)
        # the manager joins the restarted venue's feed again: its book is the new venue's
        await until(lambda: m.feed.joins == 2 and m.feed.book.book("MSFT").best_bid() is not None, "feed rejoined")
        assert m.feed.book.book("MSFT").depth(Side.BUY, 3) == venue.books["MSFT"].depth(Side.BUY, 3)
        assert "rejoin" in [e.what for e in m.events if e.link == "feed"]
        whats = [e.what for e in m.events]
        assert "down" in whats and whats.index("down") < len(whats) - 1
        assert any(w.startswith("retry") for w in whats), whats
        assert "sequence reset" in whats     # it came back without its store: numbers below ours, reset
        assert m.owned["XNAS"].connects >= 2
        # the restarted venue knew none of the orders: reconciled as canceled, never orphaned
        for oid in before:
            assert orders.orders[oid].status.name == "CANCELED" if oid in orders.orders else True
        assert not any(s.order.order_id in before for s in orders.working(venue="XNAS"))
        # ... and the parent's quantity is all still there: made urgent, it fills every share
        st = await client.replace("P1", "P2", params={"Urgency": "cross"}, limit="412.00")
        assert st.ok, st.text
        await until(lambda: parent.done, "parent done", 1000)
        assert parent.status == "2" and parent.cum == 1000
        children = [s for s in orders.orders.values() if s.client_id == "CONTROL"]
        assert sum(s.cum_qty for s in children) == 1000

        # a second parent left working, then the service stops
        st = await client.submit("P3", "MSFT", "buy", 500, "twap", {"DurationSecs": "30", "Urgency": "passive"},
                                 limit="409.00")
        assert st.ok, st.text
        await until(lambda: orders.working(venue="XNAS"), "P3's child working")
        done = await svc.stop()
        svc = None
        assert done["parents_canceled"] == 1 and done["parents_left"] == 0 and done["venue_cancels"] == 0
        assert client.client.reports["P3"][-1][T.OrdStatus] == "4"       # the client heard Canceled
        assert not orders.working(), [s.order.cl_ord_id for s in orders.working()]
        assert not m.owned["XNAS"].session.active                       # logged out
        assert m.events[-1].what == "stopped"
    finally:
        if client is not None:
            await client.__aexit__()
        if svc is not None:
            await svc.stop()
        await venue.stop()


def test_the_market_feed_hands_the_desk_quotes_and_prints_priced_from_the_book():
    from wirespeed.clock import WALL
    from wirespeed.control.marketdata import Quote, TradePrint
    from wirespeed.control.venues import MarketFeed
    from wirespeed.gateway.feed import BookReset
    from wirespeed.gateway.feed.events import AddOrder, OrderExecuted
    from wirespeed.symbols import SymbolTable
    from wirespeed.prices import TickSize

    got = []
    f = MarketFeed("XNAS", FeedEndpoint(9), SymbolTable.of([("MSFT", TickSize.parse("0.01"), "410.00")]), WALL,
                   got.append)
    deliver = f.subscriber._deliver                      # what the subscriber does with each decoded message
    deliver(AddOrder(1, "MSFT", 7, Side.BUY, 40_999, 300), "t")
    deliver(AddOrder(2, "MSFT", 8, Side.SELL, 41_001, 200), "t")
    deliver(OrderExecuted(3, "MSFT", 7, 100, 0, 1), "t")   # ITCH E carries no price: the order's
    prints = [m for m in got if isinstance(m, TradePrint)]
    quotes = [m for m in got if isinstance(m, Quote)]
    assert [(p.venue, p.price, p.qty) for p in prints] == [("XNAS", 40_999, 100)]
    assert quotes and quotes[-1].bids == ((40_999, 200),) and quotes[-1].asks == ((41_001, 200),)
    deliver(BookReset(4, 10), "t")                       # a snapshot voids the books: quoted again, empty
    assert got[-1] == Quote("XNAS", "MSFT", got[-1].ts_ns, (), ())


@run_async(timeout=60)
async def test_the_service_builds_a_session_per_path_fix_and_ouch_and_selects_among_paths():
    fix_venue = SimVenue(VenueSpec("XARC", ouch=False, symbols=SPEC.symbols))
    ouch_venue = SimVenue(VenueSpec("XOUC", ouch=True, ouch_users={"WSGW": "PW"}, symbols=SPEC.symbols))
    for v in (fix_venue, ouch_venue):
        await v.start()
    base = desk_config(fix_venue)
    cfg = ControlServiceConfig(
        clients=base.clients, gateway=base.gateway, risk=base.risk, symbols=base.symbols,
        algo=base.algo,
        venues=(VenueEntry("XARC", paths=(PathEndpoint("XARC-A", fix_venue.port, sender_comp_id="WSGW_A"),
                                          PathEndpoint("XARC-B", fix_venue.port, sender_comp_id="WSGW_B")),
                           feed=FeedEndpoint(fix_venue.feed.request_port)),
                VenueEntry("XOUC", paths=(PathEndpoint("XOUC", ouch_venue.ouch_port, protocol="ouch",
                                                       username="WSGW", password="PW"),),
                           feed=FeedEndpoint(ouch_venue.feed.request_port))))
    svc = DeskService(cfg)
    try:
        port = await svc.start()
        arc, ouc = svc.managers
        assert set(arc.owned) == {"XARC-A", "XARC-B"} and set(ouc.owned) == {"XOUC"}
        assert all(svc.gateway.orders.venues[n].state == "up" for n in ("XARC-A", "XARC-B", "XOUC"))
        assert set(svc.selectors) == {"XARC"} and set(svc.selectors["XARC"].paths) == {"XARC-A", "XARC-B"}
        await until(lambda: len(svc.desk._books.get("MSFT", {})) == 2, "both venues' quotes")
        async with AlgoClient("127.0.0.1", port, "CLIENT1", "WIRESPEED", timeout=5) as client:
            st = await client.submit("P1", "MSFT", "buy", 1200, "twap", {"DurationSecs": "2", "Urgency": "cross",
                                                                          "DecisionSecs": "0.5"}, limit="412.00")
            assert st.ok, st.text
            parent = svc.desk.parents[("CLIENT1", "P1")]
            await until(lambda: parent.done, "parent done", 1000)
        assert parent.status == "2" and parent.cum == 1200, (parent.status, parent.cum, parent.fills_by_venue)
        children = [s for s in svc.gateway.orders.orders.values() if s.client_id == "CONTROL" and s.cum_qty]
        assert {s.venue for s in children} & {"XARC-A", "XARC-B"} and "XOUC" in {s.venue for s in children}
        await svc.stop()
        svc = None
        assert not any(m.active if hasattr(m, "active") else m.session.active
                       for m in (*arc.owned.values(), *ouc.owned.values()))
    finally:
        if svc is not None:
            await svc.stop()
        for v in (fix_venue, ouch_venue):
            await v.stop()


@run_async(timeout=60)
async def test_a_stop_that_leaves_parents_leaves_their_children_at_the_venue():
    venue = SimVenue(SPEC)
    await venue.start()
    base = desk_config(venue, on_stop="leave")
    v = base.venues[0]
    cfg = ControlServiceConfig(clients=base.clients, gateway=base.gateway, risk=base.risk, symbols=base.symbols,
                               algo=base.algo, desk=base.desk,
                               venues=(VenueEntry(v.name, v.paths, feed=v.feed, cancel_on_stop=False),))
    svc = DeskService(cfg)
    try:
        port = await svc.start()
        async with AlgoClient("127.0.0.1", port, "CLIENT1", "WIRESPEED", timeout=5) as client:
            st = await client.submit("P1", "MSFT", "buy", 300, "twap", {"DurationSecs": "30", "Urgency": "passive"},
                                     limit="409.00")
            assert st.ok, st.text
            orders = svc.gateway.orders
            await until(lambda: orders.working(venue="XNAS"), "a child working")
            resting = sum(s.leaves for s in orders.working(venue="XNAS"))
        done = await svc.stop()
        svc = None
        assert done == {"parents_canceled": 0, "venue_cancels": 0, "parents_left": 1}
        assert (40_900, resting) in venue.books["MSFT"].depth(Side.BUY, 10)     # still at the venue
    finally:
        if svc is not None:
            await svc.stop()
        await venue.stop()
