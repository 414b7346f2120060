"""A desk (the gateway's order path inside it) dropped without a close, with orders working and
fills made at the venue while it is gone, started again on the same audit directory and venue
store: its orders are rebuilt from the trail (gateway/order_recovery.py), the resent fills are
applied to them once each, the client hears each once, and the order states and the risk
positions are those of a run that never stopped; a trail that cannot be read names file:line."""
import asyncio
import re
import time

import pytest

from wirespeed.config import ConfigError
from wirespeed.control.service import DeskService
from wirespeed.enums import OrdStatus
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.audit import _DAY_NS, _day as audit_day, read_trail
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.session import SessionConfig

from tests.control.desk_rig import DeskRig, desk_config, take
from tests.gateway.conftest import run_async, until


def config(port: int, tmp_path):
    """The desk routing CLIENT1 to XNAS, its venue store and its gateway's trail in ``tmp_path``."""
    return desk_config(port, store=tmp_path / "store", audit=tmp_path / "audit")


@run_async(timeout=60)
async def test_a_restarted_gateway_rebuilds_its_orders_and_applies_each_resent_fill_once(tmp_path):
    async with DeskRig(relay_seed=3) as rig:
        venue, path = rig.venue, rig.path
        svc = rig.desk(config(path.port, tmp_path))
        port = await svc.start()
        c = rig.client = FixClient("CLIENT1", "WIRESPEED", "127.0.0.1", port)
        await c.start()
        sym = svc.symbols.by_name("MSFT")
        px = venue.books["MSFT"].best_bid() + 1
        c.new_order("R1", "MSFT", "1", 50, sym.tick.format(px))
        c.new_order("R2", "MSFT", "1", 30, sym.tick.format(px))
        c.new_order("R3", "MSFT", "1", 20, sym.tick.format(px - 2))
        for cl in ("R1", "R2", "R3"):
            assert (await c.wait_report(cl))[0][T.ExecType] == "0"
        c.cancel("C3", "R3", "MSFT", "1", 20)                     # R3 ends before the kill
        await c.wait_report("C3", predicate=lambda r: r[T.ExecType] == "4")
        take(venue, 10, px)
        await c.wait_report("R1", 1, predicate=lambda r: r[T.ExecType] == "F")
        old = svc.gateway.orders
        assert old.risk.model.pos[sym.index] == 10
        await rig.cut()
        take(venue, 15, px)                                        # R1: 25 of 50
        take(venue, 35, px)                                        # R1 filled (25), R2: 10 of 30

        await path.enable()
        svc = rig.desk(config(path.port, tmp_path))               # a new process: the same trail, store
        gw = svc.gateway.orders
        rec = gw.recovered
        assert (rec.orders, rec.working, rec.risk_unrestored, rec.skipped) == (3, 2, [], [])
        before = {s.order.cl_ord_id: (s.status, s.cum_qty, s.venue_cl) for s in gw.working()}
        assert before == {"R1": (OrdStatus.PARTIALLY_FILLED, 10, "%08X" % next(
            s.order.order_id for s in gw.working() if s.order.cl_ord_id == "R1")),
            "R2": (OrdStatus.NEW, 0, "%08X" % next(s.order.order_id for s in gw.working()
                                                     if s.order.cl_ord_id == "R2"))}
        assert gw.risk.model.pos[sym.index] == 10 and gw.risk.model.open_buy[sym.index] == 70
        port = await svc.start()
        await until(lambda: gw.counts["fills"] >= 3, "the resent fills applied")
        await asyncio.sleep(0.3)
        assert gw.counts["fills"] == 3 and gw.counts["unknown_order_fills"] == 0
        r1, r2 = (gw._lookup_any("CLIENT1", cl) for cl in ("R1", "R2"))
        assert (r1.status, r1.cum_qty, r1.leaves) == (OrdStatus.FILLED, 50, 0)
        assert (r2.status, r2.cum_qty, r2.leaves) == (OrdStatus.PARTIALLY_FILLED, 10, 20)
        assert r1.avg_px_num == 50 * px and r2.avg_px_num == 10 * px
        # the risk state of a run that never stopped: 60 bought, R2's 20 still open
        m = gw.risk.model
        assert (m.pos[sym.index], m.open_buy[sym.index], m.open_notional) == (60, 20, 20 * px)
        assert gw._client_open["CLIENT1"] == 20 * px

        # The client keeps its session (no reset): what the gateway told it while it was away
        # comes by resend after its Logon.
        c = rig.client = FixClient("CLIENT1", "WIRESPEED", "127.0.0.1", port, config=SessionConfig(
            sender_comp_id="CLIENT1", target_comp_id="WIRESPEED", role="initiator", reset_on_logon=False))
        await c.start()
        await asyncio.sleep(0.3)
        heard = lambda cl: [(m.get(T.ExecType), m.get(T.LastQty), m.get(T.CumQty)) for m in c.reports[cl]]  # noqa
        assert heard("R1") == [("F", "15", "25"), ("F", "25", "50")]     # each fill once
        assert heard("R2") == [("F", "10", "10")]
        c.cancel("C2", "R2", "MSFT", "1", 30)                     # a rebuilt order is the client's to cancel
        await c.wait_report("C2", predicate=lambda r: r[T.ExecType] == "4")
        assert (r2.status, m.open_buy[sym.index], m.pos[sym.index]) == (OrdStatus.CANCELED, 0, 60)
        # The trail holds every fill the client was told of once, across both runs.
        told = [dict(map(tuple, x["fields"])) for x in read_trail(tmp_path / "audit")
                if x["kind"] == "out" and x.get("client") == "CLIENT1"]
        assert [(f[str(T.ClOrdID)] if str(T.ClOrdID) in f else f[T.ClOrdID]) for f in told
                if (f.get(T.ExecType) or f.get(str(T.ExecType))) == "F"] == ["R1", "R1", "R1", "R2"]


def test_a_trail_that_cannot_be_read_names_the_file_and_line(tmp_path):
    audit = tmp_path / "audit"
    audit.mkdir()
    # today's day file (an earlier day's is not read at start, only its last line), named as the trail does
    name = f"audit-{audit_day(time.time_ns() // _DAY_NS)}.jsonl"
    day = audit / name
    day.write_text('{"t":1,"kind":"control","action":"resume","rec":1}\nnot json\n{"t":2,"kind":"control","rec":3}\n')
    with pytest.raises(ConfigError, match=rf"{re.escape(name)}:2: not a JSON line"):
        DeskService(config(9, tmp_path))
    day.write_text('{"t":1,"kind":"risk","decision":"accept","client":"CLIENT1","cl_ord_id":"X","rec":1}\n')
    with pytest.raises(ConfigError, match=rf"{re.escape(name)}:1: a risk record the order path cannot read "
                                          r"\(KeyError: 'venue'\)"):
        DeskService(config(9, tmp_path))
