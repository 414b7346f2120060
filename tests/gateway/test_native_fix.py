"""The native FIX codec (gateway/native/fix.c) against the Python code it stands in for: the
same bytes for the same values, whatever the values are."""
import random
from decimal import Decimal

import pytest

from wirespeed.enums import Side
from wirespeed.gateway.fix.encoder import Encoder, Template
from wirespeed.gateway.native import _fix

pytestmark = pytest.mark.skipif(_fix is None, reason="gateway/native/_fix not built")


def _value(rng):
    kind = rng.randrange(9)
    if kind == 0:
        return rng.randint(-(1 << 70), 1 << 70)          # past 64 bits: Python's int formatting
    if kind == 1:
        return rng.randint(0, 10 ** 6)
    if kind == 2:
        return rng.choice(list(Side))                    # an IntEnum, as an f-string formats it
    if kind == 3:
        return rng.choice([True, False, None, Decimal("190.2500"), 1.5])
    if kind == 4:   # text beyond latin-1: '?' each, BodyLength in characters as the f-string's
        return "".join(rng.choice("AZ09.é€\U0001F600\udc80") for _ in range(rng.randrange(6)))
    if kind == 5:
        return "X" * rng.choice([0, 1, 900, 5000])      # past the 1 KiB stack buffer
    return "".join(rng.choice("ABCDEFGHIJ0123456789-:.") for _ in range(rng.randrange(1, 24)))


def test_native_templates_render_the_python_templates_bytes():
    rng = random.Random(7)
    for trial in range(400):
        tags = tuple(rng.sample(range(1, 9999), rng.randrange(0, 14)))
        sender = rng.choice(["GW", "GATEWAY-Ω", "G€"])
        t = Encoder(rng.choice(["FIX.4.2", "FIX.4.4"]), sender, rng.choice(["VENUE1", "C"])).template(
            rng.choice(["D", "8", "AE"]), tags)
        assert t.encode is not t.py_encode
        for _ in range(3):
            values = [_value(rng) for _ in tags]
            seq, ts = rng.choice([1, 2 ** 40, -3, "17"]), rng.choice(["20261201-16:00:00.123", "", "ü"])
            assert t.encode(seq, values, ts) == t.py_encode(seq, values, ts), (tags, values)


def test_native_template_errors_match_in_kind():
    t = Template(b"FIX.4.4", "D", "GW", "V", (11, 55))
    for call in (t.encode, t.py_encode):
        with pytest.raises(ValueError):
            call(1, ["a"], "ts")              # a value short
        with pytest.raises(TypeError):
            call(1, 5, "ts")                  # not a sequence
    with pytest.raises(ValueError, match="template of 2 values given 3"):
        t.encode(1, ["a", "b", "c"], "ts")
    with pytest.raises(TypeError, match="Template part 1 must be bytes"):
        _fix.Template(b"8=FIX.4.4\x019=", (b"a", "b", b"c"))


def _text(rng, alphabet="0123456789.", n=6):
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(n)))


def test_native_order_decoder_accepts_exactly_what_the_python_decoder_accepts():
    from wirespeed.gateway.fix import orders as fo
    from wirespeed.prices import TickSize
    from wirespeed.symbols import Symbol

    rng = random.Random(3)
    ticks = [TickSize(1, 2), TickSize(5, 2), TickSize(1, 0), TickSize(25, 4), TickSize(3, 9)]
    accepted = refused = 0
    for trial in range(5_000):
        sym = Symbol(1, "AAPL", rng.choice(ticks))
        side = rng.choice(["1", "2", "5", "1", "2", "", None, "1 ", "١"])
        ord_type = rng.choice(["1", "2", "2", "3", None])
        tif = rng.choice(["0", "1", "3", "4", None, "6", ""])
        qty = rng.choice([_text(rng), str(rng.randint(0, 999)), str(rng.randint(0, 999)), _text(rng, "0123456789", 22), str(rng.randint(0, 1 << 33)), "100.000",
                          "1e3", "٣", "-5", None, "4294967295", "4294967296", "12.", ".5"])
        price = rng.choice([_text(rng), _text(rng, "0123456789", 30) + "." + _text(rng, "0", 12), "190.25", "190.25",
                            "190.2500", ".05", "5.", "0", "42949672.95", "42949672.96", "1.2.3", "²", None,
                            "0.000000003", "18446744073709551616", "9" * 18 + ".5", "9" * 19])
        try:
            want = fo._decode_values(sym, "C", side, ord_type, tif, qty, price, 7, 0)
        except fo.DecodeError:
            want = None
        got = fo._NATIVE(side, ord_type, tif, qty, price, sym.tick.units, sym.tick.decimals)
        if want is None:
            assert got is None, (sym.tick, side, ord_type, tif, qty, price, got)
            refused += 1
        else:
            assert got == (want.side, want.ord_type, want.tif, want.qty, want.price), (sym.tick, qty, price, got)
            assert [type(v) for v in got[:3]] == [type(want.side), type(want.ord_type), type(want.tif)]
            accepted += 1
    assert accepted > 200 and refused > 1_000, (accepted, refused)


def test_frame_ok_checks_bodylength_and_checksum_as_the_python_parser():
    from wirespeed.gateway.fix.checksum import checksum
    from wirespeed.gateway.fix.encoder import encode_message

    rng = random.Random(9)
    good = bad = 0
    for trial in range(3_000):
        raw = encode_message("FIX.4.4", "D", "C", "GW", trial, [(11, "X" * rng.randrange(300)), (38, "1")], "T")
        lead = b"8=FIX" * rng.randrange(2)
        data = bytearray(lead + raw + b"8=FIX.4.4" * rng.randrange(2))
        start, end = len(lead), len(lead) + len(raw)
        length_at = raw.index(b"\x019=") + 3
        body_start = raw.index(b"\x01", length_at) + 1 + start
        length = int(raw[length_at:body_start - start - 1])
        kind = rng.randrange(5)
        if kind == 1:
            data[rng.randrange(start, end)] ^= 1 << rng.randrange(7)   # a flipped bit anywhere in the frame
        elif kind == 2:
            length += rng.choice([-1, 1, 7])
        elif kind == 3:
            end -= 1
        data = bytes(data)
        trailer = body_start + length
        want = (trailer + 7 == end and end <= len(data) and data[trailer - 1:trailer + 3] == b"\x0110="
                and data[end - 1] == 1 and data[trailer + 3:trailer + 6] == b"%03d" % checksum(data[start:trailer]))
        assert _fix.frame_ok(data, start, end, body_start, length) is want, (trial, kind)
        good += want
        bad += not want
    assert good > 500 and bad > 1000


def test_native_report_decode_and_venue_ids_match_the_python_ones():
    from wirespeed.gateway.fix import orders as fo

    rng = random.Random(12)
    qtys = ["100", "0", "", None, "12.5", "12.", ".5", "1" * 18, "1" * 19, "5." + "0" * 19, "٣", "-1", "1e3",
            "007", "1.2.3"]
    for _ in range(3_000):
        values = (rng.choice(["0000000A", "0000000A.2", None, "", "é"]), rng.choice(["E1", None]),
                  rng.choice(["F", "0", None]), rng.choice(["1", None]), rng.choice(qtys),
                  rng.choice(["190.25", None]), rng.choice(["venue text", None, ""]), rng.choice(["3", None]),
                  rng.choice(qtys), rng.choice(["190.2", None]))
        assert fo._REPORT(values) == fo._decode_report(values), values
    for text in ["0000000A", "0000000a", "0000000A.7", "0000000A.é", "0000000G", "000000A", "000000000",
                 "FFFFFFFF", "é0000000", "", ".", "00000001..", "0000\u00e90000"]:
        assert fo._VENUE_ID(text) == fo._venue_order_id(text), text


def test_native_venue_values_are_new_order_values():
    from wirespeed.enums import OrdType, TimeInForce
    from wirespeed.gateway.fix import orders as fo
    from wirespeed.order import Order as O
    from wirespeed.prices import TickSize
    from wirespeed.symbols import Symbol, SymbolTable

    rng = random.Random(21)
    for trial in range(2_000):
        tick = rng.choice([TickSize(1, 2), TickSize(5, 2), TickSize(1, 0), TickSize(25, 4), TickSize(3, 9)])
        symbols = SymbolTable()
        symbols._by_index[4] = symbols._by_name["AAPL"] = Symbol(4, "AAPL", tick)
        o = O(trial, "C", 0, 4, rng.choice(list(Side)), rng.choice(list(OrdType)), rng.choice(list(TimeInForce)),
              rng.randint(0, 1 << 40), rng.choice([0, 1, 19025, (1 << 32) - 1, 1 << 62, -5, rng.randint(0, 1 << 70)]))
        fo_values = fo._VALUES
        try:
            fo._VALUES = None
            want = fo.new_order_values(o, symbols, "0000ABCD", "20261201-16:00:00.000")
        finally:
            fo._VALUES = fo_values
        got = fo._VALUES(o, "0000ABCD", "AAPL", tick.units, tick.decimals, "20261201-16:00:00.000")
        assert got is None or got == want, (o, tick, got, want)
        assert fo.new_order_values(o, symbols, "0000ABCD", "20261201-16:00:00.000") == want
        if o.price >= 0 and o.price * tick.units < 1 << 63:
            assert got == want          # every price the gateway sends is rendered in C


def test_native_types_built_without_init_raise_instead_of_crashing():
    """``T.__new__(T)`` leaves a native object's fields NULL: its calls raise TypeError (run in a
    child process, so a regression shows as a crash there, not here)."""
    import subprocess
    import sys
    code = """
from wirespeed.gateway.native import _fix, _order
calls = [lambda: _fix.Template.__new__(_fix.Template).encode(1, [], 'x'),
         lambda: _fix.OrderDecoder.__new__(_fix.OrderDecoder).decode('1', '2', '0', '1', '1', 1, 2),
         lambda: _fix.OrderValues.__new__(_fix.OrderValues)(None, 'a', 'b', 1, 2, 'c'),
         lambda: _order.OrderMaker.__new__(_order.OrderMaker)(1, 'a', 0, 0, 1, 2, 0, 1, 1)]
for call in calls:
    try:
        call()
    except TypeError as e:
        assert 'not initialised' in str(e), e
    else:
        raise SystemExit('no TypeError')
print('ok', len(calls))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "ok 4", (r.returncode, r.stdout, r.stderr[-400:])
