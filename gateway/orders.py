"""The order path: client NewOrderSingle -> decode -> risk -> venue, and venue reports back.

Every hop is stamped with ``perf_counter_ns`` into the gateway's LatencyRecorder:
``decode`` (socket receive -> Order), ``risk`` (check), ``client->venue`` (socket
receive -> venue write, the gateway's tick-to-trade), ``venue ack rtt`` (venue write
-> its first report), ``venue->client`` (venue report receive -> client write).
"""
from __future__ import annotations

import dataclasses
import logging
from collections import deque
from dataclasses import dataclass

from wirespeed.clock import fix_timestamp, now_ns
from wirespeed.enums import ExecType, OrdStatus, OrdType, Side
from wirespeed.ids import OrderIds, StringIds
from wirespeed.latency import LatencyRecorder
from wirespeed.order import ExecutionReport, Order
from wirespeed.prices import PriceError
from wirespeed.reasons import RejectReason, primary, reasons_in
from wirespeed.symbols import SymbolTable

from .fix import tags as T
from .fix.message import FixMessage
from .fix.orders import (DecodeError, decode_exec_report, decode_new_order, exec_report_fields, new_order_fields,
                         venue_cl_ord_id, venue_order_id)
from .fix.tags import MsgTypes as M
from .risk import RiskBackend
from .session import Session

log = logging.getLogger("wirespeed.orders")

_DONE = frozenset({OrdStatus.FILLED, OrdStatus.CANCELED, OrdStatus.EXPIRED, OrdStatus.REJECTED})
HOPS = ("decode", "risk", "client->venue", "venue ack rtt", "venue->client")


@dataclass(slots=True)
class OrderState:
    order: Order
    client: Session
    status: OrdStatus = OrdStatus.PENDING_NEW
    cum_qty: int = 0
    avg_px_num: int = 0
    sent_ns: int = 0
    acked: bool = False
    cancel_ids: int = 0

    @property
    def leaves(self) -> int:
        if self.status in (OrdStatus.CANCELED, OrdStatus.REJECTED, OrdStatus.EXPIRED):
            return 0
        return self.order.qty - self.cum_qty


class OrderGateway:
    """Owns the order state machine between client sessions and one venue session."""

    def __init__(self, symbols: SymbolTable, risk: RiskBackend, latency: LatencyRecorder | None = None,
                 retain_finished: int = 10_000):
        if isinstance(retain_finished, bool) or not isinstance(retain_finished, int) or retain_finished < 0:
            raise ValueError(f"retain_finished must be a non-negative integer, not {retain_finished!r}")
        self.symbols = symbols
        self.risk = risk
        self.latency = latency or LatencyRecorder(HOPS)
        self.venue: Session | None = None
        self.orders: dict[int, OrderState] = {}
        self._live: dict[tuple[str, str], int] = {}  # (client session, ClOrdID) -> order id
        # Finished orders stay answerable (a late venue report, a status query) for the last
        # ``retain_finished`` of them, then are dropped: memory stays flat over a long day.
        self._finished: deque[int] = deque()
        self._retain = retain_finished
        # Unique across restarts: a venue that saw ClOrdID 00000001 yesterday-morning's run must not
        # see it again after a restart, nor a client the same ExecID.
        self._ids = OrderIds()
        self._exec_ids = StringIds("W")
        self._session_index: dict[str, int] = {}
        self.counts = {"received": 0, "accepted": 0, "rejected": 0, "filled": 0, "fills": 0, "canceled": 0}
        self.client_app = _ClientApp(self)
        self.venue_app = _VenueApp(self)
        self.stopping = False   # set on a deliberate shutdown: a venue logout is then expected

    # -- client side -------------------------------------------------------------
    def on_new_order(self, client: Session, msg: FixMessage) -> None:
        t0 = msg.recv_ns or now_ns()
        self.counts["received"] += 1
        cl_ord_id = msg.get(T.ClOrdID, "")
        key = (client.name, cl_ord_id)
        session_idx = self._session_index.setdefault(client.name, len(self._session_index) & 0xFF)
        order_id = next(self._ids)
        try:
            order = decode_new_order(msg, self.symbols, order_id, session_idx)
        except DecodeError as exc:
            self._reject_raw(client, msg, exc.reason, exc.text)
            return
        if key in self._live:
            self._reject(client, order, RejectReason.DUPLICATE_CLORDID.bit, "duplicate ClOrdID of a live order")
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
            self._reject(client, order, mask)
            return
        if self.venue is None or not self.venue.active:
            self._reject(client, order, 0, "no venue session", RejectReason.NO_VENUE)
            return
        state = OrderState(order, client)
        self.orders[order_id] = state
        self._live[key] = order_id
        self.venue.send(M.NEW_ORDER_SINGLE, new_order_fields(order, self.symbols, venue_cl_ord_id(order_id),
                                                             fix_timestamp()))
        state.sent_ns = now_ns()
        self.latency.record("client->venue", state.sent_ns - t0)
        self.counts["accepted"] += 1

    def on_cancel(self, client: Session, msg: FixMessage) -> None:
        orig = msg.get(T.OrigClOrdID, "")
        order_id = self._live.get((client.name, orig))
        state = self.orders.get(order_id) if order_id else None
        if state is None or self.venue is None or not self.venue.active:
            client.send(M.ORDER_CANCEL_REJECT, [
                (T.OrderID, order_id or "NONE"), (T.ClOrdID, msg.get(T.ClOrdID, "")), (T.OrigClOrdID, orig),
                (T.OrdStatus, state.status.fix if state else OrdStatus.REJECTED.fix), (T.CxlRejResponseTo, "1"),
                (T.CxlRejReason, 1 if state is None else 2),
                (T.Text, "unknown order" if state is None else "no venue session")])
            return
        state.cancel_ids += 1
        sym = self.symbols.by_index(state.order.symbol)
        self.venue.send(M.ORDER_CANCEL_REQUEST, [
            (T.OrigClOrdID, venue_cl_ord_id(order_id)), (T.ClOrdID, f"{venue_cl_ord_id(order_id)}.{state.cancel_ids}"),
            (T.Symbol, sym.name), (T.Side, Side(state.order.side).fix), (T.TransactTime, fix_timestamp()),
            (T.OrderQty, state.order.qty)])

    def _report(self, state: OrderState, exec_type: ExecType, *, last_qty=0, last_px=0, reason=RejectReason.NONE,
                text="") -> None:
        o = state.order
        sym = self.symbols.by_index(o.symbol)
        r = ExecutionReport(o.cl_ord_id, o.order_id, next(self._exec_ids), exec_type, state.status,
                            sym.name if sym else "?", o.side, o.qty, o.price, last_qty, last_px, state.cum_qty,
                            state.leaves, state.avg_px_num, reason, text, o.ord_type, o.tif)
        try:
            # A client that is away gets it by resend after its next Logon (unless it resets).
            state.client.send(M.EXECUTION_REPORT, exec_report_fields(r, self.symbols, state.client.config.begin_string))
        except RuntimeError as exc:
            log.warning("execution report for %s not sent: %s", o.cl_ord_id, exc)

    def _reject(self, client: Session, order: Order, mask: int, text: str = "",
                reason: RejectReason | None = None) -> None:
        reason = reason or primary(mask)
        if not text:
            text = "risk: " + ", ".join(r.check_name for r in reasons_in(mask))
        self.counts["rejected"] += 1
        self._report(OrderState(order, client, OrdStatus.REJECTED), ExecType.REJECTED, reason=reason, text=text)

    def _reject_raw(self, client: Session, msg: FixMessage, reason: RejectReason, text: str) -> None:
        """Reject an order that did not decode: echo what the client sent."""
        self.counts["rejected"] += 1
        fields = [(T.OrderID, "NONE"), (T.ClOrdID, msg.get(T.ClOrdID, "")), (T.ExecID, next(self._exec_ids)),
                  (T.ExecType, ExecType.REJECTED.fix), (T.OrdStatus, OrdStatus.REJECTED.fix),
                  (T.Symbol, msg.get(T.Symbol, "?")), (T.Side, msg.get(T.Side, "1")),
                  (T.OrderQty, msg.get(T.OrderQty, "0")), (T.LeavesQty, 0), (T.CumQty, 0), (T.AvgPx, 0),
                  (T.OrdRejReason, reason.ord_rej_reason), (T.Text, f"{reason.check_name}: {text}")]
        if client.config.begin_string == "FIX.4.2":
            fields.insert(3, (T.ExecTransType, "0"))
        client.send(M.EXECUTION_REPORT, fields)

    # -- venue side --------------------------------------------------------------
    def on_venue_report(self, msg: FixMessage) -> None:
        t0 = msg.recv_ns or now_ns()
        rep = decode_exec_report(msg)
        oid = venue_order_id(rep["cl_ord_id"])
        state = self.orders.get(oid) if oid is not None else None
        if state is None:
            log.warning("venue report for unknown order %r", rep["cl_ord_id"])
            return
        if state.status in _DONE:
            # A finished order takes no more executions (a duplicate or a report racing its end):
            # applying it would release risk twice.
            log.warning("venue report %s for finished order %r (%s) ignored", rep["exec_type"], rep["cl_ord_id"],
                        state.status.name)
            return
        if not state.acked:
            state.acked = True
            self.latency.record("venue ack rtt", t0 - state.sent_ns)
        et = rep["exec_type"]
        key = (state.client.name, state.order.cl_ord_id)
        if et == "0":
            state.status = OrdStatus.NEW
            self._report(state, ExecType.NEW)
        elif et in ("F", "1", "2"):
            sym = self.symbols.by_index(state.order.symbol)
            try:
                px = sym.tick.parse_ticks(rep["last_px"])
            except PriceError:
                log.error("venue fill price %r off tick for %s", rep["last_px"], sym.name)
                return
            qty = rep["last_qty"]
            self.risk.release(state.order, qty, filled=True)
            state.cum_qty += qty
            state.avg_px_num += qty * px
            state.status = OrdStatus.FILLED if state.cum_qty >= state.order.qty else OrdStatus.PARTIALLY_FILLED
            self.counts["fills"] += 1
            self._report(state, ExecType.TRADE, last_qty=qty, last_px=px)
            if state.status is OrdStatus.FILLED:
                self.counts["filled"] += 1
                self._live.pop(key, None)
                self._finish(oid)
        elif et in ("4", "C", "8"):
            # The order is done at the venue: what never filled no longer counts against risk.
            self.risk.release(state.order, state.order.qty - state.cum_qty, filled=False)
            self._live.pop(key, None)
            if et == "4":
                state.status = OrdStatus.CANCELED
                self.counts["canceled"] += 1
                self._report(state, ExecType.CANCELED, text=rep["text"])
            elif et == "C":
                state.status = OrdStatus.EXPIRED
                self._report(state, ExecType.EXPIRED, text=rep["text"])
            else:
                state.status = OrdStatus.REJECTED
                self.counts["accepted"] -= 1
                self.counts["rejected"] += 1
                self._report(state, ExecType.REJECTED, reason=RejectReason.VENUE_REJECT,
                             text=f"venue: {rep['text']}")
            self._finish(oid)
        self.latency.record("venue->client", now_ns() - t0)

    def _finish(self, order_id: int) -> None:
        finished = self._finished
        finished.append(order_id)
        while len(finished) > self._retain:
            self.orders.pop(finished.popleft(), None)

    def on_venue_cancel_reject(self, msg: FixMessage) -> None:
        oid = venue_order_id(msg.get(T.OrigClOrdID, ""))
        state = self.orders.get(oid) if oid is not None else None
        if state is None or not state.client.active:
            return
        state.client.send(M.ORDER_CANCEL_REJECT, [
            (T.OrderID, state.order.order_id), (T.ClOrdID, msg.get(T.ClOrdID, "")),
            (T.OrigClOrdID, state.order.cl_ord_id), (T.OrdStatus, state.status.fix),
            (T.CxlRejResponseTo, "1"), (T.CxlRejReason, msg.get(T.CxlRejReason, "0")),
            (T.Text, "venue: " + msg.get(T.Text, ""))])


class _ClientApp:
    def __init__(self, gw: OrderGateway):
        self.gw = gw

    def on_logon(self, session: Session) -> None:
        log.info("client %s logged on", session.name)

    def on_logout(self, session: Session) -> None:
        log.info("client %s logged out", session.name)

    def on_message(self, session: Session, msg: FixMessage) -> None:
        mt = msg.msg_type
        if mt == M.NEW_ORDER_SINGLE:
            self.gw.on_new_order(session, msg)
        elif mt == M.ORDER_CANCEL_REQUEST:
            self.gw.on_cancel(session, msg)
        else:
            session.business_reject(msg, 3, f"unsupported message type {mt}")


class _VenueApp:
    def __init__(self, gw: OrderGateway):
        self.gw = gw

    def on_logon(self, session: Session) -> None:
        log.info("venue %s logged on", session.name)

    def on_logout(self, session: Session) -> None:
        (log.info if self.gw.stopping else log.warning)("venue %s logged out", session.name)

    def on_message(self, session: Session, msg: FixMessage) -> None:
        mt = msg.msg_type
        if mt == M.EXECUTION_REPORT:
            self.gw.on_venue_report(msg)
        elif mt == M.ORDER_CANCEL_REJECT:
            self.gw.on_venue_cancel_reject(msg)
        else:
            session.business_reject(msg, 3, f"unsupported message type {mt}")
