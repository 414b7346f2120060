"""The host order ring end to end: descriptors in host memory -> risk -> OUCH frames + completions."""
import random

import pytest
from amaranth.sim import Simulator

from wirespeed.hw.encode.ouch import FIRST_BYTE
from wirespeed.hw.host.driver import HostRingDriver
from wirespeed.hw.host.ring import HostRing
from wirespeed.hw.risk.model import LimitEntry
from wirespeed.hw.time.model import set_fields
from wirespeed.hw.verify.access import AmaranthAccess
from wirespeed.hw.verify.pipeline_bench import configure, make_config
from wirespeed.hw.verify.stimulus import OrderStimulus
from wirespeed.layout import BEAT, RISK_OUT, beats
from wirespeed.reasons import RejectReason

from .test_ouch_encoder import random_symbols, software_frame, table_row

pytestmark = pytest.mark.hw
RING_LOG2, NOW = 3, 1000
T0 = 1_764_590_400_123_456_789 % (1 << 48)     # the card's clock is set to this (ns); risk's now is ns[:48]
PERIOD = 4


def run(orders: int, seed: int, latency: int, backpressure: float, deadline: int | None = None,
        schedule: list[int] | None = None):
    """``deadline``: every symbol's reference-price deadline (default: never); ``schedule``: the
    cycle from which each order may be posted (default: random bursts)."""
    rng = random.Random(seed)
    cfg = make_config("open", seed, depth=16)
    # Permissive limits: most orders pass and become frames; bad fields, zero sizes and
    # unknown symbols from the stimulus are still rejected.
    cfg.table = {i: LimitEntry(10**9, 1, (1 << 32) - 1, **({} if deadline is None else {"ref_deadline": deadline}))
                 for i in range(16)}
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
        await configure(acc, cfg)
        for name, value in set_fields(T0).items():
            acc.set(f"time.{name}", value)
        acc.set("time.set", 1)
        await acc.step()
        acc.set("time.set", 0)
        for index, sym in symbols.items():
            acc.set("table.addr", index)
            acc.set("table.data", table_row(sym))
            acc.set("table.en", 1)
            await acc.step()
        acc.set("table.en", 0)
        responses, sent, cycle = [], 0, 0
        while len(got["completions"]) < orders:
            assert cycle < orders * 200, f"stalled at {len(got['completions'])}/{orders} completions"
            if schedule is not None:
                due = sent < orders and host.free() > 0 and schedule[sent] <= cycle
                if due:
                    acc.set("doorbell", host.post(posted[sent]))
                    sent += 1
                acc.set("doorbell_we", int(due))
            elif sent < orders and host.free() > 0 and rng.random() < 0.3:
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
        # the card's nanoseconds, at 4 ns a cycle: fetched, decided, first byte out, in that order
        assert T0 < c["t_fetch"] < c["t_decide"] and (c["t_decide"] - c["t_fetch"]) % PERIOD == 0
        if c["accept"]:
            assert c["t_tx"] >= c["t_decide"] + FIRST_BYTE * PERIOD     # OUCH's first byte: FIRST_BYTE cycles after
            if backpressure == 0:
                assert c["t_tx"] == c["t_decide"] + FIRST_BYTE * PERIOD
        else:
            assert c["t_tx"] == 0
    assert [c["t_decide"] for c in completions] == sorted(c["t_decide"] for c in completions)
    accepted = [e for e in expected if e["accept"]]
    assert 0 < len(accepted) < len(posted)
    want = [b for e in accepted for b in beats(software_frame(e, symbols))]
    assert got["tx"] == want, [BEAT.unpack(b) for b in got["tx"][:3]]


def test_stale_reference_check_reads_the_card_clock():
    """Deadline 2 us after the clock's setting: orders decided before it pass, after it are stale."""
    schedule = [0] * 4 + [1000] * 4                      # the second burst 4 us later
    cfg, symbols, posted, got = run(8, seed=9, latency=0, backpressure=0.0, deadline=T0 + 2000, schedule=schedule)
    completions = got["completions"]
    early, late = completions[:4], completions[4:]
    assert all(c["t_decide"] < T0 + 2000 for c in early) and all(c["t_decide"] > T0 + 2000 for c in late)
    model = cfg.model()
    for c, o in zip(completions, posted):
        e = RISK_OUT.unpack(model.result(o, T0 if c in early else T0 + 4000))
        assert (c["accept"], c["reason"]) == (e["accept"], e["reason"])
    # the late orders the same model accepts at T0 are the ones the card's clock made stale
    fresh = cfg.model()
    at_t0 = [RISK_OUT.unpack(fresh.result(o, T0)) for o in posted]
    made_stale = [c for c, e in zip(late, at_t0[4:]) if e["accept"]]
    assert any(c["accept"] for c in early) and made_stale
    assert all(not c["accept"] and c["reason"] == RejectReason.STALE_REFERENCE for c in made_stale)


def test_driver_refuses_a_full_ring():
    host = HostRingDriver(1)
    host.post({"order_id": 1, "cl_ord_key": 0, "session": 0, "symbol": 0, "side": 1, "ord_type": 2, "tif": 0,
               "qty": 1, "price": 1})
    host.post({"order_id": 2, "cl_ord_key": 0, "session": 0, "symbol": 0, "side": 1, "ord_type": 2, "tif": 0,
               "qty": 1, "price": 1})
    with pytest.raises(BufferError, match="ring full"):
        host.post({"order_id": 3, "cl_ord_key": 0, "session": 0, "symbol": 0, "side": 1, "ord_type": 2, "tif": 0,
                   "qty": 1, "price": 1})
