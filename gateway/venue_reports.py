"""The venue side of the order path: FIX and OUCH venue reports applied to an order, cancel
refusals, and reconciliation after a venue reconnect (a mixin of ``OrderGateway``; see orders.py
for what it keeps). Every status change goes through ``order_state``; a report that would make an
illegal move is counted and dropped."""
from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

from wirespeed.clock import now_ns
from wirespeed.enums import ExecType, OrdStatus, Side
from wirespeed.prices import PriceError
from wirespeed.reasons import RejectReason

from . import order_state as fsm
from .fix import tags as T
from .fix.message import FixMessage
from .fix.orders import decode_exec_report, status_request_fields, venue_order_id
from .order_records import OrderState, VenueLink

log = logging.getLogger("wirespeed.orders")

S = OrdStatus
ORDER_STATUS_REQUEST = "H"
_COUNTED = frozenset({"F", "1", "2", "H"})     # fills and busts


class VenueReports:
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
            if rep.get("last_qty", 0) > 0:
                # A fill the gateway cannot attribute (e.g. one resent to a restarted process whose
                # orders were in memory): shares changed hands, so an operator must see it, not only
                # a warning. It is in the audit trail ("in") with every field.
                self.counts["unknown_order_fills"] += 1
                log.error("%s: FILL for unknown order %r not applied: %s %s @ %s (ExecID %s); reconcile the position",
                          venue, rep["cl_ord_id"], msg.get(T.Symbol, ""), rep["last_qty"], rep["last_px"],
                          rep.get("exec_id", ""))
            else:
                log.warning("%s: report for unknown order %r ignored", venue, rep["cl_ord_id"])
            return
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
            self._hop("venue ack rtt", state.venue, state.client_id, t0 - state.sent_ns)
        try:
            self._apply(state, rep, px)
        except fsm.IllegalTransition as exc:
            self.counts["illegal"] += 1
            log.warning("%s: report %s for %s refused: %s", venue, rep["exec_type"], rep["cl_ord_id"], exc)
            return
        if exec_id and rep["exec_type"] in _COUNTED:
            # Only what changes quantities is remembered: the other reports are idempotent under the
            # state machine, and a venue repeating them cannot grow this set.
            state.exec_ids.add(exec_id)
        self._client_hop(state.client, state.venue, state.client_id, t0)     # (orders.py: at the real write)

    def on_ouch_message(self, session, msg) -> None:
        """One OUCH venue message (``ouch.messages.VenueMessage``), mapped onto the same events."""
        t0 = getattr(session, "recv_ns", 0) or now_ns()     # the read's stamp, as a FIX report's recv_ns
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
        if replace:
            self._release_pending(state)
        if pending_cl:
            self._live.pop((state.client_id, pending_cl), None)
            state.pending_cl = ""
            self._cancel_reject(state.client, state, pending_cl, state.order.cl_ord_id, "2" if replace else "1",
                                reason, text)

    # -- reconnect and reconcile ---------------------------------------------------------
    def _venue_fast(self, link: VenueLink) -> None:
        """The venue session's report fast path (report_fast.py), where the C path can stand in."""
        from .report_fast import venue_fast_path_for
        if hasattr(link.session, "fast"):
            link.session.fast = venue_fast_path_for(self, link)

    def on_venue_logon(self, link: VenueLink) -> None:
        self._venue_fast(link)
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
