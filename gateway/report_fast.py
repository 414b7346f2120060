"""The venue-report side's common case in one C call per venue read (``native/path.c``:
``FastPath.reports``), and the Python that books what it did.

A FIX venue session of an ``OrderGateway`` with the ``native`` risk core gets a ``VenueFastPath``
as ``session.fast`` (``OrderGateway.add_venue`` / ``on_venue_logon``): ``Session.data_received``
hands it each read first, as it does a client's. The C call takes the read's frames from the start
for as long as each is an in-sequence ExecutionReport (a learned shape, the right CompIDs, inside
the SendingTime window, no PossDup) of the common case: the venue's New ack of a PendingNew
order, a partial or full fill of a PendingNew, New or PartiallyFilled order at this venue
with an ExecID not yet applied, a whole LastQty within the open quantity and a LastPx on the
tick, or the Canceled that answers the client's own pending cancel. It applies each to the order's ``OrderState`` (the one copy of the order's state: the
Python path, cancels, replaces, busts, reconcile, the kill switch, read what C wrote), releases
the fill in the risk core and renders the client's ExecutionReport fields (an ExecID taken).

Booked here, per report in frame order, as ``on_venue_report`` books it: the trail's ``in``
record, the ack round trip, the open notional of the released quantity, the fill counts, the
client's report through ``OrderGateway._to_client`` (the trail's ``out``, held while the journal
fails, the client session's template and store), ``on_change``, ``_end`` of a full fill, the
``venue->client`` hop, and the venue session's inbound number. Everything else (``REPORT_REASONS``:
admin, cancels, busts, replaces, rejects, unknown ids, illegal moves, gaps, PossDup) goes to the
session's Python path from that frame on; ``gw.report_fallbacks`` counts why.
docs/gateway/native.md.
"""
from __future__ import annotations

import logging

from wirespeed.clock import now_ns
from wirespeed.enums import ExecType, OrdStatus
from wirespeed.prices import PriceError, TickSize
from wirespeed.reasons import RejectReason

from .fix.message import ShapedMessage
from .fix import tags as T
from .fix.tags import MsgTypes as M
from .native import native_path
from . import order_fast
from .order_fast import _fields, bind_read_entry, fast_path_ready, keep_rest, shape_program
from .session import Session, SessionState

log = logging.getLogger("wirespeed.orders")

S = OrdStatus


def venue_fast_path_for(gw, link):
    """A ``VenueFastPath`` for ``link``'s session, or None where the C path cannot stand in for the
    Python one (``order_fast.fast_path_ready``, the venue-report side: ``gw.report_fast_path``,
    from WIRESPEED_REPORT_FAST_PATH=0, turns this side alone off) or an OUCH venue."""
    if link.ouch or not fast_path_ready(gw, link.session, reports=True):
        return None
    return VenueFastPath(gw, link)


class VenueFastPath:
    """One venue session's report fast path: the C ``FastPath`` bound to the gateway's orders."""

    __slots__ = ("gw", "link", "session", "core", "fallbacks", "sends", "reports", "sent", "_run")

    def __init__(self, gw, link):
        from . import orders as orders_mod
        from .fix import orders as fix_orders
        self.gw, self.link, self.session = gw, link, link.session
        s, cfg = link.session, link.session.config
        self.core = native_path().FastPath(
            shapes=s.parser._dictionary.shapes, program_of=shape_program, frame_ok=_frame_ok(), decode=None,
            make_order=None, values=None, risk_order=None, risk_clock=None, timestamp=None, symbols={}, live={},
            session_index={}, client_throttles={}, client_credit={}, routes={}, venues={}, slots={}, ids_next=None,
            client_id=cfg.target_comp_id, their_id=cfg.target_comp_id.encode(), our_id=cfg.sender_comp_id.encode(),
            set_next_target=s.store.set_next_target, active=None, limit=None,
            tolerance=int(cfg.sending_time_tolerance_s), check_latency=bool(cfg.check_latency),
            max_bytes=cfg.max_message_bytes)
        self.core.bind_reports(
            orders=gw.orders, venue=link.name, release=gw.risk.model.release,
            report_fields=orders_mod.report_fields, symtab=gw.symbols, exec_next=gw._exec_ids.__next__,
            ticks={sym.index: (sym.tick.parse_ticks, sym.name, *_tick_calls(sym.tick)) for sym in gw.symbols},
            venue_id=_venue_id(), price_error=PriceError, pending_new=S.PENDING_NEW, new=S.NEW,
            partial=S.PARTIALLY_FILLED, filled=S.FILLED, pending_cancel=S.PENDING_CANCEL,
            pending_replace=S.PENDING_REPLACE, et_new=ExecType.NEW, et_trade=ExecType.TRADE,
            reason_none=RejectReason.NONE, canceled=S.CANCELED, et_canceled=ExecType.CANCELED,
            orig_tag=T.OrigClOrdID)
        if order_fast.C_CALLS and fix_orders._REPORT_FIELDS is not None and \
                orders_mod.report_fields is fix_orders.report_fields:
            # report_fields' C call made by the C path itself, the tick's arguments bound above
            # (native/calls.h); a number it does not cover still goes to report_fields
            self.core.bind_report_calls(fix_orders._REPORT_FIELDS)
        if gw.c_client_send:
            # The client's report written from the C call (its MsgSeqNum, template, store, write), behind
            # the trail's records and flush (``_trail``, when there is a trail); Python's otherwise.
            from wirespeed.clock import fix_timestamp as real_timestamp

            from .session import session as session_mod
            ts = session_mod.fix_timestamp      # (a test pins it there; the real one is rendered in C)
            self.core.bind_client_send(Session, SessionState.ACTIVE, gw._held, self._trail if gw._auditing else None,
                                       None if ts is real_timestamp else ts)
            if gw.c_book and hasattr(self.core, "bind_book"):
                # ... and its common reports booked there too (native/book.h: what _book does, on the
                # same objects, right after the write); every other one's record is booked by _book.
                self.core.bind_book(gw, link.session)
        self._run = self.core.reports
        self.fallbacks = gw.report_fallbacks     # reason -> reads (or their rest) left to Python: all venues
        self.sends = gw.client_send_fallbacks    # reason -> client reports C left to Python's send: all venues
        self.reports = 0                          # reports the C path took
        self.sent = 0                             # client reports written from the C call

    def on_read(self, data: bytes, recv_ns: int):
        """Take what the C path takes of ``data``; the rest (bytes) for the Python path, or None."""
        gw = self.gw
        if gw._auditing and gw.audit.backlogged():
            self.fallbacks["audit_backlog"] += 1
            return data
        s = self.session
        now = s.clock()
        rate = s._rate        # the session's token bucket, as Session._on_message keeps it
        tokens = s._tokens + (now - s._tokens_at) * rate
        if tokens > rate:
            tokens = rate
        budget = int(tokens)
        # An on_change hook sees each report's state as the Python path shows it: one report a call.
        step = 1 if gw.on_change is not None else budget
        return self.finish(data, recv_ns, now, tokens, budget,
                           self._run(data, 0, recv_ns, s.store.next_target_seq, min(step, budget)))

    def finish(self, data: bytes, recv_ns: int, now, tokens, budget: int, result):
        """on_read after its first C call (also where the transport's C read entry hands a read it
        began, native/read_entry.h): ``result`` is the call's (end, records, reason), or the
        exception it raised. Books the records in frame order, calls on for the rest of the
        message-rate budget, keeps the session's bookkeeping; returns the rest of the read for the
        Python path, or None."""
        if isinstance(result, BaseException):
            raise result
        s = self.session
        step = 1 if self.gw.on_change is not None else budget
        pos = handled = 0
        while True:
            pos, records, reason = result
            booked = self.core.booked      # (booked in C, before the records: native/book.h)
            n = len(records) + booked
            self.sent += booked
            if n:
                handled += n
                self.reports += n
                s._last_recv = now
                s._test_req_sent_at = 0.0
                s.messages_in += n
                s._tokens, s._tokens_at = tokens - handled, now
                failure = None
                for rec in records:
                    # Every applied report is booked, whatever one of them raises (none may be lost).
                    try:
                        self._book(rec)
                    except Exception as exc:        # noqa: BLE001 (raised after the rest are booked)
                        failure = failure or exc
                if failure is not None:
                    keep_rest(self.session, data, pos)
                    raise failure
            if reason != "rate" or handled >= budget or step == budget or pos >= len(data):
                break
            result = self._run(data, pos, recv_ns, s.store.next_target_seq, min(step, budget - handled))
        if isinstance(reason, BaseException):
            keep_rest(self.session, data, pos)
            raise reason
        if pos >= len(data):
            return None
        self.fallbacks[reason] += 1
        return data[pos:] if pos else data

    def _book(self, rec) -> None:
        s = self.session
        if rec[0] is None:
            self._failed(rec)
            return
        state, et, ack_owed, released, full, fields, m, shape, raw, seq, t0, sent, why, t_sent = rec
        gw = self.gw
        s._in_reply_to = seq
        try:
            if gw._auditing and not sent:     # (a report C sent or held: its gate, _trail, made the records)
                gw.audit.record("in", {"venue": self.link.name, "msg": "8", "fields": _fields(m, shape, raw)})
            venue, client_id = state.venue, state.client_id
            counts = gw.counts
            if ack_owed:      # (gw._hop's append; its bound is checked below)
                gw._hop_buf.append(("venue ack rtt", venue, client_id, t0 - state.sent_ns))
            if released:      # (gw._book, written out: the client's and the venue's open notional)
                notional = released * state.order.price
                books = gw._client_open
                books[client_id] = books.get(client_id, 0) - notional
                gw.venues[venue].open_notional -= notional
            if et == "4":
                counts["canceled"] += 1
            elif et != "0":
                counts["fills"] += 1
            if sent == 1:       # written by C: Session._record_and_write's bookkeeping after its write
                self.sent += 1
                client = state.client
                client._last_sent = client.clock()
                client.messages_out += 1
            elif not sent:
                if why is not None:
                    self.sends[why] += 1
                gw._to_client(state.client, M.EXECUTION_REPORT, fields)
                t_sent = now_ns()
            elif sent == 3:     # stored, its write refused: as _send_client logs a RuntimeError
                log.warning("%s to %s not sent: %s", M.EXECUTION_REPORT, state.client.name, why)
            else:
                t_sent = 0      # (held for the journal: not written yet)
            if gw.on_change is not None:
                gw.on_change(state)
            if et == "4" or full:
                if et != "4":
                    counts["filled"] += 1
                if state.reserved or state.pending is not None or state.pending_cl:
                    gw._end(state)
                else:
                    # gw._end's common case written out (a full fill or the cancel of an order with
                    # nothing left reserved, no replace pending): its ClOrdID done, retained.
                    order = state.order
                    oid = order.order_id
                    key = (client_id, order.cl_ord_id)
                    gw._live.pop(key, None)
                    gw._done[key] = oid
                    awaiting = gw.venues[venue].awaiting
                    if awaiting:
                        awaiting.discard(oid)
                    finished = gw._finished
                    finished.append(oid)
                    if len(finished) > gw._retain:
                        gw._evict()
            # received -> the client's report written (by C or just above); a held one, when booked
            hops = gw._hop_buf
            if gw.gate_batcher is not None:     # (the trail's gate: stamped when the bytes leave it)
                gw._client_hop(state.client, venue, client_id, t0, t_sent)
            else:
                hops.append(("venue->client", venue, client_id, (t_sent or now_ns()) - t0))
            if len(hops) > 100_000:     # (_hop's bound: the timer drains it every DRAIN_S)
                gw.drain_latency()
        finally:
            s._in_reply_to = 0
            s.store.set_next_target(seq + 1)

    def _trail(self, m, shape, raw, t0, client, fields) -> bool:
        """The gate of the client send from C, when there is a trail: the report's ``in`` record and
        the client report's ``out``, the journal flushed (``OrderGateway._may_send``), before the
        client can see it, in the Python path's order. False: held for the journal (sent in order
        by ``release_held``)."""
        gw = self.gw
        gw.audit.record("in", {"venue": self.link.name, "msg": "8", "fields": _fields(m, shape, raw)})
        # Behind the write batcher's trail gate the journal is flushed once a read, before the
        # client's bytes leave (OrderGateway.trail_gate); else here, before C writes.
        return gw._may_send(client, M.EXECUTION_REPORT, fields,
                            not (gw.write_gated and getattr(client, "trail_gated", False)))

    def _failed(self, rec) -> None:
        """Applying a report failed in C past the point of no return: what the Python path has
        booked when the same error reaches it (the trail's ``in``, the ack hop, the released
        quantity's open notional, the count of what ``_fill`` / ``_canceled`` counted before their
        ``_report``), and the inbound number consumed; the caller raises the error after."""
        _, seq, state, et, ack_owed, released, applied, m, shape, raw, t0, trailed = rec
        gw, s = self.gw, self.session
        try:
            if gw._auditing and not trailed:
                if m is None:
                    m = shape.match(raw.decode("latin-1"))
                gw.audit.record("in", {"venue": self.link.name, "msg": "8",
                                       "fields": ShapedMessage(m, shape, raw, t0, s.parser._dictionary).fields})
            if ack_owed:
                gw._hop("venue ack rtt", state.venue, state.client_id, t0 - state.sent_ns)
            if released:
                gw._book(state, -released * state.order.price)
            if applied and et != "0":
                gw.counts["canceled" if et == "4" else "fills"] += 1
        finally:
            s.store.set_next_target(seq + 1)


def _venue_id():
    """The venue ClOrdID's order id: the C function itself (native/calls.h) where it is built and
    the switch is on, else ``venue_order_id`` (its Python wrapper)."""
    from .fix import orders as fix_orders
    if order_fast.C_CALLS and fix_orders._VENUE_ID is not None:
        return fix_orders._VENUE_ID
    return fix_orders.venue_order_id


def _tick_calls(tick) -> tuple:
    """What the C path needs to do ``tick``'s parse_ticks and report_fields' tick arguments itself
    (native/calls.h): (the C report's tick arguments, units, decimals), or () with the switch off."""
    from .fix import orders as fix_orders
    if not order_fast.C_CALLS or type(tick).parse_ticks is not TickSize.parse_ticks:
        return ()
    return (fix_orders._tick_args(tick), tick.units, tick.decimals)


def _frame_ok():
    from .native import native_fix
    return native_fix().frame_ok


bind_read_entry()     # (both fast path types defined: the transport's C read entry may take their reads)

__all__ = ["VenueFastPath", "venue_fast_path_for"]
