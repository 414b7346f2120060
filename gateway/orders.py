"""The order path: many client sessions to many venue sessions through risk, and the reports back.

Client NewOrderSingle, OrderCancelRequest, OrderCancelReplaceRequest and
OrderStatusRequest come in; each order goes to the venue its ExDestination (100)
names, or its client's default route. At the venue an order is known by the
gateway's id (``venue_cl_ord_id``; a cancel or replace adds ``.n``), so every venue
report finds its order, and the client hears its own ClOrdID / OrigClOrdID with the
gateway's OrderID. Status changes go through ``order_state`` (one table); a report
that would make an illegal move is logged, counted and dropped.

Risk is reserved when an order is accepted and released by what the venue reports:
fills (position moves), cancels, expiries and rejects (the open quantity goes). A
replace is checked as an order record of its new price and remaining quantity while
the old one is still reserved (the venue may fill the old order until it confirms),
and on the confirmation the old reservation is released: what stays is the change.

A venue session that logs on again is reconciled before new flow goes to it: every
working order there is asked for with OrderStatusRequest, fills the gateway missed are
reported from the difference in CumQty, orders the venue ended are ended; until every
answer is in (or ``reconcile_timeout_s`` passes) new orders to that venue are rejected.
A venue ExecID already applied is ignored, so a resent report is not reported twice.

Every hop is stamped with ``perf_counter_ns`` into the LatencyRecorder (``HOPS``, and
``client->venue`` per venue and per client).
"""
from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections import Counter, defaultdict, deque

from wirespeed.clock import fix_timestamp, now_ns
from wirespeed.enums import ExecType, OrdStatus, OrdType, Side
from wirespeed.enums import TimeInForce
from wirespeed.ids import OrderIds, StringIds
from wirespeed.latency import LatencyRecorder
from wirespeed.order import Order
from wirespeed.reasons import RejectReason, primary, reasons_in
from wirespeed.symbols import SymbolTable

from . import order_state as fsm
from .audit import NoAudit
from .controls import RateLimit, TokenBucket
from .fix import tags as T
from .fix.message import FixMessage
from .fix.orders import (NEW_MARKET_ORDER_TAGS, NEW_ORDER_TAGS, DecodeError, ExDestination, cancel_reject_fields,
                         decode_new_order, decode_replace, new_order_values, report_fields, venue_cancel_fields,
                         venue_cl_ord_id, venue_replace_fields)
from .fix.orders import _ORDER, QTY_MAX      # (on_new_order_fields: an Order built as the decoder builds it)
from .fix.tags import MsgTypes as M
from .risk import RiskBackend
from .order_apps import ClientApp, VenueApp
from .order_records import OrderState, VenueLink
from .session import Session, SessionState
from .native.hist import drain_hops, group_hops, record_many, stamp_ring
from .venue_reports import ORDER_STATUS_REQUEST, VenueReports

log = logging.getLogger("wirespeed.orders")


def _bucket(ns: int) -> int:
    """The lowest value of ``ns``'s bucket in the recorder's HDR histograms (3 significant
    digits from 1 ns: 2048 sub-buckets, so the low ``bit_length - 11`` bits do not count),
    clamped to their range as ``LatencyRecorder.record`` clamps."""
    ns = 1 if ns < 1 else (60_000_000_000 if ns > 60_000_000_000 else ns)
    shift = ns.bit_length() - 11
    return ns if shift <= 0 else ns >> shift << shift

S = OrdStatus
HOPS = ("kernel->user", "decode", "risk", "client->venue", "venue ack rtt", "venue->client", "venue send")
__all__ = ["HOPS", "ORDER_STATUS_REQUEST", "OrderGateway", "OrderState", "VenueLink"]


class OrderGateway(VenueReports):
    """Owns the order state machine between client sessions and venue sessions."""

    def __init__(self, symbols: SymbolTable, risk: RiskBackend, latency: LatencyRecorder | None = None,
                 retain_finished: int = 10_000, audit=None, clock=time.monotonic, reconcile_timeout_s: float = 5.0):
        if isinstance(retain_finished, bool) or not isinstance(retain_finished, int) or retain_finished < 0:
            raise ValueError(f"retain_finished must be a non-negative integer, not {retain_finished!r}")
        self.symbols = symbols
        self.risk = risk
        self.latency = latency or LatencyRecorder(HOPS)
        self.audit = audit or NoAudit()
        self._auditing = audit is not None     # checked before building a record: no trail, no cost
        self._held: deque = deque()   # client reports waiting for a failing trail (release_held)
        # True: client connections write through a WriteBatcher whose gate is ``trail_gate`` (the
        # Gateway sets it with a trail): the report fast path's gate then records without flushing.
        self.write_gated = False
        # That batcher (the Gateway sets it): a gated client's ``venue->client`` hop is stamped when
        # its bytes reach the socket, past the journal flush, not when they were queued for it.
        self.gate_batcher = None
        self._gate_hops: dict = {}    # client connection -> [(venue, client, t0), ...] queued for the gate
        self._gate_holding = False
        # Per-venue and per-client hop values wait here and go into their histograms on the
        # timer (``drain_latency``): an append on the hot path instead of two HDR records.
        self._hop_buf: list[tuple[str, str, str, int]] = []      # (hop, venue or "", client, ns)
        self._hops: list[tuple] = []     # a new order's stamps: (recv, decoded, risk, venue write or 0, venue, client)
        # The C paths' hops and stamps as integers (native/hist.py StampRing; None: into the lists above)
        self._ring = stamp_ring()
        self.clock = clock
        self.reconcile_timeout_s = reconcile_timeout_s
        self.venues: dict[str, VenueLink] = {}
        self._venue_by_session: dict[int, VenueLink] = {}
        self.routes: dict[str, str] = {}            # client CompID -> default venue
        self.client_throttles: dict[str, TokenBucket] = {}
        # Per-client and per-venue credit: open notional (ticks x shares) the gateway has out, with
        # an optional limit each (0: none); the risk pipeline's credit limit is the firm-wide one.
        self.client_credit: dict[str, int] = {}
        self._client_open: dict[str, int] = {}
        self.orders: dict[int, OrderState] = {}
        self._live: dict[tuple[str, str], int] = {}  # (client CompID, ClOrdID) -> order id
        # Finished orders stay answerable (a late venue report, a status query) for the last
        # ``retain_finished`` of them, then are dropped: memory stays flat over a long day.
        self._finished: deque[int] = deque()
        self._done: dict[tuple[str, str], int] = {}   # (client, ClOrdID) -> id of a retained finished order
        self._retain = retain_finished
        # Unique across restarts: a venue that saw ClOrdID 00000001 yesterday-morning's run must not
        # see it again after a restart, nor a client the same ExecID.
        self._ids = OrderIds()
        self._exec_ids = StringIds("W")
        self._session_index: dict[str, int] = {}
        self._ouch_refs: dict[int, int] = {}         # OUCH UserRefNum -> order id (an Enter's is the id)
        self.counts = {"received": 0, "accepted": 0, "rejected": 0, "filled": 0, "fills": 0, "canceled": 0,
                       "replaced": 0, "cancel_rejects": 0, "busts": 0, "illegal": 0, "unknown_venue_reports": 0,
                       "unknown_order_fills": 0, "duplicate_reports": 0, "reconciled_fills": 0}
        self.rejects_by_reason: dict[str, int] = {}
        self.client_app = ClientApp(self)
        self.venue_app = VenueApp(self)
        self.stopping = False   # set on a deliberate shutdown: a venue logout is then expected
        self.killed = False
        self.kill_stats: dict = {}
        self.on_change = None   # hook (state) -> None after every client-visible change (metrics, control)
        # Orders carrying TargetStrategy (847) are parent orders for an algorithm: the gateway never
        # imports control/, so control registers an object with on_new(client, msg) and
        # on_cancel(client, msg) -> bool (True: the ClOrdID was a parent's and it was handled),
        # and optionally on_replace / on_status (the same contract for G and H).
        self.strategy_orders = None
        # Client NewOrderSingles through the C fast path where it can take them (order_fast.py);
        # False (or WIRESPEED_FAST_PATH=0 in the environment): every message takes the Python path
        # (a bisect, the benches' "before" run).
        self.fast_path = os.environ.get("WIRESPEED_FAST_PATH", "1") != "0"
        self.fast_fallbacks: Counter = Counter()   # why reads left the fast path (REASONS of native/path.c)
        self.report_fast_path = os.environ.get("WIRESPEED_REPORT_FAST_PATH", "1") != "0"   # (the venue-report side)
        self.report_fallbacks: Counter = Counter()  # why venue reads left the report fast path (REPORT_REASONS)
        # The report fast path writes the client's report from its C call (WIRESPEED_C_CLIENT_SEND=0:
        # Python sends it, the before of a bench); why a report was sent by Python (SEND_REASONS).
        self.c_client_send = os.environ.get("WIRESPEED_C_CLIENT_SEND", "1") != "0"
        self.client_send_fallbacks: Counter = Counter()
        # ... and books its common reports in the same C call (native/book.h; WIRESPEED_C_BOOK=0: Python's
        # VenueFastPath._book books every one, the before of a bench and the differential tests' reference).
        self.c_book = os.environ.get("WIRESPEED_C_BOOK", "1") != "0"
        # The client fast path books the orders it wrote to their venue in its C call too, while
        # there is no trail (native/book.h, book_new; WIRESPEED_C_NEW_BOOK=0: ClientFastPath._sent
        # books every one, the before of a bench; read when a client's fast path is made).
        self.c_new_book = os.environ.get("WIRESPEED_C_NEW_BOOK", "1") != "0"
        self.venue_epoch = 0     # counts venues added and venue logons: the fast path's venue table is redone
        self.recovered = None    # what recover_from_trail rebuilt (order_recovery.Recovery)

    # -- configuration -------------------------------------------------------------
    def recover_from_trail(self, directory, clients: dict):
        """At start, before any order: the orders of the previous run rebuilt from its audit trail
        in ``directory`` (``order_recovery.py``); ``clients``: CompID -> the session its reports
        go to. Its venues must be added first. Returns (and keeps in ``recovered``) what it found."""
        from .order_recovery import recover
        self.recovered = recover(self, directory, clients)
        return self.recovered

    def add_venue(self, name: str, session: Session, throttle: RateLimit | None = None,
                  credit_limit: int = 0, fix_encoder=None) -> VenueLink:
        link = VenueLink(name, session, throttle=TokenBucket(throttle, self.clock()) if throttle else None,
                         ouch=getattr(session, "protocol", "fix") == "ouch", credit_limit=credit_limit,
                         fix_encoder=fix_encoder)
        self.venues[name] = link
        self._venue_by_session[id(session)] = link
        self.venue_epoch += 1
        self._venue_fast(link)
        if session.active:
            link.state = "up"
        return link

    def set_client_throttle(self, client_comp_id: str, limit: RateLimit) -> None:
        self.client_throttles[client_comp_id] = TokenBucket(limit, self.clock())

    def _book(self, state: OrderState, notional: int) -> None:
        """Open notional of ``state`` changes by ``notional`` (its client's and its venue's)."""
        books, client_id = self._client_open, state.client_id
        books[client_id] = books.get(client_id, 0) + notional
        self.venues[state.venue].open_notional += notional

    def _over_credit(self, client_id: str, link: VenueLink, notional: int) -> str:
        """Why ``notional`` more would break the client's or the venue's credit limit ("" if not)."""
        limit = self.client_credit.get(client_id, 0)
        if limit and self._client_open.get(client_id, 0) + notional > limit:
            return f"client {client_id} open notional over its limit {limit}"
        if link.credit_limit and link.open_notional + notional > link.credit_limit:
            return f"venue {link.name} open notional over its limit {link.credit_limit}"
        return ""

    @property
    def venue(self) -> Session | None:
        """The first venue's session (the one-venue setups of the demo and older tests)."""
        return next(iter(self.venues.values())).session if self.venues else None

    @venue.setter
    def venue(self, session: Session) -> None:
        self.add_venue("VENUE1" if not self.venues else f"VENUE{len(self.venues) + 1}", session)

    def working(self, venue: str | None = None, client: str | None = None) -> list[OrderState]:
        # list() first: one C call, so the metrics thread may call this while the loop runs
        return [s for s in list(self.orders.values()) if s.status in fsm.WORKING
                and (venue is None or s.venue == venue) and (client is None or s.client_id == client)]

    # -- client side ---------------------------------------------------------------
    def on_new_order(self, client: Session, msg: FixMessage) -> None:
        t0 = msg.recv_ns or now_ns()
        self.counts["received"] += 1
        if self._auditing and self.audit.backlogged():
            # The trail's disk is failing and its backlog is at audit.max_pending: nothing new may
            # start (its records could not be kept); told unrecorded, counted (audit.py).
            self.audit.refuse()
            self._reject_raw(client, msg, RejectReason.AUDIT_BACKLOG, f"audit trail cannot write its journal "
                             f"({self.audit.max_pending} records waiting); no new orders until it can", audited=False)
            return
        if 847 in msg:      # (not ``msg.fields``: a shaped message would build its whole dict for it)
            if self.strategy_orders is not None:
                self.strategy_orders.on_new(client, msg)
            else:
                self._reject_raw(client, msg, RejectReason.UNSUPPORTED,
                                 "TargetStrategy(847): no algorithm engine runs behind this gateway")
            return
        client_id = client.config.target_comp_id
        cl_ord_id = msg.get(T.ClOrdID, "")
        if self._auditing:
            self.audit.record("in", {"client": client_id, "msg": "D", "cl_ord_id": cl_ord_id, "fields": msg.fields})
        key = (client_id, cl_ord_id)
        session_idx = self._session_index.setdefault(client_id, len(self._session_index) & 0xFF)
        order_id = next(self._ids)
        try:
            order = decode_new_order(msg, self.symbols, order_id, session_idx)
        except DecodeError as exc:
            self._reject_raw(client, msg, exc.reason, exc.text)
            return
        venue_name = msg.get(ExDestination) or self.routes.get(client_id) or next(iter(self.venues), "")
        self._admit(client, order, key, client_id, venue_name, t0)

    def on_new_order_fields(self, client: Session, cl_ord_id: str, symbol: str, side: Side, ord_type: OrdType,
                            tif: TimeInForce, qty: int, price: int, venue: str, transact_time: str = "") -> None:
        """A NewOrderSingle given as the typed values it would carry (ClOrdID, Symbol, Side,
        OrdType, TimeInForce, OrderQty, Price in ticks, ExDestination): the control plane's
        children, which would otherwise be built into a message here only to be decoded back.
        The same checks, state, trail and venue bytes as ``on_new_order`` of that message
        (tests/gateway/test_order_fields.py); what would not decode (an unknown symbol, a quantity
        or price out of range) and the audit backlog's refusal go through ``on_new_order`` itself,
        as that message, so every reject reads the same. ``transact_time``: the TransactTime the
        message would carry, for the trail's ``in`` record (its time now when not given)."""
        sym = self.symbols.by_name(symbol)
        # (``type() is int``: a bool, a float or a Decimal is no OrderQty nor tick count; each goes
        # through the message, whose decoder refuses it, 100.0 included)
        if (sym is None or type(qty) is not int or type(price) is not int or not 0 <= qty <= QTY_MAX or not 0 <= price <= QTY_MAX
                or (ord_type == OrdType.LIMIT and not price) or (self._auditing and self.audit.backlogged())):
            self.on_new_order(client, FixMessage.from_pairs(
                self._new_order_pairs(sym, cl_ord_id, symbol, side, ord_type, tif, qty, price, venue, transact_time)))
            return
        t0 = now_ns()
        self.counts["received"] += 1
        client_id = client.config.target_comp_id
        if self._auditing:
            fields = dict((str(t), str(v)) for t, v in self._new_order_pairs(
                sym, cl_ord_id, symbol, side, ord_type, tif, qty, price, venue, transact_time))
            self.audit.record("in", {"client": client_id, "msg": "D", "cl_ord_id": cl_ord_id, "fields": fields})
        key = (client_id, cl_ord_id)
        session_idx = self._session_index.setdefault(client_id, len(self._session_index) & 0xFF)
        order_id = next(self._ids)
        # (the decoder reads Price(44) for a limit order only: any other type's price is 0)
        order = _ORDER(order_id, cl_ord_id, session_idx, sym.index, side, ord_type, tif, qty,
                       price if ord_type == OrdType.LIMIT else 0)
        venue_name = venue or self.routes.get(client_id) or next(iter(self.venues), "")
        self._admit(client, order, key, client_id, venue_name, t0)

    def _admit(self, client: Session, order, key, client_id: str, venue_name: str, t0: int) -> None:
        """A decoded NewOrderSingle's checks after its decode, in order (venue, duplicate ClOrdID,
        the client's and the venue's throttles, credit, risk, the link's state), then booked and
        sent: one implementation for ``on_new_order`` and ``on_new_order_fields``."""
        order_id = order.order_id
        link = self.venues.get(venue_name)
        if link is None:
            self._reject(client, order, 0, f"unknown venue {venue_name!r} (ExDestination(100))",
                         RejectReason.NO_VENUE, venue_name)
            return
        if key in self._live:
            self._reject(client, order, RejectReason.DUPLICATE_CLORDID.bit, "duplicate ClOrdID of a live order",
                         venue=venue_name)
            return
        throttle = self.client_throttles.get(client_id)
        if throttle is not None and not throttle.take(self.clock()):
            self._reject(client, order, 0, f"client {client_id} order rate over {throttle.rate:g}/s",
                         RejectReason.RATE_LIMIT, venue_name)
            return
        if link.throttle is not None and not link.throttle.take(self.clock()):
            self._reject(client, order, 0, f"venue {venue_name} order rate over {link.throttle.rate:g}/s",
                         RejectReason.RATE_LIMIT, venue_name)
            return
        if order.ord_type == OrdType.MARKET:
            # Checked (notional, credit, collar) at its protection price: the band's far edge.
            order = dataclasses.replace(order, price=self.risk.protection_price(order.symbol, order.side))
        over = self._over_credit(client_id, link, order.qty * order.price)
        if over:
            self._reject(client, order, 0, over, RejectReason.CREDIT_LIMIT, venue_name)
            return
        t1 = now_ns()
        mask = self.risk.check(order)
        t2 = now_ns()
        if mask:
            self._stamp((t0, t1, t2, 0, venue_name, client_id))
            self._reject(client, order, mask, venue=venue_name, hops=(t0, t1, t2))
            return
        # (our Logout sent, the venue's answer not in: the link still reads "up", but the session
        # takes no application message until it is down; an order booked now would never go out)
        logging_out = getattr(link.session, "state", None) is SessionState.LOGOUT_SENT
        if link.state != "up" or logging_out:
            # Accepted by risk, so the reservation goes back before the reject.
            self.risk.release(order, order.qty, filled=False)
            why = "no venue session" if link.state == "down" else f"venue {venue_name} logging out" \
                if logging_out else f"venue {venue_name} reconciling after reconnect"
            self._reject(client, order, 0, why, RejectReason.NO_VENUE, venue_name)
            return
        state = self._book_new(client, order, venue_name, venue_cl_ord_id(order_id))
        if link.ouch:
            # Enter Order bytes from the encoder the hardware implements; UserRefNum = the order id.
            fields = link.session.enter(order).hex()
            state.venue_cl = str(order_id)
            self._ouch_refs[order_id] = order_id
            state.ouch_refs.append(order_id)
        else:
            fields = self._send_new_order(link, order, state.venue_cl)
        self._accepted(state, (t0, t1, t2, now_ns()), fields)

    def _new_order_pairs(self, sym, cl_ord_id, symbol, side, ord_type, tif, qty, price, venue, transact_time):
        """The (tag, value) pairs of the NewOrderSingle ``on_new_order_fields``' values stand for."""
        pairs = [(T.ClOrdID, cl_ord_id), (T.Symbol, symbol), (T.Side, side.fix),
                 (T.TransactTime, transact_time or fix_timestamp()), (T.OrderQty, qty), (T.OrdType, ord_type.fix)]
        if price and sym is not None and type(price) is not int:
            # a tick count that is not an int has no FIX price: a text the decoder refuses, naming it
            pairs.append((T.Price, f"{price!r} (not a whole number of ticks)"))
        elif price and sym is not None:
            pairs.append((T.Price, sym.tick.format(price)))
        elif price:
            pairs.append((T.Price, price))
        pairs.append((T.TimeInForce, tif.fix))
        if venue:
            pairs.append((ExDestination, venue))
        return pairs

    def _book_new(self, client: Session, order: Order, venue_name: str, venue_cl: str) -> OrderState:
        """A new order's state, known by its client's ClOrdID, its notional booked."""
        qty = order.qty
        state = OrderState(order, client, venue_name, qty=qty, reserved=qty, venue_cl=venue_cl)
        self.orders[order.order_id] = state
        self._live[(state.client_id, order.cl_ord_id)] = order.order_id
        self._book(state, qty * order.price)
        return state

    def _accepted(self, state: OrderState, hops: tuple, fields) -> None:
        """After a new order's venue write: its stamps, the count, the trail's risk and out records.
        (Also the C fast path's booking, order_fast.py, with ``hops`` stamped in C.)"""
        t0, t1, t2, t3 = hops
        state.sent_ns = t3
        client_id, order = state.client_id, state.order
        self._stamp((t0, t1, t2, t3, state.venue, client_id))
        self.counts["accepted"] += 1
        if self._auditing:
            self.audit.record("risk", {"client": client_id, "venue": state.venue, "cl_ord_id": order.cl_ord_id,
                                       "order_id": order.order_id, "decision": "accept", "mask": 0, "reasons": [],
                                       "hops": {"recv": t0, "decoded": t1, "risk": t2, "venue_write": t3}})
            self.audit.record("out", {"venue": state.venue, "msg": "D", "order_id": order.order_id, "fields": fields})

    def _new_order_sent(self, client: Session, order: Order, link: VenueLink, venue_cl: str, hops: tuple,
                        fields) -> OrderState:
        """Book a new order the C fast path has already written to ``link``'s venue."""
        state = self._book_new(client, order, link.name, venue_cl)
        self._accepted(state, hops, fields)
        return state

    def _send_new_order(self, link: VenueLink, order: Order, venue_cl: str):
        """The venue NewOrderSingle through a template of the venue session (one compiled
        f-string: ~3x cheaper than the generic encoder), the same bytes; its fields for the trail."""
        values = new_order_values(order, self.symbols, venue_cl, fix_timestamp())
        limit = order.ord_type == OrdType.LIMIT
        tags = NEW_ORDER_TAGS if limit else NEW_MARKET_ORDER_TAGS
        session = link.session
        if (link.fix_encoder is not None and session.active and venue_cl == venue_cl_ord_id(order.order_id)
                and self._hw_new_order(link, order, values[3])):     # (the hardware writes that ClOrdID)
            return list(zip(tags, values)) if self._auditing else None
        template = link.templates.get(limit)
        if template is None:   # (False: a session object without templates, e.g. a test's or a bench's)
            make = getattr(session, "template", None)
            template = link.templates[limit] = make(M.NEW_ORDER_SINGLE, tags) if make else False
        if template and session.active:
            session.send_template(template, values)
        else:   # (disconnected: stored and resent after the next Logon, as ``send`` does)
            session.send(M.NEW_ORDER_SINGLE, list(zip(tags, values)))
        return list(zip(tags, values)) if self._auditing else None

    def _hw_new_order(self, link: VenueLink, order: Order, ts: str) -> bool:
        """The NewOrderSingle's bytes from the Verilated FIX encoder (encoder = "verilator"),
        stamped with the TransactTime ``ts`` of the software path's values; False (the caller
        encodes in software, the same bytes) if the hardware refuses the order, e.g. an order
        id past its 8 hex digits."""
        refused = []

        def frame_for(seq: int) -> bytes:
            try:
                return link.fix_encoder.frame(order, seq, ts)
            except (ValueError, RuntimeError) as exc:      # (HarnessError is a RuntimeError)
                refused.append(exc)
                raise
        try:
            link.session.send_frame(frame_for)
            return True
        except (ValueError, RuntimeError):
            if not refused:            # not the hardware's refusal (nothing numbered then): the session's
                raise
            log.warning("%s: order %d encoded in software, the hardware refused it: %s", link.name,
                        order.order_id, refused[0])
            return False

    def _find(self, client_id: str, cl_ord_id: str) -> OrderState | None:
        oid = self._live.get((client_id, cl_ord_id))
        return self.orders.get(oid) if oid is not None else None

    def _lookup_any(self, client_id: str, cl_ord_id: str) -> OrderState | None:
        """A live order, or a finished one still retained (for a status request or a late cancel)."""
        state = self._find(client_id, cl_ord_id)
        if state is not None:
            return state
        oid = self._done.get((client_id, cl_ord_id))
        return self.orders.get(oid) if oid is not None else None

    def _cancel_reject(self, client: Session, state: OrderState | None, cl_ord_id: str, orig: str,
                       response_to: str, reason: int, text: str) -> None:
        self.counts["cancel_rejects"] += 1
        status = state.status.fix if state is not None else S.REJECTED.fix
        self._to_client(client, M.ORDER_CANCEL_REJECT, cancel_reject_fields(
            state.order.order_id if state else None, cl_ord_id, orig, status, response_to, reason, text))

    def _amendable(self, client: Session, msg: FixMessage, response_to: str, allow_pending_new=False):
        client_id = client.config.target_comp_id
        orig, cl = msg.get(T.OrigClOrdID, ""), msg.get(T.ClOrdID, "")
        if self._auditing:
            self.audit.record("in", {"client": client_id, "msg": msg.msg_type, "cl_ord_id": cl, "orig": orig,
                                     "fields": msg.fields})
        state = self._lookup_any(client_id, orig)
        ok = state is not None and (state.status in fsm.AMENDABLE or
                                    (allow_pending_new and state.status is S.PENDING_NEW))
        if not ok:
            reason, text = fsm.cancel_reject_reason(state.status if state else None)
            self._cancel_reject(client, state, cl, orig, response_to, reason, text)
            return None
        if (client_id, cl) in self._live:
            self._cancel_reject(client, state, cl, orig, response_to, fsm.CXL_BROKER,
                                "duplicate ClOrdID of a live order")
            return None
        link = self.venues[state.venue]
        if link.state != "up":
            self._cancel_reject(client, state, cl, orig, response_to, fsm.CXL_BROKER,
                                f"venue {state.venue} session not up ({link.state})")
            return None
        return state

    def on_cancel(self, client: Session, msg: FixMessage) -> None:
        if self.strategy_orders is not None and self.strategy_orders.on_cancel(client, msg):
            return
        state = self._amendable(client, msg, "1", allow_pending_new=True)
        if state is None:
            return
        state.pending_cl = msg.get(T.ClOrdID, "")
        self._live[(state.client_id, state.pending_cl)] = state.order.order_id
        self._send_cancel(state)
        self._report(state, ExecType.PENDING_CANCEL, cl_ord_id=state.pending_cl, orig=state.order.cl_ord_id)

    def _send_cancel(self, state: OrderState) -> None:
        """Ask the venue to cancel; the status becomes PendingCancel (unless a replace is pending)."""
        if state.status is not S.PENDING_REPLACE:
            state.prior = state.status if state.status is not S.PENDING_NEW else S.NEW
            state.status = fsm.advance(state.status, S.PENDING_CANCEL)
        state.requests += 1
        link = self.venues[state.venue]
        if link.ouch:
            fields = link.session.cancel(int(state.venue_cl)).hex()
        else:
            sym = self.symbols.by_index(state.order.symbol)
            fields = venue_cancel_fields(state.venue_cl, f"{venue_cl_ord_id(state.order.order_id)}.{state.requests}",
                                         sym.name, Side(state.order.side), state.qty, fix_timestamp())
            link.session.send(M.ORDER_CANCEL_REQUEST, fields)
        if self._auditing:
            self.audit.record("out", {"venue": state.venue, "msg": "F", "order_id": state.order.order_id,
                                      "fields": fields})

    def on_replace(self, client: Session, msg: FixMessage) -> None:
        hook = getattr(self.strategy_orders, "on_replace", None)
        if hook is not None and hook(client, msg):
            return
        state = self._amendable(client, msg, "2")
        if state is None:
            return
        cl, orig = msg.get(T.ClOrdID, ""), msg.get(T.OrigClOrdID, "")
        o = state.order
        sym = self.symbols.by_index(o.symbol)
        if msg.get(T.Symbol) != sym.name or msg.get(T.Side) != Side(o.side).fix:
            self._cancel_reject(client, state, cl, orig, "2", fsm.CXL_BROKER, "a replace may not change Symbol or Side")
            return
        if o.ord_type != OrdType.LIMIT:
            self._cancel_reject(client, state, cl, orig, "2", fsm.CXL_BROKER, "only limit orders can be replaced")
            return
        try:
            qty, price = decode_replace(msg, sym, state.cum_qty)
        except DecodeError as exc:
            self._cancel_reject(client, state, cl, orig, "2", fsm.CXL_BROKER, f"{exc.reason.check_name}: {exc.text}")
            return
        record = dataclasses.replace(o, cl_ord_id=cl, qty=qty - state.cum_qty, price=price, cl_ord_key=0)
        over = self._over_credit(state.client_id, self.venues[state.venue], record.qty * record.price)
        if over:
            self._cancel_reject(client, state, cl, orig, "2", fsm.CXL_BROKER, over)
            return
        mask = self.risk.check(record)
        if self._auditing:
            self.audit.record("risk", {"client": state.client_id, "venue": state.venue, "cl_ord_id": cl,
                                       "order_id": o.order_id, "decision": "reject" if mask else "accept",
                                       "mask": mask, "reasons": [r.check_name for r in reasons_in(mask)],
                                       "replace": {"qty": qty, "price": price}})
        if mask:
            text = "risk: " + ", ".join(r.check_name for r in reasons_in(mask))
            self._cancel_reject(client, state, cl, orig, "2", fsm.CXL_BROKER, text)
            return
        state.prior, state.status = state.status, fsm.advance(state.status, S.PENDING_REPLACE)
        state.pending, state.pending_qty, state.pending_cl = record, qty, cl
        self._book(state, record.qty * record.price)
        self._live[(state.client_id, cl)] = o.order_id
        state.requests += 1
        link = self.venues[state.venue]
        if link.ouch:
            new_ref = next(self._ids)          # OUCH wants a new, higher UserRefNum for the replacement
            self._ouch_refs[new_ref] = o.order_id
            state.ouch_refs.append(new_ref)
            state.pending_venue_cl = str(new_ref)
            fields = link.session.replace(int(state.venue_cl), new_ref, record, qty).hex()
        else:
            state.pending_venue_cl = new_venue_cl = f"{venue_cl_ord_id(o.order_id)}.{state.requests}"
            fields = venue_replace_fields(record, self.symbols, state.venue_cl, new_venue_cl, qty, fix_timestamp())
            link.session.send(M.ORDER_CANCEL_REPLACE_REQUEST, fields)
        if self._auditing:
            self.audit.record("out", {"venue": state.venue, "msg": "G", "order_id": o.order_id, "fields": fields})
        self._report(state, ExecType.PENDING_REPLACE, cl_ord_id=cl, orig=o.cl_ord_id)

    def on_status_request(self, client: Session, msg: FixMessage) -> None:
        hook = getattr(self.strategy_orders, "on_status", None)
        if hook is not None and hook(client, msg):
            return
        client_id = client.config.target_comp_id
        cl = msg.get(T.ClOrdID, "")
        if self._auditing:
            self.audit.record("in", {"client": client_id, "msg": "H", "cl_ord_id": cl, "fields": msg.fields})
        state = self._lookup_any(client_id, cl)
        if state is None:
            # (the client's Symbol and Side echoed; one it sent empty, as one it left out, gets the
            # placeholder: both are required in an ExecutionReport, and ``tag=`` is not FIX)
            fields = [(T.OrderID, "NONE"), (T.ClOrdID, cl), (T.ExecID, next(self._exec_ids)),
                      (T.ExecType, ExecType.ORDER_STATUS.fix), (T.OrdStatus, S.REJECTED.fix),
                      (T.Symbol, msg.get(T.Symbol) or "?"), (T.Side, msg.get(T.Side) or "1"), (T.LeavesQty, 0),
                      (T.CumQty, 0), (T.AvgPx, 0), (T.Text, "unknown order")]
            if not cl:
                del fields[1]      # (ClOrdID is optional in an ExecutionReport)
            self._to_client(client, M.EXECUTION_REPORT, fields)
            return
        self._report(state, ExecType.ORDER_STATUS, cl_ord_id=cl)

    # -- controls --------------------------------------------------------------------
    def kill(self, reduce_only: bool = False) -> dict:
        """Kill switch: risk rejects every new order (or, with ``reduce_only``, every order that
        would grow a position) from the next one on, and every working order at every venue is
        sent a cancel. Returns (and keeps in ``kill_stats``) the cancels sent and the ns from
        the command to the last cancel written."""
        t0 = now_ns()
        self.risk.set_controls(kill=not reduce_only, reduce_only=reduce_only)
        self.killed = True
        sent = self._cancel_all(list(self.orders.values()))
        self.kill_stats = {"cancels": sent, "command_to_last_cancel_ns": now_ns() - t0, "reduce_only": reduce_only}
        if self._auditing:
            self.audit.record("control", {"action": "kill", **self.kill_stats})
        log.warning("kill switch: %d cancels sent in %.1f us (reduce_only=%s)", sent,
                    self.kill_stats["command_to_last_cancel_ns"] / 1e3, reduce_only)
        return self.kill_stats

    def resume(self) -> None:
        self.risk.set_controls(kill=False, reduce_only=False)
        self.killed = False
        if self._auditing:
            self.audit.record("control", {"action": "resume"})

    #: what the kill switch, cancel-on-disconnect and a venue manager's stop cancel: every order
    #: live at the venue, a replace still pending included (the venue holds the original until
    #: it answers); an order whose cancel is pending already is left to that cancel.
    _CANCELABLE = frozenset({S.PENDING_NEW, S.NEW, S.PARTIALLY_FILLED, S.PENDING_REPLACE})

    def _cancel_all(self, states) -> int:
        sent = 0
        for state in states:
            if state.status in self._CANCELABLE and self.venues[state.venue].session.active:
                state.pending_cl = ""
                self._send_cancel(state)
                sent += 1
        return sent

    def cancel_client_orders(self, client_id: str, why: str) -> int:
        """Cancel every working order of one client (cancel-on-disconnect)."""
        sent = self._cancel_all(self.working(client=client_id))
        if self._auditing:
            self.audit.record("control", {"action": "cancel_client", "client": client_id, "why": why, "cancels": sent})
        if sent:
            log.warning("%s: %d working orders canceled (%s)", client_id, sent, why)
        return sent

    def cancel_venue_orders(self, venue: str, why: str) -> int:
        """Cancel every working order at one venue session (its manager stopping it)."""
        sent = self._cancel_all(self.working(venue=venue))
        if self._auditing:
            self.audit.record("control", {"action": "cancel_venue", "venue": venue, "why": why, "cancels": sent})
        if sent:
            log.warning("%s: %d working orders canceled (%s)", venue, sent, why)
        return sent

    # -- reports to the client -------------------------------------------------------
    def send_to_client(self, client: Session, msg_type: str, fields: list) -> None:
        """For the strategy hook: a message to a client session, through the audit trail."""
        self._to_client(client, msg_type, fields)

    def _to_client(self, client: Session, msg_type: str, fields: list) -> None:
        if self._may_send(client, msg_type, fields):
            self._send_client(client, msg_type, fields)

    def _may_send(self, client: Session, msg_type: str, fields: list, flush: bool = True) -> bool:
        """The trail's part of a message to a client, before its send: True if it may be sent now;
        False if it is held (sent in order by ``release_held``). (Also the gate of the report fast
        path's send from C, report_fast.py.) ``flush=False``: the client's bytes go out through the
        write batcher's trail gate (``trail_gate``), which flushes the journal before they reach
        the socket, once for all the reports of a read."""
        # The trail first: what a client is told must be in it before the client can see it.
        if self._auditing:
            self.audit.record("out", {"client": client.config.target_comp_id, "msg": msg_type, "fields": fields})
        if self._held:           # earlier reports wait for the trail's disk: this one goes behind them
            self._held.append((client, msg_type, fields))
            self.release_held()
            return False
        if not flush and not self._gate_holding:
            return True
        # (the gate failed: its flushing path, so a report waits unnumbered in ``_held``, not in the
        # batcher, and the session's own traffic to the client goes on; only ``trail_gate``, the
        # batcher's gate, clears ``_gate_holding``: the two agree on when the failure is over)
        try:
            self.audit.flush()
        except OSError as exc:
            # The journal cannot be written (its records stay pending): the client may not be told
            # yet, and the session that brought the report must go on (its inbound number is
            # consumed). Held here, in order, sent by the first flush that gets through.
            log.error("audit trail cannot write its journal (%s): reports to clients held until it can", exc)
            self._held.append((client, msg_type, fields))
            return False
        return True

    def trail_gate(self) -> bool:
        """The write batcher's gate for client connections (transport/tcp.py ``WriteBatcher.gate``):
        True once every record made so far is in the journal (flushed now if need be), False while
        the journal cannot be written (the bytes wait in the batcher, in order; logged once)."""
        try:
            self.audit.flush()
        except OSError as exc:
            if not self._gate_holding:
                self._gate_holding = True
                log.error("audit trail cannot write its journal (%s): client writes held until it can", exc)
            return False
        if self._gate_holding:
            self._gate_holding = False
            log.warning("audit trail writes again: held client writes sent")
        return True

    def release_held(self) -> int:
        """Send the reports held for a failing trail once its journal takes them (the timer's
        retry, or the next report's); how many went out."""
        if not self._held:
            return 0
        try:
            self.audit.flush()
        except OSError:
            return 0
        n = len(self._held)
        log.warning("audit trail writes again: %d held reports to clients sent", n)
        while self._held:
            self._send_client(*self._held.popleft())
        return n

    def _send_client(self, client: Session, msg_type: str, fields: list) -> None:
        try:
            # A report's tag sequence is one of a few dozen (the optional fields it carries): each
            # gets a compiled template once, ~3x cheaper than the generic encoder, the same bytes.
            # (The session keeps its templates; a duck-typed client of a test or bench just sends.)
            if isinstance(client, Session) and client.active:
                client.send_template(client.template(msg_type, tuple([f[0] for f in fields])),
                                     [f[1] for f in fields])
                return
            # A client that is away gets it by resend after its next Logon (unless it resets).
            client.send(msg_type, fields)
        except RuntimeError as exc:
            log.warning("%s to %s not sent: %s", msg_type, client.name, exc)

    def _report(self, state: OrderState, exec_type: ExecType, *, last_qty=0, last_px=0, reason=RejectReason.NONE,
                text="", cl_ord_id: str | None = None, orig: str | None = None, status: OrdStatus | None = None
                ) -> None:
        o = state.order
        sym = self.symbols.by_index(o.symbol)
        fields = report_fields(self.symbols, state.client.config.begin_string, cl_ord_id or o.cl_ord_id, o.order_id,
                               next(self._exec_ids), exec_type, status or state.status, sym.name if sym else "?",
                               o.side, state.qty or o.qty, o.price, last_qty, last_px, state.cum_qty, state.leaves,
                               state.avg_px_num, reason, text, o.ord_type)
        if orig:
            fields.insert(2, (T.OrigClOrdID, orig))
        self._to_client(state.client, M.EXECUTION_REPORT, fields)
        if self.on_change is not None:
            self.on_change(state)

    def _reject(self, client: Session, order: Order, mask: int, text: str = "",
                reason: RejectReason | None = None, venue: str = "", hops=None) -> None:
        reason = reason or primary(mask)
        if not text:
            text = "risk: " + ", ".join(r.check_name for r in reasons_in(mask))
        self.counts["rejected"] += 1
        self.rejects_by_reason[reason.check_name] = self.rejects_by_reason.get(reason.check_name, 0) + 1
        rec = {"client": client.config.target_comp_id, "venue": venue, "cl_ord_id": order.cl_ord_id,
               "order_id": order.order_id, "decision": "reject", "mask": mask,
               "reasons": [r.check_name for r in reasons_in(mask)] or [reason.check_name], "text": text}
        if hops:
            rec["hops"] = dict(zip(("recv", "decoded", "risk"), hops))
        if self._auditing:
            self.audit.record("risk", rec)
        self._report(OrderState(order, client, venue, OrdStatus.REJECTED, qty=order.qty), ExecType.REJECTED,
                     reason=reason, text=text)

    def _reject_raw(self, client: Session, msg: FixMessage, reason: RejectReason, text: str,
                    audited: bool = True) -> None:
        """Reject an order that did not decode: echo what the client sent. (``audited=False``:
        past the trail, which cannot take it: the audit backlog's refusal.)"""
        self.counts["rejected"] += 1
        self.rejects_by_reason[reason.check_name] = self.rejects_by_reason.get(reason.check_name, 0) + 1
        if self._auditing and audited:
            self.audit.record("risk", {"client": client.config.target_comp_id, "cl_ord_id": msg.get(T.ClOrdID, ""),
                                       "decision": "reject", "reasons": [reason.check_name], "text": text})
        # (a value the client sent empty is treated as one it left out, never echoed as ``tag=``:
        # Symbol, Side and OrderQty get the placeholder a missing one gets, "?", "1", "0": Symbol
        # and Side are required in an ExecutionReport, and one OrderQty keeps one tag sequence, one
        # template; ClOrdID, optional there, is left out: only a control-plane order can lack it,
        # a client's gets BusinessMessageReject 380=5 first, order_apps.py)
        fields = [(T.OrderID, "NONE"), (T.ClOrdID, msg.get(T.ClOrdID, "")), (T.ExecID, next(self._exec_ids)),
                  (T.ExecType, ExecType.REJECTED.fix), (T.OrdStatus, OrdStatus.REJECTED.fix),
                  (T.Symbol, msg.get(T.Symbol) or "?"), (T.Side, msg.get(T.Side) or "1"),
                  (T.OrderQty, msg.get(T.OrderQty) or "0"), (T.LeavesQty, 0), (T.CumQty, 0), (T.AvgPx, 0),
                  (T.OrdRejReason, reason.ord_rej_reason), (T.Text, f"{reason.check_name}: {text}")]
        if client.config.begin_string == "FIX.4.2":
            fields.insert(3, (T.ExecTransType, "0"))
        if not fields[1][1]:
            del fields[1]
        if not audited:
            try:
                client.send(M.EXECUTION_REPORT, fields)
            except RuntimeError as exc:
                log.warning("reject to %s not sent: %s", client.name, exc)
            return
        self._to_client(client, M.EXECUTION_REPORT, fields)

    # -- risk feedback ----------------------------------------------------------------
    def _release(self, state: OrderState, qty: int, filled: bool) -> None:
        qty = min(qty, state.reserved)
        if qty > 0:
            self.risk.release(state.order, qty, filled=filled)
            state.reserved -= qty
            self._book(state, -qty * state.order.price)

    def _release_pending(self, state: OrderState) -> None:
        """A pending replace's record is given up: its whole reservation goes."""
        if state.pending is not None:
            self.risk.release(state.pending, state.pending.qty, filled=False)
            self._book(state, -state.pending.qty * state.pending.price)
            state.pending = None

    def _end(self, state: OrderState) -> None:
        """The order is done: nothing it still holds counts against risk; its ClOrdIDs are free.
        (Once a report of a full fill or a cancel under load: the common case, nothing reserved or
        pending, is tested first.)"""
        if state.reserved:
            self._release(state, state.reserved, filled=False)
        if state.pending is not None:
            self._release_pending(state)
        order = state.order
        oid = order.order_id
        key = (state.client_id, order.cl_ord_id)
        self._live.pop(key, None)
        self._done[key] = oid
        if state.pending_cl:
            self._live.pop((state.client_id, state.pending_cl), None)
        awaiting = self.venues[state.venue].awaiting
        if awaiting:
            awaiting.discard(oid)
        self._finish(oid)

    def _finish(self, order_id: int) -> None:
        finished = self._finished
        finished.append(order_id)
        if len(finished) > self._retain:
            self._evict()

    def _evict(self) -> None:
        """Past ``retain_finished``: the oldest finished orders are forgotten."""
        finished = self._finished
        if len(finished) > self._retain:
            orders, done, pop = self.orders, self._done, finished.popleft
            while len(finished) > self._retain:
                old = orders.pop(pop(), None)
                if old is not None:
                    key = (old.client_id, old.order.cl_ord_id)
                    if done.get(key) == old.order.order_id:
                        del done[key]
                    if old.ouch_refs:
                        for ref in old.ouch_refs:
                            self._ouch_refs.pop(ref, None)

    def _stamp(self, stamps: tuple) -> None:
        """A new order's stamps (recv, decoded, risk, venue write or 0, venue, client): one append
        per order; the histograms are filled on the timer (``drain_latency``)."""
        hops = self._hops
        hops.append(stamps)
        if len(hops) > 100_000:     # (the timer drains it every DRAIN_S; a starved timer must not grow it)
            self.drain_latency()

    def _hop(self, hop: str, venue: str, client: str, ns: int) -> None:
        """A hop's value, for its histogram and (with a venue) its per-venue (``hop @VENUE``) and
        per-client (``hop CLIENT``) ones: queued here, recorded by ``drain_latency``."""
        buf = self._hop_buf
        buf.append((hop, venue, client, ns))
        if len(buf) > 100_000:
            self.drain_latency()

    def _client_hop(self, client, venue: str, client_id: str, t0: int, t_sent: int = 0) -> None:
        """``venue->client``: the report received -> its bytes written to the client's socket. With
        the trail's gate, bytes still in the batcher (collected for the read's one flush, or held
        for the journal) get their stamp when they leave (``gate_written``)."""
        b = self.gate_batcher
        if b is not None:
            proto = getattr(client, "receiver", None)
            if proto is not None and b.waiting(proto):
                pend = self._gate_hops.get(proto)
                if pend is None:
                    pend = self._gate_hops[proto] = []
                if len(pend) < 100_000:       # (bounded: one read's, or what a failing journal held)
                    pend.append((venue, client_id, t0))
                return
        self._hop("venue->client", venue, client_id, (t_sent or now_ns()) - t0)

    def gate_written(self, proto, written: bool) -> None:
        """The batcher wrote (or dropped) a gated client connection's bytes: their hops stamped."""
        pend = self._gate_hops.pop(proto, None)
        if pend and written:
            now = now_ns()
            for venue, client_id, t0 in pend:
                self._hop("venue->client", venue, client_id, now - t0)

    def kernel_hop(self, ns: int) -> None:
        """Kernel receive timestamp -> user space read (``transport/kstamp.py``), one per read."""
        self._hop("kernel->user", "", "", ns)

    def buffered_hops(self) -> tuple[list, list]:
        """The hops and order stamps not yet drained, as tuples (``_hop_buf``'s, ``_hops``'): the
        lists' first, then the stamp ring's (its order within each; nothing taken)."""
        hops, stamps = list(self._hop_buf), list(self._hops)
        if self._ring is not None:
            ring_hops, ring_stamps = self._ring.items()
            hops += ring_hops
            stamps += ring_stamps
        return hops, stamps

    def drain_latency(self) -> LatencyRecorder:
        """Move the buffered hops into their histograms; the recorder. On the hot path a hop is
        one list append: this runs on the timer, and before anything reads the histograms
        (admin, SIGUSR1, exit). Each hop's values go into its histogram's counts in one C call
        (``native/hist.py`` ``record_many``): the histogram is the same as one record per value."""
        buf, self._hop_buf = self._hop_buf, []
        stamps, self._hops = self._hops, []
        ring = self._ring
        if not buf and not stamps and (ring is None or not ring.used()):
            return self.latency
        # The whole drain in one C pass where built (hist.c ``drain``: no per-value lists; a 50-ms
        # drain under make bench-load was 2.3 ms of grouping and record_many); else as below.
        if drain_hops(buf, stamps, self.latency.histogram, ring):
            return self.latency
        if ring is not None:      # (the ring's words as the lists' tuples, after theirs)
            ring_hops, ring_stamps = ring.take()
            buf += ring_hops
            stamps += ring_stamps
        by_hop: dict[str, list[int]] = {}
        # One dict operation a value, grouped by (hop, venue, client); the per-venue and per-client
        # names are made once a group, not per value (this ran at ~8 % of the gateway's CPU under
        # make bench-load). Histograms are made in the order their names first occur, as before.
        # The grouping is one C loop where built (native/hist.c ``group``, WIRESPEED_C_CALLS=0 off).
        grouped = group_hops(buf, stamps) if group_hops is not None else None
        if grouped is not None:
            decode, risk, groups = grouped
            if stamps:
                by_hop["decode"], by_hop["risk"] = decode, risk
        else:
            if stamps:
                by_hop["decode"] = [s[1] - s[0] for s in stamps]
                by_hop["risk"] = [s[2] - s[1] for s in stamps]
            groups = defaultdict(list)
            for hop, venue, client, ns in buf:
                groups[hop, venue, client].append(ns)
            for t0, _t1, _t2, t3, venue, client in stamps:
                if t3:
                    groups["client->venue", venue, client].append(t3 - t0)
        for (hop, venue, client), values in groups.items():
            names = (hop, f"{hop} @{venue}", f"{hop} {client}") if venue else (hop,)
            for name in names:
                into = by_hop.get(name)
                if into is None:
                    by_hop[name] = list(values)
                else:
                    into += values
        for hop, values in by_hop.items():
            record_many(self.latency.histogram(hop), values)
        return self.latency

    def on_timer(self) -> None:
        """Twice a second: reconcile timeouts, buffered latency, the audit trail's JSON lines."""
        self.drain_latency()
        now = self.clock()
        for link in self.venues.values():
            if link.state == "reconciling" and now - link.reconcile_started > self.reconcile_timeout_s:
                log.error("%s: %d status requests unanswered after %.1fs; accepting new flow", link.name,
                          len(link.awaiting), self.reconcile_timeout_s)
                link.awaiting.clear()
                link.state = "up"
        self.release_held()
        self.audit.settle()
