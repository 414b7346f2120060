import struct

import pytest

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway.ouch import OuchSymbol, enter_order, soup_unsequenced
from wirespeed.order import Order
from wirespeed.prices import TickSize


def test_enter_order_layout():
    order = Order(0x1234, "C1", 0, 1, Side.SELL_SHORT, OrdType.LIMIT, TimeInForce.IOC, 500, 19025)
    msg = enter_order(order, OuchSymbol.of("AAPL", TickSize.parse("0.01")))
    assert len(msg) == 47
    assert msg[0:1] == b"O" and struct.unpack(">I", msg[1:5])[0] == 0x1234
    assert msg[5:6] == b"T" and struct.unpack(">I", msg[6:10])[0] == 500
    assert msg[10:18] == b"AAPL    "
    assert struct.unpack(">q", msg[18:26])[0] == 1_902_500          # 190.25 with 4 implied decimals
    assert msg[26:31] == b"3YANN"
    assert msg[31:45] == b"00001234      " and msg[45:47] == b"\x00\x00"
    frame = soup_unsequenced(msg)
    assert frame[:3] == b"\x00\x30U" and frame[3:] == msg and len(frame) == 50


@pytest.mark.parametrize("tick,scale", [("0.01", 100), ("0.0001", 1), ("0.05", 500), ("1", 10_000)])
def test_price_scale(tick, scale):
    assert OuchSymbol.of("X", TickSize.parse(tick)).price_scale == scale


def test_bad_symbols_are_named():
    with pytest.raises(ValueError, match="finer than OUCH"):
        OuchSymbol.of("X", TickSize.parse("0.00001"))
    with pytest.raises(ValueError, match="at most 8 characters"):
        OuchSymbol("TOOLONGSYM", 1).name_bytes
