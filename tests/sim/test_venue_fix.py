"""A venue over FIX 4.4 on loopback: every request type, its ExecutionReports and rejects,
fees, other sessions served throughout, and the feed's book equal to the venue's."""
import asyncio
from decimal import Decimal

from itch.parser import MessageParser

from wirespeed.enums import ExecType, OrdStatus, OrdType, Side, TimeInForce
from wirespeed.gateway.session import SessionConfig
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.sim.feed import FeedSubscriber, FeedSymbol
from wirespeed.sim.venue import SimVenue, VenueSpec, VenueSymbol
from wirespeed.clock import fix_timestamp

SPEC = VenueSpec("ALPHA", ouch=False, maker_fee_bps=-0.2, taker_fee_bps=0.3,
                 symbols=(VenueSymbol("AAPL", "0.01", "100.00", levels=2, level_qty=100),))


def _f(msg, tag):
    return msg.get(tag)


def _summary(msgs):
    return [(m.msg_type, _f(m, T.ExecType), _f(m, T.OrdStatus)) for m in msgs]


async def _scenario():
    venue = SimVenue(SPEC)
    await venue.start()
    sub = FeedSubscriber([FeedSymbol.of("AAPL", 1, venue.symbols.by_name("AAPL").tick)],
                         ("127.0.0.1", venue.feed.request_port), session="ALPHA")
    await sub.start()
    a = FixClient("CLIENTA", "ALPHA", "127.0.0.1", venue.port)
    b = FixClient("CLIENTB", "ALPHA", "127.0.0.1", venue.port)
    await a.start()
    await b.start()
    out = {}
    try:
        # Passive order, status, replace keeping priority, replace moving it, cancel, cancel again.
        a.new_order("P1", "AAPL", "1", 50, "99.00")
        out["p1_new"] = await a.wait_report("P1")
        a.session.send("H", [(T.ClOrdID, "P1"), (T.Symbol, "AAPL"), (T.Side, "1")])
        out["p1_status"] = (await a.wait_report("P1", 2))[1]
        a.session.send("G", [(T.OrigClOrdID, "P1"), (T.ClOrdID, "P2"), (T.Symbol, "AAPL"), (T.Side, "1"),
                             (T.TransactTime, fix_timestamp()), (T.OrderQty, 40), (T.OrdType, "2"),
                             (T.Price, "99.00")])
        out["p2"] = await a.wait_report("P2")
        a.session.send("G", [(T.OrigClOrdID, "P2"), (T.ClOrdID, "P3"), (T.Symbol, "AAPL"), (T.Side, "1"),
                             (T.TransactTime, fix_timestamp()), (T.OrderQty, 60), (T.OrdType, "2"),
                             (T.Price, "99.50")])
        out["p3"] = await a.wait_report("P3")
        a.cancel("P4", "P3", "AAPL", "1", 60)
        out["p4"] = await a.wait_report("P4")
        a.cancel("P5", "P3", "AAPL", "1", 60)
        out["p5"] = await a.wait_report("P5")
        a.session.send("G", [(T.OrigClOrdID, "GONE"), (T.ClOrdID, "P6"), (T.Symbol, "AAPL"), (T.Side, "1"),
                             (T.TransactTime, fix_timestamp()), (T.OrderQty, 10), (T.OrdType, "2"),
                             (T.Price, "99.00")])
        out["p6"] = await a.wait_report("P6")
        # Marketable through two maker levels; IOC that cannot fill.
        a.new_order("M1", "AAPL", "1", 150, "101.00")
        out["m1"] = await a.wait_report("M1", 3)
        a.new_order("I1", "AAPL", "1", 10, "90.00", tif="3")
        out["i1"] = await a.wait_report("I1", 2)
        # Rejects, each naming its reason.
        for cl, sym, qty, price, ord_type, tif in [("R1", "NOPE", 10, "1.00", "2", "0"),
                                                    ("R2", "AAPL", 10, "100.005", "2", "0"),
                                                    ("R3", "AAPL", 0, "100.00", "2", "0"),
                                                    ("R4", "AAPL", 10, "100.00", "P", "0"),
                                                    ("R5", "AAPL", 10, "100.00", "2", "2")]:
            a.new_order(cl, sym, "1", qty, price, ord_type, tif)
            out[cl] = (await a.wait_report(cl))[0]
        a.new_order("P1", "AAPL", "1", 10, "98.00")                  # P1 is already used
        out["dup"] = (await a.wait_report("P1", 3))[-1]
        # Client against client: A rests a sell inside the maker's spread, B lifts it.
        fees_before = venue.stats["fees"]
        a.new_order("S1", "AAPL", "2", 30, "100.00")
        await a.wait_report("S1")
        b.new_order("B1", "AAPL", "1", 30, "100.00")
        out["b1"] = await b.wait_report("B1", 2)
        out["s1"] = await a.wait_report("S1", 2)
        out["fees"] = venue.stats["fees"] - fees_before
        a.new_order("Q1", "AAPL", "2", 20, "100.50")                  # rests: the feed must show it
        await a.wait_report("Q1")
        await sub.wait_for(venue.feed.mold.next_seq, timeout=2)
        book = venue.books["AAPL"]
        out["venue_book"] = (book.bids.depth(10), book.asks.depth(10))
        fb = sub.book.book("AAPL")
        out["feed_book"] = (fb.depth(Side.BUY, 10), fb.depth(Side.SELL, 10))
        out["feed_errors"] = list(sub.errors)
        out["published"] = venue.feed.mold.next_seq - 1
        out["itchfeed"] = [m.message_type for m in MessageParser().parse_stream(
            b"".join(b"\x00" + bytes([len(m)]) + m for m in venue.feed.mold._retained))]
    finally:
        await a.stop()
        await b.stop()
        await sub.stop()
        await venue.stop()
    return out


def test_fix_front_end_answers_every_request():
    out = asyncio.run(_scenario())
    new = out["p1_new"][0]
    assert (_f(new, T.ExecType), _f(new, T.OrdStatus), _f(new, T.LeavesQty)) == ("0", "0", "50")
    st = out["p1_status"]
    assert (_f(st, T.ExecType), _f(st, T.OrdStatus), _f(st, T.OrderID)) == ("I", "0", _f(new, T.OrderID))
    p2 = out["p2"][0]
    assert (_f(p2, T.ExecType), _f(p2, T.OrigClOrdID), _f(p2, T.OrderQty), _f(p2, T.OrderID)) == \
        ("5", "P1", "40", _f(new, T.OrderID))
    p3 = out["p3"][0]
    assert (_f(p3, T.ExecType), _f(p3, T.Price), _f(p3, T.LeavesQty)) == ("5", "99.50", "60")
    p4 = out["p4"][0]
    assert (_f(p4, T.ExecType), _f(p4, T.OrdStatus), _f(p4, T.OrigClOrdID), _f(p4, T.LeavesQty)) == \
        ("4", "4", "P3", "0")
    assert _summary(out["p5"]) == [("9", None, "4")] and _f(out["p5"][0], T.CxlRejResponseTo) == "1"
    assert _summary(out["p6"]) == [("9", None, "8")] and _f(out["p6"][0], T.CxlRejReason) == "1"
    assert _f(out["p6"][0], T.CxlRejResponseTo) == "2"
    m1 = out["m1"]
    assert _summary(m1) == [("8", "0", "0"), ("8", "F", "1"), ("8", "F", "2")]
    assert [(_f(m, T.LastQty), _f(m, T.LastPx)) for m in m1[1:]] == [("100", "100.01"), ("50", "100.02")]
    assert Decimal(_f(m1[2], T.AvgPx)).quantize(Decimal("0.0001")) == Decimal("100.0133")
    assert _summary(out["i1"]) == [("8", "0", "0"), ("8", "4", "4")]
    expect = {"R1": ("1", "unknown symbol"), "R2": ("99", "tick"), "R3": ("13", "quantity must be positive"),
              "R4": ("11", "OrdType"), "R5": ("11", "TimeInForce"), "dup": ("6", "already used")}
    for key, (code, text) in expect.items():
        m = out[key]
        assert (_f(m, T.ExecType), _f(m, T.OrdStatus), _f(m, T.OrdRejReason)) == ("8", "8", code), key
        assert text in _f(m, T.Text), (key, _f(m, T.Text))
    assert [(_f(m, T.ExecType), _f(m, T.LastQty), _f(m, T.LastPx)) for m in out["b1"]] == \
        [("0", "0", "0"), ("F", "30", "100.00")]
    assert [_f(m, T.ExecType) for m in out["s1"]] == ["0", "F"]
    notional = Decimal("3000.00")
    assert out["fees"] == (notional * Decimal("0.3") / 10_000).quantize(Decimal("0.0001")) + \
        (notional * Decimal("-0.2") / 10_000).quantize(Decimal("0.0001"))
    assert out["feed_errors"] == []
    kinds = set(out["itchfeed"])                 # itchfeed reads every message the venue published
    assert {b"S", b"R", b"A", b"E", b"D", b"U", b"X"} <= kinds and len(out["itchfeed"]) == out["published"]
    assert out["feed_book"] == out["venue_book"] and out["feed_book"][1][0][1] > 0


async def _engine_features():
    venue = SimVenue(VenueSpec("GAMMA", ouch=False, feed=SPEC.feed.__class__(enabled=False),
                               symbols=(VenueSymbol("AAPL", "0.01", "100.00", levels=1, level_qty=100),)))
    await venue.start()
    a = FixClient("CLIENTA", "GAMMA", "127.0.0.1", venue.port)
    b = FixClient("CLIENTB", "GAMMA", "127.0.0.1", venue.port)
    await a.start()
    await b.start()
    out = {}
    try:
        # Post-only (ExecInst 6) that would take liquidity: canceled, never trades.
        a.new_order("PO", "AAPL", "1", 10, "100.01", extra=[(18, "6")])
        out["post_only"] = await a.wait_report("PO", 2)
        # Self-trade prevention: A's sell rests, A's own buy at that price is canceled (newest).
        a.new_order("S1", "AAPL", "2", 20, "100.00")
        await a.wait_report("S1")
        a.new_order("B1", "AAPL", "1", 20, "100.00")
        out["stp"] = await a.wait_report("B1", 2)
        # Reserve (MaxFloor): 100 shown 30 at a time; B takes 50 in one order.
        b.new_order("R1", "AAPL", "2", 100, "100.00", extra=[(111, 30)])
        await b.wait_report("R1")
        out["shown"] = venue.books["AAPL"].depth(Side.SELL, 1)
        a.new_order("T0", "AAPL", "1", 10, "100.00")                 # A meets its own S1 first: STP
        out["t0"] = await a.wait_report("T0", 2)
        a.cancel("S1c", "S1", "AAPL", "2", 20)
        await a.wait_report("S1c")
        a.new_order("T1", "AAPL", "1", 50, "100.00")                 # 30 shown, the refresh, 20 more
        out["t1"] = await a.wait_report("T1", 3)
        out["shown_after"] = venue.books["AAPL"].depth(Side.SELL, 1)
        # Replace keeping priority: B rests two bids, reduces the first; it stays ahead.
        b.new_order("Q1", "AAPL", "1", 50, "99.50")
        b.new_order("Q2", "AAPL", "1", 50, "99.50")
        await b.wait_report("Q2")
        q1 = venue.core.find(int((await b.wait_report("Q1"))[0].get(T.OrderID)))
        b.session.send("G", [(T.OrigClOrdID, "Q1"), (T.ClOrdID, "Q1b"), (T.Symbol, "AAPL"), (T.Side, "1"),
                             (T.TransactTime, fix_timestamp()), (T.OrderQty, 30), (T.OrdType, "2"),
                             (T.Price, "99.50")])
        await b.wait_report("Q1b")
        out["queue"] = venue.core.queue_position(q1)
    finally:
        await a.stop()
        await b.stop()
        await venue.stop()
    return out


def test_post_only_stp_reserve_and_priority_over_fix():
    out = asyncio.run(_engine_features())
    assert _summary(out["post_only"]) == [("8", "0", "0"), ("8", "4", "4")]
    assert "post-only" in _f(out["post_only"][1], T.Text)
    assert _summary(out["stp"]) == [("8", "0", "0"), ("8", "4", "4")]
    assert "self-trade" in _f(out["stp"][1], T.Text)
    assert out["shown"] == [(10000, 20 + 30)]                          # S1 20 + R1's first 30
    assert _summary(out["t0"]) == [("8", "0", "0"), ("8", "4", "4")]
    assert [(_f(m, T.ExecType), _f(m, T.LastQty)) for m in out["t1"]] == [("0", "0"), ("F", "30"), ("F", "20")]
    assert out["shown_after"] == [(10000, 10)]             # R1: 50 left, 10 of its refreshed 30 shown
    assert out["queue"] == (0, 0)


def test_the_templated_ack_matches_the_general_report():
    """The fast path's ER New carries exactly the fields exec_report_fields gives it, in order."""
    sent = {}

    class FakeSession:
        name, active = "S", True
        config = SessionConfig(sender_comp_id="ALPHA", target_comp_id="S")

        def template(self, msg_type, tags):
            return tags

        def send_template(self, tags, values):
            sent["template"] = [(t, str(v)) for t, v in zip(tags, values)]

    venue = SimVenue(SPEC)
    venue.fix.on_logon(FakeSession())
    owner = venue.fix.owners["S"]
    o = venue.core.new_order(owner, None, "T1", "AAPL", Side.BUY, OrdType.LIMIT, TimeInForce.DAY, 70, 9_950)
    general = [(t, str(v)) for t, v in venue.fix._fields(owner, o, ExecType.NEW, OrdStatus.NEW)]
    drop_exec_id = lambda fields: [(t, v) for t, v in fields if t != T.ExecID]     # noqa: E731
    assert drop_exec_id(sent["template"]) == drop_exec_id(general)
    assert [t for t, _ in sent["template"]] == [t for t, _ in general]
