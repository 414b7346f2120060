"""gateway/order_recovery.py: a second order path replaying the first one's audit trail holds the
same orders (status, quantities, AvgPx, venue ClOrdIDs and suffixes, pending cancels and replaces,
ExecIDs applied), the same risk state and credit books, and both answer what comes next the same
way. Sans-IO: the client and venue sessions are driven directly."""
import pytest

from wirespeed.clock import fix_timestamp as ts
from wirespeed.config import load_config
from wirespeed.enums import OrdStatus
from wirespeed.gateway.audit import AuditTrail
from wirespeed.gateway.fix.encoder import encode_message
from wirespeed.gateway.fix.parser import FixParser
from wirespeed.gateway.orders import OrderGateway
from wirespeed.gateway.risk import make_backend
from wirespeed.gateway.session import Session, SessionConfig
from wirespeed.symbols import table_from_config


class _Run:
    def __init__(self, audit_dir, risk=None, clock=None):
        cfg = load_config(overrides={"risk": {"default": {"max_qty": 500, "collar_ticks": 60}, **(risk or {})}})
        self.symbols = table_from_config(cfg.symbols)
        self.trail = AuditTrail(audit_dir)
        self.gw = OrderGateway(self.symbols, make_backend(cfg.risk, self.symbols, sessions=1, clock=clock),
                               audit=self.trail)
        self.client = Session(SessionConfig("GW", "CLIENT1", role="acceptor"), self.gw.client_app)
        self.venue = Session(SessionConfig("GW", "VENUE1", role="initiator"), self.gw.venue_app)
        self.vout: list[bytes] = []
        self.cout: list[bytes] = []
        self.gw.add_venue("VENUE1", self.venue)
        self.seq = {"c": 1, "v": 1}

    def connect(self):
        self.venue.connection_made(self.vout.append, lambda: None)
        self.send("v", "A", [(98, 0), (108, 30)])
        self.client.connection_made(self.cout.append, lambda: None)
        self.send("c", "A", [(98, 0), (108, 30)])

    def send(self, who, msg_type, fields):
        sender, session = ("CLIENT1", self.client) if who == "c" else ("VENUE1", self.venue)
        session.data_received(encode_message("FIX.4.4", msg_type, sender, "GW", self.seq[who], fields, ts()))
        self.seq[who] += 1

    def out(self, which, msg_type):
        p = FixParser(1 << 20)
        for b in (self.vout if which == "v" else self.cout):
            p.feed(b)
        found = []
        while (m := p.poll()) is not None:
            if m.msg_type == msg_type:
                found.append(m)
        return found

    def report(self, venue_cl, exec_id, et, status, qty=100, last=0, cum=0, px="0"):
        self.send("v", "8", [(37, "V" + venue_cl), (11, venue_cl), (17, exec_id), (150, et), (39, status),
                             (55, "MSFT"), (54, "1"), (38, qty), (32, last), (31, px), (151, qty - cum), (14, cum),
                             (6, px)])


def snapshot(gw: OrderGateway):
    orders = {}
    for s in gw.working():
        o = s.order
        orders[o.cl_ord_id] = (
            o.order_id, o.symbol, o.side, o.qty, o.price, o.ord_type, o.tif, o.session, o.cl_ord_key, s.status,
            s.qty, s.cum_qty, s.avg_px_num, s.reserved, s.venue_cl, s.requests, s.prior, s.pending_cl,
            None if s.pending is None else (s.pending.cl_ord_id, s.pending.qty, s.pending.price),
            s.pending_qty, s.pending_venue_cl, sorted(s.exec_ids), s.client_id, s.venue)
    m = gw.risk.model
    risk = (list(m.pos), list(m.open_buy), list(m.open_sell), m.open_notional, m.filled_notional,
            list(m.session_open), list(m.session_filled), m.kill, m.reduce_only)
    return orders, risk, sorted(gw._live), dict(gw._client_open), gw.venues["VENUE1"].open_notional


@pytest.mark.parametrize("kill", [False, True])
def test_a_replayed_trail_holds_the_orders_and_the_risk_of_the_run_that_wrote_it(tmp_path, kill):
    a = _Run(tmp_path / "audit")
    a.connect()
    sym = a.symbols.by_name("MSFT")
    px = lambda d: sym.tick.format(sym.reference_ticks + d)  # noqa: E731
    for k in range(5):
        a.send("c", "D", [(11, f"C{k}"), (55, "MSFT"), (54, "1"), (60, ts()), (38, 100), (40, "2"), (44, px(k)),
                          (59, "0")])
    ids = [m.get(11) for m in a.out("v", "D")]
    for k, v in enumerate(ids[:4]):                       # C4 stays PendingNew
        a.report(v, f"A{k}", "0", "0")
    a.report(ids[0], "F1", "F", "1", last=30, cum=30, px=px(0))          # C0: 30 of 100
    a.send("c", "G", [(41, "C1"), (11, "R1"), (55, "MSFT"), (54, "1"), (60, ts()), (38, 150), (40, "2"),
                      (44, px(-1))])                          # C1: replace pending
    a.send("c", "G", [(41, "C2"), (11, "R2"), (55, "MSFT"), (54, "1"), (60, ts()), (38, 80), (40, "2"),
                      (44, px(1))])
    g2 = [m.get(11) for m in a.out("v", "G")][1]
    a.report(g2, "U2", "5", "0", qty=80)                      # C2 replaced: R2, 80
    a.report(g2, "F2", "F", "1", qty=80, last=20, cum=20, px=px(1))
    a.send("c", "F", [(41, "C3"), (11, "X3"), (55, "MSFT"), (54, "1"), (60, ts()), (38, 100)])   # C3: cancel pending
    if kill:
        a.gw.kill(reduce_only=True)
    a.trail.flush()
    expected = snapshot(a.gw)
    assert set(expected[0]) == {"C0", "C1", "R2", "C3", "C4"}
    a.trail._release()                                     # the process dies (the journal unsettled)

    b = _Run(tmp_path / "audit")
    b.gw.recover_from_trail(tmp_path / "audit", {"CLIENT1": b.client})
    assert snapshot(b.gw) == expected
    assert b.gw.recovered.working == 5 and b.gw.killed is kill
    # What comes next is answered as the first run would have: a resent fill is a duplicate, a new
    # one applies, the pending replace and cancel complete on their venue ClOrdIDs.
    b.connect()
    b.report(ids[0], "F1", "F", "1", last=30, cum=30, px=px(0))
    b.report(ids[0], "F3", "F", "1", last=70, cum=100, px=px(0))
    g1 = [m.get(11) for m in a.out("v", "G")][0]
    b.report(g1, "U1", "5", "0", qty=150)
    f3 = [m.get(11) for m in a.out("v", "F")][0]
    b.report(f3, "X3", "4", "4")
    assert b.gw.counts["duplicate_reports"] == 1 and b.gw.counts["fills"] == 1
    assert {s.order.cl_ord_id: s.status for s in b.gw.working()} == {
        "R1": OrdStatus.NEW, "R2": OrdStatus.PENDING_CANCEL if kill else OrdStatus.PARTIALLY_FILLED,
        "C4": OrdStatus.PENDING_CANCEL if kill else OrdStatus.PENDING_NEW}      # (the kill's cancels pending)
    assert [(m.get(11), m.get(150)) for m in b.out("c", "8")] == [("C0", "F"), ("R1", "5"), ("X3", "4")]
    m = b.gw.risk.model
    assert m.pos[sym.index] == 120                          # 30 + 20 before, 70 now
    assert m.open_buy[sym.index] == 150 + 60 + 100          # R1, R2's 60 left, C4
    # The next cancel's venue ClOrdID is one the venue has not seen (the logon's reconcile, tested
    # in test_venue_recovery, is taken as done: its status requests carry no new ClOrdID).
    assert len(b.out("v", "H")) == 5
    link = b.gw.venues["VENUE1"]
    link.awaiting.clear()
    link.state = "up"
    b.send("c", "F", [(41, "R2"), (11, "X2"), (55, "MSFT"), (54, "1"), (60, ts()), (38, 80)])
    if not kill:
        sent = [m.get(11) for m in b.out("v", "F")]
        assert sent and not set(sent) & {m.get(11) for m in a.out("v", "F") + a.out("v", "G")}
    b.trail.close()


class _Wire:
    """The OUCH session's transport: what it writes, kept."""

    def __init__(self):
        self.out: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.out.append(data)


def _ouch_session(name, symbols):
    from wirespeed.gateway.ouch_venue import OuchVenueSession
    s = OuchVenueSession(name, "127.0.0.1", 9, "WSGW", "PW", symbols, lambda *a: None, lambda *a: None, None)
    s.transport, s.soup.logged_in = _Wire(), True
    return s


def _ouch(kind: str, *f) -> bytes:
    from wirespeed.gateway.ouch.messages import ACCEPTED, CANCELED, EXECUTED, REPLACED
    layout = {"A": ACCEPTED, "E": EXECUTED, "U": REPLACED, "C": CANCELED}[kind]
    return layout.pack(kind.encode(), *f)


def test_an_ouch_venues_orders_are_rebuilt_with_their_user_refs_and_matches(tmp_path):
    import asyncio
    from wirespeed.gateway.ouch.messages import decode

    async def run():
        a = _Run(tmp_path / "audit")
        ouch = _ouch_session("XOUC", a.symbols)
        a.gw.add_venue("XOUC", ouch)
        a.gw.routes["CLIENT1"] = "XOUC"
        a.connect()
        sym = a.symbols.by_name("MSFT")
        scale = ouch.scales[sym.index].price_scale
        px = sym.tick.format(sym.reference_ticks)
        for k in range(3):
            a.send("c", "D", [(11, f"O{k}"), (55, "MSFT"), (54, "1"), (60, ts()), (38, 100), (40, "2"), (44, px),
                              (59, "0")])
        refs = [s.order.order_id for s in sorted(a.gw.working(), key=lambda s: s.order.cl_ord_id)]
        price4 = sym.reference_ticks * scale
        feed = lambda gw, session, raw: gw.on_ouch_message(session, decode(raw))  # noqa: E731
        for r in refs:
            feed(a.gw, ouch, _ouch("A", 0, r, b"B", 100, b"MSFT    ", price4, b"0", b"Y", r, b"A", b"N", b"N",
                                   b"L", b"".ljust(14), 0))
        feed(a.gw, ouch, _ouch("E", 0, refs[0], 30, price4, b"A", 7, 0))                 # O0: 30 of 100
        a.send("c", "G", [(41, "O1"), (11, "Q1"), (55, "MSFT"), (54, "1"), (60, ts()), (38, 150), (40, "2"),
                          (44, px)])
        new_ref = int(a.gw._lookup_any("CLIENT1", "O1").pending_venue_cl)
        feed(a.gw, ouch, _ouch("U", 0, refs[1], new_ref, b"B", 150, b"MSFT    ", price4, b"0", b"Y", new_ref, b"A",
                               b"N", b"N", b"L", b"".ljust(14), 0))                      # O1 replaced: Q1, 150
        a.send("c", "F", [(41, "O2"), (11, "X2"), (55, "MSFT"), (54, "1"), (60, ts()), (38, 100)])  # O2 cancel pending
        a.trail.flush()
        expected = snapshot(a.gw)
        refs_expected = {s.order.cl_ord_id: (list(s.ouch_refs), s.venue_cl) for s in a.gw.working()}
        a.trail._release()

        b = _Run(tmp_path / "audit")
        b_ouch = _ouch_session("XOUC", b.symbols)
        b.gw.add_venue("XOUC", b_ouch)
        b.gw.recover_from_trail(tmp_path / "audit", {"CLIENT1": b.client})
        assert snapshot(b.gw) == expected
        assert {s.order.cl_ord_id: (list(s.ouch_refs), s.venue_cl) for s in b.gw.working()} == refs_expected
        assert refs_expected["Q1"] == ([refs[1], new_ref], str(new_ref))
        # the venue's replay after the login: a match already applied is a duplicate, a new one on
        # the replacement's UserRefNum applies, the pending cancel completes
        b.connect()
        feed(b.gw, b_ouch, _ouch("E", 0, refs[0], 30, price4, b"A", 7, 0))
        feed(b.gw, b_ouch, _ouch("E", 0, new_ref, 50, price4, b"A", 8, 0))
        feed(b.gw, b_ouch, _ouch("C", 0, refs[2], 100, b"U"))
        assert b.gw.counts["duplicate_reports"] == 1 and b.gw.counts["fills"] == 1
        assert {s.order.cl_ord_id: (s.status, s.cum_qty) for s in b.gw.working()} == {
            "O0": (OrdStatus.PARTIALLY_FILLED, 30), "Q1": (OrdStatus.PARTIALLY_FILLED, 50)}
        assert b.gw.risk.model.pos[sym.index] == 80
        b.trail.close()

    asyncio.run(run())


def test_the_replay_restores_reservations_without_the_checks_that_depend_on_time(tmp_path):
    """A burst the first run took over 210 ms at 50 orders/s (burst 2), at prices inside a collar
    that is narrower today: every reservation comes back (no rate_limit, no price_collar against
    today's rows), and afterwards the throttle and today's collar are in force again, the
    throttle fresh."""
    rate = {"session_rate": 50, "session_burst": 2}
    now = [0]
    a = _Run(tmp_path / "audit", risk=rate, clock=lambda: now[0])
    a.connect()
    sym = a.symbols.by_name("MSFT")
    for k in range(8):
        now[0] = k * 30_000_000
        a.send("c", "D", [(11, f"C{k}"), (55, "MSFT"), (54, "1"), (60, ts()), (38, 100), (40, "2"),
                          (44, sym.tick.format(sym.reference_ticks + 5 * k)), (59, "0")])
    assert len(a.out("v", "D")) == 8 and not a.gw.rejects_by_reason
    a.trail.flush()
    expected = snapshot(a.gw)
    a.trail._release()

    today = {"default": {"max_qty": 500, "collar_ticks": 10}, **rate}
    # (b's clock stands still as well: on the real one a loaded machine can take longer than the
    # 20 ms emission interval between the last two orders below, and the third passes)
    b = _Run(tmp_path / "audit", risk=today, clock=lambda: 10 ** 12)
    rows = {i: b.gw.risk.row(i) for i in range(len(b.symbols))}
    rec = b.gw.recover_from_trail(tmp_path / "audit", {"CLIENT1": b.client})
    assert rec.risk_unrestored == [] and rec.orders == 8
    assert snapshot(b.gw)[1][:4] == expected[1][:4]         # positions, open buy/sell, open notional
    assert b.gw.risk.model.open_buy[sym.index] == 800
    m = b.gw.risk.model
    assert {i: b.gw.risk.row(i) for i in rows} == rows     # today's collar back
    assert m.session_rate_interval[0] == 20_000_000 and m.session_rate_tolerance[0] == 20_000_000
    b.connect()
    send = lambda cl, d: b.send("c", "D", [(11, cl), (55, "MSFT"), (54, "1"), (60, ts()), (38, 10),  # noqa: E731
                                           (40, "2"), (44, sym.tick.format(sym.reference_ticks + d)), (59, "0")])
    link = b.gw.venues["VENUE1"]
    link.awaiting.clear()
    link.state = "up"                                       # (its reconcile taken as done)
    send("N0", 30)                                          # outside today's collar: refused
    send("N1", 0)                                           # the burst of 2 is the client's: fresh
    send("N2", 0)                                           # the third at once is throttled
    assert dict(b.gw.rejects_by_reason) == {"price_collar": 1, "rate_limit": 1}, b.gw.rejects_by_reason
    b.trail.close()


def test_only_todays_trail_is_replayed_an_earlier_days_orders_ended(tmp_path):
    """A DAY order partly filled in a day file ten days old is not rebuilt today (no working order,
    no position in today's risk): that day file is not read, and said so; replayed as of its own
    day, the same trail does give the order back."""
    import time as _time

    from wirespeed.gateway.order_recovery import recover
    a = _Run(tmp_path / "audit")
    a.connect()
    sym = a.symbols.by_name("MSFT")
    px = sym.tick.format(sym.reference_ticks)
    a.send("c", "D", [(11, "Y1"), (55, "MSFT"), (54, "1"), (60, ts()), (38, 100), (40, "2"), (44, px), (59, "0")])
    v = a.out("v", "D")[0].get(11)
    a.report(v, "A1", "0", "0")
    a.report(v, "F1", "F", "1", last=40, cum=40, px=px)
    a.trail.close()
    old_ns = _time.time_ns() - 10 * 86_400 * 10**9
    old = f"audit-{_time.strftime('%Y%m%d', _time.gmtime(old_ns // 10**9))}.jsonl"
    [day] = (tmp_path / "audit").glob("audit-*.jsonl")
    day.rename(day.with_name(old))

    b = _Run(tmp_path / "audit")
    rec = b.gw.recover_from_trail(tmp_path / "audit", {"CLIENT1": b.client})
    assert rec.orders == 0 and rec.records == 0 and rec.days_not_read == [old]
    assert b.gw.working() == [] and b.gw.risk.model.pos[sym.index] == 0
    assert b.gw.risk.model.open_buy[sym.index] == 0
    b.trail.close()
    c = _Run(tmp_path / "audit")
    rec = recover(c.gw, tmp_path / "audit", {"CLIENT1": c.client}, wall_ns=old_ns)
    assert rec.orders == 1 and rec.days_not_read == []
    assert [s.cum_qty for s in c.gw.working()] == [40] and c.gw.risk.model.pos[sym.index] == 40
    c.trail.close()
