"""ITCH 5.0 bytes from book events, checked against itchfeed (a decoder wirespeed did not write)
and against our own decoder; MoldUDP64 framing and its errors."""
import struct

import pytest
from itch.parser import MessageParser

from wirespeed.enums import Side
from wirespeed.prices import TickSize
from wirespeed.sim.events import (AddOrder, CrossTrade, NonDisplayedTrade, OrderCancel, OrderDelete, OrderExecuted,
                                  OrderReplace, SystemEvent)
from wirespeed.sim.feed import FeedSymbol, ItchDecoder, ItchEncoder, ItchError, MoldError, MoldSession
from wirespeed.sim.feed.mold import decode_packet, decode_request, encode_packet

TS = 34_200_123_456_789          # 09:30:00.123456789
AAPL = FeedSymbol.of("AAPL", 1, TickSize.parse("0.01"))
MSFT = FeedSymbol.of("MSFT", 2, TickSize.parse("0.05"))


def _itchfeed(messages):
    """Frame as itchfeed's stream format (0x00, length byte, message) and parse."""
    data = b"".join(b"\x00" + bytes([len(m)]) + m for m in messages)
    return list(MessageParser().parse_stream(data))


EVENTS = [
    SystemEvent(TS, "O"),
    AddOrder(TS, "AAPL", 11, Side.BUY, 15012, 300),
    AddOrder(TS + 1, "MSFT", 12, Side.SELL, 8001, 50, mpid="WSPD"),
    OrderExecuted(TS + 2, "AAPL", 11, 100, 15012, 77),
    OrderExecuted(TS + 3, "AAPL", 11, 50, 15010, 78),
    OrderCancel(TS + 4, "AAPL", 11, 25),
    OrderReplace(TS + 5, "AAPL", 11, 13, 15011, 90),
    OrderDelete(TS + 6, "AAPL", 13),
    NonDisplayedTrade(TS + 7, "MSFT", Side.SELL, 8000, 40, 79),
    CrossTrade(TS + 8, "AAPL", 12_345, 15013, 80, "C"),
]


def _encode_all():
    enc = ItchEncoder([AAPL, MSFT])
    prices = {11: 15012}
    return enc, enc.directory(TS) + [enc.encode(e, prices.get(getattr(e, "order_id", None)))
                                     for e in EVENTS]


def test_itchfeed_reads_every_message_as_sent():
    _, msgs = _encode_all()
    parsed = _itchfeed(msgs)
    assert [m.message_type for m in parsed] == [b"R", b"R", b"S", b"A", b"F", b"E", b"C", b"X", b"U", b"D", b"P", b"Q"]
    r1, r2, s, a, f, e, c, x, u, d, p, q = parsed
    assert (r1.stock, r1.stock_locate, r1.round_lot_size, r2.stock, r2.stock_locate) == \
        (b"AAPL    ", 1, 100, b"MSFT    ", 2)
    assert s.event_code == b"O" and s.timestamp == TS
    assert (a.order_reference_number, a.buy_sell_indicator, a.shares, a.stock, a.price, a.stock_locate) == \
        (11, b"B", 300, b"AAPL    ", 1_501_200, 1)
    assert a.decode_price("price") == 150.12 and a.timestamp == TS
    assert (f.attribution, f.price, f.buy_sell_indicator, f.stock_locate) == (b"WSPD", 4_000_500, b"S", 2)
    assert (e.order_reference_number, e.executed_shares, e.match_number) == (11, 100, 77)
    assert (c.executed_shares, c.execution_price, c.match_number, c.printable) == (50, 1_501_000, 78, b"Y")
    assert (x.order_reference_number, x.cancelled_shares) == (11, 25)
    assert (u.order_reference_number, u.new_order_reference_number, u.shares, u.price) == (11, 13, 90, 1_501_100)
    assert d.order_reference_number == 13 and d.timestamp == TS + 6
    assert (p.order_reference_number, p.buy_sell_indicator, p.shares, p.price, p.match_number) == \
        (0, b"S", 40, 4_000_000, 79)
    assert (q.shares, q.stock, q.cross_price, q.match_number, q.cross_type, q.timestamp) == \
        (12_345, b"AAPL    ", 1_501_300, 80, b"C", TS + 8)
    # Our bytes are exactly what itchfeed would write for the same message.
    assert [m.to_bytes() for m in parsed] == msgs


def test_own_decoder_gives_back_the_events():
    _, msgs = _encode_all()
    dec = ItchDecoder([AAPL, MSFT])
    out = [dec.decode(m) for m in msgs]
    assert [o.symbol for o in out[:2]] == ["AAPL", "MSFT"]
    expected = list(EVENTS)
    expected[3] = OrderExecuted(TS + 2, "AAPL", 11, 100, 0, 77)      # E: at the order's price
    assert out[2:] == expected


def test_encoder_and_decoder_errors_name_the_field():
    enc = ItchEncoder([AAPL])
    with pytest.raises(ItchError, match="symbol: 'IBM' is not in this feed's stock directory"):
        enc.encode(OrderDelete(TS, "IBM", 1))
    with pytest.raises(ItchError, match="price: .* do not fit ITCH's Price"):
        enc.encode(AddOrder(TS, "AAPL", 1, Side.BUY, 10 ** 9, 1))
    with pytest.raises(ItchError, match="ts_ns: must fit ITCH's 6-byte timestamp"):
        enc.encode(SystemEvent(1 << 48, "O"))
    with pytest.raises(ItchError, match="cross_type: must be one of O, C, H, I, not 'X'"):
        enc.encode(CrossTrade(TS, "AAPL", 1, 1, 1, "X"))
    with pytest.raises(ItchError, match="locate: must be 1..65535"):
        FeedSymbol.of("X", 0, TickSize.parse("0.01"))
    dec = ItchDecoder([AAPL])
    with pytest.raises(ItchError, match="A: 35 bytes, ITCH 5.0 says 36"):
        dec.decode(enc.encode(AddOrder(TS, "AAPL", 1, Side.BUY, 1, 1))[:-1])
    with pytest.raises(ItchError, match="stock locate 9 was not in the stock directory"):
        dec.decode(b"D" + struct.pack(">HH", 9, 0) + TS.to_bytes(6, "big") + struct.pack(">Q", 1))
    assert dec.decode(b"H" + bytes(24)) is None               # a type the book does not use


def test_mold_packets_sequence_batch_and_retransmit():
    mold = MoldSession("VENUE1", retain=5, max_payload=20 + 3 * 12)
    msgs = [bytes([65 + i]) * 10 for i in range(7)]
    packets = [p for p in (mold.add(m) for m in msgs) if p] + [mold.flush()]
    decoded = [decode_packet(p) for p in packets]
    assert [(d.seq, d.count) for d in decoded] == [(1, 3), (4, 3), (7, 1)]
    assert b"".join(b"".join(d.messages) for d in decoded) == b"".join(msgs)
    assert mold.first_retained == 3 and mold.retransmit(2, 1) is None and mold.retransmit(8, 1) is None
    again = decode_packet(mold.retransmit(4, 10))
    assert again.seq == 4 and again.messages == tuple(msgs[3:6])       # as many as fit one packet
    hb = decode_packet(mold.heartbeat())
    assert (hb.seq, hb.count, hb.session) == (8, 0, b"VENUE1    ")
    assert decode_packet(mold.end_of_session()).end
    with pytest.raises(MoldError, match="shorter than the 20-byte header"):
        decode_packet(b"short")
    with pytest.raises(MoldError, match="message 2 of 2 has no length"):
        decode_packet(b"S" * 10 + struct.pack(">QH", 1, 2) + b"\x00\x01x")
    with pytest.raises(MoldError, match="message 1 of 1 says 9 bytes, 1 left"):
        decode_packet(encode_packet(b"S" * 10, 1, [b"x"])[:20] + b"\x00\x09x")
    with pytest.raises(MoldError, match="requests are 20"):
        decode_request(b"x" * 21)
