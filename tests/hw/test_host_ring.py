"""The host order ring end to end: descriptors in host memory -> risk -> OUCH frames + completions."""
import random

import pytest
from amaranth.sim import Simulator

from wirespeed.hw.host.driver import HostRingDriver
from wirespeed.hw.host.ring import HostRing
from wirespeed.hw.risk.model import LimitEntry
from wirespeed.hw.verify.access import AmaranthAccess
from wirespeed.hw.verify.pipeline_bench import configure, make_config
from wirespeed.hw.verify.stimulus import OrderStimulus
from wirespeed.layout import BEAT, RISK_OUT, beats

from .test_ouch_encoder import random_symbols, software_frame, table_row

pytestmark = pytest.mark.hw
RING_LOG2, NOW = 3, 1000


def run(orders: int, seed: int, latency: int, backpressure: float):
    rng = random.Random(seed)
    cfg = make_config("open", seed, depth=16)
    # Permissive limits: most orders pass and become frames; bad fields, zero sizes and
    # unknown symbols from the stimulus are still rejected.
    cfg.table = {i: LimitEntry(10**9, 1, (1 << 32) - 1) for i in range(16)}
    symbols = random_symbols(rng)
    stim = OrderStimulus(rng, cfg.table, cfg.depth, cfg.sessions)
    # Orders the OUCH encoder can frame (the stimulus also makes out-of-range codes, which risk rejects).
    posted = [stim.order(i) for i in range(orders)]
    dut = HostRing(RING_LOG2, depth=16, sessions=4, window=8)
    host = HostRingDriver(RING_LOG2)
    got = {"completions": [], "tx": []}

    async def bench(ctx):
        acc = AmaranthAccess(ctx, dut)
        for port in ("rd_resp.valid", "wr.ready", "tx.ready", "doorbell_we", "fill.valid", "bus.we", "bus.re",
                     "table.en"):
            acc.set(port, 0)
        acc.set("ring_base", host.ring_base)
        acc.set("cpl_base", host.cpl_base)
        acc.set("now", NOW)
        await configure(acc, cfg)
        for index, sym in symbols.items():
            acc.set("table.addr", index)
            acc.set("table.data", table_row(sym))
            acc.set("table.en", 1)
            await acc.step()
        acc.set("table.en", 0)
        responses, sent, cycle = [], 0, 0
        while len(got["completions"]) < orders:
            assert cycle < orders * 200, f"stalled at {len(got['completions'])}/{orders} completions"
            if sent < orders and host.free() > 0 and rng.random() < 0.3:
                burst = rng.randint(1, host.free())
                for _ in range(min(burst, orders - sent)):
                    acc.set("doorbell", host.post(posted[sent]))
                    sent += 1
                acc.set("doorbell_we", 1)
            else:
                acc.set("doorbell_we", 0)
            acc.set("rd_req.ready", 1)
            if responses and responses[0][0] <= cycle:
                acc.set("rd_resp.valid", 1)
                acc.set("rd_resp.payload", responses[0][1])
            else:
                acc.set("rd_resp.valid", 0)
            acc.set("wr.ready", int(rng.random() >= backpressure))
            acc.set("tx.ready", int(rng.random() >= backpressure))
            if acc.get("rd_req.valid"):
                responses.append((cycle + 1 + rng.randint(0, latency), host.read64(acc.get("rd_req.payload"))))
            if acc.get("rd_resp.valid") and acc.get("rd_resp.ready"):
                responses.pop(0)
            if acc.get("wr.valid") and acc.get("wr.ready"):
                w = acc.get("wr.payload")
                host.write64(w & 0xFFFFFFFF, w >> 32)
            if acc.get("tx.valid") and acc.get("tx.ready"):
                got["tx"].append(acc.get("tx.payload"))
            await acc.step()
            got["completions"] += host.poll()
            cycle += 1
        for _ in range(20):   # the last frame's beats
            acc.set("tx.ready", 1)
            if acc.get("tx.valid"):
                got["tx"].append(acc.get("tx.payload"))
            await acc.step()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return cfg, symbols, posted, got


@pytest.mark.parametrize("latency,backpressure", [(0, 0.0), (6, 0.0), (3, 0.4)],
                         ids=["fast-host", "slow-reads", "backpressure"])
def test_ring_orders_become_frames_and_completions(latency, backpressure):
    cfg, symbols, posted, got = run(60, seed=latency + 1, latency=latency, backpressure=backpressure)
    model = cfg.model()
    expected = [RISK_OUT.unpack(model.result(o, NOW)) for o in posted]
    completions = got["completions"]
    assert [c["order_id"] for c in completions] == [o["order_id"] for o in posted]
    for c, e in zip(completions, expected):
        assert (c["accept"], c["reason"], c["mask"]) == (e["accept"], e["reason"], e["mask"]), c["order_id"]
        assert c["t_fetch"] < c["t_decide"]
    accepted = [e for e in expected if e["accept"]]
    assert 0 < len(accepted) < len(posted)
    want = [b for e in accepted for b in beats(software_frame(e, symbols))]
    assert got["tx"] == want, [BEAT.unpack(b) for b in got["tx"][:3]]


def test_driver_refuses_a_full_ring():
    host = HostRingDriver(1)
    host.post({"order_id": 1, "cl_ord_key": 0, "session": 0, "symbol": 0, "side": 1, "ord_type": 2, "tif": 0,
               "qty": 1, "price": 1})
    host.post({"order_id": 2, "cl_ord_key": 0, "session": 0, "symbol": 0, "side": 1, "ord_type": 2, "tif": 0,
               "qty": 1, "price": 1})
    with pytest.raises(BufferError, match="ring full"):
        host.post({"order_id": 3, "cl_ord_key": 0, "session": 0, "symbol": 0, "side": 1, "ord_type": 2, "tif": 0,
                   "qty": 1, "price": 1})
