"""make test-hw-long: 10,000,000 random orders (fills and cancels interleaved) through the
Verilated harness, in ten chunks of a million, each from a reset under one control setting
("reduce-only" after an "open" half has built positions). Every decision is checked against
the vectorised invariants; the golden model replays the first SAMPLE orders of every chunk
(and their fills) and must agree bit for bit (the Python model runs ~25,000 orders/s, the
harness ~1,800,000: the sample keeps the run to minutes)."""
import time

import pytest

from wirespeed.hw.verify import batch
from wirespeed.hw.verify.pipeline_bench import make_config
from wirespeed.hw.vsim.risk import VerilatedRisk

pytestmark = [pytest.mark.hw, pytest.mark.slow]
CHUNK, SAMPLE = 1_000_000, 100_000
PLAN = ["open", "tight-credit", "throttle", "kill", "reduce-only"] * 2


def test_ten_million_orders_against_the_model():
    vr = VerilatedRisk(64, 8, 8)
    total = compared = 0
    harness_s = 0.0
    for k, name in enumerate(PLAN):
        cfg = make_config(name, seed=100 + k, depth=64, sessions=8)
        t0 = time.perf_counter()
        if name == "reduce-only":
            warm = make_config("open", seed=100 + k, depth=64, sessions=8)
            first = batch.run_random(vr, warm, CHUNK // 2, seed=k)
            vr.set_globals(reduce_only=True)
            cfg.table = warm.table
            b = batch.run_random(vr, cfg, CHUNK // 2, seed=1000 + k, configure_first=False, first_id=CHUNK // 2,
                                 now0=int(first.now[-1]) + 1)
            harness_s += time.perf_counter() - t0
            model, bad = batch.replay(warm, first, count=CHUNK // 2)    # the warm-up half, all of it
            assert not bad, "\n".join(bad)
            n, bad = batch.model_mismatches(cfg, b, count=SAMPLE, model=model)
            batches = [first, b]
            compared += CHUNK // 2 + n
        else:
            b = batch.run_random(vr, cfg, CHUNK, seed=k)
            harness_s += time.perf_counter() - t0
            n, bad = batch.model_mismatches(cfg, b, count=SAMPLE)
            batches = [b]
            compared += n
        assert not bad, f"chunk {k} ({name}):\n" + "\n".join(bad)
        for part in batches:
            problems = batch.invariants(part)
            assert not problems, f"chunk {k} ({name}): {problems}"
            total += len(part.orders)
    print(f"\n{total:,} orders ({compared:,} compared with the model) at "
          f"{total / harness_s:,.0f} orders/s through the harness, stimulus included")
    assert total == 10_000_000


def test_sixteen_thousand_entries_against_the_model():
    """16,384 (symbol, side) entries (8,192 symbols) of block-RAM state: a million random orders
    with fills in chunks under the session-credit and the open settings; the model replays a
    sample of each and every decision satisfies the invariants."""
    depth = 8192
    vr = VerilatedRisk(depth, 8, 8)
    for k, name in enumerate(["open", "session-credit"]):
        cfg = make_config(name, seed=300 + k, depth=depth, sessions=8)
        b = batch.run_random(vr, cfg, CHUNK // 2, seed=300 + k)
        n, bad = batch.model_mismatches(cfg, b, count=SAMPLE)
        assert not bad, f"{name}:\n" + "\n".join(bad)
        assert not batch.invariants(b) and n == SAMPLE
