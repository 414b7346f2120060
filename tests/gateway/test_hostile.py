"""Hostile and broken peers (issue 18, section 4): nothing crashes, nothing wedges, everything is
bounded. Each test failed on the engine before these bounds."""
import asyncio
import os
import threading
import time

import pytest

from wirespeed.gateway.acceptor import FixAcceptor
from wirespeed.gateway.cfg import parse_cfg
from wirespeed.gateway.engine import Engine
from wirespeed.gateway.apps import EchoApp
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.fix.parser import FixParser
from wirespeed.gateway.session import Session, SessionConfig
from wirespeed.gateway.store import FileStore, MemoryStore, StoreError

from .conftest import CfgEngine, acceptor_cfg, run_async
from .rawfix import RawFix
from .sessionkit import NOS, Peer, Recorder, types

HUGE = "9" * 5000          # int() of it raises in Python 3.11; a store cannot record it


# -- numbers of any length ---------------------------------------------------------------
def test_huge_msgseqnum_gets_logout_not_a_traceback():
    for digits in ("1" + "0" * 19, HUGE):
        p = Peer()
        p.logon()
        out = p.send_edited("0", [], b"\x0134=0\x01", f"\x0134={digits}\x01".encode(), seq=0)
        assert types(out) == ["5"] and "MsgSeqNum(34)" in out[0][T.Text] and p.closed


def test_huge_heartbtint_in_logon_gets_logout():
    p = Peer()
    out = p.send("A", [(98, 0), (108, HUGE)])
    assert types(out) == ["5"] and p.closed


@pytest.mark.parametrize("fields,tag", [([(7, HUGE), (16, 0)], 7), ([(7, 1), (16, "1" * 25)], 16)])
def test_huge_resend_range_gets_reject(fields, tag):
    p = Peer()
    p.logon()
    out = p.send("2", fields)
    assert types(out) == ["3"] and out[0][T.RefTagID] == str(tag) and not p.closed


@pytest.mark.parametrize("tag", [38, 44])
def test_huge_order_qty_or_price_gets_reject(tag):
    p = Peer()
    p.logon()
    out = p.send("D", [(t, HUGE if t == tag else v) for t, v in NOS])
    assert types(out) == ["3"] and out[0][T.RefTagID] == str(tag) and out[0][T.SessionRejectReason] == "6"
    assert p.app.messages == []


def test_huge_numingroup_gets_reject():
    p = Peer()
    p.logon()
    out = p.send("D", NOS + [(453, HUGE), (448, "P"), (447, "D"), (452, "1")])
    assert types(out) == ["3"] and out[0][T.RefTagID] == "453"


def test_huge_numbers_are_refused_by_the_order_decoders_too():
    """UseDataDictionary=N: nothing has checked OrderQty, Price or LastQty before the gateway reads them."""
    from wirespeed.gateway.fix.orders import DecodeError, decode_exec_report, decode_new_order
    from wirespeed.prices import TickSize
    from wirespeed.symbols import Symbol, SymbolTable
    symbols = SymbolTable()
    symbols.add(Symbol(0, "AAPL", TickSize(1, 2)))
    for tag in (38, 44):
        parser = FixParser(1 << 16)
        parser.feed(Peer().build("D", [(t, HUGE if t == tag else v) for t, v in NOS]))
        with pytest.raises(DecodeError, match=f"{'OrderQty' if tag == 38 else 'out of range'}"):
            decode_new_order(parser.poll(), symbols, 1, 0)
    parser = FixParser(1 << 16)
    parser.feed(Peer().build("8", [(11, "00000001"), (17, "E1"), (150, "F"), (39, "2"), (32, HUGE), (31, "1")]))
    assert decode_exec_report(parser.poll())["last_qty"] == -1    # not a quantity: the order path drops the fill


def test_repeated_numingroup_is_validated_on_the_value_the_message_carries():
    p = Peer()
    p.logon()
    # The first 453 is not a number; a second, valid one must not hide it.
    out = p.send("D", NOS + [(453, "x"), (448, "P"), (447, "D"), (452, "1"), (453, "1")])
    assert types(out) == ["3"] and out[0][T.RefTagID] == "453" and not p.closed
    assert p.app.messages == []


def test_huge_tag_without_a_value_gets_reject_not_a_traceback():
    p = Peer()
    p.logon()
    out = p.send_edited("D", NOS, b"\x0111=A1\x01", f"\x01{HUGE}=\x0111=A1\x01".encode())
    assert types(out) == ["3"] and out[0][T.SessionRejectReason] == "4" and not p.closed
    assert out[0].get(T.RefTagID) is None


def test_heartbeats_with_made_up_test_req_ids_grow_nothing():
    p = Peer()
    p.logon()
    for i in range(500):
        p.send("0", [(112, f"made-up-{i}")])
    assert p.session.test_answers == {}
    p.session.send_test_request("ours")
    p.send("0", [(112, "ours")])
    assert list(p.session.test_answers) == ["ours"]


def test_echo_remembers_a_bounded_number_of_cl_ord_ids(monkeypatch):
    from wirespeed.gateway import apps
    monkeypatch.setattr(apps, "MAX_SEEN", 10)
    p = Peer(app=EchoApp())
    p.logon()
    for i in range(50):
        p.send("D", [(11, f"C{i}")] + NOS[1:])
    assert len(p.app._seen[p.session.name]) == 10
    assert p.send("D", [(11, "C49")] + NOS[1:], header_extra=[(97, "Y")]) == []   # the latest are kept


# -- the store -----------------------------------------------------------------------------
def test_sequence_number_the_store_cannot_record_is_refused_before_it(tmp_path):
    store = FileStore(tmp_path, "S", "none")
    p = Peer(store=store)
    p.logon()
    out = p.send("4", [(36, "1" * 25)])                    # SequenceReset-Reset far beyond any store
    assert types(out) == ["3"] and out[0][T.RefTagID] == "36"
    assert store.next_target_seq == 2                      # unchanged
    store.close()
    assert FileStore(tmp_path, "S", "none").next_target_seq == 2   # and it reopens


def test_the_largest_sequence_number_reaches_the_store_and_it_reopens(tmp_path):
    from wirespeed.gateway.session.session import MAX_SEQ
    store = FileStore(tmp_path, "S", "none")
    p = Peer(store=store)
    p.logon()
    assert p.send("4", [(36, MAX_SEQ)]) == [] and store.next_target_seq == MAX_SEQ
    out = p.send("1", [(112, "last")], seq=MAX_SEQ)          # the last number there is
    assert types(out) == ["0"] and store.next_target_seq == MAX_SEQ + 1
    store.close()
    assert FileStore(tmp_path, "S", "none").next_target_seq == MAX_SEQ + 1


def test_unreadable_store_file_names_the_file_and_other_sessions_run(tmp_path):
    bad = tmp_path / "FIX.4.4-GW-BAD"
    bad.mkdir()
    (bad / "messages").mkdir()                             # the log is not a file
    with pytest.raises(StoreError, match="messages"):
        FileStore(tmp_path, "FIX.4.4-GW-BAD")
    cfg = (f"[DEFAULT]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=GW\nSocketAcceptPort=0\n"
           f"FileStorePath={tmp_path}\n[SESSION]\nTargetCompID=BAD\n[SESSION]\nTargetCompID=GOOD\n")
    engine = Engine(parse_cfg(cfg), lambda _s: EchoApp())
    assert "messages" in engine.failed["FIX.4.4-GW-BAD"]
    assert "FIX.4.4-GW-GOOD" in engine.sessions and "FIX.4.4-GW-BAD" not in engine.sessions
    for s in engine.sessions.values():
        s.store.close()


def test_store_log_with_an_out_of_range_number_is_named(tmp_path):
    d = tmp_path / "S"
    d.mkdir()
    (d / "messages").write_bytes(b"1" * 30 + b" 0 3\nabc\n")
    with pytest.raises(StoreError, match=r"messages: record at byte 0: number out of range"):
        FileStore(tmp_path, "S")


# -- gaps ------------------------------------------------------------------------------------
def test_gap_fill_past_the_queued_messages_recovers_fully():
    p = Peer()
    p.logon()
    assert types(p.send("1", [(112, "a")], seq=3)) == ["2"]     # gap at 2; 3 queued
    p.send("1", [(112, "b")], seq=4)
    out = p.send("4", [(123, "Y"), (36, 10)], seq=2, header_extra=[(43, "Y")])   # fills past 3 and 4
    assert p.session.store.next_target_seq == 10 and not p.session._queue
    out = p.send("1", [(112, "c")], seq=12)                      # a later gap is requested again
    assert types(out) == ["2"] and out[0][T.BeginSeqNo] == "10"


@pytest.mark.parametrize("bound", [{"max_queued_messages": 5}, {"max_queued_bytes": 600}])
def test_out_of_order_queue_is_bounded(bound):
    p = Peer(**bound)
    p.logon()
    out = []
    for seq in range(3, 12):
        out += p.send("1", [(112, "x" * 40)], seq=seq)
        if p.closed:
            break
    assert types(out)[-1] == "5" and "out-of-order queue over its bound" in out[-1][T.Text]
    assert p.closed and not p.session._queue and p.session._queued_bytes == 0


# -- resend under backpressure -----------------------------------------------------------------
def _sent_many(n, **config):
    p = Peer(**config)
    p.logon()
    for i in range(n):
        p.session.send("D", NOS)
    p.received()
    return p


def test_resend_is_served_in_chunks_and_waits_while_the_transport_is_paused():
    p = _sent_many(1000)
    later = []
    p.session.call_soon = later.append                   # the event loop, by hand
    p.session.pause_writing()
    assert p.send("2", [(7, 1), (16, 0)]) == []          # nothing while paused
    p.session.resume_writing()
    first = p.received()
    assert 0 < len(first) <= 256 and len(later) == 1     # one chunk, the rest after other work
    while later:
        later.pop()()
    rest = p.received()
    resent = [m for m in first + rest if m.msg_type == "D"]
    assert len(resent) == 1000 and all(m[T.PossDupFlag] == "Y" for m in resent)


def test_a_peer_that_does_not_read_is_disconnected_before_our_buffer_grows_without_bound():
    from wirespeed.gateway.transport import FixProtocol
    from wirespeed.gateway.transport.tcp import WRITE_BUFFER_MAX

    class Transport(_FakeTransport):
        waiting = 0

        def get_write_buffer_size(self):
            return self.waiting
    p = Peer()
    p.logon()
    proto = FixProtocol(lambda _data: p.session)
    proto.transport = Transport("127.0.0.1")
    proto.session = p.session
    proto.pause_writing()                           # asyncio: the write buffer passed high water
    proto.transport.waiting = WRITE_BUFFER_MAX // 2
    proto.data_received(p.build("1", [(112, "a")]))   # still read and answered
    assert not proto.transport.closed and types(p.received()) == ["0"]
    proto.transport.waiting = WRITE_BUFFER_MAX + 1
    proto.data_received(p.build("1", [(112, "b")]))
    assert proto.transport.closed and p.received() == [] and p.session._write is None


def test_resend_is_bounded_per_second():
    p = _sent_many(600, max_resends_per_second=250)
    out = p.send("2", [(7, 2), (16, 0)])
    assert len([m for m in out if m.msg_type == "D"]) == 250
    p.session.on_timer()                                 # the next second's budget
    assert len([m for m in p.received() if m.msg_type == "D"]) == 250


# -- floods ------------------------------------------------------------------------------------------
class _CountingBuffer(bytearray):
    """The parser's buffer, counting the bytes its searches may examine."""
    scanned = 0

    def find(self, sub, start=0, end=None):
        found = super().find(sub, start, end)
        stop = (len(self) if end is None else min(end, len(self))) if found < 0 else found + len(sub)
        _CountingBuffer.scanned += max(stop - start, 0)
        return found


@pytest.mark.parametrize("unit", [b"8=FIX", b"8=FIX.4.4", b"8=FIX.4.4\x019=12345"])   # starts, never a header
def test_garbage_floods_are_discarded_in_linear_time(unit):
    total = 0
    for n in (2000, 8000):
        parser = FixParser(8192)
        parser._buf = _CountingBuffer()
        _CountingBuffer.scanned = 0
        data = unit * n
        for i in range(0, len(data), 65536):
            parser.feed(data[i:i + 65536])
            while parser.poll() is not None:
                pass
        assert _CountingBuffer.scanned <= 40 * len(data), (unit, n, _CountingBuffer.scanned / len(data))
        total += 1
    assert total == 2


# -- the acceptor -----------------------------------------------------------------------------------------
class _FakeTransport:
    def __init__(self, address):
        self.address, self.closed = address, False

    def get_extra_info(self, key):
        return (self.address, 40000) if key == "peername" else None

    def close(self):
        self.closed = True

    def write(self, data):
        pass


class _FakeProto:
    def __init__(self, address):
        self.transport, self.session = _FakeTransport(address), None


def _logon_bytes(sender, password=None):
    raw = RawFix(sender, "GW")
    return raw.build("A", [(98, 0), (108, 30)] + ([(554, password)] if password else []))


def test_failed_logons_lock_out_the_source_address_not_the_client_it_names():
    session = Session(SessionConfig("GW", "CLIENT1", password="secret"), Recorder())
    acc = FixAcceptor(sessions={"CLIENT1": session}, max_logons_per_minute=3)
    attacker, client = _FakeProto("10.0.0.66"), _FakeProto("10.0.0.7")
    for _ in range(3):
        acc._resolve(_logon_bytes("CLIENT1", "guess"), attacker)
    assert acc._resolve(_logon_bytes("CLIENT1", "secret"), attacker) is None   # this address is locked out
    assert acc._resolve(_logon_bytes("CLIENT1", "secret"), client) is session  # the client is not
    for _ in range(5):                                                          # and good logons never count
        assert acc._resolve(_logon_bytes("CLIENT1", "secret"), client) is session


def _template(tmp_path, **keys):
    return acceptor_cfg(TargetCompID="*", AcceptorTemplate="Y", FileStorePath=tmp_path, Password="secret",
                        LogonTimeout=1, **keys)


@run_async
async def test_dynamic_sessions_only_on_an_authenticated_logon_and_capped(tmp_path):
    async with CfgEngine(_template(tmp_path, MaxDynamicSessions=1)) as eng:
        nopass = await RawFix("NEWCO", "GW").connect(eng.port)
        await nopass.send("A", [(98, 0), (108, 30)])
        assert await nopass.closed()
        assert not any("NEWCO" in p for p in os.listdir(tmp_path))     # nothing created for it
        evil = await RawFix("..", "GW").connect(eng.port)              # a CompID unfit for a file name
        await evil.send("A", [(98, 0), (108, 30), (554, "secret")])
        assert await evil.closed()
        good = await RawFix("NEWCO", "GW").connect(eng.port)
        await good.send("A", [(98, 0), (108, 30), (554, "secret")])
        await good.expect("A")
        second = await RawFix("OTHERCO", "GW").connect(eng.port)       # over the cap of 1
        await second.send("A", [(98, 0), (108, 30), (554, "secret")])
        assert await second.closed()
        assert sorted(os.listdir(tmp_path)) == ["FIX.4.4-GW-NEWCO"]
        await good.send("5", [])
        await good.expect("5")
        assert await good.closed()
        acc = next(iter(eng.engine.acceptors.values()))
        await asyncio.sleep(0.05)
        acc._dynamic["NEWCO"] -= 7200                                   # idle for two hours
        acc._housekeeping()
        assert "NEWCO" not in acc.sessions and "FIX.4.4-GW-NEWCO" not in eng.engine.sessions


def test_a_retired_dynamic_session_closes_its_file_log(tmp_path):
    """FileLogPath on a template: each dynamic session's log files and handler go when it is retired
    (else every CompID that ever logged on would keep two descriptors and a handler)."""
    import logging
    eng = Engine(parse_cfg(_template(tmp_path, FileLogPath=tmp_path / "logs")), lambda _s: EchoApp())
    handlers = len(logging.getLogger("wirespeed.session").handlers)
    create = next(iter(eng.acceptors.values())).factory
    for comp in ("NEWCO", "OTHERCO"):
        session = create(comp)
        (message_log,) = eng.logs
        session.store.close()                      # (as the acceptor does when it retires one)
        eng._retired(session)
        assert eng.logs == [] and message_log._messages.closed
        assert len(logging.getLogger("wirespeed.session").handlers) == handlers


@run_async
async def test_connections_not_logged_on_are_capped_and_timed_out():
    async with CfgEngine(acceptor_cfg(LogonTimeout=1, MaxPendingLogons=2)) as eng:
        silent = [await RawFix("X", "GW").connect(eng.port) for _ in range(2)]
        third = await RawFix("X", "GW").connect(eng.port)
        assert await third.closed(1.0)                                  # over the cap: closed at once
        assert all([await s.closed(3.0) for s in silent])               # LogonTimeout=1: closed
        ok = await RawFix("CLIENT1", "GW").connect(eng.port)            # and a real client still logs on
        await ok.logon()
        await ok.close()


@run_async
async def test_logon_timeout_runs_in_wall_time_when_the_session_clock_stands_still():
    from wirespeed.clock import SimClock
    session = Session(SessionConfig("GW", "CLIENT1"), Recorder())
    ticks = []
    session.on_timer = lambda: ticks.append(1)
    acc = FixAcceptor(sessions={"CLIENT1": session}, logon_timeout_s=0.2, max_pending=1)
    acc.clock = SimClock()                          # never advanced: a second of it never passes
    acc.housekeeping_s = 0.05
    port = await acc.start()
    try:
        silent = await RawFix("X", "GW").connect(port)
        assert await silent.closed(2.0), "a connection that never logs on is closed in wall time"
        ok = await RawFix("CLIENT1", "GW").connect(port)     # max_pending=1: the slot was freed
        await ok.logon()
        await ok.close()
        assert ticks == []                          # heartbeats stay on the session clock
    finally:
        await acc.stop()


# -- durable storage off the event loop -------------------------------------------------------------
def test_batch_fsync_runs_in_the_store_writer_thread(tmp_path, monkeypatch):
    threads, real = [], os.fdatasync
    monkeypatch.setattr(os, "fdatasync", lambda fd: (threads.append(threading.current_thread()), real(fd)))
    store = FileStore(tmp_path, "S", "batch")
    store.save_sent(1, b"one")
    store.flush()                                          # returns at once: the thread syncs
    deadline = time.monotonic() + 2
    while not threads and time.monotonic() < deadline:
        time.sleep(0.001)
    assert threads and all(t is not threading.main_thread() for t in threads)
    store.close()


@run_async
async def test_always_holds_the_reply_until_its_fsync_without_blocking_other_sessions(tmp_path):
    events = []
    real = os.fdatasync

    def slow_fdatasync(fd):
        time.sleep(0.05)
        real(fd)
        events.append("synced")
    os.fdatasync, restore = slow_fdatasync, os.fdatasync
    try:
        durable = Peer(store=FileStore(tmp_path, "S", "always"))
        durable.session.connection_made(lambda raw: (events.append("durable wrote"), durable.parser.feed(raw)),
                                        durable._close)
        other = Peer()
        durable.session.store.deferred_sync = False            # its Logon goes out at once, for the setup
        durable.logon()
        durable.session.store.deferred_sync = True
        other.logon()
        events.clear()
        assert durable.send("1", [(112, "a")]) == []           # the Heartbeat waits for its fsync ...
        assert types(other.send("1", [(112, "b")])) == ["0"]   # ... while another session answers at once
        for _ in range(1000):                                  # (up to 5 s on a loaded disk)
            await asyncio.sleep(0.005)
            if "durable wrote" in events:
                break
        assert events.index("synced") < events.index("durable wrote")
        assert types(durable.received()) == ["0"]
        durable.session.store.close()
    finally:
        os.fdatasync = restore
