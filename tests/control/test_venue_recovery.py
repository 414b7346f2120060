"""Sequence recovery on the venue sessions a manager owns (the desk service's builder): no Logon
resets; a link lost through a ``sim/net`` relay is recovered by ResendRequest (the fills the venue
made meanwhile arrive once, PossDupFlag=Y, none by the status request); a venue restarted without
its store is found out (its numbers below ours) and reset, its orders reconciled by status; a
desk restarted (its store in memory) is refused by a venue that kept its numbers, and resets."""
import asyncio

from wirespeed.config import GatewayConfig, RiskConfig, SymbolConfig, SymbolLimits
from wirespeed.control.service import DeskService
from wirespeed.control.service_config import ControlServiceConfig, VenueEntry
from wirespeed.control.venues import PathEndpoint, ReconnectPolicy
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.service_config import ClientSessionConfig
from wirespeed.sim.net import Relay
from wirespeed.sim.venue import SimVenue, VenueSpec, VenueSymbol

from tests.gateway.conftest import run_async, until

SYMBOLS = (VenueSymbol("MSFT", "0.01", "410.00", levels=3, level_qty=500),)


class _Taker:
    def on_report(self, r):
        pass


class _Recorder:
    """Stands in for the venue session's application: records what reaches it, then delegates."""
    def __init__(self, app):
        self.app, self.messages = app, []

    def on_logon(self, session):
        self.app.on_logon(session)

    def on_logout(self, session):
        self.app.on_logout(session)

    def on_message(self, session, msg):
        self.messages.append(msg)
        self.app.on_message(session, msg)


def desk(port: int) -> DeskService:
    return DeskService(ControlServiceConfig(
        clients=(ClientSessionConfig("CLIENT1", route="XNAS"),),
        venues=(VenueEntry("XNAS", paths=(PathEndpoint("XNAS", port),), reconnect=ReconnectPolicy(0.05, 0.1, 0.2)),),
        gateway=GatewayConfig(port=0), risk=RiskConfig(default=SymbolLimits(max_qty=5000, collar_ticks=200)),
        symbols=(SymbolConfig("MSFT", "0.01", "410.00"),)))


def spy(session):
    """The Logons the session sends, as their fields."""
    logons = []
    send_raw = session._send_raw

    def record(mt, fields, *a, **k):
        if mt == "A":
            logons.append(dict(fields))
        return send_raw(mt, fields, *a, **k)
    session._send_raw = record
    return logons


@run_async(timeout=60)
async def test_a_lost_link_is_recovered_by_resend_and_a_venue_without_its_store_by_reset_and_status():
    venue = SimVenue(VenueSpec("XNAS", ouch=False, symbols=SYMBOLS))
    await venue.start()
    relay = Relay(seed=1)
    path = await relay.create("xnas", f"127.0.0.1:{venue.port}")
    svc = desk(path.port)
    c = None
    try:
        session = svc.managers[0].owned["XNAS"].session
        logons = spy(session)
        rec = session.app = _Recorder(session.app)
        port = await svc.start()
        m, orders = svc.managers[0], svc.gateway.orders
        c = FixClient("CLIENT1", "WIRESPEED", "127.0.0.1", port)
        await c.start()
        px = venue.books["MSFT"].best_bid() + 1                       # alone at the top of the bid
        c.new_order("R1", "MSFT", "1", 50, svc.symbols.by_name("MSFT").tick.format(px))
        assert (await c.wait_report("R1"))[0][T.ExecType] == "0"

        await path.disable()                                          # the link goes away
        await until(lambda: (m.poll(), m.state)[1] == "down", "down")
        for qty in (20, 30):                                          # the venue fills it meanwhile
            venue.core.new_order(_Taker(), None, "T", "MSFT", Side.SELL, OrdType.LIMIT, TimeInForce.IOC, qty, px)
        await asyncio.sleep(0.2)
        await path.enable()
        await until(lambda: (m.poll(), m.state)[1] == "up", "up again")
        await until(lambda: len([r for r in c.reports["R1"] if r[T.ExecType] == "F"]) == 2, "two fills")
        await asyncio.sleep(0.1)
        got = [r for r in c.reports["R1"] if r[T.ExecType] == "F"]
        assert [r[T.LastQty] for r in got] == ["20", "30"] and got[-1][T.OrdStatus] == "2"   # once each
        resent = [msg for msg in rec.messages if msg.get(T.ExecType) == "F"]
        assert len(resent) == 2 and all(msg.get(43) == "Y" for msg in resent)             # by resend
        assert orders.counts["reconciled_fills"] == 0                                       # not by status
        assert len(logons) >= 2 and all(T.ResetSeqNumFlag not in x for x in logons)     # ResetOnLogon=N
        assert "sequence reset" not in [e.what for e in m.events]

        # a resting order, then the venue restarts without its store: its numbers start at 1 again
        c.new_order("R2", "MSFT", "1", 40, "409.00")
        assert (await c.wait_report("R2"))[0][T.ExecType] == "0"
        vport = venue.port
        await venue.stop()
        await until(lambda: (m.poll(), m.state)[1] == "down", "down for the restart")
        venue = SimVenue(VenueSpec("XNAS", ouch=False, fix_port=vport, symbols=SYMBOLS))
        await venue.start()
        await until(lambda: (m.poll(), m.state)[1] == "up", "up after the restart", 800)
        whats = [e.what for e in m.events]
        assert "sequence reset" in whats
        assert logons[-1].get(T.ResetSeqNumFlag) == "Y"
        # what resend cannot give: the order the new venue never knew, reconciled by status
        r2 = await c.wait_report("R2", 1, predicate=lambda r: r[T.ExecType] == "4")
        assert "venue does not know the order after reconnect" in r2[-1][T.Text]
        c.new_order("R3", "MSFT", "1", 10, "409.00")                   # and new flow trades there
        assert (await c.wait_report("R3"))[0][T.ExecType] == "0"
        await c.stop()
        c = None
        await svc.stop()
        # the desk restarts (a fresh process: numbers from 1) against the venue that kept them
        svc = desk(path.port)
        await svc.start()
        m2 = svc.managers[0]
        assert m2.state == "up" and "sequence reset" in [e.what for e in m2.events]
    finally:
        if c is not None:
            await c.stop()
        await svc.stop()
        await relay.close()
        await venue.stop()
