"""SendingTime accuracy against the gateway's own receive backlog (docs/gateway/session.md).

A SendingTime late only because the message waited in the connection's receive queue (the
transport's ``read_since_ns``: the queue not seen empty since) is accepted back to the time the
queue was last empty minus the tolerance; a skewed or stale peer (late while the queue is quiet),
a SendingTime in the future, and everything with SendingTimeBacklogCredit=N are refused with
Reject 373=10 then Logout, as before."""
import asyncio
import socket
import threading
import time

import pytest

from wirespeed.clock import fix_timestamp
from wirespeed.gateway.cfg import parse_cfg
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.fix.encoder import encode_message
from wirespeed.gateway.fix.parser import FixParser
from wirespeed.gateway.session import SessionConfig
from wirespeed.gateway.transport.fair import BACKLOG_QUIET_NS, BACKLOG_READ, FairReads

from .conftest import CfgEngine, acceptor_cfg, run_async
from .sessionkit import NOS, Peer, types

S = 1_000_000_000


class Receiver:
    read_since_ns = 0


def _peer(since_s_ago: float | None, **config) -> Peer:
    """A logged-on peer whose transport says its bytes were sent after ``since_s_ago`` seconds
    ago (None: the read's own time, a quiet queue)."""
    peer = Peer(sending_time_tolerance_s=2, **config)
    peer.logon()
    receiver = peer.session.receiver = Receiver()
    receiver.read_since_ns = time.perf_counter_ns() - int((since_s_ago or 0) * S)
    return peer


def _stamp(offset_s: float) -> str:
    return fix_timestamp(time.time_ns() + int(offset_s * S))


def _refused(out) -> None:
    assert types(out) == ["3", "5"], out
    assert out[0][T.SessionRejectReason] == "10" and out[0][T.RefTagID] == "52"
    assert out[1][T.Text] == "SendingTime accuracy problem"


@pytest.mark.parametrize("msg_type, fields", [("D", NOS), ("1", [(T.TestReqID, "t")])])
def test_a_stale_peer_with_a_quiet_queue_is_refused(msg_type, fields):
    peer = _peer(None)
    _refused(peer.send(msg_type, fields, sending_time=_stamp(-10)))
    assert peer.app.messages == [] and peer.closed and peer.session.backlog_credits == 0


@pytest.mark.parametrize("msg_type, fields, answer", [("D", NOS, []), ("1", [(T.TestReqID, "t")], ["0"])])
def test_late_by_our_own_backlog_is_accepted(msg_type, fields, answer):
    peer = _peer(20)     # the queue not seen empty for 20 s; the message sent 10 s ago (tolerance 2 s)
    out = peer.send(msg_type, fields, sending_time=_stamp(-10))
    assert types(out) == answer and not peer.closed
    assert len(peer.app.messages) == (msg_type == "D") and peer.session.backlog_credits == 1
    peer.send("D", NOS, sending_time=_stamp(-10))    # the next one too, in sequence
    assert peer.session.backlog_credits == 2 and not peer.closed


def test_skewed_beyond_the_backlog_is_refused():
    peer = _peer(5)      # backlog of 5 s, but the peer's clock is 30 s behind
    _refused(peer.send("D", NOS, sending_time=_stamp(-30)))
    assert peer.app.messages == []


def test_future_sending_time_in_a_backlog_is_refused():
    peer = _peer(20)
    _refused(peer.send("D", NOS, sending_time=_stamp(10)))


@pytest.mark.parametrize("config", [{"backlog_credit": False}, {"check_latency": True, "backlog_credit": False}])
def test_without_the_credit_a_backlog_is_refused_as_quickfix(config):
    peer = _peer(20, **config)
    _refused(peer.send("D", NOS, sending_time=_stamp(-10)))


def test_check_latency_off_still_accepts_everything():
    peer = _peer(None, check_latency=False)
    assert types(peer.send("1", [(T.TestReqID, "t")], sending_time=_stamp(-1000))) == ["0"]


def test_the_key_is_validated_and_named():
    with pytest.raises(ValueError, match="backlog_credit: must be true or false"):
        SessionConfig("GW", "C", backlog_credit="yes")
    assert parse_cfg(acceptor_cfg(SendingTimeBacklogCredit="N"))[0].session_config().backlog_credit is False
    assert parse_cfg(acceptor_cfg())[0].session_config().backlog_credit is True
    with pytest.raises(ValueError, match="SendingTimeBacklogCredit"):
        parse_cfg(acceptor_cfg(SendingTimeBacklogCredit="maybe"))


class _Reads(FairReads):
    transport = None

    def __init__(self):
        self.seen = []
        self._empty_ns = time.perf_counter_ns()

    def _handle(self, data, recv_ns):
        self.seen.append((recv_ns, self.read_since_ns))


def test_read_since_tracks_the_queue():
    r = _Reads()
    r.data_received(b"x" * 100)                  # a short read on a quiet queue: its own time
    quiet_ns, since = r.seen[-1]
    assert since == quiet_ns
    r.data_received(b"x" * BACKLOG_READ)          # a backlog read: since the queue was last quiet
    assert r.seen[-1][1] == quiet_ns
    r.data_received(b"x" * 100)                  # its tail (within BACKLOG_QUIET_NS): the same
    assert r.seen[-1][1] == quiet_ns
    r._tail_ns -= BACKLOG_QUIET_NS               # ... and once the backlog is over: its own time again
    r.data_received(b"x" * 100)
    assert r.seen[-1][1] == r.seen[-1][0] > quiet_ns
    # A backlog of 100 s (quiet 100 s before a backlog read): its tail, still coming in short
    # reads from the sender's buffer, keeps the credit for as long as the backlog lasted.
    r._empty_ns -= 100 * S
    r.data_received(b"x" * BACKLOG_READ)
    long_ns, empty_ns = r.seen[-1]
    assert r._tail_ns == long_ns + (long_ns - empty_ns) and long_ns - empty_ns > 100 * S
    r._tail_ns -= 99 * S                          # 99 s later (a second before the end): the tail
    r.data_received(b"x" * 100)
    assert r.seen[-1][1] == empty_ns
    r._tail_ns -= 2 * S                           # ... and not longer
    r.data_received(b"x" * 100)
    assert r.seen[-1][1] == r.seen[-1][0]


def _client(port: int, go: threading.Event, result: dict, n: int, chunk: int) -> None:
    """A blocking FIX client in a thread: Logon, then ``n`` orders in writes of ``chunk``, each
    write stamped when it is made, while the gateway's loop is held; then every answer read."""
    seq = iter(range(1, 1 << 30))

    def build(mt, fields, stamp=None):
        return encode_message("FIX.4.4", mt, "CLIENT1", "GW", next(seq), fields, stamp or fix_timestamp())
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(15)
    parser, answers = FixParser(1 << 20), []

    def read_until(done):
        while not done():
            data = sock.recv(1 << 16)
            if not data:
                return
            parser.feed(data)
            while (m := parser.poll()) is not None:
                answers.append(m)
    try:
        sock.sendall(build("A", [(98, 0), (108, 30), (141, "Y")]))
        read_until(lambda: answers)
        answers.clear()
        go.wait(10)
        for i in range(0, n, chunk):
            stamp = fix_timestamp()
            sock.sendall(b"".join(build("D", [(11, f"O{j}")] + NOS[1:], stamp) for j in range(i, min(n, i + chunk))))
        read_until(lambda: len(answers) >= n or any(m.msg_type == "5" for m in answers))
    except OSError as exc:
        result["error"] = repr(exc)
    finally:
        result["answers"] = answers
        sock.close()


async def _held_gateway(credit: str, n: int = 800, hold_s: float = 2.2) -> tuple[list, int]:
    """The gateway's loop held ``hold_s`` (its own backlog) while a client sends, MaxLatency=1:
    the answers and the session's backlog credits."""
    async with CfgEngine(acceptor_cfg(MaxLatency=1, SendingTimeBacklogCredit=credit)) as eng:
        go, result = threading.Event(), {}
        th = threading.Thread(target=_client, args=(eng.port, go, result, n, 100), daemon=True)
        th.start()
        session = next(iter(eng.engine.acceptors.values())).sessions["CLIENT1"]
        while not session.active:
            await asyncio.sleep(0.01)
        go.set()
        time.sleep(hold_s)          # the loop does nothing: the orders wait in the kernel queues
        while th.is_alive():
            await asyncio.sleep(0.02)
        assert "error" not in result, result
        return result["answers"], session.backlog_credits


@run_async
async def test_orders_backlogged_past_the_window_are_each_answered_once():
    answers, credits = await _held_gateway("Y")
    assert credits > 0        # (late: the window was passed, and the backlog accounted for it)
    assert [m.msg_type for m in answers] == ["D"] * 800
    assert [m[T.ClOrdID] for m in answers] == [f"O{j}" for j in range(800)]


@run_async
async def test_the_same_backlog_without_the_credit_logs_out():
    answers, credits = await _held_gateway("N")
    assert credits == 0
    kinds = [m.msg_type for m in answers]
    assert "5" in kinds and "3" in kinds and len(answers) < 800
    assert next(m for m in answers if m.msg_type == "3")[T.SessionRejectReason] == "10"


@pytest.mark.parametrize("since_s, credited", [(None, False), (300, True)])
def test_the_native_client_path_leaves_a_late_order_to_the_backlog_check(monkeypatch, since_s, credited):
    from wirespeed.gateway import native
    if native._path is None or native._risk is None:
        pytest.skip("gateway/native not built")
    from . import test_fast_path as tfp
    monkeypatch.setattr(tfp, "SENT", fix_timestamp())
    rig = tfp.Rig(fast=True)
    assert rig.client.fast is not None
    rig.client.receiver = receiver = Receiver()
    receiver.read_since_ns = time.perf_counter_ns() - int((since_s or 0) * S)
    rig.read(rig.frame("D", tfp.order("a")))            # (the shape learned, as in test_fast_path)
    rig.read(rig.frame("D", tfp.order("b")), rig.frame("D", tfp.order("late"), sending_time=_stamp(-200)))
    assert rig.gw.fast_fallbacks["sending_time"] == 1, rig.gw.fast_fallbacks     # path.c checks the window, hands it over
    assert rig.client.active is credited and rig.client.backlog_credits == int(credited)
    orders_out = [m for m in rig.venue_got() if m.msg_type == "D"]
    assert len(orders_out) == 2 + credited and len(rig.gw.orders) == 2 + credited   # sent on, or not
