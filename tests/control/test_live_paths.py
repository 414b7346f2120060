"""Two network paths to one venue on the live path: an outage on the current one (a relay that
stops passing data) fails orders over to the other within the missed-probe budget, nothing is
lost, and when the path answers again it is taken back only after its recovery probes."""
import asyncio

from wirespeed.clock import ScaledClock, fix_timestamp
from wirespeed.config import load_config
from wirespeed.control.live import AlgoDesk
from wirespeed.control.live.strategy import strategy_fields
from wirespeed.control.marketdata import Quote
from wirespeed.control.paths import PathConfig, PathProber, PathSelector
from wirespeed.control.routing import VenueInfo
from wirespeed.enums import Side
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.server import Gateway, VenueEndpoint
from wirespeed.sim.net import Relay, ToxicSpec
from wirespeed.sim.venue import SimVenue, VenueSpec, VenueSymbol
from wirespeed.sim.venue.config import FeedSpec
from wirespeed.symbols import table_from_config

from tests.gateway.conftest import run_async

NS = 1_000_000_000


@run_async
async def test_outage_fails_over_without_losing_the_parent_then_fails_back():
    venue = SimVenue(VenueSpec("DELTA", ouch=False, feed=FeedSpec(enabled=False),
                               symbols=(VenueSymbol("AAPL", "0.01", "190.00", level_qty=2000),)))
    await venue.start()
    relay = Relay(seed=3)
    a = await relay.create("delta_a", f"127.0.0.1:{venue.port}")
    b = await relay.create("delta_b", f"127.0.0.1:{venue.port}", toxics=[
        ToxicSpec("latency", name="slow", stream="downstream", attributes={"latency": 20})])   # clearly slower, even on a loaded machine
    config = load_config(overrides={"risk": {"default": {"max_qty": 5000}}})
    symbols = table_from_config(config.symbols)
    gw = Gateway(config, clients=("CLIENT1",), symbols=symbols, venues=[
        VenueEndpoint("DELTA-A", "127.0.0.1", a.port, "DELTA", sender_comp_id="GW_A"),
        VenueEndpoint("DELTA-B", "127.0.0.1", b.port, "DELTA", sender_comp_id="GW_B")])
    await gw.start()
    sel = PathSelector("DELTA", ["DELTA-A", "DELTA-B"],
                       # (a probe timeout well over B's 20 ms: a loaded loop late by a few tens of ms
                       # does not fail B too, which would route the parent nowhere for a moment)
                       PathConfig(probe_interval_s=0.02, timeout_s=0.15, max_missed=3, recovery_probes=5,
                                  hysteresis_us=5000))
    prober = PathProber(gw.orders, [sel])
    clock = ScaledClock(30.0)
    desk = AlgoDesk(gw.orders, symbols, [VenueInfo("DELTA")], clock, paths={"DELTA": sel})
    c = FixClient("CLIENT1", config.gateway.comp_id, "127.0.0.1", gw.port)
    await c.start()
    prober.start()
    stop = asyncio.Event()

    async def feed():
        while not stop.is_set():
            book = venue.books["AAPL"]
            desk.on_market(Quote("DELTA", "AAPL", clock.time_ns(), tuple(book.depth(Side.BUY, 5)),
                                 tuple(book.depth(Side.SELL, 5))))
            await asyncio.sleep(0.01)
    task = asyncio.create_task(feed())
    try:
        await asyncio.sleep(0.3)
        assert sel.current == "DELTA-A"
        end = fix_timestamp(clock.time_ns() + 150 * NS)         # 5 s of real time (the schedule ends 60 s early)
        c.new_order("PF1", "AAPL", "1", 4000, "191.00", extra=strategy_fields(
            "twap", {"EndTime": end, "Urgency": "cross", "DecisionSecs": "1", "MinChild": "100"}))
        await c.wait_report("PF1")
        await asyncio.sleep(0.4)
        n0 = len(sel.events)
        a.add_toxic(ToxicSpec("timeout", name="outage", attributes={"timeout": 0}))   # A stops answering
        loop = asyncio.get_running_loop()
        t_out = loop.time()
        for _ in range(200):
            if sel.current == "DELTA-B":
                break
            await asyncio.sleep(0.01)
        assert sel.current == "DELTA-B" and loop.time() - t_out < 1.5       # bounded: missed probes + timeout
        failed = [h for h in sel.health if h[1] == "DELTA-A"]
        assert failed and failed[-1][2].startswith("failed: DELTA-A: 3 probes unanswered")
        # (the switches since the outage: from A, ending on B; a loaded loop may miss B's probes too
        # on the way, A -> None -> B, and the selector's own ticks interleave with this loop)
        out = sel.events[n0:]
        assert out and (out[0].old, out[-1].new) == ("DELTA-A", "DELTA-B"), out
        await asyncio.sleep(0.4)
        n1 = len(sel.events)
        a.remove_toxic("outage")                                     # A is back
        for _ in range(200):
            if sel.current == "DELTA-A":
                break
            await asyncio.sleep(0.01)
        back = [e for e in sel.events[n1:] if e.new == "DELTA-A"]
        assert back and (back[0].old, back[0].new) == ("DELTA-B", "DELTA-A") and "faster" in back[0].reason, \
            sel.events[n1:]
        assert [h[2] for h in sel.health if h[1] == "DELTA-A"][-1] == "recovered after 5 answered probes"
        reps = await c.wait_report("PF1", 1, timeout=10, predicate=lambda m: m[T.OrdStatus] in ("2", "3"))
        final = reps[-1]
        # no lost order: every share of the parent is filled, over both paths
        assert final[T.OrdStatus] == "2" and final[T.CumQty] == "4000"
        p = desk.parents[("CLIENT1", "PF1")]
        paths = {p.ctx.path_of[lid] for lid, leg in p.runner.legs.items() if leg.filled}
        assert paths == {"DELTA-A", "DELTA-B"}
        assert sel.latency.count("DELTA-A") > 0 and sel.latency.count("DELTA-B") > 0
    finally:
        stop.set()
        await task
        await prober.stop()
        await c.stop()
        await gw.stop()
        await relay.close()
        await venue.stop()
