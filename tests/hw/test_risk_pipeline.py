"""RiskPipeline in the Amaranth simulator against the golden model (RiskModel)."""
import pytest

from wirespeed.hw.risk.pipeline import LATENCY, RiskPipeline
from wirespeed.reasons import RISK_REASONS

from .harness import STALL_IDS, STALLS
from .pipeline_sim import CONFIGS, make_config, simulate

pytestmark = pytest.mark.hw


#: (config, idle, backpressure): every setting under every stall; the per-session rates (the
#: throttle's paths, already under every stall) under both stalls at once
RUNS = [pytest.param(c, *stall, id=f"{c}-{sid}") for c in CONFIGS for stall, sid in zip(STALLS, STALL_IDS)
        if c != "session-rate" or stall == STALLS[-1]]


@pytest.mark.parametrize("config,idle,backpressure", RUNS)
def test_random_orders_and_fills_match_model(config, idle, backpressure):
    seed = sum(map(ord, config))
    cfg = make_config(config, seed)
    warmup = make_config("open", seed) if config == "reduce-only" else None
    # reduce-only accepts only the few orders that shrink the warm-up's positions: a seed whose
    # traffic has some (and so fills) at the 5-cycle latency
    res = simulate(cfg, 300, warmup=warmup, seed=9 if config == "reduce-only" else 7, idle=idle,
                   backpressure=backpressure)
    assert not res.mismatches(), "\n".join(res.mismatches()[:5])
    assert res.fills > 0 or config == "kill"


def test_fixed_latency_and_full_throughput():
    cfg = make_config("open", seed=3)
    res = simulate(cfg, 300, seed=3, fill_rate=0.5)
    assert not res.mismatches()
    assert res.in_cycles == list(range(res.in_cycles[0], res.in_cycles[0] + 300)), "a bubble at the input"
    assert {o - i for i, o in zip(res.in_cycles, res.out_cycles)} == {LATENCY}


def test_every_reason_is_produced():
    seen = set()
    for name in CONFIGS:
        warmup = make_config("open", 11) if name == "reduce-only" else None
        seen |= simulate(make_config(name, seed=11), 400, warmup=warmup, seed=5).reasons_seen
    assert set(RISK_REASONS) <= seen, f"never produced: {sorted(set(RISK_REASONS) - seen)}"


@pytest.mark.parametrize("bad", [{"depth": 3}, {"sessions": 0}, {"window": 6}, {"depth": 1 << 18}, {"sessions": 32}])
def test_bad_parameters_are_named(bad):
    with pytest.raises(TypeError, match="must be a power of two|do(es)? not fit"):
        RiskPipeline(**{"depth": 16, "sessions": 4, "window": 8, **bad})


def test_the_reused_simulator_gives_what_a_new_one_gives():
    """pipeline_sim reuses one simulator per design, reset between runs: a run after another that
    left counters, positions, the window and the table behind gives exactly what a new
    simulator gives, cycle for cycle."""
    from amaranth.sim import Simulator

    from wirespeed.hw.verify import pipeline_bench
    from wirespeed.hw.verify.access import AmaranthAccess

    cfg = make_config("tight-credit", 21)
    kw = {"seed": 21, "idle": 0.2, "backpressure": 0.2, "fill_rate": 0.5}
    simulate(make_config("open", 4), 200, seed=4, fill_rate=0.5)        # leaves its state behind
    reused = simulate(cfg, 200, **kw)
    dut, box = RiskPipeline(cfg.depth, cfg.sessions, cfg.window), {}

    async def bench(ctx):
        box["new"] = await pipeline_bench.run(AmaranthAccess(ctx, dut), cfg, 200, start_now=1_000, **kw)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    new = box["new"]
    assert not new.mismatches() and new.fills > 0
    assert (reused.outputs, reused.in_cycles, reused.out_cycles, reused.cycles) == \
        (new.outputs, new.in_cycles, new.out_cycles, new.cycles)


@pytest.mark.parametrize("depth", [2, 8])
def test_the_ports_open_right_after_the_memories_are_cleared(depth):
    """After reset every state memory is cleared, one entry per cycle (2 x depth entries):
    ``i.ready`` and ``fill.ready`` are low through the last entry's clear and high from the cycle
    after it (``clear_last``, a register, ends the clearing; one cycle early or late fails)."""
    from amaranth.sim import Simulator

    dut = RiskPipeline(depth=depth, sessions=2, window=2)
    opened_at = []

    async def bench(ctx):
        for cycle in range(2 * depth + 8):
            if ctx.get(dut.i.ready) and not opened_at:
                opened_at.append(cycle)
                assert ctx.get(dut.fill.ready)
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert opened_at == [2 * depth]
