"""The Python pack/unpack is exactly the bits of the Amaranth StructLayout."""
import random

import pytest
from amaranth import Module, Signal
from amaranth.sim import Simulator

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.layout import DECISION, FILL, ORDER, RISK_OUT, SYMBOL_LIMITS, RecordFormat, pack_order, unpack_order
from wirespeed.order import Order, clordid_key


def test_order_round_trip():
    order = Order(7, "ABC-1", 3, 12, Side.SELL, OrdType.LIMIT, TimeInForce.IOC, 500, 19025)
    assert unpack_order(pack_order(order), "ABC-1") == order


def test_out_of_range_codes_survive_unpacking():
    word = ORDER.pack({**ORDER.unpack(0), "side": 0, "tif": 7})
    order = unpack_order(word)
    assert order.side == 0 and order.tif == 7


def test_clordid_key_is_stable():
    assert clordid_key("A") == clordid_key("A") != clordid_key("B")
    assert clordid_key("A") == int.from_bytes(__import__("hashlib").blake2b(b"A", digest_size=8).digest(), "little")


def test_pack_rejects_values_that_do_not_fit():
    with pytest.raises(ValueError, match="order.qty=4294967296 does not fit in 32 bits"):
        ORDER.pack({**ORDER.unpack(0), "qty": 1 << 32})


def test_bad_width_is_named():
    with pytest.raises(TypeError, match="rec.x: width must be a positive integer, not 0"):
        RecordFormat("rec", {"x": 0})


@pytest.mark.parametrize("fmt", [ORDER, DECISION, SYMBOL_LIMITS, FILL, RISK_OUT], ids=lambda f: f.name)
def test_python_bits_equal_amaranth_view(fmt):
    """Drive a packed word onto a Signal of the layout; each field read in Amaranth equals unpack()."""
    rng = random.Random(fmt.width)
    words = [rng.getrandbits(fmt.width) for _ in range(50)] + [0, (1 << fmt.width) - 1]
    m = Module()
    sig, out = Signal(fmt.layout), Signal(fmt.layout)
    m.d.comb += out.eq(sig)
    seen = []

    async def bench(ctx):
        for word in words:
            ctx.set(sig.as_value(), word)
            seen.append({name: ctx.get(out[name]) for name in fmt.fields})

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    assert seen == [fmt.unpack(w) for w in words]
    assert fmt.layout.size == fmt.width
