"""The native FIX codec (gateway/native/fix.c) against FIX implementations wirespeed did not write:
every hot message the native templates render is parsed by simplefix and validated by QuickFIX
(its BodyLength and CheckSum checks) and compared field by field with the values rendered; and
frames simplefix's encoder builds go through the native frame check and decoders."""
import random

import pytest
import simplefix

from wirespeed.enums import ExecType, OrdStatus, OrdType, Side, TimeInForce
from wirespeed.gateway.fix import orders as fo
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.fix.dictionary import dictionary
from wirespeed.gateway.fix.encoder import Encoder
from wirespeed.gateway.fix.parser import FixParser
from wirespeed.gateway.native import _fix
from wirespeed.order import Order
from wirespeed.reasons import RejectReason
from wirespeed.symbols import SymbolTable

pytestmark = pytest.mark.skipif(_fix is None or fo._NATIVE is None, reason="gateway/native/_fix not built or off")

try:
    import quickfix
except ImportError:       # (quickfix-py has wheels for CPython 3.11 on x86-64 Linux only)
    quickfix = None

SYMBOLS = SymbolTable.of([("AAPL", "0.01", "190.00"), ("BRK.A", "1", "600000"), ("EURUSD", "0.00005", "1.08"),
                          ("XYZ", "0.0001", "2.5")])


def _text(rng, n=12):
    return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.:/ ") for _ in range(rng.randrange(1, n)))


def _order(rng, oid):
    sym = SYMBOLS.by_index(rng.randrange(1, 5))
    ord_type = rng.choice([OrdType.LIMIT, OrdType.LIMIT, OrdType.MARKET])
    price = rng.randrange(1, 1 << 32) if ord_type is OrdType.LIMIT else 0
    return Order(oid, _text(rng), rng.randrange(256), sym.index, rng.choice(list(Side)), ord_type,
                 rng.choice(list(TimeInForce)), rng.randrange(1, 1 << 32), price)


def _messages(rng, n):
    """(msg_type, tags, values) of the gateway's hot sends: venue NewOrderSingle, cancel and
    replace; client ExecutionReport (every exec type) and OrderCancelReject."""
    out = []
    for k in range(n):
        o = _order(rng, rng.randrange(1, 1 << 32))
        sym = SYMBOLS.by_index(o.symbol)
        ts = f"20261201-{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}.{rng.randrange(1000):03d}"
        kind = k % 5
        if kind == 0:
            values = fo.new_order_values(o, SYMBOLS, fo.venue_cl_ord_id(o.order_id), ts)
            tags = fo.NEW_ORDER_TAGS if o.ord_type is OrdType.LIMIT else fo.NEW_MARKET_ORDER_TAGS
            out.append(("D", tags, values))
            continue
        if kind == 1:
            fields = fo.venue_cancel_fields(fo.venue_cl_ord_id(o.order_id), f"{fo.venue_cl_ord_id(o.order_id)}.1",
                                            sym.name, Side(o.side), o.qty, ts)
            msg_type = "F"
        elif kind == 2:
            fields = fo.cancel_reject_fields(o.order_id, o.cl_ord_id, _text(rng), rng.choice("0124"),
                                             rng.choice("12"), rng.randrange(4), _text(rng, 40))
            msg_type = "9"
        else:
            cum = rng.randrange(0, o.qty + 1)
            et = rng.choice([ExecType.NEW, ExecType.TRADE, ExecType.CANCELED, ExecType.REJECTED, ExecType.REPLACED])
            last = rng.randrange(1, cum + 1) if et is ExecType.TRADE and cum else 0
            fields = fo.report_fields(SYMBOLS, rng.choice(["FIX.4.2", "FIX.4.4"]), o.cl_ord_id, o.order_id,
                                      f"W{k}", et, rng.choice(list(OrdStatus)), sym.name, o.side, o.qty, o.price,
                                      last, rng.randrange(1, 1 << 32), cum, o.qty - cum,
                                      cum * rng.randrange(1, 1 << 32), rng.choice(list(RejectReason)),
                                      rng.choice(["", _text(rng, 60)]), o.ord_type)
            msg_type = "8"
        out.append((msg_type, tuple(t for t, _ in fields), tuple(v for _, v in fields)))
    return out


def _as_bytes(v) -> bytes:
    return f"{v}".encode("latin-1", "replace")


def test_native_templates_parse_in_simplefix_and_quickfix_field_by_field():
    rng = random.Random(15)
    checked = 0
    for msg_type, tags, values in _messages(rng, 500):
        begin = rng.choice(["FIX.4.2", "FIX.4.4"])
        sender, target = rng.choice([("GW", "VENUE1"), ("WIRESPEED", "CLIENT-07")])
        template = Encoder(begin, sender, target).template(msg_type, tags)
        assert template.encode is not template.py_encode        # the C template, not the f-string
        seq = rng.randrange(1, 10**9)
        ts = "20261201-18:59:00.123"
        raw = template.encode(seq, values, ts)
        want = [(8, begin), (35, msg_type), (34, seq), (49, sender), (52, ts), (56, target), *zip(tags, values)]

        # simplefix: the same pairs in the same order, and its own encoder of those pairs gives
        # the same BodyLength and CheckSum (so the same bytes).
        p = simplefix.FixParser()
        p.append_buffer(raw)
        m = p.get_message()
        assert m is not None and p.get_message() is None
        got = [(int(t), v) for t, v in m.pairs]
        assert [t for t, _ in got] == [8, 9] + [t for t, _ in want[1:]] + [10]
        assert [v for t, v in got if t not in (9, 10)] == [_as_bytes(v) for _, v in want]
        ref = simplefix.FixMessage()
        for tag, value in want:
            ref.append_pair(tag, _as_bytes(value))
        assert ref.encode() == raw, (msg_type, tags, values)

        if quickfix is not None:
            # QuickFIX checks BodyLength and CheckSum itself (validate=True raises InvalidMessage).
            q = quickfix.Message(raw.decode("latin-1"), True)
            assert q.getHeader().getField(35) == msg_type
            for tag, value in zip(tags, values):
                assert q.getField(tag) == _as_bytes(value).decode("latin-1"), (tag, value)
        checked += 1
    assert checked == 500


def test_quickfix_refuses_a_native_frame_with_one_byte_changed():
    if quickfix is None:
        pytest.skip("quickfix-py not installed")
    rng = random.Random(4)
    refused = 0
    for msg_type, tags, values in _messages(rng, 200):
        raw = bytearray(Encoder("FIX.4.4", "GW", "V").template(msg_type, tags).encode(7, values, "20261201-19:00:00"))
        # a byte of a value (not a tag, '=' or SOH) in the body: only the CheckSum can tell
        inside, value_at = False, []
        for k in range(raw.index(b"\x0135=") + 1, len(raw) - 7):
            if raw[k] == 1:
                inside = False
            elif inside:
                value_at.append(k)
            elif raw[k] == ord("="):
                inside = True
        at = rng.choice(value_at)
        raw[at] = ord("Z") if raw[at] != ord("Z") else ord("Y")
        with pytest.raises(quickfix.InvalidMessage, match="CheckSum"):
            quickfix.Message(raw.decode("latin-1"), True)
        refused += 1
    assert refused == 200


def _simplefix_frame(pairs, seq, sender="CLIENT1"):
    m = simplefix.FixMessage()
    m.append_pair(8, "FIX.4.4")
    for tag, value in [(35, pairs[0]), (34, seq), (49, sender), (52, "20261201-19:00:00.000"), (56, "GW"),
                       *pairs[1:]]:
        m.append_pair(tag, value)
    return m.encode()


def _bounds(raw: bytes):
    """(body_start, body_length) read from a frame without wirespeed's parser."""
    length_at = raw.index(b"\x019=") + 3
    body_start = raw.index(b"\x01", length_at) + 1
    return body_start, int(raw[length_at:body_start - 1])


def test_simplefix_frames_pass_the_native_frame_check_and_decoders():
    rng = random.Random(16)
    parser = FixParser(1 << 20, dictionary=dictionary("FIX.4.4"))
    sent, frames = [], []
    for seq in range(1, 601):
        o = _order(rng, seq)
        sym = SYMBOLS.by_index(o.symbol)
        pairs = ["D", (11, o.cl_ord_id), (55, sym.name), (54, Side(o.side).fix), (60, "20261201-19:00:00.000"),
                 (38, o.qty), (40, OrdType(o.ord_type).fix)]
        if o.ord_type is OrdType.LIMIT:
            pairs.append((44, sym.tick.format(o.price)))
        pairs.append((59, TimeInForce(o.tif).fix))
        raw = _simplefix_frame(pairs, seq)
        body_start, length = _bounds(raw)
        assert _fix.frame_ok(raw, 0, len(raw), body_start, length)
        bad = bytearray(raw)
        bad[-4] = ord("0") + (bad[-4] - ord("0") + 1) % 10          # the stated CheckSum, one digit off
        assert not _fix.frame_ok(bytes(bad), 0, len(bad), body_start, length)
        assert not _fix.frame_ok(raw, 0, len(raw), body_start, length + 1)
        sent.append(o)
        frames.append(raw)
    # Fed in reads of several frames: after the first teaches the dictionary the shape, the
    # parser's fast path (the native frame check) takes them; the native decoder gives the order.
    shaped = 0
    data = b"".join(frames)
    got = []
    for at in range(0, len(data), 4096):
        parser.feed(data[at:at + 4096])
        while (msg := parser.poll()) is not None:
            if msg.validated is None:       # (the session's validation: it teaches the shape)
                assert parser._dictionary.validate(msg) is None
            else:
                shaped += 1
            got.append(fo.decode_new_order(msg, SYMBOLS, msg.seq_num, sent[msg.seq_num - 1].session))
    assert parser.garbled == 0 and len(got) == len(sent)
    assert got == sent
    assert shaped > 300, shaped


def test_simplefix_execution_reports_decode_natively_as_in_python():
    rng = random.Random(17)
    for k in range(500):
        cum = rng.randrange(0, 10**6)
        last = rng.choice([0, rng.randrange(1, 10**6), "12.000", "1.5", "x"])
        pairs = ["8", (37, "V1"), (11, f"{rng.randrange(1 << 32):08X}" + rng.choice(["", ".1", ".22"])),
                 (17, f"E{k}"), (150, rng.choice("0124FH8")), (39, rng.choice("0124C8")), (55, "AAPL"), (54, "1"),
                 (32, last), (31, "190.25"), (151, 0), (14, cum), (6, "190.25")]
        if rng.random() < 0.4:
            pairs.append((58, _text(rng, 30)))
        if rng.random() < 0.3:
            pairs.append((103, rng.randrange(100)))
        raw = _simplefix_frame(pairs, k + 1, sender="VENUE1")
        body_start, length = _bounds(raw)
        assert _fix.frame_ok(raw, 0, len(raw), body_start, length)
        p = FixParser(1 << 16)
        p.feed(raw)
        msg = p.poll()
        rep = fo.decode_exec_report(msg)
        values = msg.values(fo._ER_TAGS)
        assert _fix.decode_report(values) == rep == fo._decode_report(values)
        by_tag = dict(pairs[1:])
        assert rep["cl_ord_id"] == by_tag[11] and rep["exec_id"] == by_tag[17] and rep["cum_qty"] == cum
        assert rep["exec_type"] == by_tag[150] and rep["ord_status"] == by_tag[39]
        assert rep["last_qty"] == {"12.000": 12, "1.5": 1, "x": -1}.get(last, last)
        assert rep["text"] == by_tag.get(58, "")
        oid = _fix.venue_order_id(rep["cl_ord_id"])
        assert oid == int(by_tag[11][:8], 16)
