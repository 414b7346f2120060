"""The client order path's common case in one C call per read (``native/path.c``), and the
Python that books what it did after the venue write.

A client session with a ``ClientFastPath`` hands each read to ``on_read`` first (when nothing of
an earlier read is buffered and no gap is queued). The C call takes the read's frames from the
start for as long as each is an in-sequence NewOrderSingle the Python path would send to a FIX
venue unchanged, and returns a record per order; what it leaves (an admin message, a cancel, a
reject, a gap, a venue with a throttle, ...: ``REASONS``) goes to the session's Python path from
that frame on, exactly as before. ``fallbacks`` counts why reads left the fast path.

The records are booked here, in the order the frames came: the session's bookkeeping of
``Session._on_message`` (token bucket, last-received time, message count), then the gateway's of
``OrderGateway.on_new_order`` (counts, the audit trail's in / risk / out records, the order
state, the stamps) through the same ``OrderGateway`` methods the Python path uses. A risk reject
comes back as a record too and is answered by ``OrderGateway._reject``: the client gets the
Python path's bytes. docs/gateway/native.md.
"""
from __future__ import annotations

import functools
import logging
import os
import re
from collections import Counter

from .fix.message import ShapedMessage
from .fix.tags import MsgTypes as M
from .fix.orders import NEW_ORDER_TAGS
from .order_records import OrderState
from . import native
from .native import native_fix, native_path
from .session.session import _ACTIVE
from .store import FileStore, MemoryStore
from .transport.tcp import FixProtocol, WriteBatcher

if native._path is not None:
    # The fast path's sends append to these stores in C (native/store_append.h), the same records.
    native._path.bind_stores(FileStore, MemoryStore)
    if hasattr(native._path, "bind_ids"):
        from wirespeed.ids import OrderIds
        native._path.bind_ids(OrderIds.__next__)      # (the order id taken in C while its block lasts)

log = logging.getLogger("wirespeed.orders")

# The Python calls the C paths made per order (the batcher's write, the stores' inbound number, the
# ExecID, the fill's LastPx, the report's fields, the venue ClOrdID's id) made in C
# (native/calls.h). WIRESPEED_C_CALLS=0 calls them all as before: the bench's "before".
C_CALLS = os.environ.get("WIRESPEED_C_CALLS", "1") != "0"


# The venue NewOrderSingle's values rendered in the client fast path's call from the OrderValues'
# own tables (path.c venue_values: the same tuple, from the decoder's values in hand instead of read
# back from the Order). WIRESPEED_C_VALUES=0: OrderValues is called, the bench's "before".
C_VALUES = os.environ.get("WIRESPEED_C_VALUES", "1") != "0"


def set_c_calls(on: bool) -> None:
    """calls.h's module-wide calls made in C (``on``) or called (a test's before / after; a
    VenueFastPath reads ``C_CALLS`` when it is made)."""
    global C_CALLS
    C_CALLS = bool(on)
    path = native._path
    if path is None or not hasattr(path, "bind_calls"):
        return
    if on:
        from wirespeed.ids import StringIds
        from .transport.tcp import READ_BATCH
        path.bind_calls(MemoryStore.set_next_target, WriteBatcher.write, READ_BATCH, StringIds.__next__)
    else:
        path.bind_calls(None, None, 0, None)


# Value-pattern kinds of a shape's program (native/path.c checks each value in C against its kind)
K_FIXED, K_DIGITS, K_INT, K_DECIMAL, K_TIME, K_TEXT, K_CHARSET = range(7)


_STATE_ARGS = {"order": 0, "client": 1, "venue": 2, "qty": 3, "reserved": 4, "venue_cl": 5}


def state_spec(cls=OrderState):
    """``OrderState(order, client, venue, qty=, reserved=, venue_cl=)`` as the C booking makes it
    itself (native/book.h ``make_state``): per field, in the order the dataclass's ``__init__``
    sets them, (name, 0, the argument's index) / (name, 1, its default) / (name, 2, its default
    factory), then ``client_id`` (name, 3, None) as ``__post_init__`` sets it. None where the class
    is not that dataclass (the C booking then calls the class)."""
    import dataclasses
    if not dataclasses.is_dataclass(cls) or "__init__" not in cls.__dict__:
        return None
    post = getattr(cls, "__post_init__", None)
    if getattr(getattr(post, "__code__", None), "co_names", None) != ("client", "config", "target_comp_id", "client_id"):
        return None
    spec = []
    for f in dataclasses.fields(cls):
        if not f.init:
            if f.name != "client_id":
                return None
            continue
        if f.name in _STATE_ARGS:
            spec.append((f.name, 0, _STATE_ARGS[f.name]))
        elif f.default is not dataclasses.MISSING:
            spec.append((f.name, 1, f.default))
        elif f.default_factory is not dataclasses.MISSING:
            spec.append((f.name, 2, f.default_factory))
        else:
            return None
    if {n for n, k, _ in spec if k == 0} != set(_STATE_ARGS):
        return None
    return (*spec, ("client_id", 3, None))


def _kind_of(pattern: str):
    """(kind, min, max, bytes) for a value pattern the dictionary writes (``_value_pattern``), or
    None for one the C checks do not know (the shape is then matched by its regular expression)."""
    from .fix import dictionary as d
    known = {"[0-9]{1,9}+": (K_DIGITS, 1, 9, b""), "[0-9]{3}": (K_DIGITS, 3, 3, b""),
             d._DIGITS: (K_DIGITS, 1, 18, b""), d._INT: (K_INT, 1, 18, b""), d._DECIMAL_RE: (K_DECIMAL, 0, 0, b""),
             d._TIMESTAMP_RE: (K_TIME, 0, 0, b""), "[^\x01]++": (K_TEXT, 0, 0, b""),
             "[^\x01]++".replace("\\x01", "\x01"): (K_TEXT, 0, 0, b"")}
    if pattern in known:
        return known[pattern]
    m = re.fullmatch(r"\[((?:\\.|[^\]\\])+)\]", pattern)
    if m is not None:                       # a class of single characters (an enumeration)
        chars = re.sub(r"\\(.)", r"\1", m.group(1))
        if "".join(re.escape(c) for c in chars) == m.group(1) and "-" not in m.group(1).replace("\\-", ""):
            return (K_CHARSET, 0, 0, chars.encode("latin-1"))
        return None
    literal = re.sub(r"\\(.)", r"\1", pattern)
    if re.escape(literal) == pattern:      # a value the shape fixes (BeginString, MsgType, counts)
        return (K_FIXED, 0, 0, literal.encode("latin-1"))
    return None


def shape_program(shape):
    """The shape's fields as ((tag bytes, kind, min, max, bytes), ...) for the C matcher, or None
    (a value pattern it does not know: the C path calls the shape's regular expression). The
    program is read off the shape's own pattern text, so it checks what the pattern checks
    (tests/gateway/test_fast_path.py fuzzes the two against each other)."""
    pattern = shape.match.__self__.pattern
    pos, out = 0, []
    for k, tag in enumerate(shape.tags):
        head = f"{tag}=("
        if not pattern.startswith(head, pos):
            return None
        start = pos + len(head)
        if k + 1 < len(shape.tags):
            end = pattern.find(f")\x01{shape.tags[k + 1]}=(", start)
        else:
            end = len(pattern) - 2 if pattern.endswith(")\x01") else -1
        if end < 0:
            return None
        kind = _kind_of(pattern[start:end])
        if kind is None:
            return None
        out.append((tag.encode(), *kind))
        pos = end + 2
    return tuple(out) if pos == len(pattern) else None


def _fields(m, shape, raw) -> dict:
    """The frame's fields as ``ShapedMessage.fields`` builds them (tag -> value), for the trail's
    ``in`` record, without the message object (~6 % of the gateway's CPU with the trail on went to
    building the two). The C path matched the frame with the shape's program: the regular
    expression's match is made here when it did not."""
    if m is None:
        m = shape.match(raw.decode("latin-1"))
    return dict(zip(shape.tags, m.groups()))


def fast_path_ready(gw, session, reports: bool = False) -> bool:
    """Whether a C fast path can stand in for the Python one on ``session`` of ``gw`` (one
    predicate for both sides): the extension built and the native codec on (not
    ``WIRESPEED_NATIVE=0``), ``gw.fast_path`` on (and, for the venue-report side, ``reports``,
    ``gw.report_fast_path``), the ``native`` risk core behind the backend (its ``check`` and
    ``release`` the native core's own), a FIX session with a data dictionary (learned shapes)."""
    from .fix import orders as fix_orders
    from .risk import NativeRiskBackend
    from .session import Session
    if native_path() is None or native_fix() is None or not gw.fast_path or fix_orders._NATIVE is None:
        return False
    if reports and (not getattr(gw, "report_fast_path", True) or fix_orders._VENUE_ID is None):
        return False
    if not reports and fix_orders._VALUES is None:
        return False
    risk = gw.risk
    if type(risk).check is not NativeRiskBackend.check or type(risk).release is not NativeRiskBackend.release:
        return False
    if not (hasattr(risk.model, "order") and hasattr(risk.model, "release")):
        return False
    return isinstance(session, Session) and session.parser._dictionary is not None


def monotonic_risk_clock(risk):
    """(t0, mask) where ``risk``'s clock is the backends' default one (``_Registers._init_registers``:
    ``(time.monotonic_ns() - risk._t0) & NOW_MASK``), which the C path then reads itself before
    the write instead of calling a lambda; None for any other clock (a test's, a config's): it is
    called as before."""
    from .risk import NOW_MASK
    clock = getattr(risk, "clock", None)
    code = getattr(clock, "__code__", None)
    if (code is None or getattr(clock, "__qualname__", "") != "_Registers._init_registers.<locals>.<lambda>"
            or code.co_names != ("time", "monotonic_ns", "_t0", "NOW_MASK") or clock.__closure__ is None
            or [c.cell_contents for c in clock.__closure__] != [risk] or not isinstance(risk._t0, int)):
        return None
    return risk._t0, NOW_MASK


def fast_path_for(gw, session):
    """A ``ClientFastPath`` for ``session`` of ``gw``, or None where the C path cannot stand in for
    the Python one (``fast_path_ready``)."""
    return ClientFastPath(gw, session) if fast_path_ready(gw, session) else None


def keep_rest(session, data: bytes, pos: int) -> None:
    """Raising out of a fast path's ``on_read``: the frames after the failing one go to the session's
    parser, where the Python path leaves them when a message's handling raises (the next read polls
    them), so none is lost to a sequence gap."""
    if pos < len(data):
        session.parser.feed(data[pos:] if pos else data)


class ClientFastPath:
    """One client session's fast path: the C ``FastPath`` and the booking of its records."""

    __slots__ = ("gw", "session", "core", "slots", "fallbacks", "orders", "_venues_seen", "_run")

    def __init__(self, gw, session):
        from wirespeed.clock import fix_timestamp as real_timestamp

        from . import orders as orders_mod
        from .fix import orders as fix_orders
        self.gw, self.session = gw, session
        cfg = session.config
        self.slots: dict = {}            # venue name -> (link, session, store, encode): FIX venues only
        self._venues_seen = -1
        ts = orders_mod.fix_timestamp    # (a test pins it there; the real one is rendered in C)
        self.core = native_path().FastPath(
            shapes=session.parser._dictionary.shapes, program_of=shape_program, frame_ok=native_fix().frame_ok, decode=fix_orders._NATIVE,
            make_order=fix_orders._ORDER, values=fix_orders._VALUES, risk_order=gw.risk.model.order,
            risk_clock=gw.risk.clock, timestamp=None if ts is real_timestamp else ts,
            symbols={s.name: (s.index, s.tick.units, s.tick.decimals, s.name) for s in gw.symbols},
            live=gw._live, session_index=gw._session_index, client_throttles=gw.client_throttles,
            client_credit=gw.client_credit, routes=gw.routes, venues=gw.venues, slots=self.slots,
            ids_next=gw._ids.__next__, client_id=cfg.target_comp_id, their_id=cfg.target_comp_id.encode(),
            our_id=cfg.sender_comp_id.encode(), set_next_target=session.store.set_next_target, active=_ACTIVE,
            limit=fix_orders.OrdType.LIMIT, tolerance=int(cfg.sending_time_tolerance_s),
            check_latency=bool(cfg.check_latency), max_bytes=cfg.max_message_bytes)
        if C_VALUES and hasattr(self.core, "bind_values") and hasattr(fix_orders._VALUES, "tables"):
            self.core.bind_values(*fix_orders._VALUES.tables())
        mono = monotonic_risk_clock(gw.risk)
        if mono is not None and hasattr(self.core, "bind_risk_clock"):
            self.core.bind_risk_clock(*mono)
        if getattr(gw, "c_new_book", False) and hasattr(self.core, "bind_new_book"):
            # Without a trail, the orders the C call writes are booked there too, right after the
            # write (native/book.h, book_new: what _sent does, on the same objects), no record.
            self.core.bind_new_book(gw, session, OrderState, state_spec() if C_CALLS else None)
        self._run = self.core.run
        # reason -> reads (or their rest) left to the Python path: the gateway's, over all sessions
        self.fallbacks: Counter = gw.fast_fallbacks
        self.orders = 0                       # orders the C path took (sent, or refused by risk)

    def _refresh_slots(self) -> None:
        """The FIX venues the C path may write to: no hardware encoder, a store that writes at
        once (FsyncPolicy=always holds sends for their fsync: Python's). Rebuilt when a venue is
        added or logs on (a new connection: a new write); a venue's state, throttle and credit
        limit, and whether its session's write is still the one seen here, the C path reads per
        order (a different write is called as it is)."""
        slots = self.slots
        slots.clear()
        for name, link in self.gw.venues.items():
            session = link.session
            if link.ouch or link.fix_encoder is not None or not hasattr(session, "send_template"):
                continue
            if getattr(session.store, "deferred_sync", True) or not hasattr(session, "_write"):
                continue
            template = link.templates.get(True)
            if template is None:
                template = link.templates[True] = session.template(M.NEW_ORDER_SINGLE, NEW_ORDER_TAGS)
            if not template:
                continue
            write = session._write
            if (isinstance(write, functools.partial) and isinstance(getattr(write.func, "__self__", None), WriteBatcher)
                    and write.func == write.func.__self__.write and len(write.args) == 1 and not write.keywords
                    and isinstance(write.args[0], FixProtocol)):
                # Through its WriteBatcher (a client read's orders to this venue go out in one write
                # once the read is handled, transport/tcp.py): the read's first write, which the
                # batcher sends at once, the C path sends itself (no Python frame); the rest through it.
                direct = (write, write.func.__self__, write.args[0], write)
            else:
                direct = (write, None, None, write)
            slots[name] = (link, session, session.store, template.encode, *direct)
        self._venues_seen = self.gw.venue_epoch

    def on_read(self, data: bytes, recv_ns: int):
        """Take what the C path takes of ``data``; the rest (bytes) for the Python path, or None."""
        gw = self.gw
        if gw._auditing and gw.audit.backlogged():
            # The trail's backlog is at audit.max_pending: on_new_order refuses what comes (and
            # retries the disk); nothing may start here unrecorded.
            self.fallbacks["audit_backlog"] += 1
            return data
        if gw.venue_epoch != self._venues_seen:     # a venue added or (re)connected
            self._refresh_slots()
        s = self.session
        now = s.clock()
        # The session's token bucket as Session._on_message keeps it, for the messages taken here.
        rate = s._rate
        tokens = s._tokens + (now - s._tokens_at) * rate
        if tokens > rate:
            tokens = rate
        budget = int(tokens)
        try:
            first = self._run(data, 0, recv_ns, s.store.next_target_seq, budget)
        except BaseException:
            keep_rest(s, data, 0)
            raise
        return self.finish(data, recv_ns, now, tokens, budget, first)

    def finish(self, data: bytes, recv_ns: int, now, tokens, budget: int, result):
        """on_read after its first C call (also where the transport's C read entry hands a read it
        began, native/read_entry.h): ``result`` is the call's (end, records, reason), or the
        exception it raised. Books the records, goes on after a risk reject, keeps the session's
        bookkeeping; returns the rest of the read for the Python path, or None."""
        s = self.session
        if isinstance(result, BaseException):
            keep_rest(s, data, 0)
            raise result
        pos = handled = 0
        reason = None
        core = self.core
        try:
            while True:
                pos, records, reason = result
                handled += core.booked       # (sent and booked in the C call: native/book.h, no record)
                for rec in records:
                    handled += 1
                    kind = rec[0]
                    if kind == 0:
                        self._sent(rec)
                    elif kind == 1:
                        self._refused(rec)
                    else:
                        self._failed(rec)
                if reason != "risk_reject":
                    break
                self.fallbacks[reason] += 1      # (Python answers it; the C path goes on after it)
                if pos >= len(data):
                    reason = None
                    break
                result = self._run(data, pos, recv_ns, s.store.next_target_seq, budget - handled)
        except BaseException:
            keep_rest(s, data, pos)
            raise
        finally:
            if handled:
                self.orders += handled
                s._last_recv = now
                s._test_req_sent_at = 0.0
                s.messages_in += handled
                s._tokens, s._tokens_at = tokens - handled, now
        if isinstance(reason, BaseException):
            keep_rest(s, data, pos)
            raise reason
        if pos >= len(data):
            return None
        self.fallbacks[reason] += 1
        return data[pos:] if pos else data

    def _message(self, match, shape, raw, recv_ns):
        """The frame as the parser would have handed it over (for the trail's ``in`` record). The C
        path matched it with the shape's program: the match is made here, off the hot path."""
        if match is None:
            match = shape.match(raw.decode("latin-1"))
        return ShapedMessage(match, shape, raw, recv_ns, self.session.parser._dictionary)

    def _sent(self, rec) -> None:
        """An order C wrote to its venue: ``OrderGateway._new_order_sent``'s booking (``_book_new``,
        ``_book``, ``_accepted``, ``_stamp``, ``_hop``) written out here, the same dict and list
        operations in the same order without their eight Python calls (~13 % of the gateway's CPU
        under make bench-load went to this booking; tests/gateway/test_fast_path*.py compare the
        order states, books, counts, stamps and trail with the Python path's)."""
        _, order, venue, values, t0, t1, t2, t3, m, shape, raw, seq, vseq, tw = rec
        gw, client = self.gw, self.session
        counts = gw.counts
        counts["received"] += 1
        client_id = client.config.target_comp_id
        auditing = gw._auditing
        if auditing:
            gw.audit.record("in", {"client": client_id, "msg": "D", "cl_ord_id": order.cl_ord_id,
                                   "fields": _fields(m, shape, raw)})
        link = gw.venues[venue]
        vs = link.session
        vs._last_sent = vs.clock()      # (Session._record_and_write's bookkeeping after its write)
        vs.messages_out += 1
        hop_buf = gw._hop_buf
        hop_buf.append(("venue send", venue, client_id, t3 - tw))   # the write's system call
        qty, oid = order.qty, order.order_id
        state = OrderState(order, client, venue, qty=qty, reserved=qty, venue_cl=values[0])
        state.sent_ns = t3
        gw.orders[oid] = state
        gw._live[(client_id, order.cl_ord_id)] = oid
        notional = qty * order.price
        books = gw._client_open
        books[client_id] = books.get(client_id, 0) + notional
        link.open_notional += notional
        stamps = gw._hops
        stamps.append((t0, t1, t2, t3, venue, client_id))
        counts["accepted"] += 1
        if auditing:
            gw.audit.record("risk", {"client": client_id, "venue": venue, "cl_ord_id": order.cl_ord_id,
                                     "order_id": oid, "decision": "accept", "mask": 0, "reasons": [],
                                     "hops": {"recv": t0, "decoded": t1, "risk": t2, "venue_write": t3}})
            gw.audit.record("out", {"venue": venue, "msg": "D", "order_id": oid,
                                    "fields": list(zip(NEW_ORDER_TAGS, values))})
        if len(hop_buf) > 100_000 or len(stamps) > 100_000:    # (_hop's and _stamp's bound)
            gw.drain_latency()

    def _refused(self, rec) -> None:
        """A risk reject: answered as the Python path answers it, in the reply context of its
        inbound number (Session._to_app), which is consumed after."""
        _, order, venue, mask, t0, t1, t2, m, shape, raw, seq = rec
        gw, client = self.gw, self.session
        client._in_reply_to = seq
        try:
            gw.counts["received"] += 1
            if gw._auditing:
                msg = self._message(m, shape, raw, t0)
                gw.audit.record("in", {"client": client.config.target_comp_id, "msg": "D",
                                       "cl_ord_id": order.cl_ord_id, "fields": msg.fields})
            gw._stamp((t0, t1, t2, 0, venue, client.config.target_comp_id))
            gw._reject(client, order, mask, venue=venue, hops=(t0, t1, t2))
        finally:
            client._in_reply_to = 0
            client.store.set_next_target(seq + 1)

    def _failed(self, rec) -> None:
        """An error past the point of no return (the order id taken, maybe risk's reservation):
        what the Python path has booked when the same error reaches it (the count, the trail's
        in record, the order's state if risk accepted it, the inbound number consumed); the
        caller raises the error after."""
        _, order, venue, values, accepted, m, shape, raw, seq, t0 = rec
        gw, client = self.gw, self.session
        try:
            gw.counts["received"] += 1
            if gw._auditing:
                gw.audit.record("in", {"client": client.config.target_comp_id, "msg": "D",
                                       "cl_ord_id": self._message(m, shape, raw, t0).get(11, ""),
                                       "fields": self._message(m, shape, raw, t0).fields})
            if accepted:
                gw._book_new(client, order, venue, values[0])
        finally:
            client.store.set_next_target(seq + 1)


def bind_read_entry() -> None:
    """The transport's C read entry (native/read_entry.h) takes the reads of sessions whose
    ``fast`` is one of these two types, under the conditions their ``on_read`` would reach the C
    call in; every other read goes to FairReads.data_received, the Python path."""
    if native._path is None or not hasattr(native._path, "bind_entry"):
        return
    from .audit import AuditTrail
    from .fix.parser import FixParser
    from .report_fast import VenueFastPath
    native._path.bind_entry(ClientFastPath, VenueFastPath, _ACTIVE, FixParser, AuditTrail)


set_c_calls(C_CALLS)

__all__ = ["ClientFastPath", "fast_path_for", "fast_path_ready"]
