"""What venues report, scripted: replace, cancel rejects, unsolicited cancels, busts, garbage,
unknown order ids, illegal transitions, duplicates, and a disconnect with reconciliation."""
import asyncio

from wirespeed.config import load_config
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.server import Gateway
from wirespeed.symbols import table_from_config

from .conftest import run_async, until
from .scripted_venue import ScriptedVenue


class ScriptedStack:
    def __init__(self, **venue_kw):
        self.config = load_config(overrides={"risk": {"default": {"max_qty": 1000, "collar_ticks": 100}}})
        self.symbols = table_from_config(self.config.symbols)
        self.venue = ScriptedVenue(**venue_kw)

    async def __aenter__(self):
        await self.venue.start()
        self.gateway = Gateway(self.config, self.venue.port, clients=("CLIENT1", "CLIENT2"), symbols=self.symbols)
        await self.gateway.start()
        self.client = FixClient("CLIENT1", self.config.gateway.comp_id, "127.0.0.1", self.gateway.port)
        await self.client.start()
        return self

    async def __aexit__(self, *exc):
        await self.client.stop()
        await self.gateway.stop()
        await self.venue.stop()

    async def new(self, cl, qty=100, px="190.00", symbol="AAPL", side="1"):
        n = len(self.venue.received_of("D"))
        self.client.new_order(cl, symbol, side, qty, px)
        await self.client.wait_report(cl)
        return (await self.venue.wait_for("D", n + 1))[-1][T.ClOrdID]

    def risk_open_buy(self, symbol="AAPL"):
        return self.gateway.risk.model.open_buy[self.symbols.by_name(symbol).index]


@run_async
async def test_replace_is_confirmed_with_the_new_clordid_and_risk_holds_the_change():
    async with ScriptedStack() as st:
        vcl = await st.new("R1", qty=100)
        assert st.risk_open_buy() == 100
        st.client.replace("R2", "R1", "AAPL", "1", 300, "190.05")
        pend = (await st.client.wait_report("R2"))[0]
        assert pend[T.ExecType] == "E" and pend[T.OrdStatus] == "E" and pend[T.OrigClOrdID] == "R1"
        g = (await st.venue.wait_for("G"))[0]
        assert g[T.OrigClOrdID] == vcl and g[T.OrderQty] == "300" and g[T.Price] == "190.05"
        assert st.risk_open_buy() == 400          # old and new both held until the venue confirms
        st.venue.report(g[T.ClOrdID], "5", "0", orig=vcl)
        rep = (await st.client.wait_report("R2", 2))[1]
        assert rep[T.ExecType] == "5" and rep[T.OrdStatus] == "0" and rep[T.OrigClOrdID] == "R1"
        assert rep[T.OrderQty] == "300" and rep[T.Price] == "190.05" and rep[T.LeavesQty] == "300"
        assert st.risk_open_buy() == 300          # what stays is the change
        # The order is now known by R2 at the client and by the replace's id at the venue.
        st.venue.fill(g[T.ClOrdID], 300, "190.05")
        fill = (await st.client.wait_report("R2", 3))[2]
        assert fill[T.ExecType] == "F" and fill[T.OrdStatus] == "2" and fill[T.CumQty] == "300"
        assert st.risk_open_buy() == 0 and st.gateway.risk.model.pos[st.symbols.by_name("AAPL").index] == 300


@run_async
async def test_replace_over_a_limit_is_refused_by_risk_and_the_order_keeps_working():
    async with ScriptedStack() as st:
        await st.new("R1", qty=100)
        st.client.replace("R2", "R1", "AAPL", "1", 5000, "190.00")      # over max_qty 1000
        rej = (await st.client.wait_report("R2"))[0]
        assert rej.msg_type == "9" and rej[T.CxlRejResponseTo] == "2" and rej[T.Text] == "risk: max_qty"
        assert not st.venue.received_of("G") and st.risk_open_buy() == 100
        st.client.replace("R3", "R1", "MSFT", "1", 50, "190.00")
        assert "Symbol or Side" in (await st.client.wait_report("R3"))[0][T.Text]
        st.client.replace("R4", "NOPE", "AAPL", "1", 50, "190.00")
        assert (await st.client.wait_report("R4"))[0][T.CxlRejReason] == "1"


@run_async
async def test_venue_refusing_a_cancel_returns_the_order_to_new_with_a_cancel_reject():
    async with ScriptedStack() as st:
        vcl = await st.new("C1")
        st.client.cancel("C1-X", "C1", "AAPL", "1", 100)
        f = (await st.venue.wait_for("F"))[0]
        assert f[T.OrigClOrdID] == vcl
        st.client.cancel("C1-Y", "C1", "AAPL", "1", 100)         # a second cancel while one is pending
        assert (await st.client.wait_report("C1-Y"))[0][T.CxlRejReason] == "3"
        st.venue.cancel_reject(f[T.ClOrdID], vcl, 0, "too late to cancel")
        rej = (await st.client.wait_report("C1-X", 2))[1]
        assert rej.msg_type == "9" and rej[T.OrigClOrdID] == "C1" and rej[T.CxlRejReason] == "0"
        assert rej[T.Text] == "venue: too late to cancel"
        state = next(iter(st.gateway.orders.orders.values()))
        assert state.status.name == "NEW" and st.risk_open_buy() == 100


@run_async
async def test_unsolicited_cancel_and_bust_reach_the_client_and_risk():
    async with ScriptedStack() as st:
        vcl = await st.new("U1", qty=100)
        st.venue.fill(vcl, 40, "190.00")
        await st.client.wait_report("U1", 2)
        st.venue.report(vcl, "H", "0", last_qty=40, last_px="190.00", cum=0, text="erroneous trade")
        bust = (await st.client.wait_report("U1", 3))[2]
        assert bust[T.ExecType] == "H" and bust[T.CumQty] == "0" and bust[T.LastQty] == "40"
        st.venue.report(vcl, "4", "4", text="venue halted")
        cxl = (await st.client.wait_report("U1", 4))[3]
        assert cxl[T.ExecType] == "4" and cxl[T.OrdStatus] == "4"
        assert "unsolicited cancel: venue halted" in cxl[T.Text]
        assert st.risk_open_buy() == 0 and st.gateway.orders.counts["busts"] == 1


@run_async
async def test_unknown_ids_illegal_moves_duplicates_and_garbage_leave_other_orders_alone():
    async with ScriptedStack() as st:
        vcl = await st.new("G1", qty=100)
        st.venue.report("NOTOURS", "F", "2", last_qty=5, last_px="190.00")
        st.venue.report("FFFFFFFF", "0", "0")
        eid = st.venue.fill(vcl, 10, "190.00")
        st.venue.report(vcl, "F", "1", last_qty=10, last_px="190.00", exec_id=eid)   # the same report again
        st.venue.report(vcl, "0", "0")                   # New after PartiallyFilled: illegal
        st.venue.session._write(b"8=FIX.4.4\x019=5\x0135=8\x01garbage\x0110=000\x01")
        st.venue.fill(vcl, 90, "190.01")
        reports = await st.client.wait_report("G1", 3)
        assert [m[T.ExecType] for m in reports] == ["0", "F", "F"]
        assert reports[2][T.CumQty] == "100" and reports[2][T.OrdStatus] == "2"
        st.venue.report(vcl, "4", "4")                   # Canceled after Filled: illegal
        await asyncio.sleep(0.1)
        assert len(st.client.reports["G1"]) == 3
        counts = st.gateway.orders.counts
        assert counts["unknown_venue_reports"] == 2 and counts["unknown_order_fills"] == 1 and counts["duplicate_reports"] == 1 and counts["illegal"] == 2
        # the sessions are still up and orders still flow
        assert st.gateway.initiator.session.active
        await st.new("G2")


@run_async
async def test_status_request_from_a_client():
    async with ScriptedStack() as st:
        vcl = await st.new("S1", qty=100)
        st.venue.fill(vcl, 30, "190.00")
        await st.client.wait_report("S1", 2)
        st.client.status("S1", "AAPL", "1")
        rep = (await st.client.wait_report("S1", 3))[2]
        assert rep[T.ExecType] == "I" and rep[T.OrdStatus] == "1" and rep[T.CumQty] == "30"
        st.client.status("NOPE", "AAPL", "1")
        assert (await st.client.wait_report("NOPE"))[0][T.Text] == "unknown order"


@run_async
async def test_venue_reconnect_reconciles_before_new_flow_and_loses_or_repeats_nothing():
    async with ScriptedStack() as st:
        vcl_a = await st.new("A1", qty=100)
        vcl_b = await st.new("B1", qty=50)
        # The venue fills A1 and ends B1 while the link is down: the gateway never sees those reports.
        st.venue.session._close()
        await until(lambda: st.gateway.orders.venues["VENUE1"].state == "down", "the link down")   # (read a turn later)
        st.venue.orders[vcl_a].update(cum=60, status="1")
        st.venue.orders[vcl_b].update(status="4")
        st.venue.answer_status = False               # hold the answers: the gateway must wait for them
        assert await st.gateway.initiator.wait_logged_on(5)
        await st.venue.wait_for("H", 2)
        st.client.new_order("N1", "AAPL", "1", 10, "190.00")
        rej = (await st.client.wait_report("N1"))[0]
        assert rej[T.OrdStatus] == "8" and "reconciling" in rej[T.Text]
        for h in st.venue.received_of("H"):
            o = st.venue.orders[h[T.ClOrdID]]
            st.venue.report(h[T.ClOrdID], "I", o["status"], cum=o["cum"], avg_px="190.00")
        a = await st.client.wait_report("A1", 2)
        b = await st.client.wait_report("B1", 2)
        assert a[1][T.ExecType] == "F" and a[1][T.LastQty] == "60" and a[1][T.CumQty] == "60"
        assert b[1][T.ExecType] == "4"
        await until(lambda: st.gateway.orders.venues["VENUE1"].state == "up", "up once reconciled")
        # the venue answering again (a resend) changes nothing
        st.venue.report(vcl_a, "I", "1", cum=60, avg_px="190.00")
        await st.new("N2")
        await asyncio.sleep(0.05)
        assert len(st.client.reports["A1"]) == 2 and len(st.client.reports["B1"]) == 2
        assert st.risk_open_buy() == 40 + 100      # A1's rest and N2
