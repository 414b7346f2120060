"""Late joiners get the book from the snapshot service and end with the venue's book; hidden
reserve executions go out as Non-Displayed Trades (P) and the closing cross as a Cross Trade
(Q), both read back with itchfeed (a decoder wirespeed did not write)."""
import asyncio
import random
import socket

import pytest
from itch.parser import MessageParser

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.prices import TickSize
from wirespeed.sim.book import BookOrder
from wirespeed.sim.engine import MatchingEngine
from wirespeed.sim.events import AddOrder, CrossTrade, SystemEvent
from wirespeed.sim.feed import BookReset, FeedBook, FeedPublisher, FeedSubscriber, FeedSymbol, ItchEncoder, MoldError, MoldSession
from wirespeed.sim.feed.mold import encode_request
from wirespeed.sim.feed.snapshot import SnapshotReader, encode_snapshot, fetch_snapshot
from wirespeed.sim.market.config import MarketConfig, SymbolProfile
from wirespeed.sim.market.synthetic import SyntheticMarket

SYMS = [FeedSymbol.of("AAPL", 1, TickSize.parse("0.01"))]
SELL, BUY = Side.SELL, Side.BUY


def _itchfeed(messages):
    data = b"".join(b"\x00" + bytes([len(m)]) + m for m in messages)
    return list(MessageParser().parse_stream(data))


def _engine_orders(engine):
    """The venue's displayed book: {(side, price): [(feed ref, shown), ...] in queue order}."""
    book = engine.book("AAPL")
    return {(side, p): [(o.ref, o.shown) for o in book.orders_at(side, p)]
            for side in (BUY, SELL) for p, _ in book.depth(side, 10 ** 9)}


async def _drive(engine, rng, n, ids):
    for i in range(n):
        r = rng.random()
        side = BUY if rng.random() < 0.5 else SELL
        sign = -1 if side is BUY else 1
        if r < 0.5 or not ids:
            oid = engine.next_id()
            off = rng.randint(1, 8) if rng.random() > 0.1 else -rng.randint(0, 2)
            qty = rng.choice([100, 200, 300, 500])
            display = 100 if qty >= 300 and rng.random() < 0.3 else 0
            engine.submit("AAPL", BookOrder(oid, side, 10_000 + sign * off, qty, display=display))
            ids.append(oid)
        elif r < 0.7:
            engine.cancel("AAPL", ids.pop(rng.randrange(len(ids))))
        elif r < 0.85:
            oid = rng.choice(ids)
            o = engine.book("AAPL")._orders.get(oid)
            if o is not None:
                engine.replace("AAPL", oid, o.price + rng.choice([-1, 1]), rng.choice([100, 200]))
        else:
            engine.submit("AAPL", BookOrder(engine.next_id(), side, 10_000 - sign * rng.randint(0, 3),
                                            rng.choice([100, 400, 700]), OrdType.LIMIT, TimeInForce.IOC))
        if i % 15 == 0:
            await asyncio.sleep(0)           # a packet now and then, as venue traffic comes


def _sub(pub, **kw):
    return FeedSubscriber(SYMS, ("127.0.0.1", pub.request_port), session="V1", retry_s=0.02, **kw)


def test_a_late_joiner_gets_the_snapshot_and_ends_with_the_venues_book():
    heard = []
    downstream = FeedBook()                  # a sink that builds its own book from on_event alone

    def sink(ev):
        heard.append(ev)
        downstream(ev)

    async def main():
        engine = MatchingEngine("V1", ["AAPL"])
        pub = FeedPublisher(SYMS, session="V1", retain=300)
        engine.subscribe(pub)
        await pub.start()
        early = _sub(pub)
        await early.start()
        rng, ids = random.Random(5), []
        await _drive(engine, rng, 700, ids)
        await asyncio.sleep(0)
        naive = _sub(pub)                    # no snapshot: the start of the day is gone
        late = _sub(pub, snapshot_addr=("127.0.0.1", pub.snapshot_port), on_event=sink)
        await naive.start()
        await late.start()
        mid_book = {k: list(v) for k, v in late.book.book("AAPL").snapshot().items()}
        mid_engine = _engine_orders(engine)
        await _drive(engine, rng, 400, ids)
        pub(SystemEvent(engine.ts_ns(), "C"))
        await asyncio.sleep(0)
        for s in (early, late):
            assert await s.wait_for(pub.mold.next_seq, 3)
        for _ in range(300):                 # (the naive one gives up after its retries; bounded)
            if naive.stale:
                break
            await asyncio.sleep(0.01)
        for s in (early, late, naive):
            await s.stop()
        await pub.stop()
        return engine, pub, early, late, naive, mid_book, mid_engine
    engine, pub, early, late, naive, mid_book, mid_engine = asyncio.run(main())
    assert mid_book == mid_engine                      # the snapshot is the venue's book when taken
    assert late.snapshot_seq > 300 + 1 and late.stats["snapshots"] == 1
    assert pub.snapshots.stats == {"snapshots": 1, "refused": 0, "aborted": 0}
    venue = _engine_orders(engine)
    assert len(venue) > 5
    assert late.book.book("AAPL").snapshot() == early.book.book("AAPL").snapshot() == venue
    assert not late.errors and not late.stale and late.next_seq == pub.mold.next_seq
    assert naive.stale, "without a snapshot a joiner after the buffer cannot build the book"
    # The sink heard the snapshot too: a reset at S, its Add Orders, then live events.
    assert type(heard[0]) is BookReset and heard[0].seq == late.snapshot_seq
    n_snap = sum(len(v) for v in mid_book.values())
    assert all(type(ev) is AddOrder for ev in heard[1:1 + n_snap])
    mine, theirs = downstream.book("AAPL"), late.book.book("AAPL")
    assert mine.snapshot() == theirs.snapshot() == venue
    assert (mine.volume, mine.last_trade) == (theirs.volume, theirs.last_trade)


def test_an_unrecoverable_gap_is_resynchronised_from_a_snapshot():
    class Lossy(FeedPublisher):
        sent = 0

        def _send(self, packet):
            self.sent += 1
            if self.sent != 12:              # one live packet lost, older than the buffer when asked
                super()._send(packet)

    async def main():
        engine = MatchingEngine("V1", ["AAPL"])
        pub = Lossy(SYMS, session="V1", retain=5)
        engine.subscribe(pub)
        await pub.start()
        sub = _sub(pub, snapshot_addr=("127.0.0.1", pub.snapshot_port), on_event=downstream)
        await sub.start()
        rng, ids = random.Random(8), []
        await _drive(engine, rng, 600, ids)
        await asyncio.sleep(0.3)
        await _drive(engine, rng, 50, ids)
        await asyncio.sleep(0)
        assert await sub.wait_for(pub.mold.next_seq, 3)
        await sub.stop()
        await pub.stop()
        return engine, sub
    downstream = FeedBook()                  # built from on_event: the resync's reset clears it
    engine, sub = asyncio.run(main())
    assert sub.lost and sub.stats["snapshots"] >= 2 and not sub.stale
    assert sub.book.book("AAPL").snapshot() == _engine_orders(engine) == downstream.book("AAPL").snapshot()
    assert downstream.book("AAPL").volume == sub.book.book("AAPL").volume


def test_a_reserve_orders_hidden_part_executes_as_non_displayed_trades():
    async def main():
        engine = MatchingEngine("V1", ["AAPL"])
        pub = FeedPublisher(SYMS, session="V1")
        engine.subscribe(pub)
        await pub.start()
        sub = _sub(pub)
        await sub.start()
        await asyncio.sleep(0.01)
        engine.submit("AAPL", BookOrder(1, SELL, 10_100, 500, display=100))    # 100 shown, 400 reserve
        engine.submit("AAPL", BookOrder(2, SELL, 10_100, 200))
        await asyncio.sleep(0)
        first = pub.mold.next_seq
        # Sweeps the level: R's slice, order 2, R's refreshed slice (never shown), then 50 of the next.
        res = engine.submit("AAPL", BookOrder(3, BUY, 10_100, 450, OrdType.LIMIT, TimeInForce.IOC))
        await asyncio.sleep(0)
        assert await sub.wait_for(pub.mold.next_seq, 2)
        wire = list(pub.mold._retained)[first - pub.mold.first_retained:]
        await sub.stop()
        await pub.stop()
        return engine, pub, sub, res, wire
    engine, pub, sub, res, wire = asyncio.run(main())
    assert sum(t.qty for t in res.fills) == 450
    parsed = _itchfeed(wire)
    assert [m.message_type for m in parsed] == [b"E", b"E", b"P", b"A", b"P"]
    e1, e2, p1, a, p2 = parsed
    assert (e1.executed_shares, e2.executed_shares) == (100, 200)
    assert (p1.order_reference_number, p1.buy_sell_indicator, p1.shares, p1.price) == (0, b"S", 100, 1_010_000)
    assert (a.shares, a.price, a.buy_sell_indicator) == (50, 1_010_000, b"S")        # what is left shown
    assert p2.shares == 50 and p2.match_number > p1.match_number > e2.match_number
    assert pub.stats["hidden"] == 2 and not sub.errors
    book = sub.book.book("AAPL")
    assert book.volume == 450 and book.snapshot() == _engine_orders(engine) == {(SELL, 10_100): [(a.order_reference_number, 50)]}


def test_the_closing_cross_is_a_cross_trade_on_the_feed():
    cfg = MarketConfig(symbols=(SymbolProfile("Q", requote_s=10.0, daily_volume=50_000),), seed=4,
                       open_s=34_200, close_s=34_200 + 1800, auction_window_s=300, bin_s=600)
    market = SyntheticMarket(cfg)
    crosses = []
    market.engine.subscribe(lambda ev: type(ev) is CrossTrade and crosses.append(ev))
    day = market.run_day()["Q"]
    assert len(crosses) == 1 and day.auction_volume > 0
    cross = crosses[0]
    assert (cross.qty, cross.price, cross.cross_type) == (day.auction_volume, day.auction_price, "C")
    sym = FeedSymbol.of("Q", 1, TickSize.parse("0.01"))
    (q,) = _itchfeed([ItchEncoder([sym]).encode(cross)])
    assert (q.message_type, q.shares, q.cross_price, q.cross_type, q.match_number) == \
        (b"Q", day.auction_volume, day.auction_price * sym.price_scale, b"C", cross.match_id)

    async def published():
        engine = MatchingEngine("V1", ["AAPL"])
        pub = FeedPublisher(SYMS, session="V1")
        engine.subscribe(pub)
        await pub.start()
        sub = _sub(pub)
        await sub.start()
        engine.cross_trade("AAPL", 10_050, 7_000)
        await asyncio.sleep(0)
        assert await sub.wait_for(pub.mold.next_seq, 2)
        await sub.stop()
        await pub.stop()
        return list(pub.mold._retained)[-1], sub
    raw, sub = asyncio.run(published())
    (q,) = _itchfeed([raw])
    assert (q.shares, q.cross_price, q.cross_type) == (7_000, 1_005_000, b"C")
    assert sub.book.book("AAPL").volume == 7_000 and sub.book.book("AAPL").last_trade == (10_050, 7_000)


def test_snapshot_server_refuses_bad_requests_and_bounds_its_clients():
    async def main():
        pub = FeedPublisher(SYMS, session="V1")
        pub.snapshots.request_timeout_s = 0.05
        await pub.start()
        addr = ("127.0.0.1", pub.snapshot_port)
        answers = []
        for request in (encode_request(b"OTHER     ", 0, 0), encode_request(pub.mold.session, 5, 0), b"x" * 25):
            r, w = await asyncio.open_connection(*addr)
            w.write(request)
            answers.append(await asyncio.wait_for(r.read(), 1))
            w.close()
        idle = [await asyncio.open_connection(*addr) for _ in range(pub.snapshots.max_clients + 1)]
        extra = await asyncio.wait_for(idle[-1][0].read(), 1)       # over the cap: closed at once
        await asyncio.sleep(0.1)                                     # the rest: closed for sending nothing
        timed_out = [await asyncio.wait_for(r.read(), 1) for r, _ in idle[:-1]]
        with pytest.raises(OSError):
            await fetch_snapshot(("127.0.0.1", 1), pub.mold.session, timeout=1)
        seq, msgs = await fetch_snapshot(addr, pub.mold.session)
        for _, w in idle:
            w.close()
        await pub.stop()
        return answers, extra, timed_out, pub.snapshots.stats, seq, msgs
    answers, extra, timed_out, stats, seq, msgs = asyncio.run(main())
    assert answers == [b"", b"", b""] and extra == b"" and timed_out == [b""] * 8
    assert stats == {"snapshots": 1, "refused": 4, "aborted": 0}
    assert seq == 3 and [m[:1] for m in msgs] == [b"R"]            # after S 'O' and the directory


def test_snapshot_frames_and_amending_a_queued_message_are_checked():
    session = b"V1        "
    data = encode_snapshot(session, 42, [b"A" * 36] * 60)
    reader = SnapshotReader(session)
    for i in range(0, len(data), 7):                                # arrives in pieces
        reader.feed(data[i:i + 7])
    assert reader.done and reader.seq == 42 and len(reader.messages) == 60
    with pytest.raises(MoldError, match="snapshot: session b'V1        ', asked for b'OTHER     '"):
        SnapshotReader(b"OTHER     ").feed(data)
    with pytest.raises(MoldError, match="snapshot: packet says sequence 43, the snapshot is at 42"):
        first = 2 + int.from_bytes(data[:2], "big")
        SnapshotReader(session).feed(data[:first] + encode_snapshot(session, 43, []))
    with pytest.raises(MoldError, match="snapshot: more than 100 bytes"):
        SnapshotReader(session, max_bytes=100).feed(data)
    mold = MoldSession("V1")
    mold.add(b"x" * 10)
    mold.add(b"y" * 10)
    mold.amend(0, None)
    with pytest.raises(MoldError, match="amend: queued message 0 was already dropped"):
        mold.amend(0, b"z")
    with pytest.raises(MoldError, match="amend: a 11-byte message cannot replace 10 bytes"):
        mold.amend(1, b"z" * 11)
    mold.amend(1, b"w" * 10)
    from wirespeed.sim.feed.mold import decode_packet
    packet = decode_packet(mold.flush())
    assert packet.messages == (b"w" * 10,) and mold.next_seq == 2


def test_a_late_joiner_of_a_running_venue_ends_with_its_book():
    from dataclasses import replace

    from wirespeed.sim.venue import SimVenue, VenueSpec, VenueSymbol
    from wirespeed.sim.venue.config import FeedSpec

    class Owner:
        def on_report(self, r):
            pass

    async def main():
        spec = VenueSpec("SNAPV", ouch=False, symbols=(VenueSymbol("AAPL", "0.01", "100.00", levels=3,
                                                                   level_qty=200),))
        venue = SimVenue(replace(spec, feed=FeedSpec(session="SNAPV", retain=50)))
        await venue.start()                    # the resident market maker quotes: the book is not empty
        rng, owner = random.Random(3), Owner()
        for i in range(200):
            side = rng.choice([BUY, SELL])
            venue.core.new_order(owner, None, f"C{i}", "AAPL", side, OrdType.LIMIT,
                                 rng.choice([TimeInForce.DAY, TimeInForce.IOC]), rng.choice([100, 300]),
                                 10_000 + rng.randint(-5, 5))
            if i % 10 == 0:
                await asyncio.sleep(0)
        sym = [FeedSymbol.of("AAPL", 1, TickSize.parse("0.01"))]
        late = FeedSubscriber(sym, ("127.0.0.1", venue.feed.request_port), session="SNAPV",
                              snapshot_addr=("127.0.0.1", venue.feed.snapshot_port))
        await late.start()
        for i in range(100):
            venue.core.new_order(owner, None, f"D{i}", "AAPL", rng.choice([BUY, SELL]), OrdType.LIMIT,
                                 TimeInForce.DAY, 100, 10_000 + rng.randint(-5, 5))
        await asyncio.sleep(0)
        assert await late.wait_for(venue.feed.mold.next_seq, 3)
        described = venue.describe()
        await late.stop()
        await venue.stop()
        return venue, late, described
    venue, late, described = asyncio.run(main())
    assert f"snapshot tcp 127.0.0.1:{venue.feed.snapshot_port}" in described
    assert late.snapshot_seq > 50 and not late.errors and not late.stale
    assert late.book.book("AAPL").snapshot() == _engine_orders(venue.core.engine)


def test_a_snapshot_client_that_never_reads_stays_counted_until_aborted(caplog):
    session = b"V1        "
    messages = [b"A" * 36] * 100_000          # a ~3.8 MB answer: more than loopback's socket buffers hold
    size = len(encode_snapshot(session, 1, messages))

    async def main():
        from wirespeed.sim.feed.snapshot import SnapshotServer
        loop = asyncio.get_running_loop()
        srv = SnapshotServer(session, lambda: (1, messages), max_clients=2, request_timeout_s=5.0,
                             send_timeout_s=0.3, max_buffered_bytes=size + size // 2)
        port = await srv.start("127.0.0.1")

        async def connect(request=True):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.setblocking(False)
            await loop.sock_connect(s, ("127.0.0.1", port))
            if request:
                await loop.sock_sendall(s, encode_request(session, 0, 0))
            return s

        async def eof(s):                  # closed unanswered (reset if our request was left unread)
            try:
                return await asyncio.wait_for(loop.sock_recv(s, 100), 1)
            except ConnectionResetError:
                return b""

        stalled = await connect()                                # asks, never reads
        await asyncio.sleep(0.1)
        held = (len(srv.clients), srv.buffered)
        over_bytes = await eof(await connect())                  # a second answer would pass the cap
        idle = await connect(request=False)                      # counted: the stalled one and this one
        over_clients = await eof(await connect())
        await asyncio.sleep(0.4)                                 # past the send deadline
        after = (len(srv.clients), srv.buffered, srv.stats["aborted"])
        idle.close()
        seq, got = await fetch_snapshot(("127.0.0.1", port), session)   # a reader still gets it whole
        stalled.close()
        srv.close()
        return held, over_bytes, over_clients, after, seq, len(got), dict(srv.stats)

    with caplog.at_level("WARNING", logger="wirespeed.feed.snapshot"):
        held, over_bytes, over_clients, after, seq, n, stats = asyncio.run(main())
    assert held == (1, size), "an answer not yet taken keeps its connection counted"
    assert over_bytes == b"" and over_clients == b""
    assert after == (1, 0, 1)                                    # the stalled client aborted; idle remains
    assert seq == 1 and n == len(messages)
    assert stats == {"snapshots": 3, "refused": 2, "aborted": 1}
    text = caplog.text
    assert f"another {size} would pass max_buffered_bytes {size + size // 2}" in text
    assert "2 snapshot clients connected, max_clients is 2" in text
    assert f"did not take its {size}-byte answer within send_timeout_s 0.3" in text


@pytest.mark.parametrize("kw, message", [
    ({"max_clients": 0}, "max_clients must be a positive integer, not 0"),
    ({"max_buffered_bytes": 1.5}, "max_buffered_bytes must be a positive integer, not 1.5"),
    ({"send_timeout_s": float("nan")}, "send_timeout_s must be a positive number of seconds, not nan"),
    ({"request_timeout_s": -1}, "request_timeout_s must be a positive number of seconds, not -1"),
])
def test_snapshot_server_limits_are_validated(kw, message):
    from wirespeed.sim.feed.snapshot import SnapshotServer
    with pytest.raises(ValueError, match=message):
        SnapshotServer(b"V1        ", lambda: (1, []), **kw)
