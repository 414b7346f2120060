"""The venue's OUCH 5.0 / SoupBinTCP front end against an implementation wirespeed did not write:
``ouch-connect`` (PyPI; Python bindings over the Rust crate ouch_connect_nonblocking), whose
client logs in, reads the venue's sequenced messages and sends its own Enter, Replace and Cancel
Order bytes.

What it shares with the spec and with wirespeed: SoupBinTCP framing (Login Request / Accepted /
Rejected, Sequenced Data and its replay from a requested sequence number, heartbeats both ways),
the Executed and Rejected messages (venue -> client), Replace Order and Cancel Order (client ->
venue). Where ouch-connect 5.0.1 differs from OUCH 5.0: it reads and writes Symbol as 9 bytes
(its Enter Order is 48 bytes; the spec's Symbol is Alpha 8, Enter Order 47 bytes, Accepted 64,
as wirespeed.gateway.ouch and hw/encode produce), and its Canceled carries an OrigUserRefNum the
spec's does not (22 bytes against 18). So it cannot read an Accepted, Replaced or Canceled, and
its Enter Order is refused by the venue as malformed (checked: a Rejected, and the session goes
on); the answers to its Replace and Cancel Orders are read back by wirespeed's client here, and
every message against wirespeed's own reading of the spec in test_venue_ouch.py.
"""
import asyncio
import socket
import threading
import time

import pytest

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway.ouch import OuchSymbol, enter_order, soup_unsequenced
from wirespeed.order import Order
from wirespeed.prices import TickSize
from wirespeed.sim.ouch import messages as om
from wirespeed.sim.ouch.soup import FrameReader, login_request, packet
from wirespeed.sim.venue import SimVenue, VenueSpec, VenueSymbol
from wirespeed.sim.venue import ouch as venue_ouch
from wirespeed.sim.venue.config import FeedSpec, LatencyModel
from wirespeed.sim.venue.latency import VenueLatency

ouch_connect = pytest.importorskip("ouch_connect")
callbacks = pytest.importorskip("links_connect.callbacks")

SPEC = VenueSpec("BETA", ouch_users={"TRADER": "SECRET"}, feed=FeedSpec(enabled=False),
                 symbols=(VenueSymbol("AAPL", "0.01", "100.00", levels=2, level_qty=100),))
AAPL = OuchSymbol.of("AAPL", TickSize.parse("0.01"))


def _order(ref, side, qty, price_ticks, symbol=AAPL):
    return soup_unsequenced(enter_order(Order(ref, "", 1, 1, side, OrdType.LIMIT, TimeInForce.DAY, qty, price_ticks),
                                        symbol))


def _wait_all(store, name, filter, n, timeout=5.0):
    """The first ``n`` messages matching ``filter`` (its ``find_all`` returns as soon as there is one)."""
    deadline = time.monotonic() + timeout
    while len(found := store.find_all_recv(name, filter, find_timeout=0)) < n:
        assert time.monotonic() < deadline, f"{name}: {len(found)} of {n} messages matching {filter}"
        time.sleep(0.005)
    return found[-n:]


class _Ours:
    """wirespeed's side of a session: a blocking socket, SoupBinTCP framing from sim/ouch."""

    def __init__(self, port, sequence):
        # (one connection a user: until the venue has seen the previous one go, a Login is
        # Rejected; on a loaded machine that can take longer than a fixed pause)
        deadline = time.monotonic() + 5.0
        while True:
            self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            self.frames, self.pending = FrameReader(), []
            self.sock.sendall(login_request("TRADER", "SECRET", "", sequence))
            if self.next(b"AJ")[0] == b"A":
                return
            self.sock.close()
            assert time.monotonic() < deadline, "the venue refused the login for 5 s"
            time.sleep(0.02)

    def next(self, kinds=b"S"):
        while True:
            while self.pending:
                kind, payload = self.pending.pop(0)
                if kind in kinds:
                    return kind, payload
            data = self.sock.recv(4096)
            assert data, "the venue closed the session"
            self.pending += self.frames.feed(data)

    def close(self):
        self.sock.sendall(packet(b"O"))
        self.sock.close()


def test_ouch_connect_client_against_the_venue(monkeypatch):
    monkeypatch.setattr(venue_ouch, "HEARTBEAT_S", 0.1)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    venue = SimVenue(SPEC)
    asyncio.run_coroutine_threadsafe(venue.start(), loop).result(10)
    addr = f"127.0.0.1:{venue.ouch_port}"
    slow = VenueLatency(LatencyModel(fixed_us=300_000))
    try:
        # wirespeed's client: two resting buys, one through both maker levels, one unknown symbol.
        ours = _Ours(venue.ouch_port, 0)          # (UserRefNums strictly increasing, as OUCH asks)
        for data, answers in ((_order(1, Side.BUY, 50, 9900), 1), (_order(2, Side.BUY, 30, 9800), 1),
                              (_order(3, Side.BUY, 150, 10100), 3),
                              (_order(6, Side.BUY, 10, 9900, OuchSymbol("MSFT", 100)), 1)):
            ours.sock.sendall(data)
            kinds = [ours.next()[1][:1] for _ in range(answers)]
        assert kinds == [b"J"]
        ours.close()
        time.sleep(0.05)                  # (the venue sees the logout before the next login)

        store = callbacks.MemoryStoreCallback(default_find_timeout=5)
        with ouch_connect.CltManual(addr, store, name="bad") as bad:
            bad.send({"LoginRequest": {"username": "TRADER", "password": "WRONG", "session_id": "",
                                       "sequence_number": "1"}})
            rejected = store.find_recv("bad", {"LoginRejected": {}})
        with ouch_connect.CltManual(addr, store, name="clt") as clt:
            # From sequence 4: the two Executed and the Rejected (the Accepted before them carry a
            # Symbol, which this implementation reads as 9 bytes).
            clt.send({"LoginRequest": {"username": "TRADER", "password": "SECRET", "session_id": "",
                                       "sequence_number": "4"}})
            accepted = store.find_recv("clt", {"LoginAccepted": {}})
            replay = _wait_all(store, "clt", {"SPayload": {}}, 3)
            heartbeat = store.find_recv("clt", {"HBeat": {}})
            clt.send({"HBeat": {}})
            # Its Enter Order (48 bytes, Symbol 9): refused with a Rejected, the session goes on;
            # then its Replace Order (no Symbol in it: the 50 of order 1 become 5 at 99.01) and
            # Cancel Order bytes (all of the replacement, all of order 2). It cannot read the
            # Replaced and Canceled they are answered with (see the module text): wirespeed's
            # client reads them back below.
            clt.send({"UPayload": {"EnterOrder": {
                "user_ref_number": 7, "side": "BUY", "quantity": 5, "symbol": "AAPL", "price": 99.0,
                "time_in_force": "MARKET_HOURS", "display": "VISIBLE", "capacity": "AGENCY",
                "int_mkt_sweep_eligibility": "ELIGIBLE", "cross_type": "CONTINUOUS_MARKET", "clt_order_id": "X7",
                "appendages": {}}}})
            refused = store.find_recv("clt", {"SPayload": {"OrderRejected": {"user_ref_number": 7}}})
            # It cannot read the Replaced: its session ends when that arrives, so the three sends
            # below must all be out before it; the venue holds its answers 0.3 s (on a loaded
            # machine an answer at once could beat the Cancel Orders and break their pipe).
            venue.ouch.latency = slow
            clt.send({"UPayload": {"ReplaceOrder": {
                "orig_user_ref_number": 1, "user_ref_number": 8, "quantity": 5, "price": 99.01,
                "time_in_force": "MARKET_HOURS", "display": "VISIBLE", "int_mkt_sweep_eligibility": "ELIGIBLE",
                "clt_order_id": "R8", "appendages": {}}}})
            clt.send({"UPayload": {"CancelOrder": {"user_ref_number": 8, "quantity": 0}}})
            clt.send({"UPayload": {"CancelOrder": {"user_ref_number": 2, "quantity": 0}}})
            time.sleep(0.6)
        # Sequence 8 on: after the 6 of wirespeed's client and the Rejected of ouch-connect's order.
        ours = _Ours(venue.ouch_port, 8)
        answers = [ours.next()[1] for _ in range(3)]
        ours.close()
    finally:
        asyncio.run_coroutine_threadsafe(venue.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        slow.close()
    assert rejected is not None and rejected.msg == {"LoginRejected": {"reason": "NOT_AUTHORIZED"}}
    assert accepted.msg == {"LoginAccepted": {"session_id": "BETA", "sequence_number": "4"}}
    msgs = [e.msg["SPayload"] for e in reversed(replay)]
    fills = [m["OrderExecuted"] for m in msgs[:2]]
    assert [(f["user_ref_number"], f["quantity"], f["price"], f["liquidity_flag"]) for f in fills] == \
        [(3, 100, 100.01, "REMOVED"), (3, 50, 100.02, "REMOVED")]
    assert fills[0]["match_number"] != fills[1]["match_number"]
    assert msgs[2]["OrderRejected"]["user_ref_number"] == 6 and msgs[2]["OrderRejected"]["reject_reason"] == 0x17
    assert heartbeat is not None
    assert refused is not None and refused.msg["SPayload"]["OrderRejected"]["reject_reason"] == om.OuchReject.OTHER
    replaced = om.REPLACED.unpack(answers[0])
    assert (replaced[0], replaced[2], replaced[3], replaced[5], replaced[7]) == (b"U", 1, 8, 5, 990100)
    assert [om.CANCELED.unpack(m)[2:] for m in answers[1:]] == [(8, 5, b"U"), (2, 30, b"U")]
