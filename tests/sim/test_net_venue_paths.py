"""Two network paths to one venue: FIX sessions through relays, one delayed, then cut with a
reset; the other path keeps its session and its orders answered."""
import asyncio

from wirespeed.gateway.client import FixClient
from wirespeed.sim.net import Relay, ToxicSpec
from wirespeed.sim.venue import SimVenue, VenueSpec, VenueSymbol
from wirespeed.sim.venue.config import FeedSpec


async def _scenario():
    venue = SimVenue(VenueSpec("DELTA", ouch=False, feed=FeedSpec(enabled=False),
                               symbols=(VenueSymbol("AAPL", "0.01", "100.00"),)))
    await venue.start()
    relay = Relay(seed=9)
    fast = await relay.create("delta_a", f"127.0.0.1:{venue.port}")
    slow = await relay.create("delta_b", f"127.0.0.1:{venue.port}",
                              toxics=[ToxicSpec("latency", stream="downstream", attributes={"latency": 4})])
    a = FixClient("PATHA", "DELTA", "127.0.0.1", fast.port)
    b = FixClient("PATHB", "DELTA", "127.0.0.1", slow.port)
    out = {}
    try:
        await a.start()
        await b.start()
        a.new_order("A1", "AAPL", "1", 10, "99.00")
        out["a1"] = (await a.wait_report("A1"))[0].get(150)
        t0 = b.new_order("B1", "AAPL", "1", 10, "99.00")
        out["slow"] = (await b.wait_report("B1"))[0].recv_ns - t0
        slow.add_toxic(ToxicSpec("reset_peer", attributes={"timeout": 0}))
        await asyncio.sleep(0.1)
        out["b_active"] = b.session.active
        a.new_order("A2", "AAPL", "1", 10, "99.00")
        out["a2"] = (await a.wait_report("A2"))[0].get(150)
        out["stats"] = slow.stats()
    finally:
        await a.stop()
        await b.stop()
        await relay.close()
        await venue.stop()
    return out


def test_two_paths_to_one_venue():
    out = asyncio.run(_scenario())
    assert out["slow"] >= 4_000_000
    assert out["stats"]["downstream_injected_delay"]["p50"] >= 4_000_000
    assert out["b_active"] is False and out["a1"] == out["a2"] == "0"
