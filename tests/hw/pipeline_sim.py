"""Run the shared pipeline testbench in the Amaranth simulator."""
from amaranth.sim import Simulator

from wirespeed.hw.risk.pipeline import RiskPipeline
from wirespeed.hw.verify import pipeline_bench
from wirespeed.hw.verify.access import AmaranthAccess
from wirespeed.hw.verify.pipeline_bench import CONFIGS, PipelineConfig, make_config  # noqa: F401

#: one simulator per design, reset between runs (run_on_pipeline)
_SIMS: dict = {}


def run_on_pipeline(depth: int, sessions: int, window: int, bench) -> None:
    """Run ``await bench(ctx, dut)`` on a ``RiskPipeline(depth, sessions, window)`` from its initial
    state. The simulator of each parameter set is built once and reset between runs
    (``Simulator.reset``: every signal and memory back to its initial value, time back to 0, the
    clock and the testbench restarted: what a new simulator starts from), so a test pays the
    design's elaboration and compilation (~0.5 s) once a session, not once a run;
    test_the_reused_simulator_gives_what_a_new_one_gives checks the two agree."""
    key = (depth, sessions, window)
    entry = _SIMS.get(key)
    if entry is None:
        dut, job = RiskPipeline(depth, sessions, window), {}

        async def dispatch(ctx):
            await job["bench"](ctx, dut)

        sim = Simulator(dut)
        sim.add_clock(1e-8)
        sim.add_testbench(dispatch)
        entry = _SIMS[key] = (sim, job)
    else:
        entry[0].reset()
    sim, job = entry
    job["bench"] = bench
    try:
        sim.run()
    except BaseException:
        del _SIMS[key]          # stopped mid-run: the next run builds a new one rather than trust it
        raise


def simulate(cfg: PipelineConfig, orders: int, warmup: PipelineConfig | None = None, **kw):
    """Run ``orders`` through a pipeline from reset; with ``warmup``, first run as many under it
    (same table) and carry the state over."""
    box = {}

    async def bench(ctx, dut):
        acc = AmaranthAccess(ctx, dut)
        model, start = None, 1_000
        if warmup is not None:
            first = await pipeline_bench.run(acc, warmup, orders, **kw)
            assert not first.mismatches(), first.mismatches()[:3]
            model, start = first.model, first.end_now
        box["result"] = await pipeline_bench.run(acc, cfg, orders, model=model, start_now=start, **kw)

    run_on_pipeline(cfg.depth, cfg.sessions, cfg.window, bench)
    return box["result"]


def simulate_source(cfg: PipelineConfig, source, undefined: bool = False, **kw):
    """``pipeline_bench.drive`` with ``source`` on a pipeline from reset (``kw`` to ``drive``;
    ``undefined``: RiskPipeline.released_collision_undefined, on a pipeline of its own, not the
    shared one of ``run_on_pipeline``)."""
    box = {}

    async def bench(ctx, dut):
        box["result"] = await pipeline_bench.drive(AmaranthAccess(ctx, dut), cfg, source, **kw)

    if undefined:
        dut = RiskPipeline(cfg.depth, cfg.sessions, cfg.window)
        dut.released_collision_undefined = True
        sim = Simulator(dut)
        sim.add_clock(1e-8)

        async def alone(ctx):
            await bench(ctx, dut)

        sim.add_testbench(alone)
        sim.run()
    else:
        run_on_pipeline(cfg.depth, cfg.sessions, cfg.window, bench)
    return box["result"]


def run_scenarios(scenarios, stalls, depth: int = 4, sessions: int = 4, window: int = 4,
                  undefined: bool = False, **kw) -> list:
    """Every scenario (hw/verify/hazards.py) under every (idle, backpressure) stall, each from a
    reset, in one simulation; [(scenario, stall, RunResult)]; ``kw`` to ``hazards.run``;
    ``undefined``: RiskPipeline.released_collision_undefined."""
    from amaranth import Signal
    from amaranth.hdl import ResetInserter

    from wirespeed.hw.verify import hazards

    dut = RiskPipeline(depth, sessions, window)
    dut.released_collision_undefined = undefined
    rst = Signal()
    top = ResetInserter({"sync": rst})(dut)
    out = []

    async def bench(ctx):
        acc = AmaranthAccess(ctx, dut)
        dirty = True                             # the limit table needs writing
        for k, sc in enumerate(scenarios):
            for idle, bp in stalls:
                ctx.set(rst, 1)
                await ctx.tick()
                ctx.set(rst, 0)
                res = await hazards.run(acc, sc, idle=idle, backpressure=bp, seed=k, table=dirty, **kw)
                out.append((sc, (idle, bp), res))
                dirty = sc.writes_table

    sim = Simulator(top)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return out
