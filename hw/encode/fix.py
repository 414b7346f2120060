"""FIX 4.4 NewOrderSingle as tag=value bytes, BodyLength and CheckSum computed in hardware.

Golden model: the gateway's own venue NewOrderSingle, ``Encoder.encode("D", seq,
new_order_fields(order, symbols, venue_cl_ord_id(order_id), ts), sending_time=ts)``:

    8=FIX.4.4|9=<len>|35=D|34=<seq>|49=<sender>|52=<ts>|56=<target>|11=<id hex8>|55=<symbol>|
    54=<side>|60=<ts>|38=<qty>|40=<type>|[44=<price>|]59=<tif>|10=<sum>|

(the header in the standard order: 8, 9, 35, then by tag, as the software encoder writes it).

Inputs besides the order: the symbol table (name, tick = units x 10^-decimals, decimals 0..9),
CompIDs (up to 8 bytes; a longer length counts as 8), MsgSeqNum as a BCD counter the host loads (``seq_load``/``seq_value``;
it advances by one per message), and the UTC time as 17 BCD digits YYYYMMDDHHMMSSmmm.

Everything is a register or at most 3 LUT levels from one. Ages count cycles after the order
is taken (age 0: the order and its table row are in registers):

    age 0..10    qty to BCD (double dabble, 3 bits a cycle); its digit count from ``qty >= 10**k``
    age 1..2     price x units through the DSP (registered inputs, M and P registers)
    age 3..16    price x units to BCD; its digit count from the product the cycle it arrives
    age ..10     every field's length (age 6), BodyLength (8), its digits (10): always 3 digits,
                 as the fixed part alone is 102 bytes and the most it can be is 172
    age 10       the frame's chunks load into the packer (hw/encode/chunks.py); qty, price and
                 CheckSum are written into it later, as the frame moves (they are settled by then)

The first beat, "8=FIX.4.", is ready 2 cycles after the decision, while the rest is worked out;
the later beats come as their fields settle, with gaps (the last at +42..44). A MAC must not run
dry inside a frame, so by default (``contiguous=True``) the frames pass through a ``FrameBuffer``
(hw/encode/frame_buffer.py) that offers a frame once it is complete: its beats then leave back to
back, the first 2 cycles after the frame's last beat is made (see docs/hw/encoders.md for the
figures). ``contiguous=False`` gives the raw stream (first byte at +2, with gaps).
CheckSum is the sum of every field's bytes, worked out arithmetically (a digit string's bytes
sum to its digits plus 0x30 per digit), not from the bytes as they stream.
"""
from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from wirespeed.enums import OrdType, Side
from wirespeed.layout import BEAT, FIX_SYMBOL, RISK_OUT

from ..logic import below, kept
from .chunks import Chunk, fixed_chunks, stream_chunks
from .common import encoder_members, hex_digit, symbol_table
from .frame_buffer import FrameBuffer
from .decimal import (BCD3_STAGES, Dabble, ascii_digit, bcd3, byte_mask, digit, digit_run, digits_above,
                      highest_nonzero, keep_bytes, summed, top_index)

QTY_DIGITS, PRICE_DIGITS, SEQ_DIGITS = 10, 13, 10
TS_DIGITS = 17
PREFIX = b"8=FIX.4."
PRICE_START = 2         # age at which price x units leaves the DSP's P register
LOAD_AGE = 10           # age at which the chunks load (BodyLength's digits are settled)
#: the longest frame: 16 bytes before the body ("8=FIX.4.4|9=nnn|"), a body of at most 172, "10=nnn|"
MAX_FRAME_BYTES = 16 + 172 + 7
#: FrameBuffer depth: the longest frame (25 beats) and the start of the next one
BUFFER_BEATS = 32


def _clamped(m, value, most: int, name: str):
    """Registered min(value, most)."""
    out = Signal(len(value), name=name)
    m.d.sync += out.eq(Mux(below(most, value), most, value))
    return out


def _reg(m, value, name: str, width: int = None):
    out = Signal(width or len(value), name=name)
    m.d.sync += out.eq(value)
    return out


class FixEncoder(wiring.Component):
    def __init__(self, depth: int = 64, contiguous: bool = True):
        if not isinstance(contiguous, bool):
            self._MustUse__silence = True
            raise TypeError(f"contiguous must be a bool, not {contiguous!r}")
        members = encoder_members(
            self, FIX_SYMBOL.layout, depth,
            sender=In(64), sender_len=In(4), target=In(64), target_len=In(4),
            seq_load=In(1), seq_value=In(4 * SEQ_DIGITS), seq=Out(4 * SEQ_DIGITS), utc=In(4 * TS_DIGITS))
        self.depth, self.contiguous = depth, contiguous
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        abits = (self.depth - 1).bit_length()
        rd = symbol_table(m, self.table, FIX_SYMBOL.layout, self.depth, transparent=False)
        row = rd.data

        busy = Signal()
        m.d.comb += self.i.ready.eq(~busy)
        start = kept(m, self.i.valid & ~busy & self.i.payload.accept, "start")
        # the row is read while idle, and so holds the taken order's row while busy
        m.d.comb += [rd.addr.eq(self.i.payload.o_symbol[:abits]), rd.en.eq(~busy)]

        # ---- captured with the order (age 0) -------------------------------------------------
        cur = Signal(RISK_OUT.layout)
        ts, seq_cur = Signal(4 * TS_DIGITS), Signal(4 * SEQ_DIGITS)
        comp = {}
        for port in ("sender", "target"):
            value, length = getattr(self, port), getattr(self, f"{port}_len")
            comp[port] = Signal(64, name=port), Signal(4, name=f"{port}_n")
            with m.If(start):
                m.d.sync += [comp[port][0].eq(keep_bytes(value, byte_mask(length))),
                             comp[port][1].eq(Mux(length > 8, 8, length))]
        with m.If(start):
            m.d.sync += [cur.eq(self.i.payload), ts.eq(self.utc), seq_cur.eq(self.seq), busy.eq(1)]

        age_max = 63
        age = Signal(range(age_max + 1), init=age_max)
        with m.If(start):
            m.d.sync += age.eq(0)
        with m.Elif(age != age_max):
            m.d.sync += age.eq(age + 1)

        # MsgSeqNum: a BCD counter, loaded by the host, one step per message. Digit i carries
        # when every digit below is 9: the carry out of adding one to those "is 9" bits.
        seq = self.seq
        nines = Cat(*(digit(seq, i) == 9 for i in range(SEQ_DIGITS)))
        inc = []
        for i in range(SEQ_DIGITS):
            carry = (nines[:i] + 1)[i] if i else Const(1, 1)
            inc.append(Mux(carry, Mux(nines[i], 0, digit(seq, i) + 1), digit(seq, i))[:4])
        with m.If(self.seq_load):
            m.d.sync += seq.eq(self.seq_value)
        with m.Elif(start):
            m.d.sync += seq.eq(Cat(*inc))

        # ---- qty and price x units to decimal ---------------------------------------------------
        is_limit = cur.o_ord_type == OrdType.LIMIT
        dec = row.decimals
        qty = Dabble(m, "qty", 32, QTY_DIGITS)
        qty.drive(start, self.i.payload.o_qty, below(age, qty.cycles))
        m_reg, product = Signal(40), Signal(40)
        m.d.sync += [m_reg.eq(cur.o_price * row.units), product.eq(m_reg)]
        price = Dabble(m, "price", 40, PRICE_DIGITS)
        price_start = age == PRICE_START
        price.drive(price_start, Mux(is_limit, product, 0),
                    ~below(age, PRICE_START + 1) & below(age, PRICE_START + 1 + price.cycles))
        qty_final, price_final = qty.cycles, PRICE_START + 1 + price.cycles      # the digits are settled

        # ---- digit counts, first and last digit of each run (registers, ready by LOAD_AGE) -----
        top_q = _reg(m, top_index(_reg(m, digits_above(cur.o_qty, QTY_DIGITS - 1), "qty_therm")), "top_q", 4)
        top_p = _reg(m, top_index(_reg(m, digits_above(product, PRICE_DIGITS - 1), "price_therm")), "top_p", 4)
        top_s = highest_nonzero(m, seq_cur, SEQ_DIGITS, "seq")
        int_top = _reg(m, Mux(below(top_p, dec), dec, top_p), "int_top")       # highest integer digit
        dec_plus7 = _reg(m, dec + 7, "dec_plus7", 5)
        int_lo = _reg(m, Mux(below(int_top, dec_plus7), int_top, dec_plus7), "int_lo", 5)
        int_span = _reg(m, int_top - dec, "int_span", 5)            # integer digits - 1
        dec_top = _reg(m, dec - 1, "dec_top", 5)                    # 31 when there are no decimals
        frac_lo = _clamped(m, dec_top[:4], 7, "frac_lo")
        limit = _reg(m, is_limit, "limit")
        has_frac = _reg(m, is_limit & (dec != 0), "has_frac")

        def split(top, name):
            """A run of ``top + 1`` digits as two chunks: (first digit, length) of each."""
            hi_len = _reg(m, Mux(below(7, top), top - 7, 0), f"{name}_hi_len", 4)
            lo_top = _clamped(m, top, 7, f"{name}_lo_top")
            return (top, hi_len), (lo_top, _reg(m, lo_top + 1, f"{name}_lo_len", 4))

        def gated(length, name, when=None):
            return _reg(m, Mux(limit if when is None else when, length, 0), name, 4)

        def masked(data, length, name):
            """Registered: ``data`` with its bytes past ``length`` cleared (the mask a register too)."""
            return _reg(m, keep_bytes(data, _reg(m, byte_mask(length), f"{name}_mask")), name)

        def run(bcd, ndigits, first, length, name, late=False):
            return Chunk(masked(digit_run(m, bcd, ndigits, first, f"{name}_digits"), length, name), length, late)

        (seq_hi, seq_hi_n), (seq_lo, seq_lo_n) = split(top_s, "seq")
        (qty_hi, qty_hi_n), (qty_lo, qty_lo_n) = split(top_q, "qty")
        int_hi_n = gated(Mux(below(7, int_span), int_span - 7, 0), "int_hi_len")
        int_lo_n = gated((int_lo - dec_top)[:4], "int_lo_len")
        frac_hi_n = gated(Mux(below(8, dec), dec - 8, 0), "frac_hi_len", has_frac)
        frac_lo_n = gated(frac_lo + 1, "frac_lo_len", has_frac)

        # ---- fixed-width fields (age 1) --------------------------------------------------------
        def ascii(value, name, n=1):
            """``n`` bytes of ``value`` in registers, one a byte."""
            return [_reg(m, value[8 * j:8 * j + 8], f"{name}{j}", 8) for j in range(n)]

        side_char = Const(ord("1"), 8)
        for code, text in {Side.BUY: "1", Side.SELL: "2", Side.SELL_SHORT: "5"}.items():
            side_char = Mux(cur.o_side == code, ord(text), side_char)
        side, ord_type = ascii(side_char, "side"), ascii(Mux(is_limit, ord("2"), ord("1")), "type")
        tif = ascii(Cat(cur.o_tif, Const(6, 5))[:8] | 0x30, "tif")
        hex_id = ascii(Cat(*(hex_digit(cur.order_id[4 * (7 - k):4 * (8 - k)]) for k in range(8))), "hex", 8)
        name_n = _clamped(m, row.name_len, 8, "name_n")
        name = _reg(m, keep_bytes(row.name, byte_mask(row.name_len)), "name")
        ts_digits = [ascii_digit(ts, k) for k in range(TS_DIGITS)]
        c = [(b, False) for b in ts_digits]
        ts_text = c[0:8] + [ord("-"), *c[8:10], ord(":"), *c[10:12], ord(":"), *c[12:14], ord("."), *c[14:17]]

        # ---- BodyLength: the fixed bytes of the body plus each variable field's length -------------
        tag_dot = _reg(m, Mux(dec != 0, 5, 4), "tag_dot", 3)             # "\x0144=" and "."
        price_chars = _reg(m, Mux(limit, int_top + 1 + tag_dot, 0), "price_chars", 5)
        sender, sender_n = comp["sender"]
        target, target_n = comp["target"]
        body_var = [sender_n, target_n, top_s, name_n, top_q, price_chars]     # seq, qty: top + 1 digits

        bl_bcd = Signal(12)
        bl_text = [(ascii_digit(bl_bcd, 2 - k), False) for k in range(3)]
        cs_bcd = Signal(12)
        cs_text = [(ascii_digit(cs_bcd, 2 - k), True) for k in range(3)]

        def b(text):
            return list(text.encode("ascii"))

        dot_n, tag44_n = gated(Const(1, 4), "dot_len", has_frac), gated(Const(4, 4), "tag44_len")
        dot = Chunk(masked(Const(ord("."), 64), dot_n, "dot"), dot_n)
        tag44 = Chunk(masked(Const(int.from_bytes(b"\x0144=", "little"), 64), tag44_n, "tag44"), tag44_n)
        parts = [
            b("4\x019="), bl_text, b("\x01"), "body",
            b("35=D\x0134="),
            run(seq_cur, SEQ_DIGITS, seq_hi, seq_hi_n, "seq_hi"), run(seq_cur, SEQ_DIGITS, seq_lo, seq_lo_n, "seq_lo"),
            b("\x0149="), Chunk(sender, sender_n), b("\x0152=") + ts_text + b("\x0156="), Chunk(target, target_n),
            b("\x0111=") + [(v, False) for v in hex_id] + b("\x0155="),
            Chunk(name, name_n),
            b("\x0154=") + [(side[0], False)] + b("\x0160=") + ts_text + b("\x0138="),
            run(qty.bcd, QTY_DIGITS, qty_hi, qty_hi_n, "qty_hi", True),
            run(qty.bcd, QTY_DIGITS, qty_lo, qty_lo_n, "qty_lo", True),
            b("\x0140=") + [(ord_type[0], False)], tag44,
            run(price.bcd, PRICE_DIGITS, int_top, int_hi_n, "int_hi", True),
            run(price.bcd, PRICE_DIGITS, int_lo[:4], int_lo_n, "int_lo", True), dot,
            run(price.bcd, PRICE_DIGITS, dec_top[:4], frac_hi_n, "frac_hi", True),
            run(price.bcd, PRICE_DIGITS, frac_lo, frac_lo_n, "frac_lo", True),
            b("\x0159=") + [(tif[0], False)] + b("\x01"), "checksum",
            b("10=") + cs_text + b("\x01"),
        ]
        chunks, fixed, body_fixed, const_sum, terms = [], [], None, sum(PREFIX), {}
        summing = True
        for part in parts:
            if part == "body":
                body_fixed = 0
            elif part == "checksum":
                summing = False
            elif isinstance(part, Chunk):
                chunks += fixed_chunks(fixed)
                fixed = []
                chunks.append(part)
            else:
                fixed += part
                for byte in part:
                    if body_fixed is not None and summing:
                        body_fixed += 1
                    if summing and isinstance(byte, int):
                        const_sum += byte
                    elif summing:
                        terms.setdefault(id(byte[0]), [byte[0], 0])[1] += 1
        chunks += fixed_chunks(fixed)

        bl, bl_stages = summed(m, [Const(body_fixed + 2, 8)] + body_var, 8, "body_len")
        m.d.comb += bl_bcd.eq(bcd3(m, bl, "bl_digits"))
        # price_chars, the last of the lengths, is settled at age 6 (product 2, thermometer 3,
        # its count 4, int_top 5)
        assert LOAD_AGE >= 6 + bl_stages + BCD3_STAGES, "BodyLength's digits must be settled when the chunks load"

        # ---- CheckSum: constants, fixed-width fields, and each variable field's bytes ---------------
        fixed_terms = [value if times == 1 else (value * times)[:8] for value, times in terms.values()]

        def digits_of(bcd, ndigits):
            return [digit(bcd, i) for i in range(ndigits)]

        def bytes_of(value):
            return [value[8 * j:8 * j + 8] for j in range(8)]

        # the price's bytes besides its digits: 0x30 a digit, "\x0144=", "."
        price_zeros = _reg(m, int_top * 0x30 + (0x30 + sum(b("\x0144="))), "price_zeros", 8)
        price_const = _reg(m, Mux(limit, price_zeros, 0) + Mux(has_frac, ord("."), 0), "price_const", 8)
        seq_zeros, qty_zeros = _reg(m, top_s * 0x30, "seq_zeros", 8), _reg(m, top_q * 0x30, "qty_zeros", 8)
        cs, cs_stages = summed(m, [Const((const_sum + 2 * 0x30) % 256, 8), *fixed_terms, *bytes_of(sender),
                                   *bytes_of(target), *bytes_of(name), *digits_of(seq_cur, SEQ_DIGITS),
                                   seq_zeros, *digits_of(qty.bcd, QTY_DIGITS), qty_zeros,
                                   *digits_of(price.bcd, PRICE_DIGITS), price_const], 8, "checksum")
        m.d.comb += cs_bcd.eq(bcd3(m, cs, "cs_digits"))

        first_late = min(q for q, ch in enumerate(chunks) if ch.late)
        settled = max(qty_final + 2, price_final + 2, price_final + cs_stages + BCD3_STAGES)   # digit_run, mask
        assert LOAD_AGE + first_late - 1 >= settled, "late chunks must be settled when they are written"

        due = Signal()
        with m.If(start):
            m.d.sync += due.eq(0)
        with m.Else():
            m.d.sync += due.eq(~below(age, LOAD_AGE - 1))
        out = self.o
        if self.contiguous:
            assert (MAX_FRAME_BYTES + 7) // 8 <= BUFFER_BEATS, "the buffer must hold the longest frame"
            m.submodules.frame_buffer = buf = FrameBuffer(BUFFER_BEATS)
            out = stream.Signature(BEAT.layout).create(path=("raw",))
            wiring.connect(m, out, buf.i)
            wiring.connect(m, buf.o, wiring.flipped(self.o))
        final = stream_chunks(m, out, chunks, PREFIX, start, due)
        with m.If(final):
            m.d.sync += busy.eq(0)
        return m
