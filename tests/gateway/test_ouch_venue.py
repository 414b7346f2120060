"""An OUCH 5.0 venue session: sim's OUCH / SoupBinTCP front end behind the same order path."""
import asyncio
import dataclasses

from wirespeed.config import VenueConfig, load_config
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.ouch.messages import decode
from wirespeed.gateway.ouch.soup import SoupClient
from wirespeed.gateway.server import Gateway, VenueEndpoint
from wirespeed.gateway.service_config import TransportConfig
from wirespeed.gateway.transport import StampedTransport
from wirespeed.sim.venue import SimVenue, VenueSpec
from wirespeed.symbols import table_from_config

from .conftest import run_async


class OuchStack:
    def __init__(self, transport=None, audit=None):
        self.transport, self.audit = transport, audit

    async def __aenter__(self):
        self.config = load_config(overrides={"risk": {"default": {"max_qty": 5000, "collar_ticks": 100}}})
        self.symbols = table_from_config(self.config.symbols)
        # The venue lists AAPL and MSFT only: SPY, which the gateway knows, it rejects.
        listed = table_from_config(self.config.symbols[:2])
        spec = VenueSpec.from_venue_config(VenueConfig(name="XOUCH", comp_id="XOUCH"), listed)
        self.venue = SimVenue(dataclasses.replace(spec, ouch=True))
        await self.venue.start()
        self.gateway = Gateway(self.config, clients=("CLIENT1",), symbols=self.symbols, venues=[
            VenueEndpoint("XOUCH", "127.0.0.1", self.venue.ouch_port, "XOUCH", protocol="ouch", username="USER",
                          password="PASS")], transport=self.transport, audit=self.audit)
        await self.gateway.start()
        self.client = FixClient("CLIENT1", self.config.gateway.comp_id, "127.0.0.1", self.gateway.port)
        await self.client.start()
        return self

    async def __aexit__(self, *exc):
        await self.client.stop()
        await self.gateway.stop()
        await self.venue.stop()


@run_async
async def test_ouch_venue_accepts_fills_replaces_and_cancels():
    async with OuchStack() as st:
        c = st.client
        assert st.gateway.orders.venues["XOUCH"].state == "up"
        c.new_order("F1", "AAPL", "1", 100, "190.03")                  # crosses the maker: filled
        new, fill = await c.wait_report("F1", 2)
        assert (new[T.ExecType], fill[T.ExecType], fill[T.OrdStatus]) == ("0", "F", "2")
        assert fill[T.LastPx] == "190.01" and fill[T.CumQty] == "100"
        c.new_order("R1", "MSFT", "1", 10, "409.50")                   # rests
        await c.wait_report("R1")
        c.replace("R2", "R1", "MSFT", "1", 30, "409.60")
        pend, done = await c.wait_report("R2", 2)
        assert (pend[T.ExecType], done[T.ExecType], done[T.OrderQty], done[T.Price]) == ("E", "5", "30", "409.60")
        vo = next(o for o in st.venue.core.orders.values() if o.symbol == "MSFT" and o.open)
        assert (vo.qty, vo.price) == (30, st.symbols.by_name("MSFT").tick.parse_ticks("409.60"))
        c.cancel("R3", "R2", "MSFT", "1", 30)
        reps = await c.wait_report("R3", 2)
        assert [m[T.ExecType] for m in reps] == ["6", "4"] and reps[1][T.OrigClOrdID] == "R2"
        model = st.gateway.risk.model
        assert model.open_buy[st.symbols.by_name("MSFT").index] == 0
        assert model.pos[st.symbols.by_name("AAPL").index] == 100


@run_async
async def test_ouch_venue_with_an_audit_trail_behind_the_trail_gate(tmp_path):
    """An audit trail puts a gate on the shared write batcher (server.py); the OUCH venue session
    writes through the same batcher and is not a gated client connection: its writes go, the
    client's reports pass the gate, and both are in the trail."""
    from wirespeed.gateway.audit import AuditTrail, read_trail
    async with OuchStack(audit=AuditTrail(tmp_path)) as st:
        assert st.gateway.batcher.gate is not None and st.gateway.orders.venues["XOUCH"].state == "up"
        c = st.client
        c.new_order("A1", "AAPL", "1", 100, "190.03")
        new, fill = await c.wait_report("A1", 2)
        assert (new[T.ExecType], fill[T.ExecType]) == ("0", "F")
        c.new_order("A2", "MSFT", "1", 10, "409.50")
        assert (await c.wait_report("A2"))[0][T.ExecType] == "0"
        assert st.client.session.active and st.gateway.batcher.held() == 0
        st.gateway.orders.audit.flush()
        outs = [dict(map(tuple, r["fields"])) for r in read_trail(tmp_path)
                if r["kind"] == "out" and r.get("client") == "CLIENT1"]
        assert {(o.get(11), o.get(150)) for o in outs} >= {("A1", "0"), ("A1", "F"), ("A2", "0")}


@run_async
async def test_ouch_venue_reject_and_replay_after_reconnect():
    async with OuchStack() as st:
        c = st.client
        c.new_order("SPY1", "SPY", "1", 10, "520.00")
        rep = (await c.wait_report("SPY1"))[0]
        assert rep[T.ExecType] == "8" and rep[T.Text] == "venue: OUCH reject 0x0017"      # invalid symbol
        assert st.gateway.risk.model.open_buy[st.symbols.by_name("SPY").index] == 0
        c.new_order("P1", "MSFT", "1", 10, "409.50")
        await c.wait_report("P1")
        ouch = st.gateway.orders.venues["XOUCH"].session
        seen = ouch.soup.next_seq
        ouch.transport.close()                                  # the link drops ...
        await asyncio.sleep(0.01)
        # ... and while it is down the venue cancels P1 (its report waits in the venue's stream)
        vo = next(o for o in st.venue.core.orders.values() if o.symbol == "MSFT" and o.open)
        st.venue.core.cancel(vo.owner, vo, None)
        assert await ouch.wait_logged_on(5)
        reps = await c.wait_report("P1", 2)
        assert reps[1][T.ExecType] == "4" and "unsolicited" in reps[1][T.Text]
        assert ouch.soup.next_seq == seen + 1                    # exactly the one missed message, replayed
        await asyncio.sleep(0.05)
        assert len(c.reports["P1"]) == 2


@run_async
async def test_ouch_venue_reads_kernel_stamps_and_coalesces_a_bursts_writes():
    async with OuchStack(TransportConfig(kernel_timestamps=True, coalesce_writes=True)) as st:
        c, ouch = st.client, st.gateway.orders.venues["XOUCH"].session
        assert isinstance(ouch.transport, StampedTransport)       # read by recvmsg, not through libuv
        c.new_order("K0", "AAPL", "1", 10, "190.03")
        await c.wait_report("K0", 2)
        batched = st.gateway.batcher.batched
        # A burst: twenty orders from the client in one write; the gateway reads them in one turn and
        # its Enter Orders to the venue after the first go out together.
        for k in range(20):
            c.new_order(f"B{k}", "MSFT", "1", 10, "409.50")
        for k in range(20):
            assert (await c.wait_report(f"B{k}"))[0][T.ExecType] == "0"
        assert ouch.transport.stamped >= 2                       # the venue's reads carry the kernel's stamp
        lat = st.gateway.orders.drain_latency()
        client_reads = sum(p.transport.stamped for p in st.gateway.acceptor._protocols)
        assert lat.count("kernel->user") == client_reads + ouch.transport.stamped
        assert st.gateway.batcher.batched > batched              # some Enter Orders went out with others
        assert sum(1 for o in st.venue.core.orders.values() if o.symbol == "MSFT" and o.open) == 20
        # the venue report's hop starts at the read's stamp (the session's recv_ns), not later
        assert lat.count("venue->client") >= 22 and ouch.recv_ns > 0


def test_soup_client_framing_and_ouch_decoding_against_the_venue_encoders():
    from wirespeed.enums import Side, TimeInForce
    from wirespeed.sim.ouch import messages as venue_side
    from wirespeed.sim.ouch.soup import packet
    soup = SoupClient("USER", "PASS")
    assert soup.login()[3:9] == b"USER  " and soup.login().endswith(b"1".rjust(20))
    order = venue_side.EnterOrder(7, Side.BUY, 100, "AAPL", 1_900_100, TimeInForce.DAY, b"Y", b"N", "00000007")
    stream = (packet(b"A", b"XOUCH".ljust(10) + b"5".rjust(20)) + packet(b"S", venue_side.accepted(1, order, 99))
              + packet(b"S", venue_side.executed(2, 7, 40, 1_900_100, b"R", 12345)) + packet(b"H"))
    events = []
    for i in range(len(stream)):                                  # one byte at a time
        events += soup.feed(stream[i:i + 1])
    assert [k for k, _ in events] == ["login", "data", "data", "heartbeat"] and soup.next_seq == 7
    acc, exe = decode(events[1][1]), decode(events[2][1])
    assert (acc.kind, acc.user_ref, acc.qty, acc.price4, acc.live) == ("accepted", 7, 100, 1_900_100, True)
    assert (exe.kind, exe.user_ref, exe.qty, exe.match) == ("executed", 7, 40, 12345)
