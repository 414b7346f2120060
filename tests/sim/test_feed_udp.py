"""The feed over UDP on loopback: a subscriber rebuilds the books the events came from, finds
gaps and recovers them through the request server; bounds hold; itchfeed reads the packets."""
import asyncio
import random

from itch.parser import MessageParser

from wirespeed.enums import Side
from wirespeed.prices import TickSize
from wirespeed.sim.events import (AddOrder, NonDisplayedTrade, OrderCancel, OrderDelete, OrderExecuted,
                                  OrderReplace, SystemEvent)
from wirespeed.sim.feed import FeedBook, FeedPublisher, FeedSubscriber, FeedSymbol
from wirespeed.sim.feed.mold import decode_packet, encode_request

SYMBOLS = [FeedSymbol.of("AAPL", 1, TickSize.parse("0.01")), FeedSymbol.of("MSFT", 2, TickSize.parse("0.01"))]


def random_events(n, seed):
    """A consistent stream of book events (what an engine emits), with the book it leaves."""
    rng = random.Random(seed)
    live: dict = {}            # order id -> [symbol, side, price, qty]
    next_id, match, ts = 1, 1, 34_200_000_000_000
    out = []
    for _ in range(n):
        ts += rng.randint(1, 50_000)
        kind = rng.random()
        if kind < 0.45 or not live:
            sym, side = rng.choice(["AAPL", "MSFT"]), rng.choice([Side.BUY, Side.SELL])
            price = 10_000 + (rng.randint(-20, -1) if side == Side.BUY else rng.randint(1, 20))
            qty = rng.choice([100, 200, 300, 500])
            live[next_id] = [sym, side, price, qty]
            out.append(AddOrder(ts, sym, next_id, side, price, qty, mpid="WSPD" if rng.random() < 0.1 else ""))
            next_id += 1
            continue
        oid = rng.choice(list(live))
        sym, side, price, qty = live[oid]
        if kind < 0.65:
            q = rng.randint(1, qty)
            px = price if rng.random() < 0.8 else price + 1
            out.append(OrderExecuted(ts, sym, oid, q, px, match))
            match += 1
            live[oid][3] -= q
        elif kind < 0.75:
            q = rng.randint(1, qty)
            out.append(OrderCancel(ts, sym, oid, q))
            live[oid][3] -= q
        elif kind < 0.85:
            out.append(OrderDelete(ts, sym, oid))
            live[oid][3] = 0
        elif kind < 0.95:
            new_px = price + rng.choice([-1, 1])
            new_qty = rng.choice([100, 200])
            out.append(OrderReplace(ts, sym, oid, next_id, new_px, new_qty))
            del live[oid]
            live[next_id] = [sym, side, new_px, new_qty]
            next_id += 1
            continue
        else:
            out.append(NonDisplayedTrade(ts, sym, side, price, 100, match))
            match += 1
        if live[oid][3] == 0:
            del live[oid]
    return out, live


def _levels(live, symbol, side):
    book = {}
    for sym, s, price, qty in live.values():
        if sym == symbol and s == side:
            book[price] = book.get(price, 0) + qty
    return book


class LossyPublisher(FeedPublisher):
    """Drops the live packets whose index is in ``drop`` (the request server still has them)."""

    def __init__(self, *a, drop=(), **kw):
        super().__init__(*a, **kw)
        self.drop, self.sent, self.captured = set(drop), 0, []

    def _send(self, packet):
        self.sent += 1
        self.captured.append(packet)
        if self.sent not in self.drop:
            super()._send(packet)


async def _run(events, *, drop=(), retain=100_000, batch=25):
    pub = LossyPublisher(SYMBOLS, session="VENUE1", drop=drop, retain=retain)
    in_process = FeedBook()
    pub.subscribe(in_process)
    await pub.start()
    sub = FeedSubscriber(SYMBOLS, ("127.0.0.1", pub.request_port), session="VENUE1", retry_s=0.02)
    await sub.start()
    await asyncio.sleep(0.02)                  # joined
    for i in range(0, len(events), batch):
        for ev in events[i:i + batch]:
            pub(ev)
        await asyncio.sleep(0)                 # one packet per batch
    pub(SystemEvent(events[-1].ts_ns, "C"))
    await asyncio.sleep(0)
    await sub.wait_for(pub.mold.next_seq, timeout=3)
    await sub.stop()
    await pub.stop()
    return pub, sub, in_process


def _assert_same_books(feed_book, live):
    for sym in ("AAPL", "MSFT"):
        b = feed_book.book(sym)
        assert b.bids == _levels(live, sym, Side.BUY) and b.asks == _levels(live, sym, Side.SELL), sym
        assert b.live_orders() == {k: (v[1], v[2], v[3]) for k, v in live.items() if v[0] == sym}


def test_subscriber_rebuilds_the_book_the_events_came_from():
    events, live = random_events(1500, seed=1)
    pub, sub, in_process = asyncio.run(_run(events))
    assert sub.next_seq == pub.mold.next_seq and not sub.errors and not sub.stale
    _assert_same_books(sub.book, live)
    _assert_same_books(in_process, live)
    assert sub.book.system[-1] == "C" and sub.stats["gaps"] <= 1      # at most the join gap
    # itchfeed parses every message of every packet that went out.
    parser, count = MessageParser(), 0
    for raw in pub.captured:
        packet = decode_packet(raw)
        stream = b"".join(b"\x00" + bytes([len(m)]) + m for m in packet.messages)
        count += sum(1 for _ in parser.parse_stream(stream)) if packet.count else 0
    assert count == pub.mold.next_seq - 1 == len(events) + 1 + 1 + len(SYMBOLS)    # + O, C and the R


def test_gaps_are_detected_and_recovered():
    events, live = random_events(1200, seed=2)
    pub, sub, _ = asyncio.run(_run(events, drop={3, 4, 9, 20, 21, 22}))
    assert sub.next_seq == pub.mold.next_seq and not sub.stale and not sub.errors
    assert sub.stats["gaps"] >= 3 and sub.stats["recovered"] >= 3
    assert pub.stats["retransmitted"] >= 3
    _assert_same_books(sub.book, live)


def test_a_gap_older_than_the_buffer_leaves_the_subscriber_stale():
    events, _ = random_events(600, seed=3)
    pub, sub, _ = asyncio.run(_run(events, drop={5}, retain=40))
    assert sub.stale and sub.lost and sub.lost[0][0] <= sub.next_seq
    assert "could not be recovered" in sub.errors[-1]


def test_request_server_is_bounded_and_refuses_malformed_requests():
    async def main():
        pub = FeedPublisher(SYMBOLS, session="VENUE1", burst=10, rate=1.0)
        await pub.start()
        for i in range(5):
            pub(AddOrder(1, "AAPL", i + 1, Side.BUY, 9990, 100))
        got = []

        class P(asyncio.DatagramProtocol):
            def datagram_received(self, data, addr):
                got.append(decode_packet(data))
        loop = asyncio.get_running_loop()
        t, _ = await loop.create_datagram_endpoint(P, local_addr=("127.0.0.1", 0))
        t.sendto(b"garbage", ("127.0.0.1", pub.request_port))
        t.sendto(encode_request(b"OTHER     ", 1, 5), ("127.0.0.1", pub.request_port))
        for _ in range(30):
            t.sendto(encode_request(pub.mold.session, 1, 100), ("127.0.0.1", pub.request_port))
        await asyncio.sleep(0.1)
        t.close()
        await pub.stop()
        return pub.stats, got
    stats, got = asyncio.run(main())
    assert 9 <= len(got) <= 11, "a burst of 10 then 1 a second"
    assert got[0].seq == 1 and [m[:1] for m in got[0].messages] == [b"S", b"R", b"R", b"A", b"A", b"A", b"A", b"A"]
    assert stats["refused"] >= 2 + 30 - 11
