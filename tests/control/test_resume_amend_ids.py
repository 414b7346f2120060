"""A resumed parent's children are amended with ClOrdIDs new to the gateway: the context numbers
its cancels and replaces (``LEG.r7``, ``LEG.c8``) on from the highest its children had before
the restart (control/live/resume.py), so a replace after the restart never reuses the ClOrdID
a replace before it left live at the gateway (which would be refused as a duplicate)."""
import re

from wirespeed.enums import OrdStatus
from wirespeed.gateway.audit import read_trail
from wirespeed.gateway.fix import tags as T

from tests.control.desk_rig import DeskRig, parent_desk, resuming_client
from tests.gateway.conftest import run_async, until

AMEND = re.compile(r"\.([rc])(\d+)$")


def numbers(cls) -> list[int]:
    return sorted(int(m.group(2)) for cl in cls if (m := AMEND.search(cl)))


@run_async(timeout=60)
async def test_a_resumed_childs_replace_takes_a_clordid_above_those_it_had(tmp_path):
    async with DeskRig(relay_seed=6) as rig:
        svc = rig.desk(parent_desk(rig, tmp_path))
        port = await svc.start()
        await until(lambda: svc.desk._books.get("MSFT", {}).get("XNAS") is not None, "desk quote")
        algo = await resuming_client(rig, port)
        st = await algo.submit("S1", "MSFT", "buy", 300, "twap", {"DurationSecs": "30", "Urgency": "mid",
                                                                 "DecisionSecs": "0.5", "MinChild": "100"},
                               limit="410.00")
        assert st.ok, st.text
        gw = svc.gateway.orders
        await until(lambda: gw.working(client="CONTROL"), "a child working", 300)
        child = gw.working(client="CONTROL")[0]
        await until(lambda: child.status is OrdStatus.NEW, "the child acknowledged by the venue")
        leg, qty, px = child.order.cl_ord_id, child.order.qty, child.order.price
        p = svc.desk.parents[("CLIENT1", "S1")]
        p.ctx.replace("XNAS", leg, qty - 10, px)                  # the child replaced before the kill
        await until(lambda: child.order.qty == qty - 10, "the child replaced")
        live = child.order.cl_ord_id
        before = numbers(p.ctx._leg_of)
        assert AMEND.search(live) and before and int(AMEND.search(live).group(2)) in before
        await rig.cut()

        await rig.path.enable()
        svc = rig.desk(parent_desk(rig, tmp_path))
        gw = svc.gateway.orders
        rebuilt = next(s for s in gw.working(client="CONTROL") if s.order.cl_ord_id == live)
        p = svc.desk.parents[("CLIENT1", "S1")]
        await svc.start()
        rejects = gw.counts.get("rejected", 0), gw.rejects_by_reason.copy()
        p.ctx.replace("XNAS", leg, qty - 20, px)                  # the same leg, after the restart
        await until(lambda: rebuilt.order.qty == qty - 20, "the resumed child replaced")
        now = rebuilt.order.cl_ord_id
        assert now != live and AMEND.search(now).group(1) == "r"
        assert int(AMEND.search(now).group(2)) > max(before)     # numbered on, not from 1
        assert (gw.counts.get("rejected", 0), gw.rejects_by_reason) == rejects
        # Across both runs every amend the desk sent the gateway had a ClOrdID of its own.
        sent = [r["fields"].get(str(T.ClOrdID)) for r in read_trail(tmp_path / "audit")
                if r["kind"] == "in" and r.get("client") == "CONTROL" and isinstance(r.get("fields"), dict)]
        amends = [cl for cl in sent if cl and AMEND.search(cl)]
        assert len(amends) == len(set(amends)) >= 2 and live in amends and now in amends
