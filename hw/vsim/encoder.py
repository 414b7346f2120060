"""``VerilatedOuchEncoder``: the Verilated OUCH encoder (hw/encode/ouch.py) from Python, one order
per call: ``encode(order)`` returns the SoupBinTCP-framed Enter Order the hardware streams out
(bit-identical to ``soup_unsequenced(enter_order(order, symbol))``, the software encoder). The C++
harness is ouch_harness.cpp, built on first use and cached like the risk pipeline's (build.py).
"""
from __future__ import annotations

import ctypes
from pathlib import Path

from wirespeed.layout import OUCH_SYMBOL, RISK_OUT
from wirespeed.order import Order

from ..encode.ouch import FRAME_BYTES, OuchEncoder
from . import records
from .build import library
from .risk import HarnessError

HARNESS = Path(__file__).resolve().parent / "ouch_harness.cpp"
_P = ctypes.c_void_p
_FIELDS = [(f, RISK_OUT.offsets[f], 1 << RISK_OUT.fields[f]) for f in
           ("order_id", "o_cl_ord_key", "o_session", "o_symbol", "o_side", "o_ord_type", "o_tif", "o_qty", "o_price")]
_ACCEPT = 1 << RISK_OUT.offsets["accept"]
MAX_CYCLES = 64


def _bind(lib) -> None:
    lib.ws_enc_new.restype = _P
    lib.ws_enc_free.argtypes = [_P]
    lib.ws_enc_cycles.argtypes, lib.ws_enc_cycles.restype = [_P], ctypes.c_uint64
    lib.ws_enc_table.argtypes = [_P, ctypes.c_uint32, ctypes.c_void_p]
    lib.ws_enc_encode.argtypes = [_P, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64,
                                  ctypes.POINTER(ctypes.c_int64)]
    lib.ws_enc_encode.restype = ctypes.c_int64
    lib.ws_enc_widths.argtypes = [ctypes.POINTER(ctypes.c_int)] * 3


def _words(value: int, n: int):
    buf = (ctypes.c_uint32 * n)()
    for k in range(n):
        buf[k] = (value >> (32 * k)) & 0xFFFFFFFF
    return buf


class VerilatedOuchEncoder:
    """One Verilated ``OuchEncoder(depth)``; load the symbols (``set_symbol``), then ``encode``."""

    def __init__(self, depth: int = 64):
        self.depth = depth
        self._lib = ctypes.CDLL(str(library(OuchEncoder(depth), top="ouch_encoder", harness=HARNESS,
                                            lib_name="libouch.so")))
        _bind(self._lib)
        widths = [ctypes.c_int() for _ in range(3)]
        self._lib.ws_enc_widths(*(ctypes.byref(w) for w in widths))
        want = (records.words(RISK_OUT), 3, records.words(OUCH_SYMBOL))
        if tuple(w.value for w in widths) != want:
            raise HarnessError(f"port widths {[w.value for w in widths]} words, the records need {want}")
        self._in_words = want[0]
        self._h = self._lib.ws_enc_new()
        self._out = (ctypes.c_uint8 * 64)()
        self._cycles = ctypes.c_int64()
        self.last_cycles = 0            # decision taken to the frame's last beat, in cycles

    def close(self) -> None:
        if self._h:
            self._lib.ws_enc_free(self._h)
            self._h = None

    def __del__(self):
        self.close()

    def set_symbol(self, index: int, name_bytes: bytes, price_scale: int) -> None:
        """Write row ``index`` of the encoder's table: the 8-byte symbol and ticks -> 1/10,000."""
        if not 0 <= index < self.depth:
            raise ValueError(f"symbol index {index} is outside the encoder's table of {self.depth} rows")
        row = OUCH_SYMBOL.pack({"name": int.from_bytes(name_bytes, "little"), "price_scale": price_scale})
        self._lib.ws_enc_table(self._h, index, _words(row, records.words(OUCH_SYMBOL)))

    def encode(self, order: Order) -> bytes:
        """The SoupBinTCP-framed Enter Order for ``order`` (an accepted decision), from the hardware."""
        if not 0 <= order.symbol < self.depth:
            raise ValueError(f"order.symbol={order.symbol} is outside the encoder's table of {self.depth} rows")
        values = (order.order_id, order.cl_ord_key, order.session, order.symbol, int(order.side),
                  int(order.ord_type), int(order.tif), order.qty, order.price)
        word = _ACCEPT
        for (name, off, top), v in zip(_FIELDS, values):
            if not 0 <= v < top:
                raise ValueError(f"order.{name.removeprefix('o_')}={v} does not fit in {top.bit_length() - 1} bits")
            word |= v << off
        n = self._lib.ws_enc_encode(self._h, _words(word, self._in_words), self._out, len(self._out), MAX_CYCLES,
                                    ctypes.byref(self._cycles))
        if n != FRAME_BYTES:
            raise HarnessError(f"the encoder returned {n} bytes for order {order.order_id}, not a {FRAME_BYTES}-byte frame")
        self.last_cycles = self._cycles.value
        return bytes(self._out[:n])
