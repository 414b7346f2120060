"""The order record built in C (gateway/native/order.c) is the record ``Order(...)`` builds."""
import dataclasses
import random

import pytest

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway import native
from wirespeed.order import Order, clordid_key

pytestmark = pytest.mark.skipif(native._order is None, reason="gateway/native/_order not built")


def test_the_c_clordid_key_is_blake2b_of_the_utf8():
    rng = random.Random(2)
    for n in (0, 1, 7, 8, 127, 128, 129, 256, 257, 1000):     # around BLAKE2b's 128-byte blocks
        for _ in range(30):
            text = "".join(rng.choice("AZaz09-.é€\U0001F600") for _ in range(n))
            assert native._order.clordid_key(text) == clordid_key(text), text
    with pytest.raises(UnicodeEncodeError):
        native._order.clordid_key("\udc80")                   # what str.encode() refuses, refused


def test_the_order_maker_builds_orders_equal_to_the_dataclass():
    make = native.order_maker()
    rng = random.Random(4)
    for k in range(500):
        args = (rng.randint(0, 1 << 32), rng.choice(["", "C1", f"ORD-{k}", "é" * rng.randrange(200)]),
                rng.randrange(256), rng.randrange(300), rng.choice(list(Side)), rng.choice(list(OrdType)),
                rng.choice(list(TimeInForce)), rng.randint(0, 1 << 32), rng.randint(0, 1 << 40))
        got, want = make(*args), Order(*args)
        assert type(got) is Order and got == want and hash(got) == hash(want)
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.qty = 1
    with pytest.raises(TypeError, match="cl_ord_id must be a str"):
        make(1, None, 0, 1, Side.BUY, OrdType.LIMIT, TimeInForce.DAY, 1, 1)


def test_no_maker_when_the_native_path_is_off(monkeypatch):
    monkeypatch.setattr(native, "ENABLED", False)
    assert native.order_maker() is None
    monkeypatch.setattr(native, "ENABLED", True)
    monkeypatch.setattr(native, "ORDER_FIELDS", native.ORDER_FIELDS[:-1])   # a record that changed shape
    assert native.order_maker() is None
