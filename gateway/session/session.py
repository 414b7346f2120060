"""A FIX 4.2/4.4 session, sans-IO.

The transport hands it bytes (``data_received``) and a clock tick (``on_timer``);
it hands the transport bytes to write and a request to close, through the two
callables given to ``connection_made``. Application messages go to the injected
``Application``; the application sends with ``send``.

Behaviour follows the FIX session protocol: first message must be Logon; MsgSeqNum
too high -> ResendRequest and queue; too low without PossDupFlag -> Logout;
PossDup duplicates ignored; ResendRequest answered from the store with admin
messages replaced by SequenceReset-GapFill; Heartbeat/TestRequest on timeouts;
session-level Reject (RefSeqNum, RefTagID, RefMsgType, SessionRejectReason) for
malformed messages; Logout handshake with timeout.
"""
from __future__ import annotations

import hmac
import logging
import time
from enum import Enum
from datetime import datetime, timezone
from typing import Callable, Protocol

from wirespeed.clock import fix_timestamp, parse_fix_timestamp

from ..fix import tags as T
from ..fix.encoder import Encoder, Template
from ..fix.message import FixMessage
from ..fix.parser import FixParser
from ..fix.dictionary import relax_parse_error
from ..fix.tags import ADMIN_TYPES, VALID_MSG_TYPES, MsgTypes as M, SessionRejectReasons as SRR
from ..store import MemoryStore
from .config import SessionConfig

log = logging.getLogger("wirespeed.session")

HEADER_REQUIRED = ("49", "56", "34", "52")


class SessionState(Enum):
    DISCONNECTED = "disconnected"
    AWAITING_LOGON = "awaiting_logon"    # connected, no Logon exchanged yet
    ACTIVE = "active"
    LOGOUT_SENT = "logout_sent"
    CLOSED = "closed"


_ACTIVE = SessionState.ACTIVE   # for the per-message checks: a module global is read faster than an Enum member


class Application(Protocol):
    def on_logon(self, session: "Session") -> None: ...
    def on_logout(self, session: "Session") -> None: ...
    def on_message(self, session: "Session", msg: FixMessage) -> None: ...


class Session:
    def __init__(self, config: SessionConfig, app: Application, store: MemoryStore | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.config = config
        self.name = f"{config.sender_comp_id}->{config.target_comp_id}"
        self.app = app
        self.store = store or MemoryStore()
        self.clock = clock
        self.encoder = Encoder(config.begin_string, config.sender_comp_id, config.target_comp_id)
        self.dictionary = config.load_dictionary()   # None with UseDataDictionary=N
        self.parser = FixParser(config.max_message_bytes, (config.begin_string,), self.dictionary)
        self.state = SessionState.DISCONNECTED
        self.heartbeat_s = config.heartbeat_s
        self._write: Callable[[bytes], None] | None = None
        self._close: Callable[[], None] | None = None
        self._queue: dict[int, FixMessage] = {}
        self._resend_target = 0          # BeginSeqNo of the outstanding ResendRequest (0: none)
        self._last_sent = self._last_recv = 0.0
        self._test_req_sent_at = 0.0
        self._logout_sent_at = 0.0
        self.messages_in = self.messages_out = self.rejects_sent = 0
        self._in_reply_to = 0   # inbound MsgSeqNum being processed (recorded with what we send)
        self.test_answers: dict[str, int] = {}   # TestReqID -> recv_ns of the Heartbeat answering it
        self._rate = float(config.max_messages_per_second)
        self._tokens = self._rate
        self._tokens_at = clock()
        self._their_id, self._our_id = config.target_comp_id, config.sender_comp_id
        self._window_sec, self._window = -1, ("", "")   # SendingTime accuracy window, per second
        self.last_error = ""
        self._logged_out = False   # the connection ended with a Logout exchange (ResetOnLogout)
        self._schedule = config.schedule if config.start_time is not None else None

    # -- transport side -------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.state is SessionState.ACTIVE

    def connection_made(self, write: Callable[[bytes], None], close: Callable[[], None]) -> None:
        self._write, self._close = write, close
        self._logged_out = False
        self.state = SessionState.AWAITING_LOGON
        self._last_sent = self._last_recv = self.clock()
        self.parser = FixParser(self.config.max_message_bytes, (self.config.begin_string,), self.dictionary)
        self._queue.clear()
        self._resend_target = 0
        self._tokens, self._tokens_at = self._rate, self._last_recv
        if self.config.role == "initiator":
            if self.config.refresh_on_logon:
                self.store.refresh()
            self._new_period_reset()
            if self.config.resets_on_logon:
                self.store.reset()
            fields = [(T.EncryptMethod, 0), (T.HeartBtInt, self.heartbeat_s)]
            if self.config.resets_on_logon:
                fields.append((T.ResetSeqNumFlag, "Y"))
            if self.config.password is not None:
                fields.append((T.Password, self.config.password))
            self._send_raw(M.LOGON, fields)

    def connection_lost(self) -> None:
        if self.config.reset_on_disconnect or (self._logged_out and self.config.reset_on_logout):
            self.store.reset()   # QuickFIX's ResetOnDisconnect / ResetOnLogout
        self._logged_out = False
        was_active = self.state in (SessionState.ACTIVE, SessionState.LOGOUT_SENT)
        self.state = SessionState.DISCONNECTED
        self._write = self._close = None
        if was_active:
            self.app.on_logout(self)

    def data_received(self, data: bytes, recv_ns: int = 0) -> None:
        parser = self.parser
        parser.feed(data)
        while self._write is not None:
            garbled = parser.garbled
            msg = parser.poll(recv_ns)
            if parser.garbled != garbled:
                log.warning("%s: dropped garbled message: %s", self.name, parser.last_garbled)
            if msg is None:
                return
            self._on_message(msg)

    def on_timer(self) -> None:
        """Call about once a second: heartbeats, test requests, timeouts."""
        self.store.flush()  # "batch" fsync policy: at most a timer tick of sends at risk
        if self._write is None:
            return
        now = self.clock()
        if self._schedule is not None and self.state is not SessionState.DISCONNECTED and self._period_over():
            self._send_logout("new session period")
            self._disconnect("new session period: sequence numbers reset")
            self.store.reset()
            return
        if self.state is SessionState.ACTIVE and not self.config.in_schedule():
            self._send_logout("end of the session schedule")
            return
        if self.state is SessionState.LOGOUT_SENT:
            if now - self._logout_sent_at > self.config.logout_timeout_s:
                self._disconnect("logout not answered in time")
            return
        if self.state is not SessionState.ACTIVE:
            if now - self._last_recv > max(self.heartbeat_s, 10):
                self._disconnect("no Logon received in time")
            return
        if now - self._last_sent >= self.heartbeat_s:
            self._send_raw(M.HEARTBEAT, [])
        silent = now - self._last_recv
        if self._test_req_sent_at:
            if now - self._test_req_sent_at > self.heartbeat_s:
                self._disconnect("no answer to TestRequest")
        elif silent > self.heartbeat_s * 1.2:
            self._test_req_sent_at = now
            self.send_test_request(f"TEST-{int(now)}")

    # -- application side -----------------------------------------------------
    def send(self, msg_type: str, fields: list) -> int:
        """Send an application message; returns its MsgSeqNum.

        While disconnected the message is numbered and stored but not written: after the
        next Logon (which carries a higher MsgSeqNum) the counterparty asks for it with a
        ResendRequest and gets it with PossDupFlag=Y. Raises while a connection is up but
        not logged on, where no application message may be sent.
        """
        if self.state is SessionState.DISCONNECTED:
            return self._send_raw(msg_type, fields)   # stored, delivered by resend after Logon
        if self.state is not SessionState.ACTIVE:
            raise RuntimeError(f"{self.name}: cannot send {msg_type}: session is {self.state.value}")
        return self._send_raw(msg_type, fields)

    def template(self, msg_type: str, tags: tuple) -> Template:
        """A pre-rendered message for ``send_template``: get it once, send it many times."""
        return self.encoder.template(msg_type, tags)

    def send_template(self, template: Template, values) -> int:
        """Send a hot message through a template from ``template`` (values in its tag order)."""
        if self.state is not _ACTIVE:
            raise RuntimeError(f"{self.name}: cannot send: session is {self.state.value}")
        seq = self.store.next_sender_seq
        return self._record_and_write(seq, template.encode(seq, values, fix_timestamp()))

    def send_test_request(self, test_req_id: str) -> int:
        """Ask the counterparty for a Heartbeat; its arrival is noted in ``test_answers``."""
        return self._send_raw(M.TEST_REQUEST, [(T.TestReqID, test_req_id)])

    def logout(self, text: str = "") -> None:
        if self.state is SessionState.ACTIVE:
            self._send_logout(text)

    def business_reject(self, msg: FixMessage, reason: int, text: str, ref_id: str | None = None) -> None:
        fields = [(T.RefSeqNum, msg.seq_num or 0), (T.RefMsgType, msg.msg_type or "?"),
                  (T.BusinessRejectReason, reason), (T.Text, text)]
        if ref_id:
            fields.insert(2, (T.BusinessRejectRefID, ref_id))
        self._send_raw(M.BUSINESS_MESSAGE_REJECT, fields)

    # -- internals ------------------------------------------------------------
    def _send_raw(self, msg_type: str, fields, header_extra=()) -> int:
        seq = self.store.next_sender_seq
        return self._record_and_write(seq, self.encoder.encode(msg_type, seq, fields, header_extra=header_extra))

    def _record_and_write(self, seq: int, raw: bytes) -> int:
        """Store first (a resend must find it, even after a crash), then the wire if connected,
        then the bookkeeping (nothing of it is needed before the message is on its way)."""
        self.store.save_sent(seq, raw, self._in_reply_to)
        if self._write is not None:
            self._write(raw)
        self._last_sent = self.clock()
        self.messages_out += 1
        return seq

    def _send_logout(self, text: str) -> None:
        self._send_raw(M.LOGOUT, [(T.Text, text)] if text else [])
        self.state = SessionState.LOGOUT_SENT
        self._logout_sent_at = self.clock()

    def _disconnect(self, why: str) -> None:
        self.last_error = why
        log.info("%s: disconnecting: %s", self.name, why)
        close = self._close
        self.connection_lost()
        if close is not None:
            close()

    def _logout_and_disconnect(self, text: str) -> None:
        self.last_error = text
        self._send_raw(M.LOGOUT, [(T.Text, text)])
        self._disconnect(text)

    def _reject(self, msg: FixMessage, reason: int, ref_tag: int | None, text: str) -> None:
        fields = [(T.RefSeqNum, msg.seq_num or 0)]
        if ref_tag is not None:
            fields.append((T.RefTagID, ref_tag))
        if msg.msg_type:
            fields.append((T.RefMsgType, msg.msg_type))
        if self.config.begin_string != "FIX.4.2" or reason <= 11:
            fields.append((T.SessionRejectReason, reason))
        fields.append((T.Text, text))
        self.rejects_sent += 1
        self.last_error = text
        self._send_raw(M.REJECT, fields)

    def _validate(self, msg: FixMessage):
        """(reason, tag, text) for the first problem in an intact message, or None."""
        if msg.error is not None:
            error = relax_parse_error(msg, self.config)   # ValidateFieldsOutOfOrder/HaveValues=N
            if error is not None:
                return error
        for tag in HEADER_REQUIRED:
            if tag not in msg.fields:
                return (SRR.REQUIRED_TAG_MISSING, int(tag), f"required tag {tag} missing")
        mt = msg.msg_type
        if self.dictionary is None:
            return None   # UseDataDictionary=N: session-level checks only
        if not self.dictionary.known_type(mt):
            if mt not in VALID_MSG_TYPES:
                return (SRR.INVALID_MSGTYPE, T.MsgType, f"invalid MsgType {mt!r}")
            return None  # defined by FIX but not handled here: the application sends BusinessMessageReject
        return self.dictionary.validate(msg)

    def _on_message(self, msg: FixMessage) -> None:
        now = self._last_recv = self.clock()
        self._test_req_sent_at = 0.0
        self.messages_in += 1
        # Token bucket: refilled at the configured rate, at most one second's worth.
        rate = self._rate
        tokens = self._tokens + (now - self._tokens_at) * rate
        if tokens > rate:
            tokens = rate
        self._tokens_at = now
        if tokens < 1.0:
            self._tokens = tokens
            self._logout_and_disconnect(f"inbound message rate above {self.config.max_messages_per_second}/s")
            return
        self._tokens = tokens - 1.0
        shape = msg.shape
        if shape is not None and shape.for_app and self.state is _ACTIVE and not self._queue:
            # Fast path: a shape-proven message (every value well formed; an application message
            # with SendingTime and no PossDupFlag) in sequence from the right CompIDs: exactly the
            # steps the general path below takes for it.
            seq_text, sender, target, sending_time = msg.session_values()
            seq = int(seq_text)
            if (seq == self.store.next_target_seq and sender == self._their_id
                    and target == self._our_id and self._in_window(sending_time)):
                self._to_app(msg, seq)
                return
        seq = msg.seq_num
        if seq is None:
            self._logout_and_disconnect("MsgSeqNum(34) missing or not a number")
            return
        if self.config.check_comp_id and (msg.get(T.SenderCompID) != self.config.target_comp_id or
                                          msg.get(T.TargetCompID) != self.config.sender_comp_id):
            self._reject(msg, SRR.COMPID_PROBLEM, T.SenderCompID, "CompID problem")
            self._logout_and_disconnect("incorrect SenderCompID or TargetCompID")
            return
        mt = msg.msg_type
        if self.state is SessionState.AWAITING_LOGON and mt == M.LOGOUT:
            # The counterparty refused our Logon; its Text says why (keep it for the user).
            self._disconnect(f"logon refused: {msg.get(T.Text, '') or 'no reason given'}")
            return
        if self.state is SessionState.AWAITING_LOGON and mt != M.LOGON:
            self._logout_and_disconnect(f"first message must be Logon, not MsgType {mt}")
            return
        if mt == M.SEQUENCE_RESET and msg.get(T.GapFillFlag) != "Y":
            self._on_sequence_reset(msg, gap_fill=False)
            return
        problem = self._validate(msg)
        if problem is not None and problem[1] == T.BeginString:
            self._logout_and_disconnect(f"incorrect BeginString: {problem[2]}")
            return
        if mt == M.LOGON:
            self._on_logon(msg, problem)
            return
        expected = self.store.next_target_seq
        if seq > expected:
            if mt == M.RESEND_REQUEST and problem is None:
                # Served at once even though early: both sides may be waiting on a gap, and
                # queueing each other's ResendRequest would deadlock. Its number is consumed
                # when the gap closes (None in the queue: already handled).
                self._serve_resend(int(msg[T.BeginSeqNo]), int(msg[T.EndSeqNo]))
                self._queue[seq] = None
            else:
                self._queue[seq] = msg
            self._request_gap(expected)
            return
        if seq < expected:
            if msg.get(T.PossDupFlag) == "Y":
                return  # a duplicate we already processed
            self._logout_and_disconnect(f"MsgSeqNum too low, expecting {expected} but received {seq}")
            return
        self._process_in_order(msg, problem, seq)
        if self._queue:
            self._drain_queue()

    def _request_gap(self, expected: int) -> None:
        """One ResendRequest (to infinity) per gap: not one per message that arrives early."""
        if not self._resend_target:
            self._send_raw(M.RESEND_REQUEST, [(T.BeginSeqNo, expected), (T.EndSeqNo, 0)])
            self._resend_target = expected

    def _drain_queue(self) -> None:
        while self._queue and self._write is not None:
            expected = self.store.next_target_seq
            if expected not in self._queue:
                # Anything below the expected number is now a duplicate.
                for s in [s for s in self._queue if s < expected]:
                    del self._queue[s]
                return
            nxt = self._queue.pop(expected)
            if nxt is None:
                self.store.set_next_target(expected + 1)   # handled when it arrived
                continue
            self._process_in_order(nxt, self._validate(nxt), expected)
        if not self._queue:
            self._resend_target = 0

    def _process_in_order(self, msg: FixMessage, problem, seq: int) -> None:
        """``msg`` carries the expected sequence number ``seq``: consume it and act on it."""
        mt = msg.msg_type
        if msg.get(T.PossDupFlag) == "Y" and problem is None:
            orig = msg.get(T.OrigSendingTime)
            if orig is None and mt not in ADMIN_TYPES:
                problem = (SRR.REQUIRED_TAG_MISSING, T.OrigSendingTime, "OrigSendingTime(122) missing on PossDup")
            elif orig is not None and orig > msg.get(T.SendingTime, ""):
                self.store.set_next_target(self.store.next_target_seq + 1)
                self._reject(msg, SRR.SENDING_TIME_ACCURACY, T.OrigSendingTime,
                             "OrigSendingTime is later than SendingTime")
                return
        if mt == M.SEQUENCE_RESET:
            self._on_sequence_reset(msg, gap_fill=True)
            return
        if problem is not None:
            self.store.set_next_target(self.store.next_target_seq + 1)
            self._reject(msg, *problem)
            return
        if not self._sending_time_ok(msg):
            self.store.set_next_target(self.store.next_target_seq + 1)
            self._reject(msg, SRR.SENDING_TIME_ACCURACY, T.SendingTime, "SendingTime accuracy problem")
            self._logout_and_disconnect("SendingTime accuracy problem")
            return
        if mt not in ADMIN_TYPES:
            self._to_app(msg, seq)
            return
        self.store.set_next_target(self.store.next_target_seq + 1)
        if mt == M.HEARTBEAT:
            test_req_id = msg.get(T.TestReqID)
            if test_req_id is not None:
                self.test_answers[test_req_id] = msg.recv_ns
            return
        if mt == M.TEST_REQUEST:
            self._send_raw(M.HEARTBEAT, [(T.TestReqID, msg[T.TestReqID])])
        elif mt == M.RESEND_REQUEST:
            self._serve_resend(int(msg[T.BeginSeqNo]), int(msg[T.EndSeqNo]))
        elif mt == M.REJECT:
            log.warning("%s: counterparty rejected %s: %s", self.name, msg.get(T.RefSeqNum), msg.get(T.Text))
        elif mt == M.LOGOUT:
            self._logged_out = True
            if self.state is SessionState.LOGOUT_SENT:
                self._disconnect("logout complete")
            else:
                self._send_raw(M.LOGOUT, [])
                self._disconnect(f"counterparty logged out: {msg.get(T.Text, '')}")

    def _to_app(self, msg: FixMessage, seq: int) -> None:
        """Hand the application message ``msg``, the expected inbound number ``seq``, to the app.

        The inbound number advances only once the application has acted: a crash before that
        gets the message resent; a crash after its answer was stored is recovered from the
        store's reply_to records. Exactly once, not at most once."""
        self._in_reply_to = seq
        try:
            self.app.on_message(self, msg)
        finally:
            self._in_reply_to = 0
            self.store.set_next_target(seq + 1)

    def _sending_time_ok(self, msg: FixMessage) -> bool:
        sending_time = msg.get(T.SendingTime)
        poss_dup = msg.get(T.PossDupFlag) == "Y"
        if msg.validated is not None and not poss_dup and sending_time is not None:
            return self._in_window(sending_time)
        try:
            sent = parse_fix_timestamp(sending_time)
        except (TypeError, ValueError):
            return False
        if poss_dup or not self.config.check_latency:
            return True
        return abs(time.time_ns() - sent) <= self.config.sending_time_tolerance_s * 1_000_000_000

    def _in_window(self, sending_time: str) -> bool:
        """A SendingTime already proven a well-formed UTCTimestamp (validated) within the
        accuracy window: compared as text with the window's ends (to the second), which
        change once a second."""
        now = int(time.time())
        if now != self._window_sec:
            tol = self.config.sending_time_tolerance_s
            self._window = (fix_timestamp((now - tol) * 1_000_000_000)[:17],
                            fix_timestamp((now + tol) * 1_000_000_000)[:17])
            if not self.config.check_latency:
                self._window = ("", "\x7f")   # CheckLatency=N: every SendingTime is inside
            self._window_sec = now
        lo, hi = self._window
        return lo <= sending_time[:17] <= hi

    def _on_logon(self, msg: FixMessage, problem) -> None:
        if self.state is SessionState.ACTIVE:
            if msg.get(T.ResetSeqNumFlag) == "Y" and problem is None:
                # In-session sequence reset (FIX 4.4): both sides restart at 1.
                self.store.reset()
                self.store.set_next_target(2)
                if self.config.role == "acceptor":
                    self._send_raw(M.LOGON, [(T.EncryptMethod, 0), (T.HeartBtInt, self.heartbeat_s),
                                             (T.ResetSeqNumFlag, "Y")])
                return
            self._logout_and_disconnect("duplicate Logon on an active session")
            return
        if problem is not None:
            self._logout_and_disconnect(f"invalid Logon: {problem[2]}")
            return
        if self.config.role == "acceptor":
            if not self.config.in_schedule():
                self._logout_and_disconnect("Logon outside the session schedule")
                return
            if self.config.password is not None:
                given = (msg.get(T.Password) or "").encode()
                # Constant time: how much of a guess matched must not show in the reply time.
                if not hmac.compare_digest(given, self.config.password.encode()):
                    self._logout_and_disconnect("invalid Logon: authentication failed")
                    return
        hb = int(msg[T.HeartBtInt])
        if hb < 0 or not self._sending_time_ok(msg):
            self._logout_and_disconnect("invalid Logon: bad HeartBtInt or SendingTime")
            return
        reset = msg.get(T.ResetSeqNumFlag) == "Y"
        seq = msg.seq_num or 0
        if self.config.role == "acceptor":
            if self.config.refresh_on_logon:
                self.store.refresh()   # RefreshOnLogon: another process may have moved the store on
            self._new_period_reset()
            if reset or self.config.resets_on_logon:
                self.store.reset()     # ResetOnLogon=Y: at every Logon, whatever it carries
        expected = self.store.next_target_seq
        if seq < expected:
            # Refused before any Logon reply: the Logout's Text is the reason the initiator sees.
            self._logout_and_disconnect(f"MsgSeqNum too low, expecting {expected} but received {seq}")
            return
        self.state = SessionState.ACTIVE
        if self.config.role == "acceptor":
            self.heartbeat_s = hb or self.heartbeat_s
            fields = [(T.EncryptMethod, 0), (T.HeartBtInt, self.heartbeat_s)]
            if reset:
                fields.append((T.ResetSeqNumFlag, "Y"))
            self._send_raw(M.LOGON, fields)
        if seq > expected:
            # Ask for the gap; the Logon's own number is consumed when the gap closes.
            self._queue[seq] = None
            self._request_gap(expected)
        else:
            self.store.set_next_target(seq + 1)
        self.app.on_logon(self)

    def _period_over(self) -> bool:
        """The store was created before the current session period began (QuickFIX resets then)."""
        start = self._schedule.period_start(datetime.now(timezone.utc))
        return start is not None and self.store.creation_time < start.timestamp()

    def _new_period_reset(self) -> None:
        if self._schedule is not None and self._period_over():
            self.store.reset()   # a new session period starts from sequence number 1

    def _on_sequence_reset(self, msg: FixMessage, gap_fill: bool) -> None:
        try:
            new = int(msg[T.NewSeqNo])
        except (KeyError, ValueError):
            self._reject(msg, SRR.REQUIRED_TAG_MISSING, T.NewSeqNo, "NewSeqNo(36) missing or invalid")
            return
        expected = self.store.next_target_seq
        if new < expected:
            self._reject(msg, SRR.VALUE_INCORRECT, T.NewSeqNo,
                         f"attempt to lower sequence number, invalid value NewSeqNo={new}")
            return
        self.store.set_next_target(new)
        self._drain_queue()

    def _serve_resend(self, begin: int, end: int) -> None:
        last = self.store.next_sender_seq - 1
        end = last if end == 0 or end > last else end
        gap_start = None
        stored = dict(self.store.get_sent(begin, end))
        for seq in range(begin, end + 1):
            raw = stored.get(seq)
            msg = None
            if raw is not None:
                p = FixParser(1 << 20)
                p.feed(raw)
                msg = p.poll()
            if msg is None or msg.msg_type in ADMIN_TYPES:
                gap_start = seq if gap_start is None else gap_start
                continue
            if gap_start is not None:
                self._gap_fill(gap_start, seq)
                gap_start = None
            self._resend(seq, msg)
        if gap_start is not None:
            self._gap_fill(gap_start, end + 1)

    def _gap_fill(self, seq: int, new_seq: int) -> None:
        raw = self.encoder.encode(M.SEQUENCE_RESET, seq, [(T.GapFillFlag, "Y"), (T.NewSeqNo, new_seq)],
                                  header_extra=[(T.PossDupFlag, "Y"), (T.OrigSendingTime, fix_timestamp())])
        self._emit(raw)

    def _resend(self, seq: int, msg: FixMessage) -> None:
        raw = self.encoder.encode(msg.msg_type, seq, msg.body(),
                                  header_extra=[(T.PossDupFlag, "Y"),
                                                (T.OrigSendingTime, msg.get(T.SendingTime, fix_timestamp()))])
        self._emit(raw)

    def _emit(self, raw: bytes) -> None:
        self._last_sent = self.clock()
        if self._write is not None:
            self._write(raw)
