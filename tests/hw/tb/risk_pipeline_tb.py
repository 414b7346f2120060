"""cocotb tests of the Verilated RiskPipeline: the shared testbench, scoreboarded against RiskModel."""
import cocotb
from cocotb.triggers import FallingEdge, RisingEdge

from wirespeed.hw.risk.pipeline import LATENCY
from wirespeed.hw.verify import pipeline_bench
from wirespeed.hw.verify.pipeline_bench import make_config
from wirespeed.hw.verify.stream_bench import STALLS
from wirespeed.reasons import RISK_REASONS

from .streamtb import env_int, start

DEPTH = env_int("WS_DEPTH", 16)
ORDERS = env_int("WS_ORDERS", 400)
SEED = env_int("WS_SEED", 1)
WINDOW = env_int("WS_WINDOW", 8)
PORTS = ("i.valid", "fill.valid", "o.ready", "bus.we", "bus.re")   # held low through reset
SEEN: set = set()


async def phases(dut, name: str, warmup: str | None = None):
    """Every stall combination in turn, state carried from one to the next."""
    acc = await start(dut, PORTS)
    seed = SEED * 1000 + sum(map(ord, name))
    model, now = None, 1_000
    plan = ([(warmup, STALLS[0])] if warmup else []) + [(name, s) for s in STALLS]
    for k, (cfg_name, (idle, bp)) in enumerate(plan):
        cfg = make_config(cfg_name, seed, depth=DEPTH)
        res = await pipeline_bench.run(acc, cfg, ORDERS, seed=seed + k, idle=idle, backpressure=bp,
                                       model=model, start_now=now)
        problems = res.mismatches()
        assert not problems, f"{cfg_name} idle={idle} backpressure={bp}:\n" + "\n".join(problems[:5])
        model, now = res.model, res.end_now
        SEEN.update(res.reasons_seen)


@cocotb.test()
@cocotb.parametrize(config=["open", "reduce-only", "tight-credit", "throttle", "kill"])
async def random_traffic(dut, config):
    """Every stall combination in turn for one control setting ("reduce-only" after an
    "open" phase has built positions, or it would only ever reject)."""
    await phases(dut, config, warmup="open" if config == "reduce-only" else None)


@cocotb.test()
async def fixed_latency_back_to_back(dut):
    acc = await start(dut, PORTS)
    res = await pipeline_bench.run(acc, make_config("open", SEED, depth=DEPTH), ORDERS, seed=SEED, fill_rate=0.5)
    assert not res.mismatches()
    assert res.in_cycles == list(range(res.in_cycles[0], res.in_cycles[0] + ORDERS)), "a bubble at the input"
    latencies = {o - i for i, o in zip(res.in_cycles, res.out_cycles)}
    assert latencies == {LATENCY}, f"latency not constant: {sorted(latencies)}"


@cocotb.test()
async def reset_clears_the_state(dut):
    """Traffic with fills builds positions and credit; a reset returns every one to zero
    (the state memories are cleared after reset, before the first order is taken)."""
    acc = await start(dut, PORTS)
    cfg = make_config("open", SEED, depth=DEPTH)
    res = await pipeline_bench.run(acc, cfg, ORDERS, seed=SEED, fill_rate=0.5)
    assert not res.mismatches() and res.fills > 0
    assert any(res.model.pos) and res.model.credit_used
    acc = await start(dut, PORTS)
    await pipeline_bench.run(acc, cfg, 0)        # no orders: reads the state back against a fresh model


@cocotb.test(skip=not env_int("WS_HAZARDS", 0))
async def hazard_scenarios(dut):
    """The directed back-to-back scenarios (hw/verify/hazards.py), each from a reset, without
    stalls and with idles and backpressure; their hazard coverage (hw/verify/coverage.py) complete."""
    from wirespeed.hw.verify import coverage, hazards
    acc = await start(dut, PORTS)
    failures = []
    dirty = True                                  # the limit table needs writing
    for k, sc in enumerate(hazards.scenarios(window=WINDOW)):
        for idle, bp in (STALLS[0], STALLS[-1]):     # none, and both (the Amaranth run has all four)
            dut.rst.value = 1
            await RisingEdge(dut.clk)
            dut.rst.value = 0
            await FallingEdge(dut.clk)
            res = await hazards.run(acc, sc, idle=idle, backpressure=bp, seed=k, table=dirty)
            dirty = sc.writes_table
            failures += [f"{sc.name} idle={idle} backpressure={bp}: {m}" for m in res.mismatches()[:1]]
            coverage.sample(res.trace, 4)
    assert not failures, "\n".join(failures[:20])
    dut._log.info("\n" + coverage.report())
    assert not coverage.missing(), coverage.report()


@cocotb.test()
async def every_reason_covered(dut):
    """Runs last: the tests above together produced every reject reason."""
    assert set(RISK_REASONS) <= SEEN, f"never produced: {sorted(set(RISK_REASONS) - SEEN)}"
