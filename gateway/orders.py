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
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from wirespeed.clock import fix_timestamp, now_ns
from wirespeed.enums import ExecType, OrdStatus, OrdType, Side
from wirespeed.ids import OrderIds, StringIds
from wirespeed.latency import LatencyRecorder
from wirespeed.order import ExecutionReport, Order
from wirespeed.prices import PriceError
from wirespeed.reasons import RejectReason, primary, reasons_in
from wirespeed.symbols import SymbolTable

from . import order_state as fsm
from .audit import NoAudit
from .controls import RateLimit, TokenBucket
from .fix import tags as T
from .fix.message import FixMessage
from .fix.orders import (DecodeError, ExDestination, cancel_reject_fields, decode_exec_report, decode_new_order,
                         decode_replace, exec_report_fields, new_order_fields, status_request_fields,
                         venue_cancel_fields, venue_cl_ord_id, venue_order_id, venue_replace_fields)
from .fix.tags import MsgTypes as M
from .risk import RiskBackend
from .session import Session

log = logging.getLogger("wirespeed.orders")

S = OrdStatus
HOPS = ("decode", "risk", "client->venue", "venue ack rtt", "venue->client")
ORDER_STATUS_REQUEST = "H"
_LIVE_AFTER_FILL = {True: S.FILLED, False: S.PARTIALLY_FILLED}


@dataclass(slots=True)
class OrderState:
    order: Order                 # the record risk holds a reservation against (the client's ClOrdID)
    client: Session
    venue: str
    status: OrdStatus = OrdStatus.PENDING_NEW
    qty: int = 0                 # the order's total quantity (OrderQty)
    cum_qty: int = 0
    avg_px_num: int = 0
    reserved: int = 0            # quantity still reserved in risk against ``order``
    venue_cl: str = ""           # the ClOrdID the venue knows the order by now
    requests: int = 0            # cancels / replaces / status requests sent (the ``.n`` suffix)
    prior: OrdStatus = OrdStatus.NEW     # status before a pending cancel / replace
    pending_cl: str = ""         # the client's ClOrdID of its pending cancel / replace ("" gateway's own)
    pending: Order | None = None          # a pending replace's record (reserved in full)
    pending_qty: int = 0                  # a pending replace's new OrderQty
    pending_venue_cl: str = ""            # the venue ClOrdID a pending replace asked for
    exec_ids: set = field(default_factory=set)
    ouch_refs: list = field(default_factory=list)   # the OUCH UserRefNums this order has had
    sent_ns: int = 0
    acked: bool = False

    @property
    def leaves(self) -> int:
        if self.status in fsm.TERMINAL or self.status is S.DONE_FOR_DAY:
            return 0
        return self.qty - self.cum_qty

    @property
    def client_id(self) -> str:
        return self.client.config.target_comp_id


@dataclass(slots=True)
class VenueLink:
    """One venue session and whether new flow may go to it."""

    name: str
    session: Session
    state: str = "down"          # down | reconciling | up
    awaiting: set = field(default_factory=set)   # order ids whose status the venue still owes
    reconcile_started: float = 0.0
    throttle: TokenBucket | None = None
    ouch: bool = False           # an OUCH 5.0 session (ouch_venue.py), else FIX


class OrderGateway:
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
        # Per-venue and per-client hop values wait here and go into their histograms on the
        # timer (``drain_latency``): an append on the hot path instead of two HDR records.
        self._hop_buf: list[tuple[str, str, int]] = []
        self.clock = clock
        self.reconcile_timeout_s = reconcile_timeout_s
        self.venues: dict[str, VenueLink] = {}
        self._venue_by_session: dict[int, VenueLink] = {}
        self.routes: dict[str, str] = {}            # client CompID -> default venue
        self.client_throttles: dict[str, TokenBucket] = {}
        self.orders: dict[int, OrderState] = {}
        self._live: dict[tuple[str, str], int] = {}  # (client CompID, ClOrdID) -> order id
        # Finished orders stay answerable (a late venue report, a status query) for the last
        # ``retain_finished`` of them, then are dropped: memory stays flat over a long day.
        self._finished: deque[int] = deque()
        self._retain = retain_finished
        # Unique across restarts: a venue that saw ClOrdID 00000001 yesterday-morning's run must not
        # see it again after a restart, nor a client the same ExecID.
        self._ids = OrderIds()
        self._exec_ids = StringIds("W")
        self._session_index: dict[str, int] = {}
        self._ouch_refs: dict[int, int] = {}         # OUCH UserRefNum -> order id (an Enter's is the id)
        self.counts = {"received": 0, "accepted": 0, "rejected": 0, "filled": 0, "fills": 0, "canceled": 0,
                       "replaced": 0, "cancel_rejects": 0, "busts": 0, "illegal": 0, "unknown_venue_reports": 0,
                       "duplicate_reports": 0, "reconciled_fills": 0}
        self.rejects_by_reason: dict[str, int] = {}
        self.client_app = _ClientApp(self)
        self.venue_app = _VenueApp(self)
        self.stopping = False   # set on a deliberate shutdown: a venue logout is then expected
        self.killed = False
        self.kill_stats: dict = {}
        self.on_change = None   # hook (state) -> None after every client-visible change (metrics, control)

    # -- configuration -------------------------------------------------------------
    def add_venue(self, name: str, session: Session, throttle: RateLimit | None = None) -> VenueLink:
        link = VenueLink(name, session, throttle=TokenBucket(throttle, self.clock()) if throttle else None,
                         ouch=getattr(session, "protocol", "fix") == "ouch")
        self.venues[name] = link
        self._venue_by_session[id(session)] = link
        if session.active:
            link.state = "up"
        return link

    def set_client_throttle(self, client_comp_id: str, limit: RateLimit) -> None:
        self.client_throttles[client_comp_id] = TokenBucket(limit, self.clock())

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
        link = self.venues.get(venue_name)
        if link is None:
            self._reject(client, order, 0, f"unknown venue {venue_name!r} (ExDestination(100))",
                         RejectReason.NO_VENUE, venue_name)
            return
        if key in self._live:
            self._reject(client, order, RejectReason.DUPLICATE_CLORDID.bit, "duplicate ClOrdID of a live order",
                         venue=venue_name)
            return
        now = self.clock()
        throttle = self.client_throttles.get(client_id)
        if throttle is not None and not throttle.take(now):
            self._reject(client, order, 0, f"client {client_id} order rate over {throttle.rate:g}/s",
                         RejectReason.RATE_LIMIT, venue_name)
            return
        if link.throttle is not None and not link.throttle.take(now):
            self._reject(client, order, 0, f"venue {venue_name} order rate over {link.throttle.rate:g}/s",
                         RejectReason.RATE_LIMIT, venue_name)
            return
        if order.ord_type == OrdType.MARKET:
            # Checked (notional, credit, collar) at its protection price: the band's far edge.
            order = dataclasses.replace(order, price=self.risk.protection_price(order.symbol, order.side))
        t1 = now_ns()
        self.latency.record("decode", t1 - t0)
        mask = self.risk.check(order)
        t2 = now_ns()
        self.latency.record("risk", t2 - t1)
        if mask:
            self._reject(client, order, mask, venue=venue_name, hops=(t0, t1, t2))
            return
        if link.state != "up":
            # Accepted by risk, so the reservation goes back before the reject.
            self.risk.release(order, order.qty, filled=False)
            why = "no venue session" if link.state == "down" else f"venue {venue_name} reconciling after reconnect"
            self._reject(client, order, 0, why, RejectReason.NO_VENUE, venue_name)
            return
        state = OrderState(order, client, venue_name, qty=order.qty, reserved=order.qty,
                           venue_cl=venue_cl_ord_id(order_id))
        self.orders[order_id] = state
        self._live[key] = order_id
        if link.ouch:
            # Enter Order bytes from the encoder the hardware implements; UserRefNum = the order id.
            fields = link.session.enter(order).hex()
            state.venue_cl = str(order_id)
            self._ouch_refs[order_id] = order_id
            state.ouch_refs.append(order_id)
        else:
            fields = new_order_fields(order, self.symbols, state.venue_cl, fix_timestamp())
            link.session.send(M.NEW_ORDER_SINGLE, fields)
        state.sent_ns = t3 = now_ns()
        hop = t3 - t0
        self.latency.record("client->venue", hop)
        self._hop_buf.append((venue_name, client_id, hop))
        if len(self._hop_buf) > 100_000:
            self.drain_latency()
        self.counts["accepted"] += 1
        if self._auditing:
            self.audit.record("risk", {"client": client_id, "venue": venue_name, "cl_ord_id": cl_ord_id,
                                       "order_id": order_id, "decision": "accept", "mask": 0, "reasons": [],
                                       "hops": {"recv": t0, "decoded": t1, "risk": t2, "venue_write": t3}})
            self.audit.record("out", {"venue": venue_name, "msg": "D", "order_id": order_id, "fields": fields})

    def _find(self, client_id: str, cl_ord_id: str) -> OrderState | None:
        oid = self._live.get((client_id, cl_ord_id))
        return self.orders.get(oid) if oid is not None else None

    def _lookup_any(self, client_id: str, cl_ord_id: str) -> OrderState | None:
        """A live order, or a finished one still retained (for a status request or a late cancel)."""
        state = self._find(client_id, cl_ord_id)
        if state is not None:
            return state
        for s in reversed([self.orders[o] for o in self._finished if o in self.orders]):
            if s.client_id == client_id and s.order.cl_ord_id == cl_ord_id:
                return s
        return None

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
        state = self._find(client_id, orig) or self._lookup_any(client_id, orig)
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
        client_id = client.config.target_comp_id
        cl = msg.get(T.ClOrdID, "")
        if self._auditing:
            self.audit.record("in", {"client": client_id, "msg": "H", "cl_ord_id": cl, "fields": msg.fields})
        state = self._lookup_any(client_id, cl)
        if state is None:
            fields = [(T.OrderID, "NONE"), (T.ClOrdID, cl), (T.ExecID, next(self._exec_ids)),
                      (T.ExecType, ExecType.ORDER_STATUS.fix), (T.OrdStatus, S.REJECTED.fix),
                      (T.Symbol, msg.get(T.Symbol, "?")), (T.Side, msg.get(T.Side, "1")), (T.LeavesQty, 0),
                      (T.CumQty, 0), (T.AvgPx, 0), (T.Text, "unknown order")]
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
        sent = 0
        for state in list(self.orders.values()):
            if state.status in (S.PENDING_NEW, S.NEW, S.PARTIALLY_FILLED, S.PENDING_REPLACE) \
                    and self.venues[state.venue].session.active:
                state.pending_cl = ""
                self._send_cancel(state)
                sent += 1
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

    def cancel_client_orders(self, client_id: str, why: str) -> int:
        """Cancel every working order of one client (cancel-on-disconnect)."""
        sent = 0
        for state in self.working(client=client_id):
            if state.status in (S.PENDING_NEW, S.NEW, S.PARTIALLY_FILLED) and self.venues[state.venue].session.active:
                state.pending_cl = ""
                self._send_cancel(state)
                sent += 1
        if self._auditing:
            self.audit.record("control", {"action": "cancel_client", "client": client_id, "why": why, "cancels": sent})
        if sent:
            log.warning("%s: %d working orders canceled (%s)", client_id, sent, why)
        return sent

    # -- reports to the client -------------------------------------------------------
    def _to_client(self, client: Session, msg_type: str, fields: list) -> None:
        # The trail first: what a client is told must be in it before the client can see it.
        if self._auditing:
            self.audit.record("out", {"client": client.config.target_comp_id, "msg": msg_type, "fields": fields})
        self.audit.flush()
        try:
            # A client that is away gets it by resend after its next Logon (unless it resets).
            client.send(msg_type, fields)
        except RuntimeError as exc:
            log.warning("%s to %s not sent: %s", msg_type, client.name, exc)

    def _report(self, state: OrderState, exec_type: ExecType, *, last_qty=0, last_px=0, reason=RejectReason.NONE,
                text="", cl_ord_id: str | None = None, orig: str | None = None, status: OrdStatus | None = None
                ) -> None:
        o = state.order
        sym = self.symbols.by_index(o.symbol)
        r = ExecutionReport(cl_ord_id or o.cl_ord_id, o.order_id, next(self._exec_ids), exec_type,
                            status or state.status, sym.name if sym else "?", o.side, state.qty or o.qty, o.price,
                            last_qty, last_px, state.cum_qty, state.leaves, state.avg_px_num, reason, text,
                            o.ord_type, o.tif)
        fields = exec_report_fields(r, self.symbols, state.client.config.begin_string)
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

    def _reject_raw(self, client: Session, msg: FixMessage, reason: RejectReason, text: str) -> None:
        """Reject an order that did not decode: echo what the client sent."""
        self.counts["rejected"] += 1
        self.rejects_by_reason[reason.check_name] = self.rejects_by_reason.get(reason.check_name, 0) + 1
        if self._auditing:
            self.audit.record("risk", {"client": client.config.target_comp_id, "cl_ord_id": msg.get(T.ClOrdID, ""),
                                       "decision": "reject", "reasons": [reason.check_name], "text": text})
        fields = [(T.OrderID, "NONE"), (T.ClOrdID, msg.get(T.ClOrdID, "")), (T.ExecID, next(self._exec_ids)),
                  (T.ExecType, ExecType.REJECTED.fix), (T.OrdStatus, OrdStatus.REJECTED.fix),
                  (T.Symbol, msg.get(T.Symbol, "?")), (T.Side, msg.get(T.Side, "1")),
                  (T.OrderQty, msg.get(T.OrderQty, "0")), (T.LeavesQty, 0), (T.CumQty, 0), (T.AvgPx, 0),
                  (T.OrdRejReason, reason.ord_rej_reason), (T.Text, f"{reason.check_name}: {text}")]
        if client.config.begin_string == "FIX.4.2":
            fields.insert(3, (T.ExecTransType, "0"))
        self._to_client(client, M.EXECUTION_REPORT, fields)

    # -- risk feedback ----------------------------------------------------------------
    def _release(self, state: OrderState, qty: int, filled: bool) -> None:
        qty = min(qty, state.reserved)
        if qty > 0:
            self.risk.release(state.order, qty, filled=filled)
            state.reserved -= qty

    def _end(self, state: OrderState) -> None:
        """The order is done: nothing it still holds counts against risk; its ClOrdIDs are free."""
        self._release(state, state.reserved, filled=False)
        if state.pending is not None:
            self.risk.release(state.pending, state.pending.qty, filled=False)
            state.pending = None
        self._live.pop((state.client_id, state.order.cl_ord_id), None)
        if state.pending_cl:
            self._live.pop((state.client_id, state.pending_cl), None)
        self.venues[state.venue].awaiting.discard(state.order.order_id)
        self._finish(state.order.order_id)

    def _finish(self, order_id: int) -> None:
        finished = self._finished
        finished.append(order_id)
        while len(finished) > self._retain:
            old = self.orders.pop(finished.popleft(), None)
            if old is not None:
                for ref in old.ouch_refs:
                    self._ouch_refs.pop(ref, None)

    # -- venue side --------------------------------------------------------------------
    def on_venue_report(self, msg: FixMessage, link: VenueLink | None = None) -> None:
        t0 = msg.recv_ns or now_ns()
        rep = decode_exec_report(msg)
        venue = link.name if link else ""
        if self._auditing:
            self.audit.record("in", {"venue": venue, "msg": "8", "fields": msg.fields})
        oid = venue_order_id(rep["cl_ord_id"])
        state = self.orders.get(oid) if oid is not None else None
        if state is None or (link is not None and state.venue != link.name):
            self.counts["unknown_venue_reports"] += 1
            log.warning("%s: report for unknown order %r ignored", venue, rep["cl_ord_id"])
            return
        exec_id = rep["exec_id"]
        self._venue_event(state, rep, venue, t0)

    def _venue_event(self, state: OrderState, rep: dict, venue: str, t0: int, px: int | None = None) -> None:
        """One venue report (FIX or OUCH, as a dict) for a known order: deduplicated, applied."""
        exec_id = rep.get("exec_id", "")
        if exec_id and exec_id in state.exec_ids:
            self.counts["duplicate_reports"] += 1
            log.info("%s: report %s for %s already applied", venue, exec_id, rep["cl_ord_id"])
            return
        if not state.acked:
            state.acked = True
            self.latency.record("venue ack rtt", t0 - state.sent_ns)
        try:
            self._apply(state, rep, px)
        except fsm.IllegalTransition as exc:
            self.counts["illegal"] += 1
            log.warning("%s: report %s for %s refused: %s", venue, rep["exec_type"], rep["cl_ord_id"], exc)
            return
        if exec_id:
            state.exec_ids.add(exec_id)
        self.latency.record("venue->client", now_ns() - t0)

    def on_ouch_message(self, session, msg) -> None:
        """One OUCH venue message (``ouch.messages.VenueMessage``), mapped onto the same events."""
        t0 = now_ns()
        link = self._venue_by_session.get(id(session))
        venue = link.name if link else session.name
        if self._auditing:
            self.audit.record("in", {"venue": venue, "msg": msg.kind, "hex": msg.raw.hex()})
        if msg.kind == "system":
            log.info("OUCH %s: system event %s", venue, msg.reason)
            return
        oid = self._ouch_refs.get(msg.orig_user_ref if msg.kind == "replaced" else msg.user_ref)
        state = self.orders.get(oid) if oid is not None else None
        if state is None or state.venue != venue:
            self.counts["unknown_venue_reports"] += 1
            log.warning("OUCH %s: %s for unknown UserRefNum %d ignored", venue, msg.kind, msg.user_ref)
            return
        rep = {"cl_ord_id": str(msg.user_ref), "exec_id": "", "text": "", "last_qty": msg.qty}
        px = None
        if msg.kind == "accepted":
            rep.update(exec_type="0", exec_id=f"A{msg.user_ref}")
        elif msg.kind == "executed":
            rep.update(exec_type="F", exec_id=f"E{msg.match}")
            px = session.ticks(state.order.symbol, msg.price4)
        elif msg.kind == "canceled":
            if 0 < msg.qty < state.leaves and state.status is not S.PENDING_CANCEL:
                # The venue took part of the order away (OUCH cancels can be partial).
                state.qty -= msg.qty
                self._release(state, msg.qty, filled=False)
                log.warning("OUCH %s: %d of %s canceled by the venue (reason %s)", venue, msg.qty,
                            state.order.cl_ord_id, msg.reason)
                return
            rep.update(exec_type="4", text=f"reason {msg.reason}")
        elif msg.kind == "replaced":
            rep.update(exec_type="5", exec_id=f"U{msg.user_ref}")
        elif msg.user_ref == state.order.order_id and state.status is S.PENDING_NEW:
            rep.update(exec_type="8", text=f"OUCH reject {msg.reason}")
        elif state.status is S.PENDING_REPLACE and str(msg.user_ref) == state.pending_venue_cl:
            self._venue_refused(state, fsm.CXL_BROKER, f"venue: OUCH reject {msg.reason}")
            return
        else:
            self.counts["illegal"] += 1
            log.warning("OUCH %s: reject %s for %s in %s ignored", venue, msg.reason, state.order.cl_ord_id,
                        state.status.name)
            return
        self._venue_event(state, rep, venue, t0, px)

    def _apply(self, state: OrderState, rep: dict, px: int | None = None) -> None:
        et = rep["exec_type"]
        if et == "0":
            if state.status is not S.PENDING_NEW:
                raise fsm.IllegalTransition(state.status, S.NEW)
            state.status = S.NEW
            self._report(state, ExecType.NEW)
        elif et in ("F", "1", "2"):
            self._fill(state, rep, px)
        elif et == "4":
            self._canceled(state, rep["text"])
        elif et in ("C", "3"):
            new = S.EXPIRED if et == "C" else S.DONE_FOR_DAY
            state.status = fsm.advance(state.status, new)
            self._report(state, ExecType.EXPIRED if et == "C" else ExecType.DONE_FOR_DAY, text=rep["text"])
            self._end(state)
        elif et == "8":
            state.status = fsm.advance(state.status, S.REJECTED)
            self.counts["accepted"] -= 1
            self.counts["rejected"] += 1
            self.rejects_by_reason["venue_reject"] = self.rejects_by_reason.get("venue_reject", 0) + 1
            self._report(state, ExecType.REJECTED, reason=RejectReason.VENUE_REJECT, text=f"venue: {rep['text']}")
            self._end(state)
        elif et == "5":
            self._replaced(state)
        elif et == "H":
            self._bust(state, rep)
        elif et == "I":
            self._reconcile(state, rep)
        elif et in ("6", "E", "A"):
            pass  # the venue's pending acks: the client heard its pending status when it asked
        else:
            raise fsm.IllegalTransition(state.status, state.status)

    def _fill(self, state: OrderState, rep: dict, px: int | None = None) -> None:
        sym = self.symbols.by_index(state.order.symbol)
        qty = rep["last_qty"]
        if px is None:
            try:
                px = sym.tick.parse_ticks(rep["last_px"])
            except PriceError:
                log.error("venue fill price %r off tick for %s ignored", rep["last_px"], sym.name)
                raise fsm.IllegalTransition(state.status, state.status) from None
        if qty <= 0 or state.cum_qty + qty > max(state.qty, state.pending_qty):
            log.error("venue fill of %r for %s over its open quantity ignored", qty, state.order.cl_ord_id)
            raise fsm.IllegalTransition(state.status, S.FILLED)
        full = state.cum_qty + qty >= state.qty
        pending = state.status in (S.PENDING_CANCEL, S.PENDING_REPLACE)
        new = S.FILLED if full else (state.status if pending else S.PARTIALLY_FILLED)
        state.status = fsm.advance(state.status, new)
        self._release(state, qty, filled=True)
        state.cum_qty += qty
        state.avg_px_num += qty * px
        if pending and not full:
            state.prior = S.PARTIALLY_FILLED
        self.counts["fills"] += 1
        self._report(state, ExecType.TRADE, last_qty=qty, last_px=px)
        if full:
            self.counts["filled"] += 1
            self._end(state)

    def _canceled(self, state: OrderState, text: str) -> None:
        was = state.status
        state.status = fsm.advance(state.status, S.CANCELED)
        self.counts["canceled"] += 1
        if was is S.PENDING_CANCEL and state.pending_cl:
            self._report(state, ExecType.CANCELED, cl_ord_id=state.pending_cl, orig=state.order.cl_ord_id)
        else:
            why = "kill switch / cancel-on-disconnect" if was is S.PENDING_CANCEL else "unsolicited cancel"
            self._report(state, ExecType.CANCELED, text=f"venue: {why}{': ' + text if text else ''}")
        self._end(state)

    def _replaced(self, state: OrderState) -> None:
        state.status = fsm.advance(state.status, S.REPLACED)
        old, new = state.order, state.pending
        # The old record's reservation goes; the new one's stays for what is left open.
        self._release(state, state.reserved, filled=False)
        self._live.pop((state.client_id, old.cl_ord_id), None)
        state.order, state.pending, state.qty = new, None, state.pending_qty
        state.reserved = new.qty
        self._release(state, state.reserved - (state.qty - state.cum_qty), filled=False)  # filled meanwhile
        state.venue_cl = state.pending_venue_cl
        state.pending_cl = ""
        state.status = fsm.advance(S.REPLACED, S.FILLED if state.cum_qty >= state.qty else
                                   (S.PARTIALLY_FILLED if state.cum_qty else S.NEW))
        self.counts["replaced"] += 1
        self._report(state, ExecType.REPLACED, orig=old.cl_ord_id)
        if state.status is S.FILLED:
            self._end(state)

    def _bust(self, state: OrderState, rep: dict) -> None:
        """A trade cancel: the venue withdrew a fill. CumQty and AvgPx go back; the order's status is
        what the venue now says (a bust can reopen quantity), which the table does not govern.
        Risk keeps the position as filled: the control plane re-syncs positions from the venue."""
        qty = rep["last_qty"]
        sym = self.symbols.by_index(state.order.symbol)
        try:
            px = sym.tick.parse_ticks(rep["last_px"])
        except PriceError:
            px = state.avg_px_num // state.cum_qty if state.cum_qty else 0
        if qty <= 0 or qty > state.cum_qty:
            raise fsm.IllegalTransition(state.status, state.status)
        state.cum_qty -= qty
        state.avg_px_num = max(state.avg_px_num - qty * px, 0)
        try:
            venue_status = S.from_fix(rep["ord_status"])
        except ValueError:
            venue_status = state.status
        self.counts["busts"] += 1
        if state.status in fsm.TERMINAL and venue_status not in fsm.TERMINAL:
            log.warning("bust reopens finished order %s at the venue: reported, not re-reserved",
                        state.order.cl_ord_id)
        self._report(state, ExecType.TRADE_CANCEL, last_qty=qty, last_px=px, status=venue_status,
                     text=f"venue: trade canceled {rep['text']}".rstrip())

    def on_venue_cancel_reject(self, msg: FixMessage, link: VenueLink | None = None) -> None:
        if self._auditing:
            self.audit.record("in", {"venue": link.name if link else "", "msg": "9", "fields": msg.fields})
        oid = venue_order_id(msg.get(T.ClOrdID, "")) or venue_order_id(msg.get(T.OrigClOrdID, ""))
        state = self.orders.get(oid) if oid is not None else None
        if state is None:
            self.counts["unknown_venue_reports"] += 1
            log.warning("venue cancel reject for unknown order %r ignored", msg.get(T.OrigClOrdID))
            return
        if link is not None and oid in link.awaiting:
            # The venue does not know an order we think works there (its status request failed).
            link.awaiting.discard(oid)
            self._reconcile_gone(state, link)
            return
        reason = msg.get(T.CxlRejReason) or ""
        self._venue_refused(state, int(reason) if reason.isdigit() else 0, "venue: " + msg.get(T.Text, ""))

    def _venue_refused(self, state: OrderState, reason: int, text: str) -> None:
        """The venue refused a cancel or replace: the order goes back to what it was."""
        if state.status not in (S.PENDING_CANCEL, S.PENDING_REPLACE):
            self.counts["illegal"] += 1
            log.warning("venue cancel reject for %s in %s ignored", state.order.cl_ord_id, state.status.name)
            return
        replace = state.status is S.PENDING_REPLACE
        state.status = fsm.advance(state.status, state.prior)
        pending_cl = state.pending_cl
        if replace and state.pending is not None:
            self.risk.release(state.pending, state.pending.qty, filled=False)
            state.pending = None
        if pending_cl:
            self._live.pop((state.client_id, pending_cl), None)
            state.pending_cl = ""
            self._cancel_reject(state.client, state, pending_cl, state.order.cl_ord_id, "2" if replace else "1",
                                reason, text)

    # -- reconnect and reconcile ---------------------------------------------------------
    def on_venue_logon(self, link: VenueLink) -> None:
        working = self.working(venue=link.name)
        if not working or link.ouch:
            # OUCH: the login asked the venue to replay from the first message not yet seen, which
            # is its reconciliation; the replay is read before anything else on the connection.
            link.state = "up"
            return
        link.state, link.reconcile_started = "reconciling", self.clock()
        link.awaiting = {s.order.order_id for s in working}
        for s in working:
            s.requests += 1
            sym = self.symbols.by_index(s.order.symbol)
            link.session.send(ORDER_STATUS_REQUEST, status_request_fields(s.venue_cl, sym.name, Side(s.order.side)))
        log.warning("%s: logged on again; reconciling %d working orders before new flow", link.name, len(working))

    def _reconcile(self, state: OrderState, rep: dict) -> None:
        """The venue's answer to a status request: report what the gateway missed."""
        link = self.venues[state.venue]
        link.awaiting.discard(state.order.order_id)
        missed = rep["cum_qty"] - state.cum_qty
        if missed > 0:
            sym = self.symbols.by_index(state.order.symbol)
            try:
                venue_num = Decimal(rep["avg_px"]) * rep["cum_qty"] / sym.tick.to_decimal(1)
                px = int((venue_num - state.avg_px_num) / missed)
            except (InvalidOperation, ArithmeticError):
                px = state.order.price
            self.counts["reconciled_fills"] += 1
            self._fill(state, {"last_qty": missed, "last_px": ""}, px=px)
        try:
            venue_status = S.from_fix(rep["ord_status"])
        except ValueError:
            venue_status = state.status
        if state.status not in fsm.TERMINAL:
            if venue_status in (S.CANCELED, S.EXPIRED, S.DONE_FOR_DAY) or venue_status is S.REJECTED:
                if venue_status is S.REJECTED:
                    self._reconcile_gone(state, link)
                else:
                    state.status = fsm.advance(state.status, venue_status)
                    et = {S.CANCELED: ExecType.CANCELED, S.EXPIRED: ExecType.EXPIRED}.get(venue_status,
                                                                                       ExecType.DONE_FOR_DAY)
                    self._report(state, et, text="venue: ended while the session was down")
                    self._end(state)
        self._maybe_up(link)

    def _reconcile_gone(self, state: OrderState, link: VenueLink) -> None:
        if state.status not in fsm.TERMINAL:
            state.status = fsm.advance(state.status, S.CANCELED)
            self.counts["canceled"] += 1
            self._report(state, ExecType.CANCELED, text="venue does not know the order after reconnect")
            self._end(state)
        self._maybe_up(link)

    def _maybe_up(self, link: VenueLink) -> None:
        if link.state == "reconciling" and not link.awaiting:
            link.state = "up"
            log.warning("%s: reconciled; new flow accepted", link.name)

    def drain_latency(self) -> LatencyRecorder:
        """Move the buffered per-venue and per-client hops into their histograms; the recorder."""
        buf, self._hop_buf = self._hop_buf, []
        record = self.latency.record
        for venue, client, ns in buf:
            record("client->venue @" + venue, ns)
            record("client->venue " + client, ns)
        return self.latency

    def on_timer(self) -> None:
        """Twice a second: reconcile timeouts, buffered latency, the audit flush."""
        self.drain_latency()
        now = self.clock()
        for link in self.venues.values():
            if link.state == "reconciling" and now - link.reconcile_started > self.reconcile_timeout_s:
                log.error("%s: %d status requests unanswered after %.1fs; accepting new flow", link.name,
                          len(link.awaiting), self.reconcile_timeout_s)
                link.awaiting.clear()
                link.state = "up"
        self.audit.flush()


class _ClientApp:
    def __init__(self, gw: OrderGateway):
        self.gw = gw
        self.on_logon_hook = self.on_logout_hook = None

    def on_logon(self, session: Session) -> None:
        log.info("client %s logged on", session.name)
        if self.on_logon_hook:
            self.on_logon_hook(session)

    def on_logout(self, session: Session) -> None:
        log.info("client %s logged out", session.name)
        if self.on_logout_hook:
            self.on_logout_hook(session)

    def on_message(self, session: Session, msg: FixMessage) -> None:
        mt = msg.msg_type
        gw = self.gw
        if mt == M.NEW_ORDER_SINGLE:
            gw.on_new_order(session, msg)
        elif mt == M.ORDER_CANCEL_REQUEST:
            gw.on_cancel(session, msg)
        elif mt == M.ORDER_CANCEL_REPLACE_REQUEST:
            gw.on_replace(session, msg)
        elif mt == ORDER_STATUS_REQUEST:
            gw.on_status_request(session, msg)
        else:
            session.business_reject(msg, 3, f"unsupported message type {mt}")


class _VenueApp:
    def __init__(self, gw: OrderGateway):
        self.gw = gw

    def _link(self, session: Session) -> VenueLink | None:
        return self.gw._venue_by_session.get(id(session))

    def on_logon(self, session: Session) -> None:
        log.info("venue %s logged on", session.name)
        link = self._link(session)
        if link is not None:
            self.gw.on_venue_logon(link)

    def on_logout(self, session: Session) -> None:
        (log.info if self.gw.stopping else log.warning)("venue %s logged out", session.name)
        link = self._link(session)
        if link is not None:
            link.state = "down"

    def on_message(self, session: Session, msg: FixMessage) -> None:
        mt = msg.msg_type
        link = self._link(session)
        if mt == M.EXECUTION_REPORT:
            self.gw.on_venue_report(msg, link)
        elif mt == M.ORDER_CANCEL_REJECT:
            self.gw.on_venue_cancel_reject(msg, link)
        elif mt == M.BUSINESS_MESSAGE_REJECT and link is not None and link.state == "reconciling":
            # A venue without OrderStatusRequest: nothing to reconcile from; take the flow back.
            log.warning("%s: OrderStatusRequest not supported (%s); reconcile skipped", link.name, msg.get(T.Text))
            link.awaiting.clear()
            self.gw._maybe_up(link)
        elif mt == M.BUSINESS_MESSAGE_REJECT:
            log.warning("venue %s business reject: %s", session.name, msg.get(T.Text))
        else:
            session.business_reject(msg, 3, f"unsupported message type {mt}")
