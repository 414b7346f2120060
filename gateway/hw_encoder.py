"""The hardware's order encoders on the gateway's wire: with ``encoder = "verilator"`` on a venue,
the frames the venue session writes for new orders come from the Verilated encoder of its
protocol (``wirespeed.hw.vsim.encoder``, built on first use and cached) instead of the software
encoder they are bit-identical to, so a test can show the hardware's frame reaching a venue and
being acknowledged.

- OUCH: the SoupBinTCP-framed Enter Order (``hw/encode/ouch.py``). Replace and Cancel Order stay
  in software (the hardware encodes Enter Order only).
- FIX: the whole NewOrderSingle (``hw/encode/fix.py``), header to CheckSum. The session still
  numbers it and stores it for resends (``Session.send_frame``); the hardware stamps the one
  UTCTimestamp it is given into both SendingTime(52) and TransactTime(60) (the software path
  reads the clock for each). Cancels, replaces and status requests stay in software.
"""
from __future__ import annotations

from wirespeed.order import Order
from wirespeed.symbols import SymbolTable

from .ouch import OuchSymbol

ENCODERS = ("software", "verilator")


def _depth(indices) -> int:
    """The table's rows: a power of two holding every index, at least 16 (the size the hardware
    tests build, so a small symbol table reuses their cached library instead of a build of its own)."""
    depth = 16
    while depth <= max(indices, default=0):
        depth *= 2
    return depth


def _check(name: str) -> None:
    if name not in ENCODERS:
        raise ValueError(f"encoder: must be one of {', '.join(ENCODERS)}, not {name!r}")


class VerilatorOuchEncoder:
    """The SoupBinTCP-framed Enter Order for an order, from the Verilated encoder, whose symbol
    table holds the venue session's symbols (names and price scales)."""

    name = "verilator"

    def __init__(self, scales: dict[int, OuchSymbol]):
        from wirespeed.hw.vsim.encoder import VerilatedOuchEncoder
        self.hw = VerilatedOuchEncoder(_depth(scales))
        for index, sym in scales.items():
            self.hw.set_symbol(index, sym.name_bytes, sym.price_scale)

    def frame(self, order: Order) -> bytes:
        return self.hw.encode(order)


def make_ouch_encoder(name: str, scales: dict[int, OuchSymbol]) -> VerilatorOuchEncoder | None:
    """None for the software encoder (the session's default path)."""
    _check(name)
    return VerilatorOuchEncoder(scales) if name == "verilator" else None


class VerilatorFixEncoder:
    """The NewOrderSingle for an order, from the Verilated FIX encoder, whose table holds the
    gateway's symbols (names and tick sizes) and whose CompIDs are the venue session's. The
    hardware's limits are checked at startup, naming what does not fit: FIX.4.4 only, CompIDs
    of 1..8 ASCII characters."""

    name = "verilator"

    def __init__(self, symbols: SymbolTable, sender: str, target: str, begin_string: str = "FIX.4.4"):
        if begin_string != "FIX.4.4":
            raise ValueError(f"encoder: the Verilated FIX encoder writes FIX.4.4, not {begin_string!r}")
        from wirespeed.hw.vsim.encoder import VerilatedFixEncoder
        try:     # (it checks the CompIDs before it builds; symbol names are 1..8 characters anyway)
            self.hw = VerilatedFixEncoder(_depth(s.index for s in symbols), sender, target)
        except ValueError as exc:
            raise ValueError(f"encoder: the Verilated FIX encoder's {exc}") from None
        for sym in symbols:
            self.hw.set_symbol(sym.index, sym.name, sym.tick)
        self.loaded = frozenset(sym.index for sym in symbols)

    def frame(self, order: Order, seq: int, ts: str) -> bytes:
        """The frame with MsgSeqNum ``seq`` and SendingTime = TransactTime = ``ts``; ValueError
        for a symbol the table was not loaded with (added since: its row is empty)."""
        if order.symbol not in self.loaded:
            raise ValueError(f"order.symbol={order.symbol}: not in the encoder's table (loaded at startup)")
        return self.hw.encode(order, seq, ts)


def make_fix_encoder(name: str, symbols: SymbolTable, sender: str, target: str,
                     begin_string: str = "FIX.4.4") -> VerilatorFixEncoder | None:
    """None for the software encoder (the session's templates)."""
    _check(name)
    return VerilatorFixEncoder(symbols, sender, target, begin_string) if name == "verilator" else None
