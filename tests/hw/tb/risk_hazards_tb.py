"""cocotb: the directed hazard scenarios (hw/verify/hazards.py) on the Verilated RiskPipeline,
each from a reset, under every stall combination, scoreboarded against RiskModel."""
import cocotb
from cocotb.triggers import FallingEdge, RisingEdge

from wirespeed.hw.verify import hazards
from wirespeed.hw.verify.stream_bench import STALL_IDS, STALLS

from .risk_pipeline_tb import PORTS
from .streamtb import start


async def reset(dut) -> None:
    dut.rst.value = 1
    await RisingEdge(dut.clk)
    dut.rst.value = 0
    await FallingEdge(dut.clk)


@cocotb.test()
async def hazard_scenarios(dut):
    acc = await start(dut, PORTS)
    failures = []
    for k, sc in enumerate(hazards.SCENARIOS):
        for (idle, bp), stall in zip(STALLS, STALL_IDS):
            await reset(dut)
            res = await hazards.run(acc, sc, idle=idle, backpressure=bp, seed=k)
            failures += [f"{sc.name} [{stall}]: {m}" for m in res.mismatches()[:2]]
    assert not failures, "\n".join(failures[:20])
