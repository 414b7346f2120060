"""Sequence recovery on the venue sessions a manager owns (the desk service's builder): no Logon
resets; a link lost through a ``sim/net`` relay is recovered by ResendRequest (the fills the venue
made meanwhile arrive once, PossDupFlag=Y, none by the status request); a venue restarted without
its store is found out (its numbers below ours) and reset, its orders reconciled by status; a
desk restarted (its store in memory) is refused by a venue that kept its numbers, and resets."""
import asyncio

from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.sim.venue import SimVenue, VenueSpec

from tests.control.desk_rig import SYMBOLS, DeskRig, Recorder, desk_config, spy, take
from tests.gateway.conftest import run_async, until


@run_async(timeout=60)
async def test_a_lost_link_is_recovered_by_resend_and_a_venue_without_its_store_by_reset_and_status():
    async with DeskRig(relay_seed=1) as rig:
        venue, path = rig.venue, rig.path
        svc = rig.desk(desk_config(path.port, cancel_on_stop=True))
        session = svc.managers[0].owned["XNAS"].session
        logons = spy(session)
        rec = session.app = Recorder(session.app)
        port = await svc.start()
        m, orders = svc.managers[0], svc.gateway.orders
        c = rig.client = FixClient("CLIENT1", "WIRESPEED", "127.0.0.1", port)
        await c.start()
        px = venue.books["MSFT"].best_bid() + 1                       # alone at the top of the bid
        c.new_order("R1", "MSFT", "1", 50, svc.symbols.by_name("MSFT").tick.format(px))
        assert (await c.wait_report("R1"))[0][T.ExecType] == "0"

        await path.disable()                                          # the link goes away
        await until(lambda: (m.poll(), m.state)[1] == "down", "down")
        for qty in (20, 30):                                          # the venue fills it meanwhile
            take(venue, qty, px)
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
        venue = rig.venue = SimVenue(VenueSpec("XNAS", ouch=False, fix_port=vport, symbols=SYMBOLS))
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
        await rig.stop_client()
        await svc.stop()
        # the desk restarts (a fresh process: numbers from 1) against the venue that kept them
        svc = rig.desk(desk_config(path.port, cancel_on_stop=True))
        await svc.start()
        m2 = svc.managers[0]
        assert m2.state == "up" and "sequence reset" in [e.what for e in m2.events]
