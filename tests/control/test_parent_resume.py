"""A parent over FIX, the desk dropped mid-run (nothing canceled, its trail unsettled), a child
filled at the venue while it is gone, the desk started again on the same audit directory, venue
store and desk store: the parent is carried on (control/live/resume.py): the resent fill is
aggregated into one PartialFill, the algorithm works the rest, the parent ends Filled with
filled = ordered, and each child fill is in the parent's reports once."""
import asyncio

import pytest

from wirespeed.config import ConfigError
from wirespeed.control.live.parent_store import ParentStore
from wirespeed.control.service_config import ControlServiceConfig, DeskConfig, VenueEntry
from wirespeed.control.venues import PathEndpoint
from wirespeed.enums import Side
from wirespeed.gateway.audit import read_trail
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.service_config import ClientSessionConfig

from tests.control.desk_rig import DeskRig, parent_desk, resuming_client, take
from tests.gateway.conftest import run_async, until


@pytest.mark.parametrize("unreported", [False, True])
@run_async(timeout=60)
async def test_a_restarted_desk_carries_its_parent_on_and_reports_each_child_fill_once(tmp_path, unreported):
    """unreported: the desk died after the gateway applied the first fill and before the desk
    wrote it (the gateway's report to the desk waits a loop turn): the resumed parent takes it
    from the gateway's rebuilt child and reports it then."""
    async with DeskRig(relay_seed=4) as rig:
        venue = rig.venue
        svc = rig.desk(parent_desk(rig, tmp_path))
        port = await svc.start()
        await until(lambda: svc.desk._books.get("MSFT", {}).get("XNAS") is not None, "desk quote")
        algo = await resuming_client(rig, port)
        # limited to 410.00, inside the spread: its children rest there alone, filled by our takers
        st = await algo.submit("S1", "MSFT", "buy", 300, "twap", {"DurationSecs": "4", "Urgency": "mid",
                                                                 "DecisionSecs": "0.5", "MinChild": "100"},
                               limit="410.00")
        assert st.ok, st.text
        gw = svc.gateway.orders
        await until(lambda: gw.working(client="CONTROL"), "a child working", 300)
        child = gw.working(client="CONTROL")[0]
        px, first = child.order.price, child.order.cl_ord_id
        take(venue, 40, px)
        await algo.client.wait_report("S1", predicate=lambda m: m.get(T.ExecType) == "F")
        await rig.cut()                                        # the desk dies
        take(venue, 30, px)                                    # the child fills more meanwhile
        if unreported:
            store = next((tmp_path / "parents").glob("parents-*.jsonl"))
            store.write_text("".join(x for x in store.read_text().splitlines(True) if '"ev":"fill"' not in x))

        await rig.path.enable()
        svc = rig.desk(parent_desk(rig, tmp_path))
        p = svc.desk.parents[("CLIENT1", "S1")]
        assert (p.cum, p.ctx.halted, first in p.ctx.sent) == (40, True, True)   # resumed, frozen, its child adopted
        assert [e for e in ParentStore(tmp_path / "parents").parents["P1"].fills] == [(first, 40, px, "XNAS")]
        assert p.runner.algo.parent.qty == 260 and first.split("@")[0] in p.runner.algo.working
        port = await svc.start()
        algo = await resuming_client(rig, port)
        await asyncio.sleep(0.2)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 8
        while not p.done and loop.time() < deadline:           # the algorithm's new children taken
            take(venue, 300, px)
            await asyncio.sleep(0.1)
        assert (p.status, p.cum) == ("2", 300)
        gw = svc.gateway.orders
        assert gw.counts["unknown_order_fills"] == 0
        await asyncio.sleep(0.2)
        fills = [m for m in algo.client.reports["S1"] if m.get(T.ExecType) == "F"]
        qty = [int(m.get(T.LastQty)) for m in fills]
        before = 0 if unreported else 40
        assert qty[:2] == ([40, 30] if unreported else [30, qty[1]])     # the resent fill once, then the rest
        assert sum(qty) == 300 - before
        assert [int(m.get(T.CumQty)) for m in fills] == [before + sum(qty[:i + 1]) for i in range(len(qty))]
        assert fills[-1].get(T.OrdStatus) == "2"
        if unreported:
            return
        # Each child fill once: the parent's fills across both runs are the children's at the venue.
        trail = read_trail(tmp_path / "audit")
        told = [dict(map(tuple, r["fields"])) for r in trail if r["kind"] == "out" and r.get("client") == "CLIENT1"]
        parent_fills = [int(f[T.LastQty]) for f in told if f.get(T.ExecType) == "F" and f.get(T.OrderID) == "P1"]
        child_fills = [int(f[T.LastQty]) for f in (dict(map(tuple, r["fields"])) for r in trail if r["kind"] == "out"
                       and r.get("client") == "CONTROL") if f.get(T.ExecType) == "F"]
        assert sorted(parent_fills) == sorted(child_fills) and sum(parent_fills) == 300
        assert not ParentStore(tmp_path / "parents").parents      # nothing left to resume


def test_a_desk_store_needs_an_audit_trail_and_a_bad_line_names_the_file(tmp_path):
    with pytest.raises(ValueError, match=r"desk.store_path: needs \[audit\] directory"):
        ControlServiceConfig(clients=(ClientSessionConfig("CLIENT1"),), venues=(VenueEntry("XNAS", paths=(
            PathEndpoint("XNAS", 9),)),), desk=DeskConfig(store_path=str(tmp_path)))
    with pytest.raises(ValueError, match=r"store_fsync: must be none, batch or always"):
        DeskConfig(store_fsync="sometimes")
    (tmp_path / "parents-20261202.jsonl").write_text('{"ev":"new","id":"P1"}\n')
    with pytest.raises(ConfigError, match=r"parents-20261202\.jsonl:1: missing 'client'"):
        ParentStore(tmp_path)
    (tmp_path / "parents-20261202.jsonl").write_text('{"ev":"fill","id":"P2","leg":"x","qty":1,"px":1,"venue":"V"}\n')
    with pytest.raises(ConfigError, match=r"parents-20261202\.jsonl:1: fill of parent P2, which no new event"):
        ParentStore(tmp_path)


@run_async(timeout=60)
async def test_a_parent_whose_end_passed_while_the_desk_was_down_cancels_its_children_and_ends(tmp_path):
    async with DeskRig(relay_seed=5) as rig:
        venue = rig.venue
        svc = rig.desk(parent_desk(rig, tmp_path))
        port = await svc.start()
        await until(lambda: svc.desk._books.get("MSFT", {}).get("XNAS") is not None, "desk quote")
        algo = await resuming_client(rig, port)
        st = await algo.submit("S1", "MSFT", "buy", 300, "twap", {"DurationSecs": "1", "Urgency": "mid",
                                                                 "DecisionSecs": "0.5", "MinChild": "100"},
                               limit="410.00")
        assert st.ok, st.text
        await until(lambda: svc.gateway.orders.working(client="CONTROL"), "a child working", 300)
        await rig.cut()
        await asyncio.sleep(1.0)                                # the parent's EndTime passes meanwhile
        await rig.path.enable()
        svc = rig.desk(parent_desk(rig, tmp_path))
        p = svc.desk.parents[("CLIENT1", "S1")]
        assert p.overdue and p.ctx.open
        port = await svc.start()
        await until(lambda: p.done, "the parent ended", 500)
        assert p.status == "3" and not svc.gateway.orders.working(client="CONTROL")   # its child canceled
        assert not venue.books["MSFT"].depth(Side.BUY, 1) or venue.books["MSFT"].best_bid() < 41000
        algo = await resuming_client(rig, port)
        await algo.client.wait_report("S1", predicate=lambda m: m.get(T.ExecType) == "3")
