"""The client NewOrderSingle fast path (gateway/native/path.c, gateway/order_fast.py) against the
Python path it stands in for.

Sans-IO: one ``OrderGateway`` with the ``native`` risk core, a client session and a venue
session; the same script runs twice, with the fast path on and off (``gw.fast_path``), and every
byte written to the client and to the venue, every audit record (but the hop stamps, which are
clock readings), every order's state, the counts and the stores' sequence numbers must be equal.
Client messages arrive several to a read, so a read the fast path takes part of hands the rest
to the Python path. Every reason the fast path has to leave a frame to Python is exercised."""
import random

import pytest

from wirespeed.clock import fix_timestamp as real_timestamp
from wirespeed.config import load_config
from wirespeed.gateway import native, order_fast, orders as orders_mod
from wirespeed.gateway.controls import RateLimit
from wirespeed.gateway.fix import encoder as encoder_mod
from wirespeed.gateway.fix.dictionary import Dictionary
from wirespeed.gateway.fix.encoder import encode_message
from wirespeed.gateway.fix.parser import FixParser
from wirespeed.gateway.orders import OrderGateway
from wirespeed.gateway.risk import make_backend
from wirespeed.gateway.session import Session, SessionConfig
from wirespeed.gateway.session import session as session_mod
from wirespeed.gateway.store import FileStore
from wirespeed.ids import OrderIds, StringIds
from wirespeed.symbols import table_from_config

pytestmark = pytest.mark.skipif(native._path is None or native._risk is None, reason="gateway/native not built")

PINNED = "20261201-12:00:00.000"
RISK = {"default": {"max_qty": 500, "collar_ticks": 60, "long_limit": 2000, "short_limit": 2000},
        "credit_limit": 400_000_000, "session_rate": 5000.0, "session_burst": 50, "backend": "native"}


SENT = ""   # the client's SendingTime and TransactTime in both runs of a test: set per test (inside the window)


def _pinned(epoch_ns=None):
    return PINNED if epoch_ns is None else real_timestamp(epoch_ns)


@pytest.fixture(autouse=True)
def pinned_time(monkeypatch):
    global SENT
    SENT = real_timestamp()     # (now, not at import: the suite may run long after collection)
    for mod in (session_mod, orders_mod, encoder_mod):
        monkeypatch.setattr(mod, "fix_timestamp", _pinned)


class Audit:
    """A trail that keeps its records (the hop stamps taken out: clock readings)."""

    def __init__(self):
        self.records = []

    def record(self, kind, fields):
        self.records.append((kind, {k: v for k, v in fields.items() if k != "hops"}))

    def flush(self):
        pass

    def settle(self):
        pass

    def backlogged(self):
        return False

    def refuse(self):
        pass


def _msgs(raw: bytes):
    p = FixParser(1 << 20)
    p.feed(raw)
    out = []
    while (m := p.poll()) is not None:
        out.append(m)
    return out


class Rig:
    def __init__(self, fast: bool, tmp_path=None, client_rate=None, max_msgs=100_000, second_venue=False):
        cfg = load_config(overrides={"risk": RISK})
        self.symbols = table_from_config(cfg.symbols)
        self.now = [1_000]
        self.audit = Audit()
        gw = self.gw = OrderGateway(self.symbols, make_backend(cfg.risk, self.symbols, sessions=1,
                                                               clock=lambda: self.now[0]), audit=self.audit)
        gw.fast_path = fast
        gw._ids, gw._exec_ids = OrderIds(epoch_ns=10**12), StringIds("W", epoch_ns=10**12)
        store = (lambda name: FileStore(tmp_path, name)) if tmp_path else (lambda name: None)
        self.client = Session(SessionConfig("GW", "CLIENT1", role="acceptor", max_messages_per_second=max_msgs),
                              gw.client_app, store=store("client"))
        # its own dictionary: the shapes it learns are this run's (the shared one keeps 8 per type)
        self.client.dictionary = Dictionary("FIX.4.4")
        self.cout, self.vouts, self.venues = [], {}, {}
        for name in ("VENUE1", "VENUE2") if second_venue else ("VENUE1",):
            venue = Session(SessionConfig("GW", name, role="initiator"), gw.venue_app, store=store(name))
            out = self.vouts[name] = []
            venue.connection_made(out.append, lambda: None)
            venue.data_received(encode_message("FIX.4.4", "A", name, "GW", 1, [(98, 0), (108, 30)], real_timestamp()))
            gw.add_venue(name, venue)
            self.venues[name] = venue
        if client_rate:
            gw.set_client_throttle("CLIENT1", client_rate)
        self.client.connection_made(self.cout.append, lambda: None)
        self.seq = {"CLIENT1": self.client.store.next_target_seq}
        self.seq.update({n: v.store.next_target_seq for n, v in self.venues.items()})
        self.client.data_received(self.frame("A", [(98, 0), (108, 30)]))
        self.seen = {n: 0 for n in self.venues}

    def frame(self, msg_type, fields, sender="CLIENT1", seq=None, sending_time=None, header=()):
        if seq is None:
            seq = self.seq[sender]
            self.seq[sender] += 1
        return encode_message("FIX.4.4", msg_type, sender, "GW", seq, fields, sending_time or SENT, header)

    def read(self, *frames):
        """The frames as one read of the client connection."""
        self.client.data_received(b"".join(frames))

    def venue_got(self, name="VENUE1"):
        out = self.vouts[name]
        new = _msgs(b"".join(out[self.seen[name]:]))
        self.seen[name] = len(out)
        return new

    def venue_says(self, name, msg_type, fields):
        self.venues[name].data_received(self.frame(msg_type, fields, sender=name))

    def result(self):
        gw = self.gw
        states = sorted((oid, s.order, s.client_id, s.venue, s.status, s.qty, s.cum_qty, s.reserved, s.venue_cl,
                         s.requests, s.acked) for oid, s in gw.orders.items())
        return {"client": b"".join(self.cout), "venues": {n: b"".join(o) for n, o in self.vouts.items()},
                "audit": self.audit.records, "orders": states, "live": dict(gw._live), "counts": dict(gw.counts),
                "rejects": dict(gw.rejects_by_reason),
                "seqs": (self.client.store.next_target_seq, self.client.store.next_sender_seq,
                         {n: (v.store.next_target_seq, v.store.next_sender_seq) for n, v in self.venues.items()}),
                "hops": sorted(h[4:] for h in gw.buffered_hops()[1]), "session": (self.client.messages_in, self.client.state)}


def order(k, sym="AAPL", qty="100", price="190.25", side="1", ord_type="2", tif="0", extra=()):
    fields = [(11, f"C{k}"), (55, sym), (54, side), (60, SENT), (38, qty), (40, ord_type)]
    if price is not None:
        fields.append((44, price))
    return fields + [(59, tif), *extra]


def _random_script(rig: Rig, seed: int):
    """500 steps of good and bad orders (in reads of 1-4 frames), venue acks and fills, cancels,
    status requests and replaces, heartbeats."""
    rng = random.Random(seed)
    names = [s.name for s in rig.symbols]
    live = {}
    for k in range(500):
        rig.now[0] += rng.choice([0, 50_000, 1_000_000])
        roll = rng.random()
        if roll < 0.55 or not live:
            frames = []
            for j in range(rng.choice([1, 1, 2, 3, 4])):
                name = rng.choice(names * 4 + ["NOPE"])
                sym = rig.symbols.by_name(name)
                ref = sym.tick.format(sym.reference_ticks) if sym else "10.00"
                off = sym.tick.format(sym.reference_ticks + rng.randint(-90, 90)) if sym else ref
                price = rng.choice([ref] * 6 + [off] * 3 + ["12.345", "abc"])
                qty = rng.choice(["100"] * 5 + [str(rng.randint(1, 700))] * 4 + ["0", "10.5"])
                fields = order(f"{k}.{j}", name, qty, price, rng.choice("111222235"), rng.choice("2222221"),
                               rng.choice(["0"] * 6 + ["1", "3", "9"]))
                if rng.random() < 0.05:
                    fields.pop(rng.randrange(len(fields)))
                if rng.random() < 0.05 and live:      # a live ClOrdID again
                    fields[0] = (11, rng.choice(sorted(v[0] for v in live.values())))
                frames.append(rig.frame("D", fields))
            if rng.random() < 0.1:
                frames.append(rig.frame("0", []))      # a heartbeat after the orders, in the same read
            rig.read(*frames)
            for m in rig.venue_got():
                if m.msg_type == "D":
                    live[m.get(11)] = [m.get(11) and None, int(m.get(38)), 0, m.get(55), m.get(54), False]
            # the client ClOrdIDs of what went out, for cancels (by the venue's id: the gateway's state)
            for vcl, o in live.items():
                if o[0] is None:
                    o[0] = next(s.order.cl_ord_id for s in rig.gw.orders.values() if s.venue_cl == vcl)
        elif roll < 0.85:
            vcl = rng.choice(sorted(live))
            o = live[vcl]
            sym = rig.symbols.by_name(o[3])
            px = sym.tick.format(sym.reference_ticks)
            if not o[5]:
                o[5] = True
                exec_type, status, last = "0", "0", 0
            else:
                last = o[1] - o[2] if rng.random() < 0.4 else max((o[1] - o[2]) // 3, 1)
                o[2] += last
                exec_type, status = "F", "2" if o[2] == o[1] else "1"
            rig.venue_says("VENUE1", "8", [(37, f"V{vcl}"), (11, vcl), (17, f"E{k}"), (150, exec_type), (39, status),
                                           (55, o[3]), (54, o[4]), (38, o[1]), (32, last), (31, px),
                                           (151, o[1] - o[2]), (14, o[2]), (6, px)])
            if o[2] == o[1]:
                del live[vcl]
        elif roll < 0.95:
            vcl = rng.choice(sorted(live))
            o = live.pop(vcl)
            # a cancel and a new order in one read: the fast path leaves the cancel, Python takes both
            rig.read(rig.frame("F", [(41, o[0]), (11, f"X{k}"), (55, o[3]), (54, o[4]), (60, SENT),
                                     (38, o[1])]), rig.frame("D", order(f"{k}.F")))
            for m in rig.venue_got():
                if m.msg_type == "D":
                    live[m.get(11)] = [f"C{k}.F", int(m.get(38)), 0, m.get(55), m.get(54), False]
                elif m.msg_type == "F":          # the venue confirms: what is left is canceled
                    rig.venue_says("VENUE1", "8", [(37, f"V{vcl}"), (11, m.get(11)), (41, vcl), (17, f"X{k}"),
                                                   (150, "4"), (39, "4"), (55, o[3]), (54, o[4]), (38, o[1]),
                                                   (32, 0), (31, 0), (151, 0), (14, o[2]), (6, 0)])
        else:
            o = live[rng.choice(sorted(live))]
            rig.read(rig.frame("D", order(f"{k}.H")), rig.frame("H", [(11, o[0]), (55, o[3]), (54, o[4])]))
            for m in rig.venue_got():
                if m.msg_type == "D":
                    live[m.get(11)] = [f"C{k}.H", int(m.get(38)), 0, m.get(55), m.get(54), False]


def _both(script, **kw):
    out = []
    for fast in (True, False):
        rig = Rig(fast, **kw(fast) if callable(kw) else kw)
        script(rig)
        out.append((rig.result(), rig))
    (fast_result, fast_rig), (py_result, _) = out
    for key in fast_result:
        assert fast_result[key] == py_result[key], key
    return fast_rig, fast_result


def test_a_random_stream_gives_the_same_bytes_trail_and_state_through_both_paths():
    rig, result = _both(lambda r: _random_script(r, 7))
    fp = rig.client.fast
    assert isinstance(fp, order_fast.ClientFastPath)
    counts = result["counts"]
    # the comparison is worth something: the fast path took most orders, Python the rest
    assert fp.orders > 150 and counts["accepted"] > 120 and counts["rejected"] > 60, (fp.orders, counts)
    assert counts["fills"] > 50 and counts["canceled"] > 10 and counts["illegal"] == 0, counts
    assert {"decode", "unknown_symbol", "risk_reject", "duplicate", "cancel_replace", "status", "admin",
            "market"} <= set(rig.gw.fast_fallbacks), rig.gw.fast_fallbacks
    texts = {m.get(58) for m in _msgs(result["client"]) if m.get(58)}
    assert any(t.startswith("risk: ") for t in texts) and any("duplicate ClOrdID" in t for t in texts), texts


def _fallback_script(rig: Rig):
    """One frame per fallback reason that leaves the session up, each with an order behind it
    in the same read (which Python then takes, as the rest of the read)."""
    gw = rig.gw
    good = iter(range(1000))

    def then():   # an order the fast path would take, behind the frame under test (buy, sell, ...)
        k = next(good)
        return rig.frame("D", order(f"G{k}", side="12"[k % 2]))

    # first_order: a shape the dictionary knows (from another session) but no session index yet
    parser = FixParser(1 << 20)
    parser.feed(rig.frame("D", order("teach"), seq=1))
    assert rig.client.parser._dictionary.validate(parser.poll()) is None
    rig.read(rig.frame("D", order("first")))
    rig.read(rig.frame("D", order("shape", extra=[(1, "ACCT")])), then())    # unlearned_shape
    rig.read(rig.frame("D", order("shape2", extra=[(1, "ACCT")])))           # ... now learned: fast
    rig.read(rig.frame("0", []), then())                                      # admin
    rig.read(rig.frame("B", [(148, "news")]), then())                         # other_type (BusinessMessageReject)
    rig.read(rig.frame("H", [(11, "first"), (55, "AAPL"), (54, "1")]), then())   # status
    rig.read(rig.frame("F", [(41, "first"), (11, "X1"), (55, "AAPL"), (54, "1"), (60, SENT),
                             (38, 100)]), then())                              # cancel_replace
    bad = bytearray(rig.frame("D", order("badsum"), seq=rig.seq["CLIENT1"]))   # (dropped: its number unused)
    bad[-3] = ord("0") + (bad[-3] - ord("0") + 1) % 10                         # frame: a wrong CheckSum
    rig.read(bytes(bad), then())
    ahead = then()
    whole = rig.frame("D", order("cut"))
    rig.read(ahead, whole[:40])                                                # partial: the rest comes next
    rig.read(whole[40:])
    for k in range(2):                                                        # strategy (learned the first time)
        rig.read(rig.frame("D", order(f"algo{k}", extra=[(847, "1")])), then())
    for k in range(2):                                                        # poss_dup: a resend of an old number
        old = rig.seq["CLIENT1"] - 3
        rig.read(rig.frame("D", order(f"G{k}"), seq=old, header=[(43, "Y"), (122, SENT)]), then())
    rig.read(rig.frame("D", order("nosym", sym="NOPE")), then())              # unknown_symbol
    rig.read(rig.frame("D", order("badqty", qty="10.5")), then())             # decode
    for k in range(2):                                                        # market (learned the first time)
        rig.read(rig.frame("D", order(f"mkt{k}", ord_type="1", price=None)), then())
    rig.read(rig.frame("D", order("lon", extra=[(100, "XLON")])), then())     # venue: unknown
    gw.venues["VENUE2"].state = "reconciling"
    rig.read(rig.frame("D", order("rec", extra=[(100, "VENUE2")])), then())   # venue: reconciling
    gw.venues["VENUE2"].state = "up"
    gw.venues["VENUE2"].credit_limit = 10**12
    rig.read(rig.frame("D", order("vcred", extra=[(100, "VENUE2")])), then())  # venue: a credit limit
    gw.venues["VENUE2"].credit_limit = 0
    rig.read(rig.frame("D", order("v2", extra=[(100, "VENUE2")])), then())    # routed to VENUE2: fast
    rig.read(rig.frame("D", order("G1")), then())                             # duplicate (G1 is live)
    rig.read(rig.frame("D", order("big", qty="501")), then())                 # risk_reject (max_qty 500)
    gw.client_credit["CLIENT1"] = 10**12
    rig.read(rig.frame("D", order("ccred")), then())                          # client_credit
    del gw.client_credit["CLIENT1"]
    gw.set_client_throttle("CLIENT1", RateLimit(1000.0, 5))
    rig.read(rig.frame("D", order("thr")), then())                            # client_throttle
    del gw.client_throttles["CLIENT1"]
    gap = rig.seq["CLIENT1"] + 1
    rig.read(rig.frame("D", order("gap"), seq=gap))                           # seq: too high, queued
    rig.read(rig.frame("D", order("fill")))                                   # fills it (queue: Python path)
    rig.seq["CLIENT1"] = gap + 1
    rig.read(then(), then())                                                  # back on the fast path


REASONS_KEPT_UP = {"first_order", "unlearned_shape", "admin", "other_type", "status", "cancel_replace", "frame",
                   "partial", "strategy", "poss_dup", "unknown_symbol", "decode", "market", "venue", "duplicate",
                   "risk_reject", "client_credit", "client_throttle", "seq"}


def test_every_fallback_reason_leaves_the_frame_to_python_with_the_same_result():
    rig, result = _both(_fallback_script, second_venue=True)
    assert set(rig.gw.fast_fallbacks) >= REASONS_KEPT_UP, REASONS_KEPT_UP - set(rig.gw.fast_fallbacks)
    assert rig.client.fast.orders >= 5
    assert b"\x0111=C.v2" not in result["venues"]["VENUE1"] and b"\x0155=AAPL" in result["venues"]["VENUE2"]
    assert rig.client.active and not rig.client._queue


def pin_bucket_clock(session, at: float = 100.0) -> None:
    """The session's token bucket on a clock that stands still: it refills by the session's clock,
    so on a loaded machine a slow read would refill a token in one run and not in the other."""
    session.clock = lambda: at
    session._tokens, session._tokens_at = session._rate, at


def session_ending_reads(rig, reason: str) -> None:
    """Two orders, then a read whose second message ends the session for ``reason`` (comp_id,
    sending_time, or rate: the fourth of a burst one too many at 3/s)."""
    if reason == "rate":
        pin_bucket_clock(rig.client)
    rig.read(rig.frame("D", order("a")), rig.frame("D", order("b")))
    if reason == "comp_id":
        rig.read(rig.frame("D", order("c")), rig.frame("D", order("d"), sender="SOMEONE", seq=rig.seq["CLIENT1"]))
    elif reason == "sending_time":
        rig.read(rig.frame("D", order("c")), rig.frame("D", order("d"), sending_time="20200101-00:00:00.000"))
    else:
        rig.read(*(rig.frame("D", order(f"r{k}")) for k in range(3)))


@pytest.mark.parametrize("reason", ["comp_id", "sending_time", "rate"])
def test_fallbacks_that_end_the_session_end_it_the_same_way(reason):
    rig, result = _both(lambda rig: session_ending_reads(rig, reason), max_msgs=3 if reason == "rate" else 100_000)
    assert rig.gw.fast_fallbacks[reason] == 1, rig.gw.fast_fallbacks
    assert not rig.client.active                # logged out, as the Python path does


def test_sequence_numbers_persist_across_a_restart(tmp_path):
    rig = Rig(True, tmp_path=tmp_path)
    rig.read(rig.frame("D", order("P0")))                   # (the Python path: the shape is learned)
    rig.read(*(rig.frame("D", order(f"P{k}")) for k in range(1, 6)))
    assert rig.client.fast.orders == 5 and len([m for m in rig.venue_got() if m.msg_type == "D"]) == 6
    client_next, venue_next = rig.client.store.next_target_seq, rig.venues["VENUE1"].store.next_sender_seq
    for s in (rig.client, *rig.venues.values()):
        s.store.close()
    reopened = FileStore(tmp_path, "client"), FileStore(tmp_path, "VENUE1")
    assert reopened[0].next_target_seq == client_next == 8           # Logon, 6 orders
    assert reopened[1].next_sender_seq == venue_next
    sent = dict(reopened[1].get_sent(1, venue_next))
    assert [raw.count(b"\x0135=D\x01") for s, raw in sorted(sent.items())][-6:] == [1] * 6   # every order stored
    for store in reopened:
        store.close()


def count_c_booked(monkeypatch, fast_path_class) -> list:
    """Each ``fast_path_class`` (the client's or the venue's fast path) made from now on has its C
    call wrapped: ``total[0]`` sums what those calls booked themselves (``core.booked``)."""
    total = [0]
    init = fast_path_class.__init__

    def counting_init(self, gw, owner):
        init(self, gw, owner)
        run = self._run

        def counted(*args):
            result = run(*args)
            total[0] += self.core.booked
            return result
        self._run = counted
    monkeypatch.setattr(fast_path_class, "__init__", counting_init)
    return total


def failing_write_read(rig):
    """A read of four orders whose venue write fails on the last one (``OSError`` raised out of
    the read, as the link's write raises it); the three written before are put back on the venue's
    output, and the venue writes normally again after."""
    writes = []

    def write(raw):
        if len(writes) == 3:
            raise OSError("link failed")
        writes.append(raw)
    rig.venues["VENUE1"]._write = write
    with pytest.raises(OSError, match="link failed"):
        rig.read(*(rig.frame("D", order(f"E{k}")) for k in range(4)))
    rig.venues["VENUE1"]._write = rig.vouts["VENUE1"].append
    rig.vouts["VENUE1"].extend(writes)


def test_an_error_after_orders_went_out_books_what_the_python_path_books_then_raises():
    def script(rig):
        rig.read(rig.frame("D", order("warm")))
        failing_write_read(rig)     # the venue link fails on the last order of the read
    rig, result = _both(script)
    assert rig.client.fast.orders == 4          # E0-E2 sent, E3 taken (its id, risk) when the write failed
    booked = {s.order.cl_ord_id: s.sent_ns for s in rig.gw.orders.values()}
    assert set(booked) == {"Cwarm", "CE0", "CE1", "CE2", "CE3"} and booked["CE3"] == 0   # booked, never sent
    assert result["counts"]["accepted"] == 4 and result["counts"]["received"] == 5
    assert result["seqs"][0] == 7               # Logon, warm, E0-E3: E3's number consumed as _to_app does


def test_the_c_shape_programs_match_what_the_shapes_regular_expressions_match():
    """The C path matches a learned shape with a program read off its pattern (order_fast.py
    shape_program): on 6,000 frames with values mutated at random it matches exactly where the
    shape's regular expression matches, to the same end."""
    rig = Rig(True)
    extras = [[], [(1, "ACCT")], [(100, "VENUE1")], [(21, "1"), (1, "A")], [(847, "1")]]
    for k, extra in enumerate(extras):          # teach the dictionary a few shapes
        rig.read(rig.frame("D", order(f"S{k}", extra=extra)))
    shapes = rig.client.parser._dictionary.shapes["D"]
    assert len(shapes) == len(extras)
    core = rig.client.fast.core
    assert all(core.match(s, b"", 0) is not None for s in shapes)     # each has a program
    rng = random.Random(3)
    alphabet = "0123456789.-+:= AZaz\x02\xff"
    pieces = ["", "0", "-", ".", "1.", ".5", "-.5", "1.2.3", "9" * 18, "9" * 19, "1." + "0" * 18, "1." + "0" * 19,
              "20261201-12:00:00", "20261201-12:00:00.", "20261201-12:00:00.123456789", "20261201-12:00:00.1234567890",
              "2026120-12:00:00", "20261201 12:00:00", "1", "2", "Z", "12", "FIX.4.4", "FIX.4.2", "D", "=", "a=b"]
    matched = 0
    for trial in range(6000):
        shape = rng.choice(shapes)
        base = rig.frame("D", order(f"F{trial}", extra=extras[shapes.index(shape)]), seq=5)
        fields = base.split(b"\x01")[:-1]
        for _ in range(rng.choice([1, 1, 2])):
            i = rng.randrange(len(fields))
            tag, _, _ = fields[i].partition(b"=")
            value = rng.choice(pieces) if rng.random() < 0.6 else "".join(
                rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
            fields[i] = tag + b"=" + value.encode("latin-1")
        if rng.random() < 0.05:
            fields.insert(rng.randrange(1, len(fields)), b"58=x")
        data = b"\x01".join(fields) + b"\x01"
        if rng.random() < 0.05:
            data = data[:rng.randrange(len(data))]
        m = shape.match(data.decode("latin-1"), 0)
        assert core.match(shape, data, 0) == (m.end() if m else -1), (data, m)
        matched += m is not None
    assert 600 < matched < 5400, matched    # both outcomes are well represented


def test_a_shape_refuses_a_timestamp_ending_in_a_dot_as_the_full_check_does():
    """A learned shape's UTCTimestamp pattern inside the frame is as strict as the validator's
    full match (CPython 3.11's possessive ``?+`` on the fraction's group had it take "00.")."""
    rig = Rig(False)
    rig.read(rig.frame("D", order("learn")))
    shape = rig.client.parser._dictionary.shapes["D"][0]
    good = rig.frame("D", order("t1"), seq=9)
    bad = good.replace(b"\x0160=" + SENT.encode(), b"\x0160=" + SENT[:17].encode() + b".")
    assert bad != good
    assert shape.match(good.decode("latin-1")) is not None and shape.match(bad.decode("latin-1")) is None


def test_one_predicate_decides_both_sides():
    from wirespeed.gateway.report_fast import venue_fast_path_for
    rig = Rig(True)
    link = rig.gw.venues["VENUE1"]
    assert order_fast.fast_path_ready(rig.gw, rig.client) and order_fast.fast_path_ready(rig.gw, link.session, True)
    rig.gw.report_fast_path = False      # the report side alone
    assert venue_fast_path_for(rig.gw, link) is None and order_fast.fast_path_for(rig.gw, rig.client) is not None
    rig.gw.report_fast_path, rig.gw.fast_path = True, False      # both
    assert venue_fast_path_for(rig.gw, link) is None and order_fast.fast_path_for(rig.gw, rig.client) is None
    rig.gw.fast_path = True
    model = Rig(True)
    model.gw.risk = make_backend(load_config(overrides={"risk": {**RISK, "backend": "model"}}).risk, model.symbols)
    assert not order_fast.fast_path_ready(model.gw, model.client)
    assert not order_fast.fast_path_ready(model.gw, model.venues["VENUE1"], True)
    rig.client.parser._dictionary = None      # no learned shapes
    assert order_fast.fast_path_for(rig.gw, rig.client) is None


def test_the_frame_check_is_frame_ok_s_own_c_and_any_other_check_is_called():
    rig = Rig(True)
    assert rig.client.fast.core.native_frame == 1
    assert rig.venues["VENUE1"].fast.core.native_frame == 1
    calls = []

    def check(*args):
        calls.append(args[1:])
        return native.native_fix().frame_ok(*args)
    fp = rig.client.fast
    rig.read(rig.frame("D", order("X0")))         # (the first order: Python's, it teaches the shape)
    core = native.native_path().FastPath(**{**_core_args(fp), "frame_ok": check})
    assert core.native_frame == 0
    fp._run = core.run
    rig.read(rig.frame("D", order("X1")), rig.frame("D", order("X2")))
    assert len(calls) == 2 and fp.orders == 2 and [m.msg_type for m in rig.venue_got()] == ["A", "D", "D", "D"]


def _core_args(fp):
    """The keyword arguments ClientFastPath gave its core (read back off a fresh one)."""
    import inspect
    src = inspect.getsource(order_fast.ClientFastPath.__init__)
    assert "frame_ok=native_fix().frame_ok" in src
    gw, s = fp.gw, fp.session
    from wirespeed.gateway.fix import orders as fix_orders
    from wirespeed.gateway.session.session import _ACTIVE
    cfg = s.config
    return dict(shapes=s.parser._dictionary.shapes, program_of=order_fast.shape_program, frame_ok=None,
                decode=fix_orders._NATIVE, make_order=fix_orders._ORDER, values=fix_orders._VALUES,
                risk_order=gw.risk.model.order, risk_clock=gw.risk.clock, timestamp=orders_mod.fix_timestamp,
                symbols={x.name: (x.index, x.tick.units, x.tick.decimals, x.name) for x in gw.symbols},
                live=gw._live, session_index=gw._session_index, client_throttles=gw.client_throttles,
                client_credit=gw.client_credit, routes=gw.routes, venues=gw.venues, slots=fp.slots,
                ids_next=gw._ids.__next__, client_id=cfg.target_comp_id, their_id=cfg.target_comp_id.encode(),
                our_id=cfg.sender_comp_id.encode(), set_next_target=s.store.set_next_target, active=_ACTIVE,
                limit=fix_orders.OrdType.LIMIT, tolerance=int(cfg.sending_time_tolerance_s),
                check_latency=bool(cfg.check_latency), max_bytes=cfg.max_message_bytes)
