"""``wirespeed gateway``: a service stopped with an order working and started again on the same
audit directory rebuilds its orders from the trail before its venues connect (the one hook,
``service.recover_orders``), so the fill the venue made while it was down reaches the client once
and the order goes on; a trail that cannot be read stops the start naming file:line."""
import asyncio
import io
import time

import pytest

from wirespeed.config import ConfigError, VenueConfig, load_config
from wirespeed.enums import OrdStatus, OrdType, Side, TimeInForce
from wirespeed.gateway.audit import _DAY_NS, _day as audit_day
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.service import serve
from wirespeed.gateway.service_config import load_service_config
from wirespeed.gateway.session import SessionConfig
from wirespeed.sim.venue import SimVenue
from wirespeed.symbols import table_from_config

from .conftest import run_async, until


class _Taker:
    def on_report(self, r):
        pass


def config(tmp_path, port: int):
    path = tmp_path / "gateway.toml"
    path.write_text(f"""
[gateway]
comp_id = "GW"
port = 0
[risk]
backend = "model"
default = {{ max_qty = 1000, collar_ticks = 100 }}
[[clients]]
comp_id = "CLIENT2"
route = "XNAS"
[[venues]]
name = "XNAS"
port = {port}
comp_id = "XNAS"
[admin]
enabled = false
[audit]
directory = "{tmp_path / 'audit'}"
""")
    return load_service_config(path)


async def started(cfg):
    out, stop = io.StringIO(), asyncio.Event()
    task = asyncio.create_task(serve(cfg, stop, out))
    await until(lambda: "listening fix" in out.getvalue() or task.done(), "the service listening")
    port = int(next(line for line in out.getvalue().splitlines() if line.startswith("listening fix"))
               .split()[2].rsplit(":", 1)[1])
    return task, stop, port


def take(venue, qty: int, px: int) -> None:
    venue.core.new_order(_Taker(), None, "T", "MSFT", Side.SELL, OrdType.LIMIT, TimeInForce.IOC, qty, px)


@run_async(timeout=60)
async def test_a_restarted_gateway_service_answers_the_fill_made_while_it_was_down_once(tmp_path):
    venue = SimVenue(VenueConfig(name="XNAS", comp_id="XNAS"), table_from_config(load_config().symbols))
    await venue.start()
    cfg = config(tmp_path, venue.port)
    task = stop = c = None
    try:
        task, stop, port = await started(cfg)
        c = FixClient("CLIENT2", "GW", "127.0.0.1", port)
        await c.start()
        sym = table_from_config(cfg.symbols).by_name("MSFT")
        px = venue.books["MSFT"].best_bid() + 1
        c.new_order("W1", "MSFT", "1", 40, sym.tick.format(px))
        assert (await c.wait_report("W1"))[0][T.ExecType] == "0"
        take(venue, 10, px)
        await c.wait_report("W1", 2)
        await c.stop()
        c = None
        stop.set()                                   # stopped with W1 working (30 of 40 left)
        await task
        take(venue, 25, px)                          # filled at the venue while the gateway is down

        task, stop, port = await started(cfg)        # the same audit directory
        c = FixClient("CLIENT2", "GW", "127.0.0.1", port, config=SessionConfig(
            sender_comp_id="CLIENT2", target_comp_id="GW", role="initiator", reset_on_logon=False))
        await c.start()
        await c.wait_report("W1", 1, predicate=lambda r: r[T.ExecType] == "F" and r[T.CumQty] == "35")
        await asyncio.sleep(0.3)
        fills = [(m[T.LastQty], m[T.CumQty]) for m in c.reports["W1"] if m[T.ExecType] == "F"]
        assert fills == [("25", "35")]               # once, with the order's CumQty across both runs
        c.cancel("C1", "W1", "MSFT", "1", 40)        # the rebuilt order is the client's to cancel
        done = await c.wait_report("C1", predicate=lambda r: r[T.ExecType] == "4")
        assert (done[-1][T.CumQty], done[-1][T.LeavesQty]) == ("35", "0")
        stop.set()
        gw, task = (await task).orders, None
        rec = gw.recovered
        assert (rec.orders, rec.working, rec.skipped) == (1, 1, [])
        assert gw.counts["fills"] == 1 and gw.counts["unknown_order_fills"] == 0
        w1 = gw._lookup_any("CLIENT2", "W1")
        assert (w1.status, w1.cum_qty, w1.avg_px_num) == (OrdStatus.CANCELED, 35, 35 * px)
        assert gw.risk.model.pos[sym.index] == 35 and gw.risk.model.open_buy[sym.index] == 0
    finally:
        if c is not None:
            await c.stop()
        if task is not None:
            stop.set()
            await task
        await venue.stop()


@run_async(timeout=30)
async def test_a_trail_that_cannot_be_read_stops_the_start_naming_file_and_line(tmp_path):
    audit = tmp_path / "audit"
    audit.mkdir()
    # today's day file (an earlier day's is not read at start, only its last line)
    day = audit_day(time.time_ns() // _DAY_NS)   # the trail names its day files so (audit._day)
    (audit / f"audit-{day}.jsonl").write_text(
        '{"t":1,"kind":"control","action":"resume","rec":1}\nnot json\n{"t":2,"kind":"control","rec":3}\n')
    cfg = config(tmp_path, 9)
    for _ in range(2):          # the trail's lock was let go: the second start fails the same way
        with pytest.raises(ConfigError, match=rf"audit\.directory: .*audit-{day}\.jsonl:2: not a JSON line"):
            await serve(cfg, asyncio.Event(), io.StringIO())
