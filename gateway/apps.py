"""Applications for connectivity testing and latency reference.

``echo``: what FIX test tools expect of a counterparty under test. NewOrderSingle,
SecurityDefinition and Email come back unchanged apart from the header; a
NewOrderSingle with PossDupFlag=Y whose ClOrdID was already seen since the last
Logon is dropped; any other application message gets BusinessMessageReject (380=3).

``ack``: each NewOrderSingle is answered by one ExecutionReport, fully filled at its
limit price (0 for market orders) — the engine's latency reference.
"""
from __future__ import annotations

import itertools

from .fix import tags as T
from .fix.encoder import Template
from .fix.message import FixMessage
from .fix.tags import MsgTypes as M
from .session import Session

ECHOED = frozenset({M.NEW_ORDER_SINGLE, "d", "C"})


class EchoApp:
    def __init__(self):
        self._seen: dict[str, set[str]] = {}

    def on_logon(self, session: Session) -> None:
        self._seen[session.name] = set()

    def on_logout(self, session: Session) -> None:
        pass

    def on_message(self, session: Session, msg: FixMessage) -> None:
        mt = msg.msg_type
        if mt not in ECHOED:
            session.business_reject(msg, 3, f"unsupported message type {mt}")
            return
        if mt == M.NEW_ORDER_SINGLE:
            seen = self._seen.setdefault(session.name, set())
            cl = msg.get(T.ClOrdID, "")
            if msg.get(T.PossDupFlag) == "Y" and cl in seen:
                return
            seen.add(cl)
        session.send(mt, msg.body())


# ExecutionReport tag order for the ack template (FIX 4.4).
_ACK_TAGS = (T.OrderID, T.ClOrdID, T.ExecID, T.ExecType, T.OrdStatus, T.Symbol, T.Side, T.OrderQty,
             T.LastQty, T.LastPx, T.LeavesQty, T.CumQty, T.AvgPx)
_ACK_TAGS_42 = (T.OrderID, T.ClOrdID, T.ExecID, T.ExecTransType, T.ExecType, T.OrdStatus, T.Symbol, T.Side,
                T.OrderQty, T.LastQty, T.LastPx, T.LeavesQty, T.CumQty, T.AvgPx)


class AckApp:
    def __init__(self):
        self._ids = itertools.count(1)
        self._templates: dict[str, Template] = {}   # session name -> its ExecutionReport template

    def on_logon(self, session: Session) -> None:
        tags = _ACK_TAGS_42 if session.config.begin_string == "FIX.4.2" else _ACK_TAGS
        self._templates[session.name] = session.template(M.EXECUTION_REPORT, tags)

    def on_logout(self, session: Session) -> None:
        pass

    def on_message(self, session: Session, msg: FixMessage) -> None:
        if msg.msg_type != M.NEW_ORDER_SINGLE:
            session.business_reject(msg, 3, f"unsupported message type {msg.msg_type}")
            return
        get = msg.get   # by tag: a shape-matched message reads each value straight from its match
        n = next(self._ids)
        qty, px = get(38), get(44, "0")
        template = self._templates[session.name]
        if session.config.begin_string == "FIX.4.2":
            session.send_template(template, (n, get(11), n, "0", "2", "2", get(55), get(54), qty, qty, px, 0, qty, px))
        else:
            session.send_template(template, (n, get(11), n, "F", "2", get(55), get(54), qty, qty, px, 0, qty, px))


APPS = {"echo": EchoApp, "ack": AckApp}
