"""Venue managers: the reconnect policy (backoff with seeded jitter, bounded) against a venue that
goes away and comes back, the venue's limits pushed into the gateway and the risk table (through
the register interface), its caps handed to the breakers."""
import asyncio

import pytest

from wirespeed.config import load_config
from wirespeed.control.risk import Breakers, VenueCaps
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.control.venues import (Backoff, ReconnectPolicy, SymbolLimits, VenueConfig, VenueLimits,
                                      VenueManager)
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.server import Gateway, VenueEndpoint
from wirespeed.sim.net import Relay
from wirespeed.sim.venue import SimVenue
from wirespeed.symbols import table_from_config

from tests.gateway.conftest import Stack, run_async


def test_backoff_doubles_to_its_bound_with_seeded_jitter():
    p = ReconnectPolicy(initial_s=0.1, max_s=1.0, jitter=0.2, seed=5)
    a, b = Backoff(p), Backoff(p)
    da = [a.delay(n) for n in range(1, 12)]
    assert da == [b.delay(n) for n in range(1, 12)]                     # the same seed replays
    assert da != [Backoff(ReconnectPolicy(0.1, 1.0, 0.2, seed=6)).delay(n) for n in range(1, 12)]
    for n, d in enumerate(da, 1):
        base = min(1.0, 0.1 * 2 ** (n - 1))
        assert base * 0.8 <= d <= min(1.0, base * 1.2)
    assert max(da) <= 1.0 and da[-1] > 0.79                             # bounded, and at the bound
    assert Backoff(ReconnectPolicy(0.1, 1.0, 0.2)).delay(10 ** 6) <= 1.0   # no overflow far out
    assert [Backoff(ReconnectPolicy(0.1, 1.0, 0.0)).delay(n) for n in (1, 2, 3)] == [0.1, 0.2, 0.4]


@pytest.mark.parametrize("kw, text", [
    (dict(initial_s=0), "reconnect.initial_s: must be a positive"),
    (dict(initial_s=2, max_s=1), "reconnect.max_s: 1 is below initial_s 2"),
    (dict(jitter=1.0), "reconnect.jitter: must be in [0, 1)"),
    (dict(seed="x"), "reconnect.seed: must be an integer"),
])
def test_reconnect_policy_errors_name_the_key(kw, text):
    with pytest.raises(ValueError) as e:
        ReconnectPolicy(**kw)
    assert text in str(e.value)


def test_limit_errors_name_the_key():
    with pytest.raises(ValueError, match=r"limits.symbols.MSFT.max_qty: must be a non-negative integer"):
        SymbolLimits("MSFT", max_qty=-1)
    with pytest.raises(ValueError, match=r"limits.symbols: MSFT given twice"):
        VenueLimits(symbols=(SymbolLimits("MSFT"), SymbolLimits("MSFT")))
    with pytest.raises(ValueError, match=r"limits.rate"):
        VenueLimits(rate=-1)
    with pytest.raises(ValueError, match=r"venue X: caps: must be a VenueCaps"):
        VenueConfig("X", caps={"max_trades": 1})


@run_async
async def test_the_manager_pushes_its_limits_into_the_gateway_and_the_risk_table():
    async with Stack() as stack:
        orders = stack.gateway.orders
        name = stack.config.venue.name
        with pytest.raises(ValueError, match=r"links: NOPE is no gateway venue session"):
            VenueManager(VenueConfig(name, links=("NOPE",)), orders)
        with pytest.raises(ValueError, match=r"limits.symbols.ZZZZ: not a configured symbol"):
            VenueManager(VenueConfig(name, limits=VenueLimits(symbols=(SymbolLimits("ZZZZ", 5),))), orders).start()
        sym = stack.symbols.by_name("MSFT")
        before = orders.risk.row(sym.index)
        writes = orders.risk.writes
        breakers = Breakers()
        m = VenueManager(VenueConfig(name, limits=VenueLimits(credit_limit=10_000_000, rate=500, burst=5, symbols=(
            SymbolLimits("MSFT", max_qty=50), SymbolLimits("AAPL", max_qty=10 ** 9))), caps=VenueCaps(max_trades=7)),
            orders, breakers=breakers)
        m.start()
        row = orders.risk.row(sym.index)
        assert row.max_qty == 50 and row.price_lo == before.price_lo and row.max_notional == before.max_notional
        assert orders.risk.writes > writes                  # written word by word through the registers
        aapl = stack.symbols.by_name("AAPL")                # a looser venue limit never loosens a row
        assert orders.risk.row(aapl.index).max_qty == 1000
        link = orders.venues[name]
        assert link.credit_limit == 10_000_000 and link.throttle.rate == 500
        assert breakers.caps[name] == VenueCaps(max_trades=7)
        c = FixClient("CLIENT1", stack.config.gateway.comp_id, "127.0.0.1", stack.gateway.port)
        await c.start()
        c.new_order("L1", "MSFT", "1", 60, "410.00")
        c.new_order("L2", "MSFT", "1", 50, "410.00")
        r1 = (await c.wait_report("L1"))[0]
        assert r1[T.ExecType] == "8" and "max_qty" in r1[T.Text]
        r2 = (await c.wait_report("L2"))[0]
        assert r2[T.ExecType] == "0"
        await c.stop()


class _Someone:
    def on_report(self, r):
        pass


@run_async(timeout=60)
async def test_a_venue_that_goes_away_and_comes_back_is_reconnected_on_the_policy_and_trades_again():
    config = load_config(overrides={"risk": {"default": {"max_qty": 1000, "collar_ticks": 100}}})
    symbols = table_from_config(config.symbols)
    venue = SimVenue(config.venue, symbols)
    await venue.start()
    relay = Relay(seed=1)
    gateway = None
    try:
        path = await relay.create("venue_path", f"127.0.0.1:{venue.port}")
        name = config.venue.name
        gateway = Gateway(config, clients=("CLIENT1",), symbols=symbols,
                          venues=[VenueEndpoint(name, "127.0.0.1", path.port, config.venue.comp_id)])
        await gateway.start()
        orders = gateway.orders
        m = VenueManager(VenueConfig(name, reconnect=ReconnectPolicy(0.05, 0.2, 0.3, seed=9)), orders,
                         initiators=gateway.initiators)
        m.start()
        session = orders.venues[name].session
        sent_types = []
        send_raw = session._send_raw
        session._send_raw = lambda mt, fields, *a, **k: (sent_types.append(mt), send_raw(mt, fields, *a, **k))[1]
        c = FixClient("CLIENT1", config.gateway.comp_id, "127.0.0.1", gateway.port)
        await c.start()
        await gateway.initiators[name].wait_logged_on()
        book = venue.books["MSFT"]
        sym = symbols.by_name("MSFT")
        px = book.best_bid() + 1                                  # our bid alone at the top
        assert px < book.best_ask()
        c.new_order("R1", "MSFT", "1", 10, sym.tick.format(px))  # rests at the venue
        assert (await c.wait_report("R1"))[0][T.ExecType] == "0"

        async def until(cond, what, tries=600):
            for _ in range(tries):
                m.poll()
                if cond():
                    return
                await asyncio.sleep(0.01)
            raise AssertionError(f"{what}: {m.events}")

        await path.disable()                                     # the venue goes away
        await until(lambda: m.state == "down", "down")
        # the venue fills our order while the gateway is away: its report waits at the venue
        venue.core.new_order(_Someone(), None, "X", "MSFT", Side.SELL, OrdType.LIMIT, TimeInForce.IOC, 10, px)
        # a few refused attempts on the policy (waited for: 50+100+200 ms of delays and three
        # connects take longer than any fixed sleep on a loaded machine)
        await until(lambda: sum(e.what.startswith("retry") for e in m.events) >= 3, "three refused attempts")
        retries = [e.what for e in m.events if e.what.startswith("retry")]
        assert len(retries) >= 3, m.events
        expect = Backoff(ReconnectPolicy(0.05, 0.2, 0.3, seed=9 * 1009))
        assert retries == [f"retry {n} in {expect.delay(n):.3f}s" for n in range(1, len(retries) + 1)]
        assert all(float(r.split(" in ")[1][:-1]) <= 0.2 for r in retries)   # bounded by max_s
        await path.enable()                                      # ... and comes back
        await until(lambda: m.state == "up", "up")
        whats = [e.what for e in m.events if not e.what.startswith("retry")]
        assert whats[0] == "down" and whats[-1] == "up"
        # the fill made while the link was down reaches the client once
        fills = await c.wait_report("R1", 1, timeout=10, predicate=lambda r: r[T.ExecType] == "F")
        await asyncio.sleep(0.2)
        fills = [r for r in c.reports["R1"] if r[T.ExecType] == "F"]
        assert len(fills) == 1 and fills[0][T.LastQty] == "10" and fills[0][T.OrdStatus] == "2"
        # the Logon reset the numbers; the engine recovered by asking for the order's status
        assert sent_types.count("A") == 1 and "H" in sent_types
        c.new_order("R2", "MSFT", "1", 10, "409.50")
        assert (await c.wait_report("R2"))[0][T.ExecType] == "0"
        await c.stop()
    finally:
        if gateway is not None:
            await gateway.stop()
        await relay.close()
        await venue.stop()


class _Feed:
    """What the manager reads of a feed client (sim's FeedSubscriber has these)."""
    def __init__(self):
        self.stale, self.lost, self.stats = False, [], {}


@run_async
async def test_a_feed_that_loses_a_gap_for_good_routes_orders_away_from_its_venue():
    async with Stack() as stack:
        name = stack.config.venue.name
        feed, breakers, trips = _Feed(), Breakers(), []
        breakers.on_trip = trips.append
        m = VenueManager(VenueConfig(name), stack.gateway.orders, breakers=breakers, feed=feed,
                         clock=lambda: 5.0)
        m.start()
        m.poll()
        assert breakers.venue_blocked(name, 5 * 10 ** 9) == ""
        feed.stale, feed.lost = True, [(120, 180)]
        m.poll()
        assert breakers.venue_blocked(name, 5 * 10 ** 9) == f"feed_stale {name}: feed lost messages 120..180 for good"
        assert [t.breaker for t in trips] == ["feed_stale"]
        feed.stale = False
        m.poll()
        assert breakers.venue_blocked(name, 6 * 10 ** 9) == ""
        assert [e.what for e in m.events if e.link == "feed"] == ["stale", "fresh"]


@pytest.mark.parametrize("backend", ["amaranth"])
@run_async(timeout=90)
async def test_venue_limits_reach_the_simulated_hardware_through_its_registers(backend):
    # The same push into the Amaranth-simulated risk pipeline: the limits go in only as register
    # writes, and the design itself then refuses the order over them.
    stack = Stack()
    stack.config = load_config(overrides={"risk": {"backend": backend, "default": {"max_qty": 1000,
                                                                                  "collar_ticks": 100}}})
    async with stack:
        orders = stack.gateway.orders
        assert orders.risk.name == backend
        sym = stack.symbols.by_name("MSFT")
        VenueManager(VenueConfig(stack.config.venue.name, limits=VenueLimits(symbols=(
            SymbolLimits("MSFT", max_qty=40),))), orders).start()
        assert orders.risk.row(sym.index).max_qty == 40
        c = FixClient("CLIENT1", stack.config.gateway.comp_id, "127.0.0.1", stack.gateway.port)
        await c.start()
        c.new_order("H1", "MSFT", "1", 41, "410.00")
        c.new_order("H2", "MSFT", "1", 40, "410.00")
        r1, r2 = (await c.wait_report("H1", timeout=20))[0], (await c.wait_report("H2", timeout=20))[0]
        assert r1[T.ExecType] == "8" and "max_qty" in r1[T.Text] and r2[T.ExecType] == "0"
        await c.stop()


@run_async
async def test_a_sequence_reset_is_decided_on_the_logon_exchange_not_on_the_counterpartys_words():
    """The manager asks for a reset when the venue's Logon came below our numbers, or when our
    Logon was refused as too low in any of the usual wordings, or refused twice running with any
    text; a refusal for another reason, once, and a session's mid-session error do not reset."""
    from types import SimpleNamespace
    from wirespeed.clock import fix_timestamp
    from wirespeed.gateway.fix.encoder import encode_message
    from wirespeed.gateway.session import Session, SessionConfig

    def refused_by(text=None, peer_seq=None):
        s = Session(SessionConfig("GW", "VENUE1", role="initiator"), None)
        s.connection_made(lambda b: None, lambda: None)              # our Logon goes out
        if peer_seq is None:
            fields = [(58, text)] if text else []
            s.data_received(encode_message("FIX.4.4", "5", "VENUE1", "GW", 1, fields, fix_timestamp()))
        else:
            s.store.next_target_seq = 9                                  # we expect 9; it says peer_seq
            s.data_received(encode_message("FIX.4.4", "A", "VENUE1", "GW", peer_seq, [(98, 0), (108, 30)],
                                           fix_timestamp()))
        return s

    async with Stack() as stack:
        name = stack.config.venue.name

        def resets(*sessions):
            m = VenueManager(VenueConfig(name), stack.gateway.orders)
            init = SimpleNamespace(session=None)
            m.initiators = {name: init}
            out = []
            for s in sessions:
                init.session = s
                m._before_retry(name, 1, 0.1)
                out.append(s.reset_next_logon)
            return out

        assert refused_by(peer_seq=2).logon_failure == "peer_low"
        assert resets(refused_by(peer_seq=2)) == [True]
        for text in ("MsgSeqNum too low, expecting 57 but received 1", "MsgSeqNum(34) too low",
                     "Sequence number 1 lower than expected 57"):
            assert resets(refused_by(text)) == [True], text
        assert resets(refused_by("bad password")) == [False]
        assert resets(refused_by("bad password"), refused_by()) == [False, True]      # twice running
        mid = Session(SessionConfig("GW", "VENUE1", role="initiator"), None)
        mid.last_error = "MsgSeqNum too low, expecting 5 but received 4"               # mid-session
        assert resets(mid) == [False]
