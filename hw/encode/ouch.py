"""OUCH 5.0 Enter Order in SoupBinTCP framing, streamed 8 bytes per beat.

Takes the risk pipeline's output (``RISK_OUT``); accepted orders become 50-byte frames
(7 beats, the last with 2 bytes), rejected ones are dropped. Golden model: the
software encoder ``wirespeed.gateway.ouch`` (see its docstring for the byte layout).

    cycle t    decision accepted on ``i``; the symbol table's read address is the decision's
    t+1        order held; the table row (name, price scale) out of the block RAM -> ``row``
               (no logic after the RAM's output: its clock-to-out is most of a cycle on ECP5)
    t+2        price and scale (both registers) into the four 16 x 16 DSPs (``hw/mul.py``)
    t+3        their middle sum and the outer products' concatenation registered;
               beat 0 (length, 'U', 'O', UserRefNum) registered
    t+4        first beat valid on ``o``  (decision to first byte: FIRST_BYTE = 4 cycles);
               the product registered (one carry chain a stage)
    t+5        beat 2, which carries the price's first bytes, registered from the product
               beats follow one per cycle, no bubbles within a frame

One frame is in flight at a time (7 beats, then the next order), so the encoder
sustains one order per 10 cycles (FRAME_CYCLES): two cycles more than before the table's
output and the multiply were registered (2 cycles to the first byte, one frame per 8,
69 MHz routed on ECP5: the RAM read ran straight into a combinational 32 x 32 multiply).
Within ``OrderTx`` (hw/eth) the Ethernet framing takes 13 cycles an OUCH packet, so the
encoder's 10 do not limit the line rate.

Logic depth (3 LUT levels between registers, ``make hdl``): the computed characters
(side, time in force, the order id in hex) are registered with the order, the beat is
one-hot so a beat's word is an AND-OR of registers, and the symbol table is read-first
(an order read in the same cycle as a write to its row sees the row before the write).
"""
from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from wirespeed.enums import Side, TimeInForce
from wirespeed.layout import OUCH_SYMBOL, RISK_OUT

from ..logic import kept
from ..mul import Notional
from .common import encoder_members, hex_digit, symbol_table, table_signature

FRAME_BYTES = 50
BEATS = (FRAME_BYTES + 7) // 8
# The first beat that needs the price product (frame bytes 21..28), and the age (cycles since
# the order was captured, 0 in the cycle the row leaves the RAM) at which the product is in
# its register: the row register, then the multiplier's stages.
_MUL_STAGES = 3
_PRICE_BEAT, _PRICE_AGE = 21 // 8, 1 + _MUL_STAGES
# the age at which beat 0 is registered, so that beat _PRICE_BEAT comes when the product does
_START_AGE = _PRICE_AGE - _PRICE_BEAT
#: cycles from a decision's transfer to its frame's first beat on ``o``, and between frames
FIRST_BYTE = _START_AGE + 2
FRAME_CYCLES = BEATS + 1 + _START_AGE


def _ascii(text: str) -> list:
    return [Const(b, 8) for b in text.encode("ascii")]


def _be(value, nbytes: int) -> list:
    return [value[8 * (nbytes - 1 - k):8 * (nbytes - k)] for k in range(nbytes)]


def symbol_table_signature(depth: int) -> wiring.Signature:
    return table_signature(OUCH_SYMBOL.layout, depth)


class OuchEncoder(wiring.Component):
    def __init__(self, depth: int = 64):
        # hold: while high no order is taken (a sibling consumer of the same decisions is busy);
        # a register outside, so it costs no logic level in front of the encoder
        members = encoder_members(self, OUCH_SYMBOL.layout, depth, hold=In(1))
        self.depth = depth
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        abits = (self.depth - 1).bit_length()
        # Read-first: no write-to-read bypass compare in front of the read register.
        rd = symbol_table(m, self.table, OUCH_SYMBOL.layout, self.depth, transparent=False)

        busy = Signal()
        age = Signal(range(_PRICE_AGE + 1))
        beat = Signal(BEATS)   # one-hot: the beat to emit next (a wide mux decoded from a count is deeper)
        cur = Signal(RISK_OUT.layout)
        d = self.i.payload
        m.d.comb += self.i.ready.eq(~busy & ~self.hold)
        # one LUT from registers and ports: the capture enables are a level behind it
        start = kept(m, self.i.valid & ~busy & ~self.hold & d.accept, "start")
        # the row is read while idle, and so holds the taken order's row while busy
        m.d.comb += [rd.addr.eq(d.o_symbol[:abits]), rd.en.eq(~busy)]
        # The frame's computed characters are registered with the order, so every byte of a beat
        # comes straight from a register through the beat mux.
        side, tif = Signal(8), Signal(8)
        oid_hex = [Signal(8, name=f"oid_hex{k}") for k in range(8)]
        with m.If(start):
            m.d.sync += [cur.eq(d), busy.eq(1), age.eq(0), beat.eq(1),
                         side.eq(Mux(d.o_side == Side.BUY, ord("B"), Mux(d.o_side == Side.SELL_SHORT, ord("T"), ord("S")))),
                         tif.eq(Mux((d.o_tif == TimeInForce.IOC) | (d.o_tif == TimeInForce.FOK), ord("3"), ord("0")))]
            m.d.sync += [h.eq(hex_digit(d.order_id[4 * (7 - k):4 * (8 - k)])) for k, h in enumerate(oid_hex)]
        with m.Elif(busy & (age != _PRICE_AGE)):
            m.d.sync += age.eq(age + 1)

        # The row leaves the block RAM into a register (held while busy, as the read is).
        row = Signal(OUCH_SYMBOL.layout)
        m.d.sync += row.eq(rd.data)
        # Price in OUCH units: the multiplier's inputs are registers loaded as cur and row are
        # (the order's price on ``start``, the scale every cycle), its partial products and their
        # sum registered in turn. They are the multiplier's own (``input_regs``), so the ECP5 flow
        # puts them inside the MULT18X18Ds (hw/ecp5.py).
        m.submodules.price_mul = mul = Notional(_MUL_STAGES, input_regs=True)
        m.d.comb += [mul.qty.eq(d.o_price), mul.qty_en.eq(start), mul.price.eq(rd.data.price_scale),
                     mul.price_en.eq(1), mul.en.eq(1)]
        price = mul.product

        name = row.name
        oid = cur.order_id
        frame = (
            [Const(0, 8), Const(FRAME_BYTES - 2, 8)] + _ascii("U") + _ascii("O") + _be(oid, 4)
            + [side] + _be(cur.o_qty, 4) + [name[8 * k:8 * k + 8] for k in range(8)]
            + _be(price, 8) + [tif] + _ascii("YANN") + oid_hex + _ascii(" " * 6) + [Const(0, 8)] * 2
        )
        assert len(frame) == FRAME_BYTES and all(len(b) == 8 for b in frame)
        frame += [Const(0, 8)] * (BEATS * 8 - FRAME_BYTES)
        # AND-OR select by the one-hot beat: two LUT levels for any bit.
        word = Const(0, 64)
        for k in range(BEATS):
            word = word | (Cat(*frame[8 * k:8 * k + 8]) & beat[k].replicate(64))

        out_free = ~self.o.valid | self.o.ready
        ready_to_emit = busy & (age >= _START_AGE) & (beat[:_PRICE_BEAT].any() | (age >= _PRICE_AGE))
        with m.If(out_free):
            m.d.sync += self.o.valid.eq(ready_to_emit)
            with m.If(ready_to_emit):
                last = beat[BEATS - 1]
                m.d.sync += [self.o.payload.data.eq(word), self.o.payload.last.eq(last),
                             self.o.payload.keep.eq(Mux(last, (1 << (FRAME_BYTES - 8 * (BEATS - 1))) - 1, 0xFF)),
                             beat.eq(beat << 1)]   # the last beat shifts out: beat is 0 when idle
                with m.If(last):
                    m.d.sync += busy.eq(0)
        return m
