"""What each QuickFIX key does to a session built from a .cfg (sans-IO sessions, driven byte by byte)."""
import datetime as dt
import socket

import pytest

from wirespeed.clock import fix_timestamp
from wirespeed.gateway.apps import EchoApp
from wirespeed.gateway.cfg import parse_cfg
from wirespeed.gateway.engine import Engine, make_store
from wirespeed.gateway.fix.encoder import encode_message, frame
from wirespeed.gateway.fix.parser import FixParser
from wirespeed.gateway.session import Session
from wirespeed.gateway.store import StoreError

from .conftest import run_async

ACC = ("[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=GW\nTargetCompID=CLIENT1\n"
       "SocketAcceptPort=0\n")
NOS = [(11, "A1"), (55, "AAPL"), (54, "1"), (60, "20261122-10:00:00"), (38, 10), (40, "2"), (44, "1.5")]


class Wire:
    """A session from .cfg text, its writes collected and parsed."""

    def __init__(self, extra: str = "", store=None):
        (self.settings,) = parse_cfg(ACC + extra)
        self.store = store or make_store(self.settings)
        self.session = Session(self.settings.session_config(), EchoApp(), self.store)
        self.out, self.closed = [], []
        self.connect()

    def connect(self):
        self.session.connection_made(self.out.append, lambda: self.closed.append(True))

    def send(self, msg_type, seq, fields=(), sender="CLIENT1", header_extra=(), sending_time=None, raw=None):
        self.session.data_received(raw or encode_message("FIX.4.4", msg_type, sender, "GW", seq, fields,
                                                         sending_time or fix_timestamp(), header_extra))
        return self.replies()

    def logon(self, seq=1, reset=False):
        return self.send("A", seq, [(98, 0), (108, 30)] + ([(141, "Y")] if reset else []))

    def replies(self):
        p = FixParser(1 << 16)
        for raw in self.out:
            p.feed(raw)
        self.out.clear()
        msgs = []
        while (m := p.poll()) is not None:
            msgs.append(m)
        return msgs


def types(msgs):
    return [m.msg_type for m in msgs]


def test_reset_on_logon_resets_an_acceptor_at_every_logon_whatever_the_logon_carries():
    for reset_on_logon, expected in (("Y", ["A"]), ("N", ["5"])):
        w = Wire(f"ResetOnLogon={reset_on_logon}\n")
        assert types(w.logon(1)) == ["A"]
        assert types(w.send("D", 2, NOS)) == ["D"]
        w.session.connection_lost()
        w.connect()
        answer = w.logon(1)   # no ResetSeqNumFlag: only ResetOnLogon=Y makes 1 right
        assert types(answer) == expected, reset_on_logon
        if reset_on_logon == "Y":
            assert answer[0].seq_num == 1 and w.store.next_target_seq == 2


def test_reset_on_logout_and_on_disconnect():
    w = Wire("ResetOnLogout=Y\n")
    w.logon()
    w.send("D", 2, NOS)
    assert types(w.send("5", 3)) == ["5"] and w.closed
    assert (w.store.next_sender_seq, w.store.next_target_seq) == (1, 1)
    w = Wire("ResetOnLogout=Y\n")
    w.logon()
    w.send("D", 2, NOS)
    w.session.connection_lost()                      # no Logout exchange: numbers kept
    assert (w.store.next_sender_seq, w.store.next_target_seq) == (3, 3)
    w = Wire("ResetOnDisconnect=Y\n")
    w.logon()
    w.send("D", 2, NOS)
    w.session.connection_lost()
    assert (w.store.next_sender_seq, w.store.next_target_seq) == (1, 1)
    w = Wire("")
    w.logon()
    w.send("D", 2, NOS)
    w.send("5", 3)
    assert (w.store.next_sender_seq, w.store.next_target_seq) == (4, 4)   # QuickFIX's default: kept


def test_refresh_on_logon_takes_over_the_store_another_process_wrote(tmp_path):
    extra = f"FileStorePath={tmp_path}\nRefreshOnLogon=Y\n"
    standby = Wire(extra)   # opened first: it read the store while it was empty
    standby.session.connection_lost()
    with pytest.raises(StoreError, match="another process .* holds this store"):
        Wire(extra)         # the store's lock: no second writer while the standby has it open
    standby.store.close()   # so a standby stands by with its store closed (the lock released)
    primary = Wire(extra)
    primary.logon()
    primary.send("D", 2, NOS)
    primary.send("D", 3, [(11, "A2")] + NOS[1:])
    primary.session.connection_lost()
    sent = primary.store.get_sent(1, 4)
    primary.store.close()                          # the primary is gone
    standby.connect()
    assert types(standby.logon(4)) == ["A"]        # RefreshOnLogon opened the store again, read afresh
    assert standby.store.next_sender_seq == 5 and standby.store.next_target_seq == 5
    assert standby.store.get_sent(1, 3) == sent and len(sent) == 3   # the primary's messages, resendable
    standby.store.close()


def test_persist_messages_n_answers_resend_requests_with_gap_fills():
    for persist, expected in (("Y", ["D"]), ("N", ["4"])):
        w = Wire(f"PersistMessages={persist}\n")
        w.logon()
        w.send("D", 2, NOS)                            # echoed as our seq 2
        answer = w.send("2", 3, [(7, 2), (16, 2)])
        assert types(answer) == expected, persist
        assert answer[0].get(43) == "Y"


def test_check_comp_id():
    w = Wire()
    w.logon()
    assert types(w.send("D", 2, NOS, sender="INTRUDER")) == ["3", "5"]
    w = Wire("CheckCompID=N\n")
    w.logon()
    assert types(w.send("D", 2, NOS, sender="INTRUDER")) == ["D"]


def test_check_latency_and_max_latency():
    old = fix_timestamp(int((dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=30)).timestamp() * 1e9))
    for extra, expected in (("", ["D"]), ("MaxLatency=5\n", ["3", "5"]), ("MaxLatency=5\nCheckLatency=N\n", ["D"])):
        w = Wire(extra)
        w.logon()
        w.send("D", 2, NOS)                            # the shape is learned: the fast path is checked too
        answer = w.send("D", 3, NOS, sending_time=old)
        assert types(answer) == expected, extra
        if expected[0] == "3":
            assert answer[0].get(373) == "10" and answer[0].get(371) == "52"


def _out_of_order_order(seq):
    raw = encode_message("FIX.4.4", "D", "CLIENT1", "GW", seq, NOS + [(50, "DESK")], fix_timestamp())
    return raw   # SenderSubID(50), a header field, after the body


def _with_empty(seq: int, tag: int) -> bytes:
    """A NewOrderSingle carrying ``tag=`` (the encoder refuses to write one: framed by hand)."""
    raw = encode_message("FIX.4.4", "D", "CLIENT1", "GW", seq, NOS + [(tag, "x")], fix_timestamp())
    return frame(b"FIX.4.4", raw[raw.index(b"35="):raw.rindex(b"10=")].replace(b"\x01%d=x\x01" % tag, b"\x01%d=\x01" % tag))


def test_validate_fields_out_of_order_and_have_values():
    w = Wire()
    w.logon()
    rej = w.send("", 0, raw=_out_of_order_order(2))
    assert types(rej) == ["3"] and rej[0].get(373) == "14" and rej[0].get(371) == "50"
    w = Wire("ValidateFieldsOutOfOrder=N\n")
    w.logon()
    assert types(w.send("", 0, raw=_out_of_order_order(2))) == ["D"]
    empty = _with_empty(2, 58)
    w = Wire()
    w.logon()
    rej = w.send("", 0, raw=empty)
    assert types(rej) == ["3"] and rej[0].get(373) == "4" and rej[0].get(371) == "58"
    w = Wire("ValidateFieldsHaveValues=N\n")
    w.logon()
    echo = w.send("", 0, raw=empty)
    assert types(echo) == ["D"] and echo[0].get(58) is None and b"\x0158=\x01" not in echo[0].raw   # (left out)
    bad_int = _with_empty(3, 110)
    rej = w.send("", 0, raw=bad_int)   # still typed: an empty Qty is not a number
    assert types(rej) == ["3"] and rej[0].get(373) == "6" and rej[0].get(371) == "110"


def test_user_defined_fields_and_use_data_dictionary():
    w = Wire()                                         # QuickFIX's default: ValidateUserDefinedFields=Y
    w.logon()
    rej = w.send("D", 2, NOS + [(9001, "x")])
    assert types(rej) == ["3"] and rej[0].get(373) == "0" and rej[0].get(371) == "9001"
    w = Wire("ValidateUserDefinedFields=N\n")
    w.logon()
    assert types(w.send("D", 2, NOS + [(9001, "x")])) == ["D"]
    w = Wire("UseDataDictionary=N\n")
    w.logon()
    assert w.session.dictionary is None
    assert types(w.send("D", 2, NOS + [(112, "not for D")])) == ["D"]   # session-level checks only


def test_file_log_path_logs_every_message_in_and_out(tmp_path):
    text = ACC + f"FileLogPath={tmp_path}\n"
    eng = Engine(parse_cfg(text), lambda _s: EchoApp())
    session = eng.sessions["FIX.4.4-GW-CLIENT1"]
    out = []
    session.connection_made(out.append, lambda: None)
    session.data_received(encode_message("FIX.4.4", "A", "CLIENT1", "GW", 1, [(98, 0), (108, 30)], fix_timestamp()))
    session.data_received(encode_message("FIX.4.4", "D", "CLIENT1", "GW", 2, NOS, fix_timestamp()))
    session.on_timer()
    lines = (tmp_path / "FIX.4.4-GW-CLIENT1.messages.current.log").read_text(encoding="latin-1").splitlines()
    kinds = [(line.split("\x0149=")[1][:2], line.split("\x0135=")[1][0]) for line in lines]
    assert kinds == [("CL", "A"), ("GW", "A"), ("CL", "D"), ("GW", "D")] and len(out) == 2
    session._disconnect("test over")
    for log in eng.logs:
        log.close()
    assert "disconnecting: test over" in (tmp_path / "FIX.4.4-GW-CLIENT1.event.current.log").read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]   # closed again: nothing listens there


@run_async
async def test_an_initiator_fails_over_to_the_next_address():
    acceptor = Engine(parse_cfg(ACC + "ResetOnLogon=Y\n"), lambda _s: EchoApp())   # each Logon may start at 1
    await acceptor.start()
    port = next(iter(acceptor.acceptors.values())).port
    ini_text = ("[SESSION]\nConnectionType=initiator\nBeginString=FIX.4.4\nSenderCompID=CLIENT1\nTargetCompID=GW\n"
                f"SocketConnectHost=127.0.0.1\nSocketConnectPort={_free_port()}\n"
                f"SocketConnectHost1=127.0.0.1\nSocketConnectPort1={port}\nReconnectInterval=0.05\n")
    try:
        initiator = Engine(parse_cfg(ini_text), lambda _s: EchoApp())
        await initiator.start()
        try:
            (ini,) = initiator.initiators
            assert await ini.wait_logged_on(3.0) and ini.port == port
        finally:
            await initiator.stop()
        from wirespeed.gateway.cli import _probe   # `wirespeed fix-initiator` fails over the same way
        ok, text = await _probe(parse_cfg(ini_text)[0], 0, "AAPL", "1.00", 3.0)
        assert ok and "logon ok" in text, text
        assert acceptor.sessions["FIX.4.4-GW-CLIENT1"].store.next_target_seq == 6   # Logon 1, TestRequests 2-4, Logout 5
    finally:
        await acceptor.stop()


def test_a_new_session_period_starts_from_sequence_number_one():
    # A 24-hour session (StartTime == EndTime) never closes, but each day from StartTime is a new
    # period: QuickFIX resets a store created before the current period began.
    for extra, expected in (("StartTime=00:00:00\nEndTime=00:00:00\n", ["A"]), ("", ["5"])):
        w = Wire(extra)
        w.store.set_next_target(7)
        w.store.save_sent(6, b"8=FIX.4.4\x01")
        w.store.creation_time -= 2 * 86400                 # the store is from two days ago
        assert types(w.logon(1)) == expected, extra         # no ResetSeqNumFlag
    w = Wire("StartTime=00:00:00\nEndTime=00:00:00\n")
    w.logon(1)
    w.store.creation_time -= 2 * 86400                     # the period ends while logged on
    w.session.on_timer()
    assert types(w.replies()) == ["5"] and w.closed and w.store.next_target_seq == 1


def test_period_start_of_daily_and_weekly_schedules():
    from wirespeed.gateway.session.schedule import Schedule
    utc = dt.timezone.utc
    night = Schedule(dt.time(22), dt.time(6))
    assert night.period_start(dt.datetime(2026, 1, 7, 3, 0, tzinfo=utc)) == dt.datetime(2026, 1, 6, 22, tzinfo=utc)
    assert night.period_start(dt.datetime(2026, 1, 7, 23, 0, tzinfo=utc)) == dt.datetime(2026, 1, 7, 22, tzinfo=utc)
    week = Schedule(dt.time(17), dt.time(17), 6, 4, "America/New_York")   # Sunday 17:00 .. Friday 17:00
    start = week.period_start(dt.datetime(2026, 1, 8, 12, 0, tzinfo=utc))   # a Thursday
    assert start.weekday() == 6 and (start.day, start.hour) == (4, 17) and start.utcoffset() == dt.timedelta(hours=-5)


def test_reconnect_interval_is_quickfixs_fixed_interval_unless_a_maximum_is_set():
    ini = ("[SESSION]\nConnectionType=initiator\nBeginString=FIX.4.4\nSenderCompID=CLIENT1\nTargetCompID=GW\n"
           "SocketConnectPort=1\n")
    (fixed,) = Engine(parse_cfg(ini), lambda _s: EchoApp()).initiators
    assert fixed.backoff_initial == fixed.backoff_max == 30.0          # QuickFIX: every 30 s, no doubling
    (backoff,) = Engine(parse_cfg(ini + "ReconnectInterval=1\nReconnectIntervalMax=60\n"), lambda _s: EchoApp()).initiators
    assert (backoff.backoff_initial, backoff.backoff_max) == (1.0, 60.0)


def test_persist_messages_n_keeps_no_messages_in_memory():
    w = Wire("PersistMessages=N\n")
    w.logon()
    for seq in range(2, 12):
        w.send("D", seq, [(11, f"A{seq}")] + NOS[1:])
    assert w.store.next_sender_seq == 12 and not w.store._sent   # numbers kept, messages not


def test_a_store_that_cannot_be_refreshed_at_logon_refuses_the_logon_not_the_process(tmp_path, caplog):
    extra = f"FileStorePath={tmp_path}\nRefreshOnLogon=Y\n"
    w = Wire(extra)
    w.session.connection_lost()
    w.store.close()
    holder = Wire(extra)            # another engine has the store now (its lock)
    w.connect()
    answer = w.logon()              # RefreshOnLogon cannot take the store: refused, nothing raised
    assert answer == [] and w.closed and w.session.last_error == "session store unavailable"
    assert w.session.logon_failure == "store"
    assert "another process" in caplog.text and "Logon refused" in caplog.text
    holder.store.close()
