"""The Verilated order encoders from Python, one order per call, through C++ harnesses built on
first use and cached like the risk pipeline's (build.py):

- ``VerilatedOuchEncoder`` (hw/encode/ouch.py, ouch_harness.cpp): ``encode(order)`` returns the
  SoupBinTCP-framed Enter Order, bit-identical to ``soup_unsequenced(enter_order(order, symbol))``;
- ``VerilatedFixEncoder`` (hw/encode/fix.py, fix_harness.cpp): ``encode(order, seq, ts)`` returns
  the NewOrderSingle with MsgSeqNum ``seq`` and SendingTime/TransactTime ``ts``, bit-identical to
  the gateway's venue NewOrderSingle (the session owns the sequence number and the clock).
"""
from __future__ import annotations

import ctypes
from pathlib import Path

from wirespeed.layout import FIX_SYMBOL, OUCH_SYMBOL, RISK_OUT
from wirespeed.order import Order
from wirespeed.prices import TickSize

from ..encode.fix import MAX_FRAME_BYTES, SEQ_DIGITS, FixEncoder
from ..encode.ouch import FRAME_BYTES, OuchEncoder
from ..time.model import bcd_digits
from . import records
from .build import library
from .risk import HarnessError

HARNESS = Path(__file__).resolve().parent / "ouch_harness.cpp"
FIX_HARNESS = Path(__file__).resolve().parent / "fix_harness.cpp"
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


def _decision(depth: int):
    """Packs an order as an accepted decision (ctypes words), refusing a field that does not fit."""
    def pack(order: Order, n_words: int):
        if not 0 <= order.symbol < depth:
            raise ValueError(f"order.symbol={order.symbol} is outside the encoder's table of {depth} rows")
        values = (order.order_id, order.cl_ord_key, order.session, order.symbol, int(order.side),
                  int(order.ord_type), int(order.tif), order.qty, order.price)
        word = _ACCEPT
        for (name, off, top), v in zip(_FIELDS, values):
            if not 0 <= v < top:
                raise ValueError(f"order.{name.removeprefix('o_')}={v} does not fit in {top.bit_length() - 1} bits")
            word |= v << off
        return _words(word, n_words)
    return pack


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
        self._pack = _decision(self.depth)
        self._out = (ctypes.c_uint8 * 64)()
        self._cycles = ctypes.c_int64()
        self.last_cycles = 0            # decision taken to the frame's last beat, in cycles

    def close(self) -> None:
        if getattr(self, "_h", None):      # (None also when __init__ refused its arguments)
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
        n = self._lib.ws_enc_encode(self._h, self._pack(order, self._in_words), self._out, len(self._out), MAX_CYCLES,
                                    ctypes.byref(self._cycles))
        if n != FRAME_BYTES:
            raise HarnessError(f"the encoder returned {n} bytes for order {order.order_id}, not a {FRAME_BYTES}-byte frame")
        self.last_cycles = self._cycles.value
        return bytes(self._out[:n])


class VerilatedFixEncoder:
    """One Verilated ``FixEncoder(depth)`` (contiguous frames) for the session ``sender`` ->
    ``target``; load the symbols (``set_symbol``), then ``encode``."""

    def __init__(self, depth: int = 64, sender: str = "WIRESPD", target: str = "VENUE"):
        for name, comp in (("sender", sender), ("target", target)):
            if not comp or len(comp) > 8 or not comp.isascii():
                raise ValueError(f"{name}: the hardware holds CompIDs of 1..8 ASCII characters, not {comp!r}")
        self.depth = depth
        self._lib = ctypes.CDLL(str(library(FixEncoder(depth), top="fix_encoder", harness=FIX_HARNESS,
                                            lib_name="libfix.so")))
        lib = self._lib
        lib.ws_fix_new.restype = _P
        lib.ws_fix_free.argtypes = [_P]
        lib.ws_fix_table.argtypes = [_P, ctypes.c_uint32, ctypes.c_void_p]
        lib.ws_fix_comp_ids.argtypes = [_P, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_uint32]
        lib.ws_fix_encode.argtypes = [_P, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_void_p,
                                      ctypes.c_int64, ctypes.c_int64]
        lib.ws_fix_encode.restype = ctypes.c_int64
        lib.ws_fix_widths.argtypes = [ctypes.POINTER(ctypes.c_int)] * 4
        widths = [ctypes.c_int() for _ in range(4)]
        lib.ws_fix_widths(*(ctypes.byref(w) for w in widths))
        want = (records.words(RISK_OUT), 3, records.words(FIX_SYMBOL), 3)
        if tuple(w.value for w in widths) != want:
            raise HarnessError(f"port widths {[w.value for w in widths]} words, the records need {want}")
        self._in_words = want[0]
        self._h = lib.ws_fix_new()
        lib.ws_fix_comp_ids(self._h, int.from_bytes(sender.encode(), "little"), len(sender),
                            int.from_bytes(target.encode(), "little"), len(target))
        self._pack = _decision(depth)
        self._out = (ctypes.c_uint8 * 256)()

    def close(self) -> None:
        if getattr(self, "_h", None):      # (None also when __init__ refused its arguments)
            self._lib.ws_fix_free(self._h)
            self._h = None

    def __del__(self):
        self.close()

    def set_symbol(self, index: int, name: str, tick: TickSize) -> None:
        if not 0 <= index < self.depth:
            raise ValueError(f"symbol index {index} is outside the encoder's table of {self.depth} rows")
        raw = name.encode("ascii")
        if not 1 <= len(raw) <= 8:
            raise ValueError(f"symbol {name!r}: the hardware holds names of 1..8 characters")
        row = FIX_SYMBOL.pack({"name": int.from_bytes(raw.ljust(8, b"\0"), "little"), "name_len": len(raw),
                               "units": tick.units, "decimals": tick.decimals})
        self._lib.ws_fix_table(self._h, index, _words(row, records.words(FIX_SYMBOL)))

    def encode(self, order: Order, seq: int, ts: str) -> bytes:
        """The NewOrderSingle for ``order`` with MsgSeqNum ``seq`` and the UTCTimestamp ``ts``
        (YYYYMMDD-HH:MM:SS.mmm), from the hardware."""
        if not isinstance(seq, int) or not 1 <= seq < 10 ** SEQ_DIGITS:
            raise ValueError(f"seq: MsgSeqNum must be in 1..{10 ** SEQ_DIGITS - 1}, not {seq!r}")
        digits = "".join(c for c in ts if c.isdigit())
        if len(digits) != 17 or len(ts) != 21:
            raise ValueError(f"ts: a UTCTimestamp with milliseconds (YYYYMMDD-HH:MM:SS.mmm), not {ts!r}")
        seq_bcd = sum(int(c) << (4 * k) for k, c in enumerate(reversed(str(seq))))
        n = self._lib.ws_fix_encode(self._h, self._pack(order, self._in_words), seq_bcd,
                                    _words(bcd_digits(digits), 3), self._out, len(self._out), 400)
        if not 0 < n <= MAX_FRAME_BYTES:
            raise HarnessError(f"the encoder returned {n} for order {order.order_id}, not a FIX frame")
        return bytes(self._out[:n])
