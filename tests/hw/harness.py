"""Run the shared stream driver (hw/verify/stream_bench.py) in the Amaranth simulator."""
from __future__ import annotations

from amaranth.sim import Simulator

from wirespeed.hw.verify import stream_bench
from wirespeed.hw.verify.access import AmaranthAccess
from wirespeed.hw.verify.stream_bench import STALL_IDS, STALLS, StreamRun, stall_seed  # noqa: F401 (re-exported)


def run_stream(dut, inputs: list[int], *, setup=None, **kw) -> StreamRun:
    """``setup(ctx)`` runs first (tables, registers); then the stream, as in ``stream_bench.run``."""
    box = {}

    async def bench(ctx):
        if setup is not None:
            await setup(ctx)
        box["run"] = await stream_bench.run(AmaranthAccess(ctx, dut), inputs, **kw)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return box["run"]


async def load_table(ctx, dut, rows: dict[int, int]) -> None:
    """Write packed rows into an encoder's symbol table, one per cycle, through its write port
    (the simulator's twin of ``tb/streamtb.load_table``)."""
    for index, row in rows.items():
        ctx.set(dut.table.addr, index)
        ctx.set(dut.table.data.as_value(), row)
        ctx.set(dut.table.en, 1)
        await ctx.tick()
    ctx.set(dut.table.en, 0)
