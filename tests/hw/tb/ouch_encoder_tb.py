"""cocotb tests of the Verilated OuchEncoder against the software encoder, under stalls."""
import cocotb

from wirespeed.layout import RISK_OUT, beats

from ..test_ouch_encoder import random_decision, random_symbols, rows, software_frame
from wirespeed.hw.verify.stream_bench import STALLS

from .streamtb import StallRun, env_int, load_table

ORDERS = env_int("WS_ORDERS", 300)


@cocotb.test()
@cocotb.parametrize(stall=STALLS)
async def frames(dut, stall):
    """Every order's frame, bit for bit, under input idles and output backpressure."""
    run = await StallRun.start(dut, stall, salt=1)
    rng = run.rng
    symbols = random_symbols(rng)
    await load_table(dut, rows(symbols))
    decisions = [random_decision(rng, i) for i in range(ORDERS)]
    expected = [b for d in decisions if d["accept"] for b in beats(software_frame(d, symbols))]
    await run.expect([RISK_OUT.pack(d) for d in decisions], expected)
