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
from collections import deque
from enum import Enum
from datetime import datetime, timezone
from typing import Callable, Protocol

from wirespeed.clock import fix_timestamp, parse_fix_timestamp

from ..fix import tags as T
from ..fix.encoder import EmptyValueError, Encoder, Template
from ..fix.message import FixMessage
from ..fix.parser import FixParser
from ..fix.dictionary import relax_parse_error
from ..fix.tags import ADMIN_TYPES, VALID_MSG_TYPES, MsgTypes as M, SessionRejectReasons as SRR
from ..store import MemoryStore
from ..store.file import StoreError
from .config import SessionConfig

log = logging.getLogger("wirespeed.session")

HEADER_REQUIRED = ("49", "56", "34", "52")
#: The largest sequence number (MsgSeqNum, BeginSeqNo, EndSeqNo, NewSeqNo) the session accepts:
#: 18 digits, what every store records (a signed 64-bit integer); larger ones are refused here,
#: before they reach the store.
MAX_SEQ = 10 ** 18 - 1
#: Routing fields swapped on a Reject: OnBehalfOf* of the message become DeliverTo* of the answer.
_ROUTING = ((115, 128), (116, 129), (144, 145), (128, 115), (129, 116), (145, 144))
_MAX_TEST_REQS = 64   # TestRequests of ours awaiting an answer, and answers kept, per session
_RESEND_CHUNK = 256   # resent messages per turn of the event loop: one peer's resend never stalls it


def password_ok(expected: str | None, msg: FixMessage) -> bool:
    """Whether a Logon carries the password ``expected`` (None: none needed). Constant time:
    how much of a guess matched must not show in the reply time."""
    if expected is None:
        return True
    return hmac.compare_digest((msg.get(T.Password) or "").encode(), expected.encode())


def bounded_int(value: str | None, limit: int = MAX_SEQ) -> int | None:
    """``value`` as a non-negative integer of at most ``limit``, or None (absent, not digits,
    or too large: checked on the text's length first, so no huge number is ever converted)."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    n = int(value)
    return n if n <= limit else None


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
        self._queued_bytes = 0
        self._resend_job: list | None = None   # [next seq, end seq, gap start or None] being served
        self._resend_budget = config.max_resends_per_second
        self._paused = False                    # the transport's write buffer is full
        self.call_soon: Callable | None = None  # the event loop's call_soon (set by the transport)
        # The transport (set by it): its ``read_since_ns`` is the perf_counter_ns after which the
        # bytes being handled reached the socket (transport/fair.py); None: no backlog credit.
        self.receiver = None
        self.backlog_credits = 0                # late SendingTimes accepted as our own backlog
        self._held: list[bytes] = []            # sent messages waiting for their fsync (policy always)
        self._held_synced = 0                   # how many of them the fsync in flight covers
        self._connection = 0                    # counts connections: a late fsync callback of an old one is ignored
        self._pump_scheduled = False            # one chain of resend chunks at a time
        # Messages a resend gap-filled because the store's bound had let them go (retention,
        # docs/gateway/service.md): application messages among them never reach the peer again.
        self.resend_trimmed = 0
        # Messages a resend gap-filled because the store could not read them back (an I/O error of
        # the spill files' disk): counted and logged, the session goes on (_read_each).
        self.resend_unreadable = 0
        self._resend_target = 0          # BeginSeqNo of the outstanding ResendRequest (0: none)
        self._last_sent = self._last_recv = 0.0
        self._test_req_sent_at = 0.0
        self._logout_sent_at = 0.0
        self.messages_in = self.messages_out = self.rejects_sent = 0
        self._in_reply_to = 0   # inbound MsgSeqNum being processed (recorded with what we send)
        self.test_answers: dict[str, int] = {}   # TestReqID -> recv_ns of the Heartbeat answering it
        self._test_reqs: dict[str, None] = {}    # TestReqIDs we sent, not yet answered (oldest first)
        self._rate = float(config.max_messages_per_second)
        self._tokens = self._rate
        self._tokens_at = clock()
        self._their_id, self._our_id = config.target_comp_id, config.sender_comp_id
        self._window_sec, self._window = -1, ("", "")   # SendingTime accuracy window, per second
        self.last_error = ""
        self._logged_out = False   # the connection ended with a Logout exchange (ResetOnLogout)
        self._schedule = config.schedule if config.start_time is not None else None
        # An object whose on_read(data, recv_ns) takes the common case of a read in C and returns
        # the rest (or None): the order path's client fast path (gateway/order_fast.py).
        self.fast = None
        self.frames_resumed = 0   # reads whose first bytes finished a frame the last read cut (data_received)
        # One-shot: the next Logon this initiator sends asks for a sequence reset (141=Y) and both
        # numbers restart at 1, whatever ``reset_on_logon`` says. For a session that keeps its
        # numbers across connections: a process without a store starts its day so, and an
        # operator (the control plane's venue manager) does so when the counterparty lost its own.
        self.reset_next_logon = False
        # Why the last Logon exchange failed, as structured state (not the counterparty's words):
        # "peer_low" when the counterparty's Logon carried a MsgSeqNum below ours (it lost its
        # numbers), "refused" when it answered our Logon with a Logout (``logon_refused_text``
        # keeps its Text); "" once a Logon succeeds.
        self.logon_failure = ""
        self.logon_refused_text = ""

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
        self._release_queue()
        self._resend_target = 0
        self._resend_job, self._paused, self._held, self._held_synced = None, False, [], 0
        self._connection += 1
        self._tokens, self._tokens_at = self._rate, self._last_recv
        if self.config.role == "initiator":
            if self.config.refresh_on_logon and not self._refresh_store():
                self._close_now()
                return
            self._new_period_reset()
            reset, self.reset_next_logon = self.config.resets_on_logon or self.reset_next_logon, False
            if reset:
                self.store.reset()
            fields = [(T.EncryptMethod, 0), (T.HeartBtInt, self.heartbeat_s)]
            if reset:
                fields.append((T.ResetSeqNumFlag, "Y"))
            if self.config.password is not None:
                fields.append((T.Password, self.config.password))
            self._send_raw(M.LOGON, fields)

    def _refresh_store(self) -> bool:
        """RefreshOnLogon's re-read of the store. A store another process holds, or whose files are
        corrupt, refuses the Logon: logged with the store's reason and the connection closed (no
        Logout: it would be stored in the store that failed), instead of raising out of it."""
        try:
            self.store.refresh()
        except (StoreError, OSError) as exc:
            log.error("%s: Logon refused: the session store cannot be refreshed: %s", self.name, exc)
            self.logon_failure = "store"
            return False
        return True

    def _close_now(self) -> None:
        # Nothing is sent (no store to number it in); the transport's connection_lost follows.
        self.last_error = "session store unavailable"
        close = self._close
        self._write = None
        if close is not None:
            close()

    def connection_lost(self) -> None:
        if self.config.reset_on_disconnect or (self._logged_out and self.config.reset_on_logout):
            self.store.reset()   # QuickFIX's ResetOnDisconnect / ResetOnLogout
        self._logged_out = False
        was_active = self.state in (SessionState.ACTIVE, SessionState.LOGOUT_SENT)
        self.state = SessionState.DISCONNECTED
        self._write = self._close = None
        # Nothing of a connection outlives it: queued inbound messages, a resend in progress
        # and sends waiting for their fsync (they are stored: a ResendRequest gets them).
        self._release_queue()
        self._resend_job, self._held, self._held_synced = None, [], 0
        self._connection += 1
        if was_active:
            self.app.on_logout(self)

    def data_received(self, data: bytes, recv_ns: int = 0) -> None:
        parser = self.parser
        fast = self.fast
        if fast is not None:
            if not parser.idle() and self._write is not None:
                # The last read ended inside a frame (under load nearly every read does: a socket
                # read of 256,000 bytes, a fair-read cut's rest): the parser holds its start. Only
                # that frame's rest (to the next frame start, SOH "8=") goes to the parser, so the
                # frames after it reach the fast path again; fed whole, this read and every one
                # after it ending mid-frame would go the Python way (make bench-load, order_path.md).
                k = data.find(b"\x018=")
                if k >= 0:
                    self.frames_resumed += 1
                    try:
                        self._parse(data[:k + 1], recv_ns)
                    except BaseException:
                        parser.feed(data[k + 1:])   # (where a raising handler leaves them: the next read polls them)
                        raise
                    data = data[k + 1:]
            if self.state is _ACTIVE and not self._queue and self._write is not None and parser.idle():
                data = fast.on_read(data, recv_ns)    # the frames it does not take, from the first of them
                if data is None:
                    return
        self._parse(data, recv_ns)

    def _parse(self, data: bytes, recv_ns: int) -> None:
        """Feed ``data`` to the parser and handle every whole message it completes."""
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
        self._resend_budget = self.config.max_resends_per_second
        if self._resend_job is not None:
            self._pump_resend()
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
            if now - self._last_recv > self.config.logon_timeout_s:
                self._disconnect(f"no Logon received within LogonTimeout ({self.config.logon_timeout_s:g} s)")
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
    def send(self, msg_type: str, fields: list, header_extra=()) -> int:
        """Send an application message; returns its MsgSeqNum.

        While disconnected the message is numbered and stored but not written: after the
        next Logon (which carries a higher MsgSeqNum) the counterparty asks for it with a
        ResendRequest and gets it with PossDupFlag=Y. Raises while a connection is up but
        not logged on, where no application message may be sent.
        """
        if self.state is not SessionState.ACTIVE and self.state is not SessionState.DISCONNECTED:
            raise RuntimeError(f"{self.name}: cannot send {msg_type}: session is {self.state.value}")
        return self._send_raw(msg_type, fields, header_extra)   # (disconnected: stored, resent after Logon)

    def take_back(self, data: bytes) -> list[FixMessage] | None:
        """Un-number ``data``: bytes this session wrote that never reached the wire (the trail's
        gate held them, transport/tcp.py ``WriteBatcher.take_back``). When they are whole messages
        numbered exactly the last numbers sent, in order, none a resend (PossDupFlag=Y), those
        numbers are taken back out of the store (``store.take_back``), so the next message sent
        carries the first of them again, and the messages are returned, parsed, for the caller to
        send again with fresh numbers. The peer never saw them: it sees no gap and never asks for
        them. None (nothing changed) otherwise: not active, a store that cannot, a message the
        store has let go or written on, bytes that are not those messages, or a resend in progress
        (its range was fixed when asked: a number taken back from it would be gap-filled past the
        next number, and the client would see the messages numbered again as too low)."""
        take = getattr(self.store, "take_back", None)
        if self.state is not _ACTIVE or self._write is None or self._held or take is None or not data \
                or self._resend_job is not None:
            return None
        parser = FixParser(max(len(data), self.config.max_message_bytes))
        parser.feed(data)
        msgs = []
        while True:
            msg = parser.poll()
            if msg is None:
                break
            msgs.append(msg)
        if not parser.idle() or parser.garbled or not msgs:
            return None
        first, last = msgs[0].seq_num, self.store.next_sender_seq - 1
        if first is None or [m.seq_num for m in msgs] != list(range(first, first + len(msgs))) \
                or first + len(msgs) - 1 != last or any(m.get(T.PossDupFlag) == "Y" for m in msgs):
            return None
        if not take(first):
            return None
        self.messages_out -= len(msgs)
        return msgs

    def template(self, msg_type: str, tags: tuple) -> Template:
        """A pre-rendered message for ``send_template``: get it once, send it many times."""
        return self.encoder.template(msg_type, tags)

    def send_template(self, template: Template, values) -> int:
        """Send a hot message through a template from ``template`` (values in its tag order)."""
        if self.state is not _ACTIVE:
            raise RuntimeError(f"{self.name}: cannot send: session is {self.state.value}")
        if "" in values:
            # (an empty value, e.g. a client's ``55=`` echoed, is refused naming its tag before
            # anything is numbered or stored, as ``send`` refuses it. The test of the values, not of
            # the frame's bytes: about half the cost, ~0.13x of the template's encode, measured)
            raise EmptyValueError(template.tags[list(values).index("")])
        seq = self.store.next_sender_seq
        return self._record_and_write(seq, template.encode(seq, values, fix_timestamp()))

    def send_frame(self, frame_for) -> int:
        """Send an application message whose bytes come whole from ``frame_for(seq)`` (a hardware
        encoder, gateway/hw_encoder.py: it writes MsgSeqNum ``seq`` itself); stored and written
        as ``send_template`` does. Nothing is numbered if ``frame_for`` raises."""
        if self.state is not _ACTIVE:
            raise RuntimeError(f"{self.name}: cannot send: session is {self.state.value}")
        seq = self.store.next_sender_seq
        return self._record_and_write(seq, frame_for(seq))

    def send_test_request(self, test_req_id: str) -> int:
        """Ask the counterparty for a Heartbeat; its arrival is noted in ``test_answers``.

        Only answers to our own requests are noted, and only the last ``_MAX_TEST_REQS`` of
        each: a peer sending Heartbeats with made-up TestReqIDs grows nothing."""
        self._test_reqs[test_req_id] = None
        if len(self._test_reqs) > _MAX_TEST_REQS:
            del self._test_reqs[next(iter(self._test_reqs))]
        return self._send_raw(M.TEST_REQUEST, [(T.TestReqID, test_req_id)])

    def logout(self, text: str = "") -> None:
        if self.state is SessionState.ACTIVE:
            self._send_logout(text)

    def business_reject(self, msg: FixMessage, reason: int, text: str, ref_id: str | None = None) -> None:
        fields = [(T.RefSeqNum, msg.seq_num or 0), (T.RefMsgType, msg.msg_type or "?"),
                  (T.BusinessRejectReason, reason)] + ([(T.Text, text)] if text else [])
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
        store = self.store
        store.save_sent(seq, raw, self._in_reply_to)
        if self._write is not None:
            if store.deferred_sync:
                self._hold(raw)
            else:
                self._write(raw)
        self._last_sent = self.clock()
        self.messages_out += 1
        return seq

    def _hold(self, raw: bytes) -> None:
        """FsyncPolicy=always: the message goes on the wire once the store's writer thread has
        made it durable; the event loop (and every other session) goes on meanwhile. Later
        sends queue behind it, so the wire order stays the numbering order."""
        self._held.append(raw)
        if not self._held_synced:
            self._request_sync()

    def _request_sync(self) -> None:
        self._held_synced = len(self._held)
        connection = self._connection
        self.store.sync(lambda: self._synced(connection))

    def _synced(self, connection: int) -> None:
        """The fsync covering the first ``_held_synced`` held messages is done: send them."""
        if connection != self._connection:
            return   # for a connection that has ended: its messages are stored, resent on request
        done, self._held_synced = self._held_synced, 0
        ready, self._held = self._held[:done], self._held[done:]
        if self._write is not None:
            for raw in ready:
                self._write(raw)
            if self._held:
                self._request_sync()

    def _release_queue(self) -> None:
        self._queue.clear()
        self._queued_bytes = 0

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
        self._send_raw(M.LOGOUT, [(T.Text, text)] if text else [])
        self._disconnect(text)

    def _reject(self, msg: FixMessage, reason: int, ref_tag: int | None, text: str) -> None:
        fields = [(T.RefSeqNum, msg.seq_num or 0)]
        if ref_tag is not None:
            fields.append((T.RefTagID, ref_tag))
        if msg.msg_type:
            fields.append((T.RefMsgType, msg.msg_type))
        if self.config.begin_string != "FIX.4.2" or reason <= 11:
            fields.append((T.SessionRejectReason, reason))
        if text:                   # (Text is optional: never an empty 58= on the wire)
            fields.append((T.Text, text))
        self.rejects_sent += 1
        self.last_error = text
        # Routing: a message on behalf of a third party is answered to it (OnBehalfOf* become
        # DeliverTo* and back), but only fields that are present and have a value.
        routing = []
        for src, dst in _ROUTING:
            value = msg.get(src)
            if value:
                routing.append((dst, value))
        self._send_raw(M.REJECT, fields, sorted(routing))

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
            self._logout_and_disconnect("MsgSeqNum(34) missing, not a number or above the largest recordable")
            return
        missing = self._header_problem(msg)
        if missing is not None:
            # A required header field missing or empty: Reject, and the session goes on (the
            # FIX test cases); the number is consumed if it is the expected one.
            if self.state is not _ACTIVE:
                self._logout_and_disconnect(f"invalid Logon: {missing[2]}")
                return
            if seq == self.store.next_target_seq:
                self.store.set_next_target(seq + 1)
            self._reject(msg, *missing)
            return
        if self.config.check_comp_id and (msg.get(T.SenderCompID) != self.config.target_comp_id or
                                          msg.get(T.TargetCompID) != self.config.sender_comp_id):
            self._reject(msg, SRR.COMPID_PROBLEM, T.SenderCompID, "CompID problem")
            self._logout_and_disconnect("incorrect SenderCompID or TargetCompID")
            return
        mt = msg.msg_type
        if self.state is SessionState.AWAITING_LOGON and mt == M.LOGOUT:
            # The counterparty refused our Logon; its Text says why (keep it for the user).
            self.logon_failure, self.logon_refused_text = "refused", msg.get(T.Text, "") or ""
            self._disconnect(f"logon refused: {self.logon_refused_text or 'no reason given'}")
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
            if mt == M.LOGOUT:
                # A Logout while messages are missing: nothing more will come to fill the gap.
                if self.state is SessionState.LOGOUT_SENT:
                    self._disconnect("logout complete (with a sequence gap)")
                else:
                    self._logout_and_disconnect(f"Logout received with MsgSeqNum {seq} while expecting {expected}")
                return
            if mt == M.RESEND_REQUEST and problem is None:
                # Served at once even though early: both sides may be waiting on a gap, and
                # queueing each other's ResendRequest would deadlock. Its number is consumed
                # when the gap closes (None in the queue: already handled, or rejected).
                self._resend_requested(msg)
                self._queue[seq] = None
            else:
                self._queue[seq] = msg
                self._queued_bytes += len(msg.raw)
            cfg = self.config
            if len(self._queue) > cfg.max_queued_messages or self._queued_bytes > cfg.max_queued_bytes:
                self._release_queue()
                self._logout_and_disconnect(
                    f"out-of-order queue over its bound ({cfg.max_queued_messages} messages, "
                    f"{cfg.max_queued_bytes} bytes) while expecting MsgSeqNum {expected}")
                return
            self._request_gap(expected)
            return
        if seq < expected:
            if msg.get(T.PossDupFlag) == "Y":
                if self._poss_dup_problem(msg, mt) is None:
                    return  # a duplicate we already processed
                self._reject_poss_dup(msg, mt, consume=False)
                return
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
                    self._unqueue(s)
                if not self._queue:
                    break   # a GapFill past every queued message: the gap is closed
                return
            nxt = self._unqueue(expected)
            if nxt is None:
                self.store.set_next_target(expected + 1)   # handled when it arrived
                continue
            self._process_in_order(nxt, self._validate(nxt), expected)
        if not self._queue:
            self._resend_target = 0

    def _unqueue(self, seq: int):
        msg = self._queue.pop(seq)
        if msg is not None:
            self._queued_bytes -= len(msg.raw)
        return msg

    @staticmethod
    def _header_problem(msg: FixMessage):
        """(reason, tag, text) for a required header field missing or without a value."""
        for tag in (T.SenderCompID, T.TargetCompID, T.SendingTime):
            value = msg.get(tag)
            if value is None:
                return (SRR.REQUIRED_TAG_MISSING, tag, f"required tag {tag} missing")
            if value == "":
                return (SRR.TAG_WITHOUT_VALUE, tag, f"tag {tag} has no value")
        return None

    @staticmethod
    def _poss_dup_problem(msg: FixMessage, mt: str):
        """For a PossDupFlag=Y message: "missing" (no OrigSendingTime; a SequenceReset needs
        none, as in QuickFIX), "late" (OrigSendingTime after SendingTime), or None."""
        orig = msg.get(T.OrigSendingTime)
        if orig is None:
            return None if mt == M.SEQUENCE_RESET else "missing"
        try:
            late = parse_fix_timestamp(orig) > parse_fix_timestamp(msg.get(T.SendingTime))
        except (TypeError, ValueError):
            return None   # not a timestamp: the dictionary's format check rejects it
        return "late" if late else None

    def _reject_poss_dup(self, msg: FixMessage, mt: str, consume: bool) -> None:
        if consume:
            self.store.set_next_target(self.store.next_target_seq + 1)
        if self._poss_dup_problem(msg, mt) == "missing":
            self._reject(msg, SRR.REQUIRED_TAG_MISSING, T.OrigSendingTime, "OrigSendingTime(122) missing on PossDup")
            return
        self._reject(msg, SRR.SENDING_TIME_ACCURACY, T.OrigSendingTime, "OrigSendingTime is later than SendingTime")
        self._logout_and_disconnect("SendingTime accuracy problem: OrigSendingTime later than SendingTime")

    def _process_in_order(self, msg: FixMessage, problem, seq: int) -> None:
        """``msg`` carries the expected sequence number ``seq``: consume it and act on it."""
        mt = msg.msg_type
        if problem is None and msg.get(T.PossDupFlag) == "Y" and self._poss_dup_problem(msg, mt) is not None:
            self._reject_poss_dup(msg, mt, consume=True)
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
            if test_req_id is not None and self._test_reqs.pop(test_req_id, 0) is None:
                self.test_answers[test_req_id] = msg.recv_ns
                if len(self.test_answers) > _MAX_TEST_REQS:
                    del self.test_answers[next(iter(self.test_answers))]
            return
        if mt == M.TEST_REQUEST:
            test_req_id = msg.get(T.TestReqID)
            if not test_req_id:
                # (let in by UseDataDictionary=N, or ValidateFieldsHaveValues=N for an empty one: the
                # Heartbeat would echo ``112=``, which is not FIX, or answer nothing it was asked)
                if test_req_id is None:
                    self._reject(msg, SRR.REQUIRED_TAG_MISSING, T.TestReqID, f"required tag {T.TestReqID} missing")
                else:
                    self._reject(msg, SRR.TAG_WITHOUT_VALUE, T.TestReqID, f"tag {T.TestReqID} has no value")
                return
            self._send_raw(M.HEARTBEAT, [(T.TestReqID, test_req_id)])
        elif mt == M.RESEND_REQUEST:
            self._resend_requested(msg)
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
        except EmptyValueError as exc:
            self._refuse_empty(msg, exc)
        finally:
            self._in_reply_to = 0
            self.store.set_next_target(seq + 1)

    def _refuse_empty(self, msg: FixMessage, exc: EmptyValueError) -> None:
        """The application's answer to ``msg`` would have carried an empty value (``tag=``, not FIX:
        the encoder refused it before anything was numbered). A value the peer sent empty (let in
        by ValidateFieldsHaveValues=N) is answered as ValidateFieldsHaveValues=Y would have: a
        Reject 373=4 naming the tag. Any other is the gateway's own: a BusinessMessageReject
        (380=0) saying so, logged as an ERROR. Either way the session goes on: nothing a peer
        sends raises out of ``data_received`` for it (tests/gateway/test_empty_values.py)."""
        if msg.get(exc.tag) == "":
            log.warning("%s: %s %s: tag %d came empty and its answer would echo it: rejected",
                        self.name, msg.msg_type, msg.seq_num, exc.tag)
            self._reject(msg, SRR.TAG_WITHOUT_VALUE, exc.tag, f"tag {exc.tag} has no value")
            return
        log.error("%s: the answer to %s %s not sent: %s", self.name, msg.msg_type, msg.seq_num, exc)
        self.business_reject(msg, 0, f"not answered: {exc}", msg.get(T.ClOrdID) or None)

    def _sending_time_ok(self, msg: FixMessage) -> bool:
        sending_time = msg.get(T.SendingTime)
        poss_dup = msg.get(T.PossDupFlag) == "Y"
        if msg.validated is not None and not poss_dup and sending_time is not None:
            return self._in_window(sending_time) or self._our_backlog(sending_time)
        try:
            sent = parse_fix_timestamp(sending_time)
        except (TypeError, ValueError):
            return False
        if poss_dup or not self.config.check_latency:
            return True
        if abs(time.time_ns() - sent) <= self.config.sending_time_tolerance_s * 1_000_000_000:
            return True
        return self._our_backlog(sending_time)

    def _our_backlog(self, sending_time: str) -> bool:
        """A SendingTime outside the window that is late only by the gateway's own backlog: the
        message waited in this connection's receive queue (or in our read buffer) while the queue
        was not seen empty. Accepted when it is no earlier than the time the queue was last empty
        (the transport's ``read_since_ns``) minus the tolerance, and not in the future beyond it.
        Taken only when the window check failed: off the common path. A skewed or stale peer
        (late while the queue is empty: ``read_since_ns`` is the read's own time) and a SendingTime
        in the future are refused as without it (docs/gateway/session.md)."""
        cfg = self.config
        receiver = self.receiver
        if not cfg.backlog_credit or not cfg.check_latency or receiver is None:
            return False
        since = receiver.read_since_ns
        if not since:
            return False
        try:
            sent = parse_fix_timestamp(sending_time)
        except (TypeError, ValueError):
            return False
        now = time.time_ns()
        tol = cfg.sending_time_tolerance_s * 1_000_000_000
        empty_at = now - (time.perf_counter_ns() - since)    # (the perf stamp on the wall clock)
        if empty_at - tol <= sent <= now + tol:
            self.backlog_credits += 1
            return True
        return False

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
            if not password_ok(self.config.password, msg):
                self._logout_and_disconnect("invalid Logon: authentication failed")
                return
        hb = bounded_int(msg.get(T.HeartBtInt), 86_400)
        if hb is None or not self._sending_time_ok(msg):
            self._logout_and_disconnect("invalid Logon: bad HeartBtInt or SendingTime")
            return
        reset = msg.get(T.ResetSeqNumFlag) == "Y"
        seq = msg.seq_num or 0
        if self.config.role == "acceptor":
            # RefreshOnLogon: another process may have moved the store on
            if self.config.refresh_on_logon and not self._refresh_store():
                self._close_now()      # (no Logout: it would have to be stored in the store that failed)
                return
            self._new_period_reset()
            if reset or self.config.resets_on_logon:
                self.store.reset()     # ResetOnLogon=Y: at every Logon, whatever it carries
        expected = self.store.next_target_seq
        if seq < expected:
            # Refused before any Logon reply: the Logout's Text is the reason the initiator sees.
            self.logon_failure = "peer_low"
            self._logout_and_disconnect(f"MsgSeqNum too low, expecting {expected} but received {seq}")
            return
        self.state = SessionState.ACTIVE
        self.logon_failure = self.logon_refused_text = ""
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
        text = msg.get(T.NewSeqNo)
        new = bounded_int(text)
        if new is None:
            if text is None:
                self._reject(msg, SRR.REQUIRED_TAG_MISSING, T.NewSeqNo, "NewSeqNo(36) missing")
            else:
                self._reject(msg, SRR.VALUE_INCORRECT, T.NewSeqNo,
                             f"NewSeqNo(36) {text[:20]!r} is not a sequence number up to {MAX_SEQ}")
            return
        expected = self.store.next_target_seq
        if new < expected:
            self._reject(msg, SRR.VALUE_INCORRECT, T.NewSeqNo,
                         f"attempt to lower sequence number, invalid value NewSeqNo={new}")
            return
        self.store.set_next_target(new)
        self._drain_queue()

    def _resend_requested(self, msg: FixMessage) -> bool:
        """Start serving a ResendRequest; False (and a Reject) if its range is not numbers."""
        begin, end = bounded_int(msg.get(T.BeginSeqNo)), bounded_int(msg.get(T.EndSeqNo))
        if begin is None or end is None:
            tag = T.BeginSeqNo if begin is None else T.EndSeqNo
            self._reject(msg, SRR.VALUE_INCORRECT, tag, f"tag {tag} is not a sequence number up to {MAX_SEQ}")
            return False
        self._serve_resend(begin, end)
        return True

    def _serve_resend(self, begin: int, end: int) -> None:
        """Serve ``begin..end`` (0: all we sent) incrementally: a chunk per turn of the event loop,
        none while the transport's write buffer is full (pause/resume), at most
        ``max_resends_per_second`` numbers a second. A newer request replaces one in progress
        (the counterparty asks for what it still lacks): one job per session, whatever it sends."""
        last = self.store.next_sender_seq - 1
        end = last if end == 0 or end > last else end
        if begin < 1 or begin > end:
            return
        self._resend_job = [begin, end, None]
        self._pump_resend()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._resend_job is not None:
            self._pump_resend()

    def _scheduled_pump(self) -> None:
        self._pump_scheduled = False
        self._pump_resend()

    def _pump_resend(self) -> None:
        job = self._resend_job
        if job is None or self._paused or self._write is None or self._resend_budget <= 0:
            return   # resumed by resume_writing or the next timer tick
        begin, end, gap_start = job
        hi = min(end, begin + min(_RESEND_CHUNK, self._resend_budget) - 1)
        self._resend_budget -= hi - begin + 1
        unreadable: set[int] = set()
        try:
            stored = dict(self.store.get_sent(begin, hi))
        except OSError as exc:          # (a spilled chunk the disk cannot give back: EIO, ...)
            stored = self._read_each(begin, hi, unreadable, exc)
        parser = FixParser(1 << 20)
        low, trimmed = getattr(self.store, "_low", 0), 0     # (below it: let go by the store's bound)
        for seq in range(begin, hi + 1):
            raw = stored.get(seq)
            msg = None
            if raw is not None:
                parser.feed(raw)
                msg = parser.poll()
            elif seq in unreadable:
                pass                     # (counted in resend_unreadable by _read_each)
            elif seq < low:
                trimmed += 1
            if msg is None or msg.msg_type in ADMIN_TYPES:
                gap_start = seq if gap_start is None else gap_start
                continue
            if gap_start is not None:
                self._gap_fill(gap_start, seq)
                gap_start = None
            self._resend(seq, msg)
        if trimmed:
            self.resend_trimmed += trimmed
            log.warning("%s: resend %d..%d: %d messages the store's bound let go are gap-filled (their "
                        "ExecutionReports and other application messages are not resent; raise the "
                        "retention bound, retention.client_stored_messages / stored_messages, 0 = all)",
                        self.name, begin, hi, trimmed)
        if hi < end:
            job[0], job[2] = hi + 1, gap_start
            if self.call_soon is None:
                self._pump_resend()
            elif not self._pump_scheduled:
                self._pump_scheduled = True
                self.call_soon(self._scheduled_pump)   # the next chunk after other work of the loop
            return
        self._resend_job = None
        if gap_start is not None:
            self._gap_fill(gap_start, end + 1)

    def _read_each(self, begin: int, hi: int, unreadable: set, exc: OSError) -> dict:
        """The store could not read ``begin..hi`` back (``exc``): each number read alone, so one bad
        block costs only its own messages. Those that still fail are added to ``unreadable``,
        gap-filled by the resend like the ones the store's bound let go, counted in
        ``resend_unreadable`` and logged with the cause (docs/gateway/session.md "Resends")."""
        stored = {}
        for seq in range(begin, hi + 1):
            try:
                stored.update(self.store.get_sent(seq, seq))
            except OSError:
                unreadable.add(seq)
        if unreadable:
            self.resend_unreadable += len(unreadable)
            log.error("%s: resend %d..%d: the store cannot read %d stored messages back (%s: %s): they are "
                      "gap-filled, not resent (%d so far; the session goes on)",
                      self.name, begin, hi, len(unreadable), type(exc).__name__, exc, self.resend_unreadable)
        return stored

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
