"""The venue's FIX 4.4 front end: an acceptor on gateway/ whose application turns
NewOrderSingle (D), OrderCancelRequest (F), OrderCancelReplaceRequest (G) and
OrderStatusRequest (H) into venue calls, and venue reports into ExecutionReports
(ExecType 0 New, F Trade, 4 Canceled, 5 Replaced, 8 Rejected with OrdRejReason and Text,
I Order Status) and OrderCancelReject (9).

Each FIX session is one owner; its orders are found by ClOrdID (the current one, after
replaces) or by OrderID. Whatever a message gets wrong is answered on that session only.

Sequence numbers outlive a connection: a counterparty's session (and its store) is kept by the
acceptor between connections, so what the venue reports while the link is down (a fill on a
resting order) is numbered and stored, and reaches the counterparty after its next Logon by
ResendRequest, PossDupFlag=Y, as the FIX session protocol says; a Logon with ResetSeqNumFlag
starts both numbers at 1 again. With ``VenueSpec.store_path`` the store is on disk (QuickFIX's
FileStorePath: one folder ``<BeginString>-<SenderCompID>-<TargetCompID>`` per session under it),
so the numbers and the sent messages survive a restart of the venue too; without it a restarted
venue starts at 1 (and the counterparty finds its numbers too low: docs/sim/venue.md). A
request the counterparty resends (PossDupFlag=Y) whose ClOrdID the venue has already taken is a
duplicate of one processed: ignored, not refused. With ``VenueSpec.start_time`` / ``end_time``
the sessions keep QuickFIX's window: a Logon out of it is refused, and a new session day's
first Logon finds the store reset (numbers from 1), as a desk keeping the same window sends it.
"""
from __future__ import annotations

import itertools
import logging

from wirespeed.enums import ExecType, OrdStatus, OrdType, Side, TimeInForce
from wirespeed.order import ExecutionReport
from wirespeed.prices import PriceError
from wirespeed.gateway.acceptor import FixAcceptor
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.fix.message import FixMessage
from wirespeed.gateway.fix.orders import DecodeError, decode_new_order, exec_report_fields
from wirespeed.gateway.fix.tags import MsgTypes as M
from wirespeed.gateway.session import Session, SessionConfig
from wirespeed.gateway.session.session import SessionState
from wirespeed.gateway.store import FileStore

from .core import Report, VenueCore, VenueOrder, VenueReject
from .latency import VenueLatency

log = logging.getLogger("wirespeed.venue.fix")
ORDER_STATUS_REQUEST = "H"
EXEC_INST, MAX_FLOOR = 18, 111     # ExecInst 6: post-only (participate, do not initiate); MaxFloor: reserve
_DECODE_REJECT = {"UNKNOWN_SYMBOL": VenueReject.UNKNOWN_SYMBOL, "BAD_PRICE": VenueReject.BAD_PRICE,
                  "UNSUPPORTED": VenueReject.UNSUPPORTED, "ZERO_QTY": VenueReject.BAD_QTY,
                  "BAD_FIELD": VenueReject.MALFORMED}
MAX_ORDERS_PER_SESSION = 100_000
#: Reports held for a session that is connecting (not yet logged on again, or logging out):
#: sent once it is logged on; past the bound the oldest go (the counterparty's status request
#: still finds the order's state).
MAX_HELD_REPORTS = 10_000
POSS_DUP = 43


# The ack of a limit order (the hot answer) goes through a pre-rendered template: the same
# fields, in the same order, as exec_report_fields writes for it (tested against each other).
_NEW_TAGS = (T.OrderID, T.ClOrdID, T.ExecID, T.ExecType, T.OrdStatus, T.Symbol, T.Side, T.OrderQty, T.OrdType,
             T.Price, T.LastQty, T.LastPx, T.LeavesQty, T.CumQty, T.AvgPx)


class FixOwner:
    """One FIX session's side of the venue: its orders by ClOrdID, and how reports go out."""
    __slots__ = ("front", "session", "by_cl", "new_template", "held")

    def __init__(self, front: "FixFront", session: Session):
        self.front, self.session = front, session
        self.by_cl: dict[str, VenueOrder] = {}
        self.new_template = None
        self.held: list[list] = []       # report fields while the session is between connection and Logon

    def on_report(self, r: Report) -> None:
        self.front.send_report(self, r)


class FixFront:
    def __init__(self, core: VenueCore, latency: VenueLatency, host: str, port: int):
        self.core, self.latency = core, latency
        self.owners: dict[str, FixOwner] = {}
        self._exec_ids = itertools.count(1)
        # The sessions' Heartbeat/TestRequest timers run on the venue's clock (accelerated days).
        self.acceptor = FixAcceptor(host, port, factory=self._new_session)
        self.acceptor.clock = core.clock
        self.duplicates = 0              # resent requests (PossDupFlag=Y) already taken: ignored

    def _new_session(self, comp_id: str) -> Session:
        spec = self.core.spec
        cfg = SessionConfig(sender_comp_id=spec.comp_id, target_comp_id=comp_id, role="acceptor",
                            heartbeat_s=spec.heartbeat_s, max_messages_per_second=spec.max_messages_per_second,
                            **spec.window())
        clock_ns = self.core.clock.monotonic_ns
        store = None
        if spec.store_path:
            # QuickFIX's FileStorePath: one folder per session, named by its BeginString and CompIDs
            # (a StoreError names the folder; the acceptor then refuses the Logon, logged).
            store = FileStore(spec.store_path, f"{cfg.begin_string}-{cfg.sender_comp_id}-{comp_id}")
        return Session(cfg, self, store, clock=lambda: clock_ns() / 1e9)

    async def start(self) -> int:
        return await self.acceptor.start()

    async def stop(self) -> None:
        await self.acceptor.stop()
        for session in self.acceptor.sessions.values():
            session.store.close()        # a file store's maps and its writer thread

    @property
    def port(self) -> int:
        return self.acceptor.port

    # -- Application -------------------------------------------------------------
    def on_logon(self, session: Session) -> None:
        owner = self.owners.setdefault(session.name, FixOwner(self, session))
        owner.session = session
        owner.new_template = session.template(M.EXECUTION_REPORT, _NEW_TAGS) \
            if session.config.begin_string == "FIX.4.4" else None
        log.info("%s: %s logged on", self.core.spec.name, session.config.target_comp_id)
        held, owner.held = owner.held, []
        for fields in held:
            session.send(M.EXECUTION_REPORT, fields)

    def on_logout(self, session: Session) -> None:
        log.info("%s: %s logged out", self.core.spec.name, session.config.target_comp_id)

    def on_message(self, session: Session, msg: FixMessage) -> None:
        self.latency.run(lambda: self._dispatch(session, msg))

    def _owner(self, session: Session) -> FixOwner:
        owner = self.owners.get(session.name)
        if owner is None:
            owner = self.owners[session.name] = FixOwner(self, session)
        return owner

    def _dispatch(self, session: Session, msg: FixMessage) -> None:
        if not session.active:
            return
        owner = self._owner(session)
        mt = msg.msg_type
        if msg.get(POSS_DUP) == "Y" and mt != ORDER_STATUS_REQUEST and msg.get(T.ClOrdID, "") in owner.by_cl:
            # Resent by the counterparty after a reconnect, and taken the first time: answering it
            # again (a duplicate ClOrdID reject) would tell it the order was refused.
            self.duplicates += 1
            log.info("%s: resent %s %s already taken: ignored", self.core.spec.name, mt, msg.get(T.ClOrdID))
            return
        try:
            if mt == M.NEW_ORDER_SINGLE:
                self._new_order(owner, msg)
            elif mt == M.ORDER_CANCEL_REQUEST:
                self._cancel(owner, msg)
            elif mt == M.ORDER_CANCEL_REPLACE_REQUEST:
                self._replace(owner, msg)
            elif mt == ORDER_STATUS_REQUEST:
                self._status(owner, msg)
            else:
                session.business_reject(msg, 3, f"unsupported message type {mt}")
        except Exception:               # a bug must cost this message, not the venue
            log.exception("%s: message %s failed", self.core.spec.name, mt)
            session.business_reject(msg, 0, "venue could not process the message")

    # -- requests ------------------------------------------------------------------
    def _new_order(self, owner: FixOwner, msg: FixMessage) -> None:
        cl = msg.get(T.ClOrdID, "")
        try:
            order = decode_new_order(msg, self.core.symbols, 0, 0)
        except DecodeError as exc:
            reason = _DECODE_REJECT.get(exc.reason.name, VenueReject.MALFORMED)
            if reason is VenueReject.BAD_PRICE and "tick" in exc.text:
                reason = VenueReject.OFF_TICK
            self.core.reject(owner, msg, reason, exc.text)
            return
        if not cl:
            self.core.reject(owner, msg, VenueReject.MALFORMED, "ClOrdID(11) missing")
            return
        live = owner.by_cl.get(cl)
        if live is not None:
            self.core.reject(owner, msg, VenueReject.DUPLICATE, f"ClOrdID {cl!r} is already used by order {live.id}")
            return
        if len(owner.by_cl) >= MAX_ORDERS_PER_SESSION:
            self._forget_finished(owner)
        tif = TimeInForce.DAY if order.tif == TimeInForce.GTC else order.tif
        sym = self.core.symbols.by_index(order.symbol).name
        floor = msg.get(MAX_FLOOR, "0")
        if not floor.isdigit():
            self.core.reject(owner, msg, VenueReject.MALFORMED, f"MaxFloor(111) must be a whole number, not {floor!r}")
            return
        o = self.core.new_order(owner, msg, cl, sym, order.side, order.ord_type, tif, order.qty, order.price,
                                display=int(floor), post_only="6" in msg.get(EXEC_INST, "").split(),
                                participant=owner.session.name)
        if o is not None and o.client_id == cl:
            owner.by_cl[cl] = o

    def _forget_finished(self, owner: FixOwner) -> None:
        """Bound the per-session index: finished orders are dropped (status then says unknown)."""
        for cl in [c for c, o in owner.by_cl.items() if not o.open]:
            del owner.by_cl[cl]

    def _lookup(self, owner: FixOwner, msg: FixMessage) -> VenueOrder | None:
        o = owner.by_cl.get(msg.get(T.OrigClOrdID, "")) or owner.by_cl.get(msg.get(T.ClOrdID, ""))
        if o is None and (oid := msg.get(T.OrderID, "")).isdigit():
            o = self.core.find(int(oid))
            if o is not None and o.owner is not owner:
                o = None
        return o

    def _cancel_reject(self, owner: FixOwner, msg: FixMessage, order: VenueOrder | None, response_to: str,
                       text: str) -> None:
        status = OrdStatus.REJECTED if order is None else self._status_of(order)
        owner.session.send(M.ORDER_CANCEL_REJECT, [
            (T.OrderID, order.id if order else "NONE"), (T.ClOrdID, msg.get(T.ClOrdID, "")),
            (T.OrigClOrdID, msg.get(T.OrigClOrdID, "")), (T.OrdStatus, status.fix),
            (T.CxlRejResponseTo, response_to), (T.CxlRejReason, 1 if order is None else 0 if not order.open else 99),
            (T.Text, text)])

    def _cancel(self, owner: FixOwner, msg: FixMessage) -> None:
        o = self._lookup(owner, msg)
        cl = msg.get(T.ClOrdID, "")
        if o is None or not self.core.cancel(owner, o, msg, cl):
            self._cancel_reject(owner, msg, o, "1", "unknown or no longer working order" if o is None or not o.open
                                else "nothing to cancel")
            return
        if cl:
            owner.by_cl[cl] = o

    def _replace(self, owner: FixOwner, msg: FixMessage) -> None:
        o = self._lookup(owner, msg)
        cl = msg.get(T.ClOrdID, "")
        if o is None or not o.open:
            self._cancel_reject(owner, msg, o, "2", "unknown or no longer working order")
            return
        if not cl or cl in owner.by_cl:
            self._cancel_reject(owner, msg, o, "2", f"ClOrdID {cl!r} missing or already used")
            return
        tick = self.core.tick_of(o.symbol)
        qty_text = msg.get(T.OrderQty, "")
        if not qty_text.isdigit():
            self._cancel_reject(owner, msg, o, "2", f"OrderQty(38) must be a whole number of shares, not {qty_text!r}")
            return
        price = o.price
        if o.ord_type == OrdType.LIMIT:
            try:
                price = tick.parse_ticks(msg.get(T.Price, "") or tick.format(o.price))
            except PriceError as exc:
                self._cancel_reject(owner, msg, o, "2", str(exc))
                return
        side = msg.get(T.Side)
        if side is not None and side != Side(o.side).fix:
            self._cancel_reject(owner, msg, o, "2", "a replace cannot change the side")
            return
        why = self.core.replace(owner, o, msg, cl, int(qty_text), price)
        if why:
            self._cancel_reject(owner, msg, o, "2", why)
            return
        owner.by_cl[cl] = o

    def _status(self, owner: FixOwner, msg: FixMessage) -> None:
        o = self._lookup(owner, msg)
        if o is None:
            r = ExecutionReport(msg.get(T.ClOrdID, ""), 0, self._exec_id(), ExecType.NEW, OrdStatus.REJECTED,
                                msg.get(T.Symbol, "?"), Side.BUY, 0, text="unknown order")
            fields = exec_report_fields(r, self.core.symbols, owner.session.config.begin_string)
        else:
            fields = self._fields(owner, o, ExecType.NEW, self._status_of(o))
        owner.session.send(M.EXECUTION_REPORT, [(t, "I" if t == T.ExecType else v) for t, v in fields])

    # -- reports -------------------------------------------------------------------
    def _exec_id(self) -> str:
        return f"{self.core.spec.name}-{next(self._exec_ids)}"

    @staticmethod
    def _status_of(o: VenueOrder) -> OrdStatus:
        if o.cum >= o.qty:
            return OrdStatus.FILLED
        if not o.open:
            return OrdStatus.CANCELED
        return OrdStatus.PARTIALLY_FILLED if o.cum else OrdStatus.NEW

    def _fields(self, owner: FixOwner, o: VenueOrder, exec_type: ExecType, status: OrdStatus, *,
                last_qty: int = 0, last_px: int = 0, text: str = "") -> list:
        r = ExecutionReport(o.client_id, o.id, self._exec_id(), exec_type, status, o.symbol, o.side, o.qty, o.price,
                            last_qty, last_px, o.cum, o.leaves, o.px_num, text=text, ord_type=o.ord_type, tif=o.tif)
        fields = exec_report_fields(r, self.core.symbols, owner.session.config.begin_string)
        if o.orig_client_id and exec_type in (ExecType.CANCELED, ExecType.REPLACED):
            fields.insert(2, (T.OrigClOrdID, o.orig_client_id))
        return fields

    def send_report(self, owner: FixOwner, r: Report) -> None:
        session = owner.session
        if session is None:
            return
        if not session.active:
            # Disconnected: numbered and stored by the session, resent when the counterparty asks
            # after its next Logon. Connecting or logging out: held until it is logged on.
            self._send_unconnected(owner, r)
            return
        fields = self._report_fields(owner, r)
        if fields is None:
            o = r.order
            fmt = self.core.tick_of(o.symbol).format
            session.send_template(owner.new_template, (
                o.id, o.client_id, self._exec_id(), "0", "0", o.symbol, Side(o.side).fix, o.qty,
                OrdType(o.ord_type).fix, fmt(o.price), 0, "0", o.qty, 0, fmt(0)))
        elif fields:
            session.send(M.EXECUTION_REPORT, fields)

    def _send_unconnected(self, owner: FixOwner, r: Report) -> None:
        template, owner.new_template = owner.new_template, None
        try:
            fields = self._report_fields(owner, r)
        finally:
            owner.new_template = template
        if not fields:
            return
        session = owner.session
        if session.state is SessionState.DISCONNECTED:
            session.send(M.EXECUTION_REPORT, fields)
            return
        if len(owner.held) >= MAX_HELD_REPORTS:
            del owner.held[: MAX_HELD_REPORTS // 10]
            log.warning("%s: reports held for %s over %d: the oldest dropped", self.core.spec.name, session.name,
                        MAX_HELD_REPORTS)
        owner.held.append(fields)

    def _report_fields(self, owner: FixOwner, r: Report):
        """The ExecutionReport's fields for ``r``; None: a limit order's ack through the session's
        template (the caller sends it); an empty list: nothing to send."""
        session = owner.session
        if r.kind == "rejected":
            msg = r.request
            side_text = msg.get(T.Side) if msg is not None else None
            side = Side.from_fix(side_text) if side_text in ("1", "2", "5") else Side.BUY
            rep = ExecutionReport(msg.get(T.ClOrdID, "") if msg is not None else "", 0, self._exec_id(),
                                  ExecType.REJECTED, OrdStatus.REJECTED, msg.get(T.Symbol, "?") if msg else "?", side,
                                  0, reason=r.reason.fix, text=r.text)
            return exec_report_fields(rep, self.core.symbols, session.config.begin_string)
        o = r.order
        if r.kind == "new" and owner.new_template is not None and o.price and o.cum == 0:
            return None
        if r.kind == "new":
            return self._fields(owner, o, ExecType.NEW, OrdStatus.NEW)
        if r.kind == "trade":
            return self._fields(owner, o, ExecType.TRADE, self._status_of(o), last_qty=r.last_qty, last_px=r.last_px)
        if r.kind == "canceled":
            return self._fields(owner, o, ExecType.CANCELED, OrdStatus.CANCELED if not o.open else self._status_of(o),
                                text=r.text)
        if r.kind == "replaced":
            return self._fields(owner, o, ExecType.REPLACED, self._status_of(o))
        return []
