"""``make bench-hw``: latency, throughput and simulation speed of the Verilated risk pipeline,
and the synthesis figures (resources, logic depth). Reported, never asserted."""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from .risk.pipeline import RiskPipeline
from .toolchain import BUILD_DIR, REPO_ROOT, run_cocotb, write_verilog


def main() -> int:
    depth = 64
    out_dir = BUILD_DIR / "bench-hw"
    src = write_verilog(RiskPipeline(depth, 8, 8), "risk_pipeline", out_dir)
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "bench.json"
        run_cocotb(verilog_path=src, top="risk_pipeline", test_module="wirespeed.hw.verify.bench_tb",
                   test_dir=REPO_ROOT, build_name="bench_risk_pipeline",
                   extra_env={"WS_BENCH_OUT": str(result), "WS_ORDERS": "10000", "WS_DEPTH": str(depth),
                              "WS_SESSIONS": "8"})
        r = json.loads(result.read_text())
    print(f"risk pipeline (depth {depth}), {r['orders']} random orders back to back with {r['fills']} fills")
    print(f"  cycles from order valid to decision valid: min {r['latency_min']}, max {r['latency_max']}"
          f" ({'constant' if r['latency_min'] == r['latency_max'] else 'NOT constant'})")
    print(f"  throughput: {r['orders_per_cycle']:.3f} orders/cycle ({r['bubbles']} bubbles)")
    cocotb_rate = r['orders'] / r['wall_s']
    print(f"  simulation: {cocotb_rate:,.0f} orders/s, {r['cycles'] / r['wall_s']:,.0f} cycles/s"
          " (Verilator driven cycle by cycle from Python via cocotb)")
    block_ram()
    harness(depth, cocotb_rate)
    latency_by_entries()
    from .synth import report
    print(report(src, "risk_pipeline"))
    encoders()
    return 0


def block_ram(symbols: int = 8192) -> None:
    """The pipeline's DP16KD count at 16,384 entries, by the budget tool (hw/risk/budget.py:
    the elaborated memories' shapes and ports, checked against yosys's mapping)."""
    from .risk import budget
    mems = budget.memories(symbols)
    total = sum(m.blocks for m in mems)
    print(f"  block RAM at {2 * symbols:,} entries ({symbols:,} symbols): {total} DP16KD of the LFE5UM-85F's "
          f"{budget.DP16KD_ON_LFE5UM_85F} (" + ", ".join(f"{m.name} {m.blocks}" for m in mems) + ")")


def harness(depth: int, cocotb_rate: float, orders: int = 1_000_000) -> None:
    """Orders/s of the C++ harness (hw/vsim) on the same pipeline, at ``depth`` symbols and at
    16,384 (symbol, side) entries: a batch of random orders with fills (stimulus generated
    beforehand, not timed; best of three runs), and one order at a time (the gateway's path),
    beside cocotb's."""
    import time

    from .verify import batch
    from .vsim.risk import VerilatedRisk
    for d in (depth, ENTRIES[-1] // 2):
        vr = VerilatedRisk(d, 8, 8)
        best, words, cfg = _batch_rate(vr, d, orders)
        if d != depth:
            print(f"  C++ harness at {2 * d:,} entries ({d:,} symbols): {best:,.0f} orders/s in batches "
                  f"({best / cocotb_rate:,.0f}x cocotb)")
            continue
        batch.configure(vr, cfg)
        t0 = time.perf_counter()
        for k, w in enumerate(words):
            vr.check_word(w, 1_000 + k)
        per_order = (time.perf_counter() - t0) / len(words)
        print(f"  C++ harness at {2 * d:,} entries: {best:,.0f} orders/s in batches ({best / cocotb_rate:,.0f}x "
              f"cocotb's {cocotb_rate:,.0f}), {per_order * 1e6:.1f} us an order one at a time ({1 / per_order:,.0f} "
              f"orders/s, {1 / per_order / cocotb_rate:,.0f}x cocotb)")


def _batch_rate(vr, depth: int, orders: int) -> tuple[float, list[int], object]:
    """Best of three batches of ``orders`` random orders (30% of slots with a fill) through
    ``vr``, in orders/s; the first 20,000 orders as packed words (for the per-order path) and
    the configuration they were drawn for."""
    import time

    import numpy as np

    from wirespeed.layout import ORDER

    from .verify import batch
    from .verify.pipeline_bench import make_config
    from .vsim import records
    cfg = make_config("open", 1, depth=depth, sessions=8)
    rng = np.random.default_rng(1)
    stimulus = records.pack(ORDER, batch.random_orders(rng, cfg, orders), orders)
    now = np.arange(1_000, 1_000 + len(stimulus), dtype=np.uint64)
    pool = batch.FillPool()
    best = 0.0
    for _ in range(3):
        batch.configure(vr, cfg)
        first = vr.run(stimulus[:10_000], now[:10_000])           # accepted orders to fill
        pool.add(records.unpack(batch.RISK_OUT, first))
        fills, valid = pool.draw(rng, len(stimulus), 0.3)
        t0 = time.perf_counter()
        vr.run(stimulus, now, fills, valid)
        best = max(best, len(stimulus) / (time.perf_counter() - t0))
    return best, [records.to_int(row) for row in stimulus[:20_000]], cfg


#: (symbol, side) entries -> symbols (two entries a symbol: the buy and the sell side)
ENTRIES = (64, 1_024, 16_384)


def latency_by_entries(orders: int = 10_000) -> None:
    """Decision latency (min = max?) over ``orders`` random orders back to back with fills, at
    64, 1k and 16k (symbol, side) entries of per-symbol state in block RAM."""
    for entries in ENTRIES:
        depth = entries // 2
        src = write_verilog(RiskPipeline(depth, 8, 8), "risk_pipeline", BUILD_DIR / "bench-hw" / f"e{entries}")
        with tempfile.TemporaryDirectory() as tmp:
            result = Path(tmp) / "bench.json"
            run_cocotb(verilog_path=src, top="risk_pipeline", test_module="wirespeed.hw.verify.bench_tb",
                       test_dir=REPO_ROOT, build_name=f"bench_risk_pipeline_e{entries}",
                       extra_env={"WS_BENCH_OUT": str(result), "WS_ORDERS": str(orders), "WS_DEPTH": str(depth),
                                  "WS_SESSIONS": "8"})
            r = json.loads(result.read_text())
        print(f"  {entries:>6,} entries ({depth:,} symbols): decision latency min {r['latency_min']}, "
              f"max {r['latency_max']} cycles over {r['orders']:,} orders back to back, "
              f"{r['orders_per_cycle']:.3f} orders/cycle")


def encoders() -> None:
    """Decision to first byte and cycles per frame of both encoders, and every top's logic depth."""
    from .build import tops
    from .encode.fix import FixEncoder
    from .encode.ouch import BEATS, OuchEncoder
    from .synth import logic_depth, synthesize
    from .verify.encoder_bench import measure
    for name, dut, least in (("OUCH encoder", OuchEncoder(64), BEATS), ("FIX encoder", FixEncoder(64), 14)):
        r = measure(dut, 64, least)
        print(f"{name} (depth 64), {r['frames']} accepted decisions back to back")
        print(f"  cycles from decision to first encoded byte: min {r['first_min']}, max {r['first_max']}")
        print(f"  cycles per frame: {r['frame_min']}..{r['frame_max']} ({r['beats']:.1f} beats a frame)")
    frames_and_wire()
    out_dir = BUILD_DIR / "bench-hw"
    for name, make in tops():
        if name == "risk_pipeline":
            continue
        _, netlist = synthesize(write_verilog(make(), name, out_dir), name)
        print(f"{name}: longest path {logic_depth(netlist, name)[0]} LUT levels between registers")


def frames_and_wire() -> None:
    """Frames as a MAC sees them: decision to first and last byte, gaps inside a frame and the
    frame rate, back to back and under 30% backpressure; EthTx's packet rate and latency; the
    decision-to-wire figure of OrderTx; the Verilated OUCH encoder's speed from Python."""
    import random
    import time

    from wirespeed.layout import RISK_OUT

    from .encode.fix import FixEncoder
    from .encode.ouch import OuchEncoder
    from .eth.headers import TcpConnection
    from .eth.order_tx import OrderTx
    from .eth.tx import EthTx
    from .verify import eth_bench
    from .verify.encoder_bench import frame_timing
    from .verify.stimulus import random_decision
    for name, make in (("OUCH encoder", lambda: OuchEncoder(64)), ("FIX encoder (contiguous)", lambda: FixEncoder(64)),
                       ("FIX encoder (raw, contiguous=False)", lambda: FixEncoder(64, contiguous=False))):
        for bp in (0.0, 0.3):
            r = frame_timing(make(), 64, frames=60, backpressure=bp)
            print(f"{name}, {r['frames']} frames back to back{' under 30% backpressure' if bp else ''}:"
                  f" decision to first byte {r['first_min']}..{r['first_max']}, to last byte {r['last_min']}..{r['last_max']}"
                  f" cycles; one frame per {r['frame_min']}..{r['frame_max']} cycles; {r['gaps']} idle cycles inside"
                  f" frames ({r['gap_frames']} frames with gaps)")
    conn = TcpConnection("02:00:00:00:00:01", "02:00:00:00:00:02", "10.0.0.1", "10.0.0.2", 40000, 9001)
    for label, size, n in (("OUCH Enter Order", 50, 200), ("FIX NewOrderSingle", 150, 100)):
        res = eth_bench.run(EthTx(32), conn, [bytes(size)] * n)
        span = res.last_out[-1] - res.first_out[0] + 1
        frame = len(res.packets[0])
        slot = (frame + 24) / 8     # cycles at 156.25 MHz a 10GbE MAC spends on it (+ FCS, preamble, IFG)
        print(f"EthTx, {n} {size}-byte payloads ({label}) back to back: one {frame}-byte packet every"
              f" {span / n:.1f} cycles ({-(-frame // 8)} beats, {res.gaps} gaps), payload stored to first header beat"
              f" {res.first_out[0] - res.last_in[0]} cycles; {frame * 8 * n / span * 0.15625:.2f} Gb/s on the stream"
              f" at 156.25 MHz, where 10GbE takes one every {slot:.1f} cycles (line rate with "
              f"{slot / (span / n):.2f}x to spare)")
    rng = random.Random(1)
    for enc in ("ouch", "fix"):
        words = [RISK_OUT.pack({**random_decision(rng, i, 64), "accept": 1}) for i in range(20)]
        lat = eth_bench.decision_to_wire(OrderTx(enc, depth=64), words)
        print(f"OrderTx ({enc.upper()} + EthTx): decision to first byte on the MAC stream {min(a for a, _ in lat)}.."
              f"{max(a for a, _ in lat)} cycles, to the last {min(b for _, b in lat)}..{max(b for _, b in lat)}")
    try:
        from wirespeed.enums import OrdType, Side, TimeInForce
        from wirespeed.order import Order

        from .vsim.encoder import VerilatedOuchEncoder
        enc = VerilatedOuchEncoder(64)
        enc.set_symbol(1, b"MSFT    ", 100)
        orders = [Order(i, "", 0, 1, Side.BUY, OrdType.LIMIT, TimeInForce.DAY, 100, 40950) for i in range(20_000)]
        t0 = time.perf_counter()
        for o in orders:
            enc.encode(o)
        per = (time.perf_counter() - t0) / len(orders)
        print(f"Verilated OUCH encoder from Python (hw/vsim/encoder.py): {per * 1e6:.1f} us an order "
              f"({1 / per:,.0f} orders/s), {enc.last_cycles + 1} cycles a frame")
        from wirespeed.prices import TickSize

        from .vsim.encoder import VerilatedFixEncoder
        fix = VerilatedFixEncoder(64, "WIRESPD", "VENUE1")
        fix.set_symbol(1, "MSFT", TickSize(1, 2))
        t0 = time.perf_counter()
        for k, o in enumerate(orders[:5_000]):
            fix.encode(o, 1 + k, "20261201-14:00:00.000")
        per = (time.perf_counter() - t0) / 5_000
        print(f"Verilated FIX encoder from Python: {per * 1e6:.1f} us an order ({1 / per:,.0f} orders/s)")
    except Exception as exc:     # a missing compiler must not hide the figures above
        print(f"Verilated OUCH encoder: not measured ({exc})")


if __name__ == "__main__":
    sys.exit(main())
