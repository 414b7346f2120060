"""The Verilated OUCH encoder through its C++ harness: bit for bit against the software encoder."""
import random

import pytest

from wirespeed.gateway.ouch import soup_unsequenced, enter_order
from wirespeed.hw.encode.ouch import FIRST_BYTE
from wirespeed.hw.vsim.encoder import VerilatedOuchEncoder
from wirespeed.order import Order
from wirespeed.enums import OrdType, Side, TimeInForce

from .test_ouch_encoder import DEPTH, random_decision, random_symbols

pytestmark = pytest.mark.hw


def test_frames_equal_the_software_encoder():
    rng = random.Random(5)
    symbols = random_symbols(rng)
    enc = VerilatedOuchEncoder(DEPTH)
    for index, sym in symbols.items():
        enc.set_symbol(index, sym.name_bytes, sym.price_scale)
    for i in range(300):
        d = random_decision(rng, i)
        order = Order(d["order_id"], "", d["o_session"], d["o_symbol"], Side(d["o_side"]), OrdType(d["o_ord_type"]),
                      TimeInForce(d["o_tif"]), d["o_qty"], d["o_price"], cl_ord_key=d["o_cl_ord_key"])
        assert enc.encode(order) == soup_unsequenced(enter_order(order, symbols[d["o_symbol"]])), i
    assert enc.last_cycles == FIRST_BYTE + 6    # first beat FIRST_BYTE cycles after the decision, 7 beats


def test_bad_orders_are_refused_with_the_field():
    enc = VerilatedOuchEncoder(DEPTH)
    with pytest.raises(ValueError, match="order.symbol=99 is outside the encoder's table of 16 rows"):
        enc.encode(Order(1, "", 0, 99, Side.BUY, OrdType.LIMIT, TimeInForce.DAY, 1, 1))
    with pytest.raises(ValueError, match="order.qty=.* does not fit in 32 bits"):
        enc.encode(Order(1, "", 0, 1, Side.BUY, OrdType.LIMIT, TimeInForce.DAY, 1 << 40, 1))
    with pytest.raises(ValueError, match="symbol index 16 is outside"):
        enc.set_symbol(16, b"ABCDEFGH", 1)


@pytest.mark.slow          # its first build (the FIX encoder Verilated at -O3) takes minutes: make test-all
def test_fix_frames_equal_the_gateway_encoder():
    from wirespeed.hw.vsim.encoder import VerilatedFixEncoder

    from .test_fix_encoder import DEPTH as FIX_DEPTH, SENDER, TARGET, random_symbols as fix_symbols
    from .test_fix_eth_time import fix_frame
    rng = random.Random(8)
    symbols = fix_symbols(rng)
    enc = VerilatedFixEncoder(FIX_DEPTH, SENDER, TARGET)
    for sym in symbols:
        enc.set_symbol(sym.index, sym.name, sym.tick)
    for i in range(200):
        d = {**random_decision(rng, i), "o_symbol": rng.randrange(FIX_DEPTH)}
        order = Order(d["order_id"], "", 0, d["o_symbol"], Side(d["o_side"]), OrdType(d["o_ord_type"]),
                      TimeInForce(d["o_tif"]), d["o_qty"], d["o_price"], cl_ord_key=1)
        seq, ts = rng.choice([1, 9, 10, 99_999, rng.randrange(1, 10**9)]), f"20261201-14:{i % 60:02d}:{i % 59:02d}.{i:03d}"
        assert enc.encode(order, seq, ts) == fix_frame(d, symbols, seq, ts), i
    with pytest.raises(ValueError, match="ts: a UTCTimestamp with milliseconds"):
        enc.encode(order, 1, "20261201-14:00:00")
    with pytest.raises(ValueError, match="seq: MsgSeqNum must be in 1..9999999999"):
        enc.encode(order, 0, ts)
