"""FIX 4.4 NewOrderSingle as tag=value bytes, BodyLength and CheckSum computed in hardware.

Golden model: the gateway's own venue NewOrderSingle, ``Encoder.encode("D", seq,
new_order_fields(order, symbols, venue_cl_ord_id(order_id), ts), sending_time=ts)``:

    8=FIX.4.4|9=<len>|35=D|49=<sender>|56=<target>|34=<seq>|52=<ts>|11=<id hex8>|55=<symbol>|
    54=<side>|60=<ts>|38=<qty>|40=<type>|[44=<price>|]59=<tif>|10=<sum>|

Inputs besides the order: the symbol table (name, tick = units x 10^-decimals), CompIDs,
MsgSeqNum as a BCD counter the host loads (``seq_load``/``seq_value``; it advances by one
per message), and the UTC time as 17 BCD digits YYYYMMDDHHMMSSmmm (from the card's clock).

    cycle t      order captured; "8=FIX.4." enters the byte packer
    t+2          first beat valid (decision to first byte: 2 cycles)
    t+1..t+13    qty and price x units to BCD (double dabble, 4 bits a cycle; the
                 product comes from a DSP with registered inputs, M and P registers);
                 then digit counts, BodyLength
    then         one chunk of up to 8 bytes a cycle through the packer; CheckSum is the
                 running sum of every byte before "10="
"""
from amaranth import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from wirespeed.enums import OrdType, Side
from wirespeed.layout import FIX_SYMBOL, RISK_OUT

from .common import encoder_members, hex_digit, symbol_table, table_signature

QTY_DIGITS, PRICE_DIGITS, SEQ_DIGITS = 10, 13, 10
TS_DIGITS = 17


def symbol_table_signature(depth: int) -> wiring.Signature:
    return table_signature(FIX_SYMBOL.layout, depth)


def _digit(bcd, i):
    return bcd[4 * i:4 * i + 4]


def _dabble_steps(m, bcd, binary, ndigits: int, steps: int):
    """``steps`` double-dabble steps: (new bcd, new binary). Each step's result is a signal:
    an expression reused three times per digit would otherwise grow exponentially."""
    width = len(binary)
    for _ in range(steps):
        adjusted = Cat(*(Mux(_digit(bcd, i) >= 5, _digit(bcd, i) + 3, _digit(bcd, i))[:4] for i in range(ndigits)))
        step = Signal(4 * ndigits)
        m.d.comb += step.eq(Cat(binary[width - 1], adjusted)[:4 * ndigits])
        bcd = step
        binary = Cat(Const(0, 1), binary)[:width]
    return bcd, binary


def _bcd_of(m, value, ndigits: int):
    """Combinational BCD of a small value (a fixed double-dabble network)."""
    bcd, _ = _dabble_steps(m, Const(0, 4 * ndigits), value, ndigits, len(value))
    return bcd


def _ndigits(bcd, ndigits: int):
    """Digits in the decimal string (at least 1): highest non-zero digit + 1."""
    n = Signal(range(ndigits + 1))
    with_default = [(i + 1) for i in range(ndigits)]
    expr = Const(1, len(n))
    for i in range(ndigits):
        expr = Mux(_digit(bcd, i) != 0, with_default[i], expr)
    return expr


class _Converter:
    """Iterative double dabble, 4 bits a cycle."""

    def __init__(self, m, name: str, width: int, ndigits: int):
        self.width, self.ndigits = width, ndigits
        self.bcd = Signal(4 * ndigits, name=f"{name}_bcd")
        self.bin = Signal(width, name=f"{name}_bin")
        self.left = Signal(range(width // 4 + 1), name=f"{name}_left")
        self.done = Signal(name=f"{name}_done")
        self.m = m

    def start(self, value):
        return [self.bcd.eq(0), self.bin.eq(value), self.left.eq(self.width // 4), self.done.eq(0)]

    def elaborate(self):
        bcd, binary = _dabble_steps(self.m, self.bcd, self.bin, self.ndigits, 4)
        with self.m.If(self.left != 0):
            self.m.d.sync += [self.bcd.eq(bcd), self.bin.eq(binary), self.left.eq(self.left - 1)]
            with self.m.If(self.left == 1):
                self.m.d.sync += self.done.eq(1)


class FixEncoder(wiring.Component):
    def __init__(self, depth: int = 64):
        members = encoder_members(
            self, FIX_SYMBOL.layout, depth,
            sender=In(64), sender_len=In(4), target=In(64), target_len=In(4),
            seq_load=In(1), seq_value=In(4 * SEQ_DIGITS), seq=Out(4 * SEQ_DIGITS), utc=In(4 * TS_DIGITS))
        self.depth = depth
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        abits = (self.depth - 1).bit_length()
        rd = symbol_table(m, self.table, FIX_SYMBOL.layout, self.depth, transparent=True)

        busy = Signal()
        cur = Signal(RISK_OUT.layout)
        ts = Signal(4 * TS_DIGITS)
        seq_cur = Signal(4 * SEQ_DIGITS)
        m.d.comb += self.i.ready.eq(~busy)
        take = self.i.valid & self.i.ready
        m.d.comb += [rd.addr.eq(self.i.payload.o_symbol[:abits]), rd.en.eq(take)]

        # MsgSeqNum: a BCD counter, loaded by the host, one step per message.
        seq = self.seq
        inc, carry = [], Const(1, 1)
        for i in range(SEQ_DIGITS):
            d = _digit(seq, i)
            inc.append(Mux(carry & (d == 9), 0, d + carry)[:4])
            carry = carry & (d == 9)
        with m.If(self.seq_load):
            m.d.sync += seq.eq(self.seq_value)
        with m.Elif(take & self.i.payload.accept):
            m.d.sync += seq.eq(Cat(*inc))

        # Conversions: qty now, price x units once the DSP has it.
        qty = _Converter(m, "qty", 32, QTY_DIGITS)
        price = _Converter(m, "price", 40, PRICE_DIGITS)
        m_reg, product = Signal(40), Signal(40)
        m.d.sync += [m_reg.eq(cur.o_price * rd.data.units), product.eq(m_reg)]
        age = Signal(range(4))
        qty.elaborate()
        price.elaborate()
        row = rd.data
        name_len, decimals = row.name_len, row.decimals
        is_limit = cur.o_ord_type == OrdType.LIMIT

        # ---- chunks: (bytes, length, needs conversions) --------------------------------------
        def const(text: str):
            raw = text.encode("ascii")
            return Const(int.from_bytes(raw, "little"), 64), Const(len(raw), 4), False

        def run(bcd, ndigits: int, top, length, ready=True):
            """``length`` ASCII digits, the most significant being digit index ``top``."""
            # Padded to the index width: a byte past ``length`` may index anything; it is masked.
            digits = Array([_digit(bcd, i) for i in range(ndigits)] + [Const(0, 4)] * (32 - ndigits))
            data = Cat(*(Cat(digits[(top - j)[:5]], Const(3, 4)) for j in range(8)))
            return data, length, ready

        def char(code):
            return Cat(code[:8], Const(0, 56)), Const(1, 4), False

        def ts_chunks():
            c = [Cat(_digit(ts, k), Const(3, 4)) for k in range(TS_DIGITS)]
            dash, colon, dot = Const(ord("-"), 8), Const(ord(":"), 8), Const(ord("."), 8)
            text = c[0:8] + [dash, c[8], c[9], colon, c[10], c[11], colon, c[12], c[13], dot, c[14], c[15], c[16]]
            return [(Cat(*text[0:8]), Const(8, 4), False), (Cat(*text[8:16]), Const(8, 4), False),
                    (Cat(*text[16:21], Const(0, 24)), Const(5, 4), False)]

        n_qty = Signal(range(QTY_DIGITS + 1))
        n_price = Signal(range(PRICE_DIGITS + 1))
        n_seq = Signal(range(SEQ_DIGITS + 1))
        int_len = Signal(range(PRICE_DIGITS + 1))
        body_len = Signal(10)
        bl_bcd = Signal(12)
        n_bl = Signal(range(4))
        checksum = Signal(8)
        sides = {Side.BUY: "1", Side.SELL: "2", Side.SELL_SHORT: "5"}
        side_char = Const(ord("1"), 8)
        for code, text in sides.items():
            side_char = Mux(cur.o_side == code, ord(text), side_char)
        type_char = Mux(is_limit, ord("2"), ord("1"))
        tif_char = Cat(cur.o_tif, Const(6, 5))[:8] | 0x30   # '0'..'7'
        hex_id = Cat(*(hex_digit(cur.order_id[4 * (7 - k):4 * (8 - k)]) for k in range(8)))

        def hi(n):
            return Mux(n > 8, n - 8, 0)

        def lo(n):
            return Mux(n > 8, 8, n)

        ts_c = ts_chunks()
        frac_top = decimals - 1
        chunks = [
            # index 0 ("8=FIX.4.") is loaded at capture; BodyLength counts from chunk 3's second byte
            const("8=FIX.4."), const("4\x019="),
            run(bl_bcd, 3, n_bl - 1, n_bl, True),
            const("\x0135=D\x01"), const("49="), (self.sender, self.sender_len, False), const("\x0156="),
            (self.target, self.target_len, False), const("\x0134="),
            run(seq_cur, SEQ_DIGITS, n_seq - 1, hi(n_seq)), run(seq_cur, SEQ_DIGITS, lo(n_seq) - 1, lo(n_seq)),
            const("\x0152="), *ts_c, const("\x0111="), (hex_id, Const(8, 4), False), const("\x0155="),
            (row.name, name_len, False), const("\x0154="), char(side_char), const("\x0160="), *ts_c,
            const("\x0138="), run(qty.bcd, QTY_DIGITS, n_qty - 1, hi(n_qty), True),
            run(qty.bcd, QTY_DIGITS, lo(n_qty) - 1, lo(n_qty), True), const("\x0140="), char(type_char),
            (const("\x0144=")[0], Mux(is_limit, 4, 0), True),
            run(price.bcd, PRICE_DIGITS, decimals + int_len - 1, Mux(is_limit, hi(int_len), 0), True),
            run(price.bcd, PRICE_DIGITS, decimals + lo(int_len) - 1, Mux(is_limit, lo(int_len), 0), True),
            (Const(ord("."), 64), Mux(is_limit & (decimals != 0), 1, 0), True),
            run(price.bcd, PRICE_DIGITS, frac_top, Mux(is_limit, decimals, 0), True),
            const("\x0159="), char(tif_char), const("\x01"),
            const("10="), (Cat(*(Cat(_digit(_bcd_of(m, checksum, 3), 2 - k), Const(3, 4)) for k in range(3))),
                           Const(3, 4), True),
            const("\x01"),
        ]
        body_first, body_last = 3, len(chunks) - 4          # "\x0135=D\x01" .. the SOH before "10="
        trailer_first = len(chunks) - 3                     # "10=": CheckSum covers every byte before it
        lengths = [Signal(4, name=f"len{k}") for k in range(len(chunks))]
        for k, (_, length, _) in enumerate(chunks):
            m.d.comb += lengths[k].eq(length)

        # ---- control ----------------------------------------------------------------------------
        converted = Signal()
        started_price = Signal()
        index = Signal(range(len(chunks) + 1))
        buf, cnt = Signal(128), Signal(range(17))
        with m.If(take & self.i.payload.accept):
            c0 = "8=FIX.4.".encode()
            m.d.sync += [cur.eq(self.i.payload), ts.eq(self.utc), seq_cur.eq(seq), busy.eq(1), age.eq(0),
                         converted.eq(0), started_price.eq(0), index.eq(1),
                         buf.eq(int.from_bytes(c0, "little")), cnt.eq(8), checksum.eq(sum(c0) & 0xFF)]
            m.d.sync += qty.start(self.i.payload.o_qty)
        with m.Elif(busy & (age != 3)):
            m.d.sync += age.eq(age + 1)
        with m.If(busy & (age == 2) & ~started_price):
            m.d.sync += price.start(product)
            m.d.sync += started_price.eq(1)
        ready_digits = busy & started_price & qty.done & price.done & ~converted
        with m.If(ready_digits):
            nq, npr, ns = _ndigits(qty.bcd, QTY_DIGITS), _ndigits(price.bcd, PRICE_DIGITS), _ndigits(seq_cur, SEQ_DIGITS)
            il = Mux(npr > decimals, npr - decimals, 1)
            m.d.sync += [n_qty.eq(nq), n_price.eq(npr), n_seq.eq(ns), int_len.eq(il), converted.eq(1)]
        # BodyLength and its digits, one cycle after the digit counts.
        have_lengths = Signal()
        with m.If(take):
            m.d.sync += have_lengths.eq(0)
        with m.Elif(converted & ~have_lengths):
            total = sum(lengths[k] for k in range(body_first, body_last + 1)) - 1
            m.d.sync += [body_len.eq(total), have_lengths.eq(1)]
        bl_ready = Signal()
        with m.If(take):
            m.d.sync += bl_ready.eq(0)
        with m.Elif(have_lengths & ~bl_ready):
            b = _bcd_of(m, body_len, 3)
            m.d.sync += [bl_bcd.eq(b), n_bl.eq(_ndigits(b, 3)), bl_ready.eq(1)]

        # ---- sequencer into the byte packer --------------------------------------------------------
        chunk_data = Signal(64)
        chunk_len = Signal(4)
        chunk_needs = Signal()
        with m.Switch(index):
            for k, (data, length, needs) in enumerate(chunks):
                with m.Case(k):
                    m.d.comb += [chunk_data.eq(data), chunk_len.eq(length), chunk_needs.eq(needs or k == 2)]
            with m.Default():
                m.d.comb += [chunk_data.eq(0), chunk_len.eq(0), chunk_needs.eq(0)]
        done_feeding = index == len(chunks)
        out_free = ~self.o.valid | self.o.ready
        emit = busy & out_free & ((cnt >= 8) | (done_feeding & (cnt != 0)))
        cnt_after, buf_after = Signal(range(17)), Signal(128)
        m.d.comb += [cnt_after.eq(Mux(emit, Mux(cnt >= 8, cnt - 8, 0), cnt)), buf_after.eq(Mux(emit, buf >> 64, buf))]
        can_take = busy & ~done_feeding & ~take & (cnt_after <= 8) & (~chunk_needs | bl_ready)
        masked = Signal(64)
        m.d.comb += masked.eq(chunk_data & Mux(chunk_len == 8, (1 << 64) - 1,
                                                (Const(1, 65) << (chunk_len * 8)) - 1))
        with m.If(busy & ~take):
            with m.If(can_take):
                m.d.sync += [buf.eq(buf_after | (masked << (cnt_after * 8))), cnt.eq(cnt_after + chunk_len),
                             index.eq(index + 1)]
                with m.If(index < trailer_first):
                    m.d.sync += checksum.eq(checksum + sum(masked[8 * j:8 * j + 8] for j in range(8)))
            with m.Else():
                m.d.sync += [buf.eq(buf_after), cnt.eq(cnt_after)]
        # Also in the capture cycle (emit is 0 then: the encoder was idle), or the consumer,
        # having taken the previous frame's last beat, would see it again.
        with m.If(out_free):
            m.d.sync += self.o.valid.eq(emit)
            with m.If(emit):
                last = done_feeding & (cnt <= 8)
                m.d.sync += [self.o.payload.data.eq(buf[:64]), self.o.payload.last.eq(last),
                             self.o.payload.keep.eq(Mux(cnt >= 8, 0xFF, (Const(1, 9) << cnt) - 1))]
                with m.If(last):
                    m.d.sync += busy.eq(0)
        return m
