"""The FIX NewOrderSingle encoder in the Amaranth simulator, byte for byte against the gateway's
own venue NewOrderSingle (gateway.fix: Encoder + new_order_fields + venue_cl_ord_id)."""
import random

import pytest

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway.fix.encoder import Encoder
from wirespeed.gateway.fix.orders import new_order_fields, venue_cl_ord_id
from wirespeed.hw.encode.fix import MAX_FRAME_BYTES, FixEncoder
from wirespeed.hw.verify.encoder_bench import frame_timing
from wirespeed.hw.verify import stimulus
from wirespeed.layout import BEAT, FIX_SYMBOL, RISK_OUT, beats
from wirespeed.order import Order
from wirespeed.prices import TickSize
from wirespeed.symbols import Symbol, SymbolTable

from .harness import STALL_IDS, STALLS, load_table, run_stream, stall_seed

pytestmark = pytest.mark.hw
DEPTH = 16
TS = "20261122-14:03:59.071"
SENDER, TARGET = "WIRESPD", "VENUE1"


def bcd(text: str) -> int:
    return sum(int(ch) << (4 * k) for k, ch in enumerate(text))     # digit 0 = first character


def bcd_number(value: int, ndigits: int) -> int:
    return sum(int(ch) << (4 * k) for k, ch in enumerate(reversed(str(value).rjust(ndigits, "0"))))


def utc_bcd(ts: str = TS) -> int:
    """The encoder's ``utc`` input for a UTCTimestamp: its 17 digits in BCD."""
    return bcd(ts.replace("-", "").replace(":", "").replace(".", ""))


def table_row(sym: Symbol) -> int:
    """A symbol's row in the encoder's table, packed."""
    return FIX_SYMBOL.pack({"name": int.from_bytes(sym.name.encode().ljust(8, b"\0"), "little"),
                            "name_len": len(sym.name), "units": sym.tick.units, "decimals": sym.tick.decimals})


def expected_beats(decisions, symbols: SymbolTable, first_seq: int) -> list[int]:
    """The software encoder's frames for the accepted decisions, numbered from ``first_seq``."""
    out, seq = [], first_seq
    for d in decisions:
        if d["accept"]:
            out += beats(software(d, symbols, seq))
            seq += 1
    return out


def stream_bytes(words) -> bytes:
    """The bytes a stream of beats carries (each beat's kept bytes, in order)."""
    return b"".join(BEAT.unpack(w)["data"].to_bytes(8, "little")[:bin(BEAT.unpack(w)["keep"]).count("1")]
                    for w in words)


def random_symbols(rng) -> SymbolTable:
    table = SymbolTable()
    for index in range(DEPTH):
        name = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ.") for _ in range(rng.randint(1, 8)))
        tick = TickSize(rng.choice([1, 5, 25, 255]), rng.choice([0, 1, 2, 4, 8, 9]))
        table.add(Symbol(index, f"{name}{index}"[-8:] if len(name) + len(str(index)) > 8 else f"{name}{index}", tick))
    return table


def random_decision(rng, i):
    return stimulus.random_decision(rng, i, DEPTH)


def software(d, symbols: SymbolTable, seq: int) -> bytes:
    order = Order(d["order_id"], "", 0, d["o_symbol"], Side(d["o_side"]), OrdType(d["o_ord_type"]),
                  TimeInForce(d["o_tif"]), d["o_qty"], d["o_price"], cl_ord_key=1)
    fields = new_order_fields(order, symbols, venue_cl_ord_id(d["order_id"]), TS)
    return Encoder("FIX.4.4", SENDER, TARGET).encode("D", seq, fields, sending_time=TS)


def simulate(decisions, symbols, first_seq, contiguous=True, **stall):
    dut = FixEncoder(DEPTH, contiguous=contiguous)

    async def setup(ctx):
        await load_table(ctx, dut, {sym.index: table_row(sym) for sym in symbols})
        for port, text in ((dut.sender, SENDER), (dut.target, TARGET)):
            ctx.set(port, int.from_bytes(text.encode(), "little"))
        ctx.set(dut.sender_len, len(SENDER))
        ctx.set(dut.target_len, len(TARGET))
        ctx.set(dut.utc, utc_bcd())
        ctx.set(dut.seq_value, bcd_number(first_seq, 10))
        ctx.set(dut.seq_load, 1)
        await ctx.tick()
        ctx.set(dut.seq_load, 0)

    expected = expected_beats(decisions, symbols, first_seq)
    run = run_stream(dut, [RISK_OUT.pack(d) for d in decisions], setup=setup, n_outputs=len(expected),
                     max_cycles=len(decisions) * 80 + 200, **stall)
    return run, expected


@pytest.mark.parametrize("idle,backpressure", STALLS, ids=STALL_IDS)
def test_frames_are_byte_identical_to_the_gateway_encoder(idle, backpressure):
    rng = random.Random(stall_seed(idle, backpressure, 5))
    symbols = random_symbols(rng)
    decisions = [random_decision(rng, i) for i in range(40)]
    run, expected = simulate(decisions, symbols, first_seq=rng.choice([1, 9, 99_999, 123_456_789]),
                             idle=idle, backpressure=backpressure, seed=5)
    got, want = stream_bytes(run.outputs), stream_bytes(expected)
    assert got == want, f"first difference at byte {next(i for i, (a, b) in enumerate(zip(got, want)) if a != b)}:" \
                        f"\n got  {got[:400]!r}\n want {want[:400]!r}"
    assert run.outputs == expected     # same bytes, same beat boundaries, keep and last


def test_raw_stream_first_byte_two_cycles_after_the_decision():
    rng = random.Random(1)
    symbols = random_symbols(rng)
    decisions = [{**random_decision(rng, i), "accept": 1} for i in range(5)]
    run, expected = simulate(decisions, symbols, first_seq=1, contiguous=False)
    assert run.outputs == expected
    frame_starts = [0] + [k + 1 for k, w in enumerate(run.outputs[:-1]) if BEAT.unpack(w)["last"]]
    firsts = [run.out_cycles[k] for k in frame_starts]
    assert [f - i for i, f in zip(run.in_cycles, firsts)] == [2] * len(decisions)


@pytest.mark.parametrize("backpressure", [0.0, 0.4], ids=["back-to-back", "backpressure"])
def test_contiguous_frames_have_no_gap_inside(backpressure):
    """Back-to-back accepted decisions: once a frame's first beat is offered, o.valid stays high
    until its last beat is taken, with or without the consumer stalling; the raw stream gaps."""
    contiguous = frame_timing(FixEncoder(DEPTH), DEPTH, frames=5, backpressure=backpressure, seed=3)
    raw = frame_timing(FixEncoder(DEPTH, contiguous=False), DEPTH, frames=2, backpressure=backpressure, seed=3)
    assert contiguous["frames"] == 5 and (contiguous["gaps"], contiguous["gap_frames"]) == (0, 0)
    assert raw["gap_frames"] == 2                   # the test can fail: the unbuffered stream has gaps
    # the buffer costs no frame rate: decisions are taken as often as without it
    assert contiguous["frame_max"] <= raw["frame_max"] + 1
    if backpressure == 0.0:
        # store and forward: the first byte once the frame is made, the frame then at one beat a cycle
        assert contiguous["first_min"] >= raw["last_min"]
        assert contiguous["last_max"] - contiguous["first_min"] < MAX_FRAME_BYTES // 8
