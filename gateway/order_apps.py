"""The session applications of the order path: client sessions and venue sessions hand their
messages to ``OrderGateway`` through these."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .fix import tags as T
from .fix.message import FixMessage
from .fix.tags import MsgTypes as M
from .order_records import VenueLink
from .session import Session
from .venue_reports import ORDER_STATUS_REQUEST

if TYPE_CHECKING:
    from .orders import OrderGateway

log = logging.getLogger("wirespeed.orders")
#: The identifiers each order message is answered with (echoed in its ExecutionReport or
#: OrderCancelReject): without them there is nothing to answer but a BusinessMessageReject
_IDS = {M.NEW_ORDER_SINGLE: (T.ClOrdID,), M.ORDER_CANCEL_REQUEST: (T.ClOrdID, T.OrigClOrdID),
        M.ORDER_CANCEL_REPLACE_REQUEST: (T.ClOrdID, T.OrigClOrdID), ORDER_STATUS_REQUEST: (T.ClOrdID,)}


class ClientApp:
    def __init__(self, gw: OrderGateway):
        self.gw = gw
        self.on_logon_hook = self.on_logout_hook = None

    def on_logon(self, session: Session) -> None:
        log.info("client %s logged on", session.name)
        if isinstance(session, Session):
            # The common case of its NewOrderSingles in one C call per read, where it can be.
            from .order_fast import fast_path_for
            session.fast = fast_path_for(self.gw, session)
        if self.on_logon_hook:
            self.on_logon_hook(session)

    def on_logout(self, session: Session) -> None:
        log.info("client %s logged out", session.name)
        if self.on_logout_hook:
            self.on_logout_hook(session)

    def on_message(self, session: Session, msg: FixMessage) -> None:
        mt = msg.msg_type
        gw = self.gw
        for tag in _IDS.get(mt, ()):
            if not msg.get(tag):
                # (with UseDataDictionary=N nothing checked it: an answer echoing it would carry an
                # empty tag=, which is not FIX; QuickFIX answers a missing field of an application
                # message so, BusinessRejectReason 5)
                session.business_reject(msg, 5, f"conditionally required field missing: tag {tag}",
                                        msg.get(T.ClOrdID) or None)
                return
        if mt == M.NEW_ORDER_SINGLE:
            gw.on_new_order(session, msg)
        elif mt == M.ORDER_CANCEL_REQUEST:
            gw.on_cancel(session, msg)
        elif mt == M.ORDER_CANCEL_REPLACE_REQUEST:
            gw.on_replace(session, msg)
        elif mt == ORDER_STATUS_REQUEST:
            gw.on_status_request(session, msg)
        elif mt == "AF" and getattr(gw.strategy_orders, "on_mass_status", None) is not None:
            # OrderMassStatusRequest: only the control plane's parent orders answer it (its hook)
            gw.strategy_orders.on_mass_status(session, msg)
        else:
            session.business_reject(msg, 3, f"unsupported message type {mt}")


class VenueApp:
    def __init__(self, gw: OrderGateway):
        self.gw = gw

    def _link(self, session: Session) -> VenueLink | None:
        return self.gw._venue_by_session.get(id(session))

    def on_logon(self, session: Session) -> None:
        log.info("venue %s logged on", session.name)
        self.gw.venue_epoch += 1        # (a new connection: the fast path takes its new write)
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
