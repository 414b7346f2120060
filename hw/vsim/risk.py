"""``VerilatedRisk``: the Verilated risk pipeline from Python, one order at a time (microseconds
an order, for the gateway's hardware-in-the-loop backend) or in whole batches (numpy arrays in,
decisions out, for long regressions).

The per-order calls mirror the gateway's ``RiskBackend`` (gateway/risk.py): ``check(order)``
decides and reserves, ``set_limits`` writes a limit-table row over the register bus,
``release`` feeds a fill or a cancel back. The protection price of a market order is the
gateway's business (it is computed in Python from the limit row, as for the model backend).
"""
from __future__ import annotations

import ctypes
import time

import numpy as np

from wirespeed.layout import FILL, ORDER, RISK_OUT
from wirespeed.order import Order

from ..regs import map as regmap
from ..regs.bus import READ_LATENCY, WRITE_LATENCY
from ..risk.model import Fill, LimitEntry
from ..risk.pipeline import LATENCY, RiskPipeline
from . import records
from .build import library

_P = ctypes.c_void_p
_U32P = np.ctypeslib.ndpointer(np.uint32, flags="C_CONTIGUOUS")
_U64P = np.ctypeslib.ndpointer(np.uint64, flags="C_CONTIGUOUS")
NOW_MASK = (1 << 48) - 1


_MASK_AT, _MASK_ALL = RISK_OUT.offsets["mask"], (1 << RISK_OUT.fields["mask"]) - 1
_ORDER_FIELDS = [(f, ORDER.offsets[f], 1 << w) for f, w in ORDER.fields.items()]


class HarnessError(RuntimeError):
    pass


def _pack_order(order: Order) -> int:
    """``layout.pack_order``, a few times faster (the per-order path's main Python cost)."""
    values = (order.order_id, order.cl_ord_key, order.session, order.symbol, int(order.side), int(order.ord_type),
              int(order.tif), order.qty, order.price)
    word = 0
    for (name, off, top), v in zip(_ORDER_FIELDS, values):
        if not 0 <= v < top:
            raise ValueError(f"order.{name}={v} does not fit in {top.bit_length() - 1} bits")
        word |= v << off
    return word


def _bind(lib) -> None:
    lib.ws_new.restype = _P
    lib.ws_free.argtypes = [_P]
    lib.ws_cycles.argtypes, lib.ws_cycles.restype = [_P], ctypes.c_uint64
    lib.ws_reset.argtypes, lib.ws_reset.restype = [_P, ctypes.c_int64], ctypes.c_int64
    lib.ws_write.argtypes, lib.ws_write.restype = [_P, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_int], ctypes.c_int
    lib.ws_read.argtypes, lib.ws_read.restype = [_P, ctypes.c_uint32, ctypes.c_int], ctypes.c_int64
    lib.ws_fill.argtypes, lib.ws_fill.restype = [_P, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int], ctypes.c_int
    lib.ws_run.argtypes = [_P, _U32P, _U32P, ctypes.c_void_p, _U64P, ctypes.c_int64, _U32P, ctypes.c_int64]
    lib.ws_run.restype = ctypes.c_int64
    lib.ws_check.argtypes = [_P, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_int]
    lib.ws_check.restype = ctypes.c_int
    lib.ws_widths.argtypes = [ctypes.POINTER(ctypes.c_int)] * 3


class VerilatedRisk:
    """One Verilated ``RiskPipeline(depth, sessions, window)``, reset and ready on creation.
    The library is built on first use and cached (build.py)."""

    name = "verilator"

    def __init__(self, depth: int = 64, sessions: int = 8, window: int = 8):
        self.depth, self.sessions, self.window = depth, sessions, window
        self._lib = ctypes.CDLL(str(library(RiskPipeline(depth, sessions, window))))
        _bind(self._lib)
        widths = [ctypes.c_int() for _ in range(3)]
        self._lib.ws_widths(*(ctypes.byref(w) for w in widths))
        want = (records.words(ORDER), records.words(FILL), records.words(RISK_OUT))
        if tuple(w.value for w in widths) != want:
            raise HarnessError(f"port widths {[w.value for w in widths]} words, the records need {want}")
        self._h = self._lib.ws_new()
        # the per-order path: preallocated buffers, no numpy on the way
        self._order_bytes = 4 * want[0]
        self._order_buf = (ctypes.c_uint32 * want[0])()
        self._out_buf = (ctypes.c_uint32 * want[2])()
        self._fill_bytes = 4 * want[1]
        self._fill_buf = (ctypes.c_uint32 * want[1])()
        self._empty = np.zeros((1, want[1]), np.uint32)
        self.reset()

    def close(self) -> None:
        if getattr(self, "_h", None):      # (None also when __init__ refused its arguments)
            self._lib.ws_free(self._h)
            self._h = None

    def __del__(self):
        self.close()

    @property
    def cycles(self) -> int:
        return self._lib.ws_cycles(self._h)

    def reset(self) -> None:
        """Reset: state cleared (the limit table is not: write it)."""
        if self._lib.ws_reset(self._h, 4 * self.depth + 100) < 0:
            raise HarnessError("the pipeline did not come out of reset")

    # -- register bus --------------------------------------------------------------------
    def write(self, addr: int, data: int) -> None:
        """A register write; a bad one (the bus's error flag) raises, naming the address."""
        if self._lib.ws_write(self._h, addr, data & 0xFFFFFFFF, WRITE_LATENCY):
            self._lib.ws_write(self._h, regmap.global_by_name("STATUS").offset, 1, WRITE_LATENCY)   # clear the flag
            raise HarnessError(f"register write to {addr:#06x} refused (unmapped or read-only)")

    def read(self, addr: int) -> int:
        v = self._lib.ws_read(self._h, addr, READ_LATENCY + 2)
        if v < 0:
            raise HarnessError(f"register read of {addr:#06x}: no rvalid")
        return v

    def set_limits(self, symbol_index: int, entry: LimitEntry) -> None:
        if not 0 <= symbol_index < self.depth:
            raise IndexError(f"symbol index {symbol_index} outside the limit table (depth {self.depth})")
        for addr, data in regmap.row_writes(symbol_index, entry.pack()):
            self.write(addr, data)

    def set_globals(self, *, kill: bool = False, reduce_only: bool = False, credit_limit: int = (1 << 64) - 1,
                    rate_interval: int = 0, rate_tolerance: int = 0) -> None:
        g = {r.name: r.offset for r in regmap.GLOBALS}
        self.write(g["CTRL"], int(kill) | int(reduce_only) << 1)
        self.write(g["CREDIT_LIMIT_LO"], credit_limit)
        self.write(g["CREDIT_LIMIT_HI"], credit_limit >> 32)
        self.write(g["RATE_INTERVAL"], rate_interval)
        self.write(g["RATE_TOLERANCE"], rate_tolerance)

    def set_session_credit(self, session: int, limit: int) -> None:
        """A session's (account's) credit limit on its open + filled notional."""
        if not 0 <= session < self.sessions:
            raise IndexError(f"session {session} outside the session table ({self.sessions} sessions)")
        self.write(regmap.session_addr(session, 0), limit)
        self.write(regmap.session_addr(session, 1), limit >> 32)

    # -- one order at a time (the gateway's backend) -------------------------------------
    def check_word(self, order_word: int, now: int) -> int:
        """Decide one packed ``ORDER``; the packed ``RISK_OUT``."""
        ctypes.memmove(self._order_buf, order_word.to_bytes(self._order_bytes, "little"), self._order_bytes)
        if self._lib.ws_check(self._h, self._order_buf, now & NOW_MASK, self._out_buf, LATENCY + 4) < 0:
            raise HarnessError("no decision")
        return int.from_bytes(bytes(self._out_buf), "little")

    def check(self, order: Order, now: int | None = None) -> int:
        """Decide one order (and reserve it if accepted); the reject mask (0: accepted)."""
        now = time.monotonic_ns() if now is None else now
        return self.check_word(_pack_order(order), now) >> _MASK_AT & _MASK_ALL

    def fill(self, f: Fill, now: int = 0) -> None:
        """A fill or cancel (``Fill``), seen by the orders checked after it."""
        ctypes.memmove(self._fill_buf, f.pack().to_bytes(self._fill_bytes, "little"), self._fill_bytes)
        if self._lib.ws_fill(self._h, self._fill_buf, now & NOW_MASK, 8) < 0:
            raise HarnessError("fill not taken")

    def release(self, order: Order, qty: int, filled: bool) -> None:
        """``qty`` of an accepted order filled (position moves) or was canceled."""
        self.fill(Fill(order.symbol, int(order.side), qty, qty * order.price, cancel=not filled,
                 session=order.session))

    # -- batches (long regressions) ------------------------------------------------------------
    def run(self, orders: np.ndarray, now: np.ndarray, fills: np.ndarray | None = None,
            fill_valid: np.ndarray | None = None) -> np.ndarray:
        """Orders ((n, words) uint32, records.pack) one a cycle, with fill k (if fill_valid[k])
        taken with order k; ``now[k]`` as order k is offered. The decisions, (n, words) uint32."""
        n = len(orders)
        orders = np.ascontiguousarray(orders, np.uint32)
        now = np.ascontiguousarray(now, np.uint64) & np.uint64(NOW_MASK)
        if fills is None:
            fills, valid_p = self._empty, None
        else:
            fills = np.ascontiguousarray(fills, np.uint32)
            fill_valid = np.ascontiguousarray(fill_valid, np.uint8)
            if len(fills) != n or len(fill_valid) != n:
                raise ValueError(f"{n} orders, {len(fills)} fills and {len(fill_valid)} fill_valid: one each per order")
            valid_p = fill_valid.ctypes.data
        if len(now) != n:
            raise ValueError(f"{n} orders but {len(now)} now values")
        out = np.zeros((n, records.words(RISK_OUT)), np.uint32)
        got = self._lib.ws_run(self._h, orders, fills, valid_p, now, n, out, 2 * n + 100)
        if got != n:
            raise HarnessError(f"{got} decisions for {n} orders")
        return out
