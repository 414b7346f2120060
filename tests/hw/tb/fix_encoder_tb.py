"""cocotb tests of the Verilated FixEncoder against the gateway's encoder, under stalls."""
import cocotb
from cocotb.triggers import FallingEdge

from wirespeed.layout import RISK_OUT

from ..test_fix_encoder import (SENDER, TARGET, bcd_number, expected_beats, random_decision, random_symbols,
                                table_row, utc_bcd)
from wirespeed.hw.verify.stream_bench import STALLS

from .streamtb import StallRun, env_int, load_table

ORDERS = env_int("WS_ORDERS", 150)


@cocotb.test()
@cocotb.parametrize(stall=STALLS)
async def frames(dut, stall):
    run = await StallRun.start(dut, stall, salt=11)
    rng = run.rng
    symbols = random_symbols(rng)
    await load_table(dut, {sym.index: table_row(sym) for sym in symbols})
    dut.sender.value = int.from_bytes(SENDER.encode(), "little")
    dut.sender_len.value = len(SENDER)
    dut.target.value = int.from_bytes(TARGET.encode(), "little")
    dut.target_len.value = len(TARGET)
    dut.utc.value = utc_bcd()
    first = rng.choice([1, 999_999_999, 42])
    dut.seq_value.value = bcd_number(first, 10)
    dut.seq_load.value = 1
    await FallingEdge(dut.clk)
    dut.seq_load.value = 0
    decisions = [random_decision(rng, i) for i in range(ORDERS)]
    expected = expected_beats(decisions, symbols, first)
    await run.expect([RISK_OUT.pack(d) for d in decisions], expected)
