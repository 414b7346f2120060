"""Applications for connectivity testing and latency reference.

``echo``: what FIX test tools expect of a counterparty under test. NewOrderSingle,
SecurityDefinition and Email come back unchanged apart from the header (PossResend=Y
is kept: the echo is a possible resend too); a NewOrderSingle with PossResend=Y (or
PossDupFlag=Y) whose ClOrdID was already seen since the last Logon is dropped; any
other application message gets BusinessMessageReject (380=3).

``ack``: each NewOrderSingle is answered by one ExecutionReport, fully filled at its
limit price (0 for market orders) — the engine's latency reference.
"""
from __future__ import annotations

from wirespeed.ids import StringIds

from .fix import tags as T
from .fix.encoder import Template
from .fix.message import FixMessage
from .fix.tags import MsgTypes as M
from .session import Session

ECHOED = frozenset({M.NEW_ORDER_SINGLE, "d", "C"})
#: ClOrdIDs the echo app remembers per session (the latest; older ones are forgotten): enough for
#: any resend a certification run makes, and a peer sending ever-new ClOrdIDs grows nothing more.
MAX_SEEN = 100_000


class EchoApp:
    def __init__(self):
        self._seen: dict[str, dict[str, None]] = {}   # session -> ClOrdIDs seen (an ordered set)

    def on_logon(self, session: Session) -> None:
        self._seen[session.name] = {}

    def on_logout(self, session: Session) -> None:
        pass

    def on_message(self, session: Session, msg: FixMessage) -> None:
        mt = msg.msg_type
        if mt not in ECHOED:
            session.business_reject(msg, 3, f"unsupported message type {mt}")
            return
        poss_resend = msg.get(T.PossResend) == "Y"
        if mt == M.NEW_ORDER_SINGLE:
            seen = self._seen.setdefault(session.name, {})
            cl = msg.get(T.ClOrdID, "")
            if (poss_resend or msg.get(T.PossDupFlag) == "Y") and cl in seen:
                return
            seen[cl] = None
            if len(seen) > MAX_SEEN:
                del seen[next(iter(seen))]
        # (a field that came with no value, let in by ValidateFieldsHaveValues=N, is left out: an
        # empty tag= is not FIX, and the encoder refuses to write one)
        body = [f for f in msg.body() if f[1] != ""]
        session.send(mt, body, [(T.PossResend, "Y")] if poss_resend else ())


# ExecutionReport tag order for the ack template (FIX 4.4).
_ACK_TAGS = (T.OrderID, T.ClOrdID, T.ExecID, T.ExecType, T.OrdStatus, T.Symbol, T.Side, T.OrderQty,
             T.LastQty, T.LastPx, T.LeavesQty, T.CumQty, T.AvgPx)
_ORDER_TAGS = (T.ClOrdID, T.Symbol, T.Side, T.OrderQty, T.Price)
_ACK_TAGS_42 = (T.OrderID, T.ClOrdID, T.ExecID, T.ExecTransType, T.ExecType, T.OrdStatus, T.Symbol, T.Side,
                T.OrderQty, T.LastQty, T.LastPx, T.LeavesQty, T.CumQty, T.AvgPx)


class AckApp:
    def __init__(self):
        self._ids = StringIds()   # ExecID and OrderID: unique across restarts
        self._templates: dict[str, tuple[Template, bool]] = {}   # session name -> (its template, FIX 4.2?)

    def on_logon(self, session: Session) -> None:
        fix42 = session.config.begin_string == "FIX.4.2"
        self._templates[session.name] = (session.template(M.EXECUTION_REPORT, _ACK_TAGS_42 if fix42 else _ACK_TAGS),
                                         fix42)

    def on_logout(self, session: Session) -> None:
        pass

    def on_message(self, session: Session, msg: FixMessage) -> None:
        if msg.msg_type != M.NEW_ORDER_SINGLE:
            session.business_reject(msg, 3, f"unsupported message type {msg.msg_type}")
            return
        # One call: a shape-matched message reads the values straight from its match.
        cl, sym, side, qty, px = msg.values(_ORDER_TAGS)
        if px is None:
            px = "0"   # a market order: filled "at" 0
        n = next(self._ids)
        template, fix42 = self._templates[session.name]
        if fix42:
            session.send_template(template, (n, cl, n, "0", "2", "2", sym, side, qty, qty, px, 0, qty, px))
        else:
            session.send_template(template, (n, cl, n, "F", "2", sym, side, qty, qty, px, 0, qty, px))


APPS = {"echo": EchoApp, "ack": AckApp}
