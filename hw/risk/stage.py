"""The risk stage: field sanity, unknown symbol, max quantity and price collar in hardware.

Pipeline (fixed latency ``LATENCY`` = 2 cycles from an order's transfer to its
decision's first cycle of valid, whatever the outcome; one order per cycle):

    cycle 0   order accepted on ``i``; limit-table read addressed by its symbol
    cycle 1   table row arrives; every check compared; mask and reason registered
    cycle 2   decision valid on ``o``

The whole pipeline advances together (``advance = ~o.valid | o.ready``), so output
backpressure stalls it without dropping or duplicating an order. The collar is
stored as a [lo, hi] price band (computed by software when the row is written),
so each check is a single comparison. Golden model: ``model.RiskModel``.
"""
from __future__ import annotations

from amaranth import Cat, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.layout import DECISION, ORDER, SYMBOL_LIMITS
from wirespeed.reasons import RejectReason as R
from wirespeed.reasons import RISK_REASONS

LATENCY = 2


def table_write_signature(depth: int) -> wiring.Signature:
    """A limit-table write port: one row per cycle while ``en`` is high."""
    return wiring.Signature({
        "addr": Out(range(depth)),
        "data": Out(SYMBOL_LIMITS.layout),
        "en": Out(1),
    })


class RiskStage(wiring.Component):
    def __init__(self, depth: int = 256):
        if not isinstance(depth, int) or depth < 2 or depth & (depth - 1):
            raise TypeError(f"depth must be a power of two >= 2, not {depth!r}")
        self.depth = depth
        super().__init__({
            "i": In(stream.Signature(ORDER.layout)),
            "o": Out(stream.Signature(DECISION.layout)),
            "table": In(table_write_signature(depth)),
        })

    def elaborate(self, platform):
        m = Module()
        addr_bits = (self.depth - 1).bit_length()

        m.submodules.limits = limits = Memory(shape=SYMBOL_LIMITS.layout, depth=self.depth, init=[])
        wr = limits.write_port()
        rd = limits.read_port(transparent_for=(wr,))
        m.d.comb += [wr.addr.eq(self.table.addr), wr.data.eq(self.table.data), wr.en.eq(self.table.en)]

        advance = Signal()
        m.d.comb += [advance.eq(~self.o.valid | self.o.ready), self.i.ready.eq(advance)]

        # Stage 1: hold the order while its table row is read.
        s1 = Signal(ORDER.layout)
        s1_valid = Signal()
        s1_in_range = Signal()
        m.d.comb += [rd.addr.eq(self.i.payload.symbol[:addr_bits]), rd.en.eq(advance)]
        with m.If(advance):
            m.d.sync += [
                s1.eq(self.i.payload),
                s1_valid.eq(self.i.valid),
                s1_in_range.eq(self.i.payload.symbol[addr_bits:] == 0),
            ]

        # Stage 2: every check in parallel, each one comparison deep.
        row = rd.data
        known = Signal()
        m.d.comb += known.eq(s1_in_range & row.valid)
        is_limit = s1.ord_type == OrdType.LIMIT
        fails = {
            R.BAD_FIELD: ~_one_of(s1.side, Side) | ~_one_of(s1.ord_type, OrdType) | ~_one_of(s1.tif, TimeInForce),
            R.ZERO_QTY: s1.qty == 0,
            R.UNKNOWN_SYMBOL: ~known,
            R.BAD_PRICE: is_limit & (s1.price == 0),
            R.MAX_QTY: known & (s1.qty > row.max_qty),
            R.PRICE_COLLAR: known & is_limit & ((s1.price < row.price_lo) | (s1.price > row.price_hi)),
        }
        mask = Signal(len(self.o.payload.mask))
        for reason, fail in fails.items():
            m.d.comb += mask[reason.value - 1].eq(fail)
        # Priority: the lowest failing code is the primary reason.
        reason = Signal.like(self.o.payload.reason)
        for r in sorted((r for r in RISK_REASONS if r in fails), reverse=True):
            with m.If(mask[r.value - 1]):
                m.d.comb += reason.eq(r.value)

        with m.If(advance):
            m.d.sync += [
                self.o.valid.eq(s1_valid),
                self.o.payload.order_id.eq(s1.order_id),
                self.o.payload.accept.eq(mask == 0),
                self.o.payload.reason.eq(reason),
                self.o.payload.mask.eq(mask),
            ]
        return m


def _one_of(value, enum) -> object:
    """``value`` holds one of the enum's codes (an OR of equality compares)."""
    hits = [value == int(member) for member in enum]
    return Cat(*hits).any()
