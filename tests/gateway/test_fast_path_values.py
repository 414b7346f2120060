"""The venue NewOrderSingle's values rendered in the client fast path's call (native/path.c
``venue_values``, bound with ``FastPath.bind_values`` from ``_fix.OrderValues.tables()``) against
``OrderValues`` called (``order_fast.C_VALUES`` off) and the Python path: the same bytes, trail,
states and numbers on symbols of four tick sizes, and no ``OrderValues`` call for an order the
C path takes."""
import pytest

from wirespeed.config import load_config
from wirespeed.gateway import order_fast
from wirespeed.gateway.fix import orders as fix_orders

from . import test_fast_path
from .test_fast_path import Rig, order, pinned_time  # noqa: F401 (the autouse fixture)

pytestmark = pytest.mark.skipif(fix_orders._VALUES is None or not hasattr(fix_orders._VALUES, "tables"),
                                reason="gateway/native not built")

SYMBOLS = [{"name": "AAPL", "tick": "0.01", "reference": "190.25"}, {"name": "ONE", "tick": "1", "reference": "50"},
           {"name": "FINE", "tick": "0.0005", "reference": "1.2345"}, {"name": "QTR", "tick": "0.25", "reference": "4000"}]


class Counting:
    """``OrderValues``, its calls counted."""

    def __init__(self, real):
        self.real, self.calls = real, 0

    def tables(self):
        return self.real.tables()

    def __call__(self, *args):
        self.calls += 1
        return self.real(*args)


@pytest.fixture
def symbols(monkeypatch):
    monkeypatch.setattr(test_fast_path, "load_config",
                        lambda overrides: load_config(overrides={**overrides, "symbols": SYMBOLS}))


REAL = fix_orders._VALUES


def _run(monkeypatch, fast, c_values):
    counting = Counting(REAL)
    monkeypatch.setattr(fix_orders, "_VALUES", counting)
    monkeypatch.setattr(order_fast, "C_VALUES", c_values)
    rig = Rig(fast)
    for k, sym in enumerate(rig.symbols):
        ref = sym.reference_ticks
        prices = [sym.tick.format(ref + d) for d in (0, 1, -7, 33, -60)]
        rig.read(rig.frame("D", order(f"{k}.w", sym.name, price=prices[0])))     # (a shape per price length)
        rig.read(*(rig.frame("D", order(f"{k}.{j}", sym.name, side="12"[j % 2], price=p)) for j, p in enumerate(prices)))
        rig.read(rig.frame("D", order(f"{k}.q", sym.name, qty="500", price=prices[1])))
    return rig, counting.calls


def test_venue_values_rendered_in_c_are_order_values_own(monkeypatch, symbols):
    out = {}
    for fast, c_values in ((True, True), (True, False), (False, False)):
        rig, calls = _run(monkeypatch, fast, c_values)
        out[fast, c_values] = rig.result(), rig, calls
    (c_res, c_rig, c_calls), (called_res, called_rig, called_calls), (py_res, _, py_calls) = \
        out[True, True], out[True, False], out[False, False]
    for key in c_res:
        assert c_res[key] == called_res[key] == py_res[key], key
    taken = c_rig.client.fast.orders
    assert taken >= 20 and called_rig.client.fast.orders == taken and c_res["counts"]["accepted"] >= 26
    assert called_calls - c_calls == taken and py_calls == called_calls     # none for what C took
    prices = {m.split(b"\x0144=")[1].split(b"\x01")[0] for m in c_res["venues"]["VENUE1"].split(b"\x0110=") if b"44=" in m}
    assert {b"50", b"1.2345", b"1.2350", b"4000.25", b"190.25"} <= prices
