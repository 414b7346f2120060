"""cocotb module for ``make bench-hw``: back-to-back random orders through the Verilated pipeline."""
import json
import os
import time

import cocotb

from . import pipeline_bench
from .pipeline_bench import make_config


@cocotb.test()
async def measure(dut):
    from tests.hw.tb.risk_pipeline_tb import PORTS
    from tests.hw.tb.streamtb import start   # the testbenches' clock and reset
    acc = await start(dut, PORTS)
    orders = int(os.environ.get("WS_ORDERS", "10000"))
    depth = int(os.environ.get("WS_DEPTH", "64"))
    sessions = int(os.environ.get("WS_SESSIONS", "8"))
    cfg = make_config("open", 1, depth=depth, sessions=sessions)
    t0 = time.perf_counter()
    res = await pipeline_bench.run(acc, cfg, orders, seed=1, fill_rate=0.3, check_state=False)
    wall = time.perf_counter() - t0
    assert not res.mismatches(), res.mismatches()[:3]
    lat = [o - i for i, o in zip(res.in_cycles, res.out_cycles)]
    span = res.in_cycles[-1] - res.in_cycles[0] + 1
    with open(os.environ["WS_BENCH_OUT"], "w") as f:
        json.dump({"orders": orders, "latency_min": min(lat), "latency_max": max(lat),
                   "orders_per_cycle": orders / span, "bubbles": span - orders, "wall_s": wall,
                   "cycles": res.cycles, "fills": res.fills}, f)
