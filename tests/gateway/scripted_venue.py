"""A venue *application* whose answers a test scripts: for what no real venue does on purpose
(unsolicited cancels, busts, garbage, unknown order ids, illegal transitions, lost reports).

It is a gateway/ Session application behind a FixAcceptor, not a book: it acks every
NewOrderSingle (unless ``auto_ack`` is off) and otherwise sends exactly the reports the
test asks for with ``report()``.
"""
from __future__ import annotations

import asyncio
import itertools

from wirespeed.gateway.acceptor import FixAcceptor
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.fix.message import FixMessage
from wirespeed.gateway.session import Session, SessionConfig


class ScriptedVenue:
    def __init__(self, comp_id: str = "VENUE1", auto_ack: bool = True, answer_status: bool = True):
        self.comp_id = comp_id
        self.auto_ack, self.answer_status = auto_ack, answer_status
        self.received: list[FixMessage] = []
        self.session: Session | None = None
        self.acceptor = FixAcceptor("127.0.0.1", 0, factory=self._new_session)
        self.orders: dict[str, dict] = {}      # venue ClOrdID -> {"qty", "cum", "status", "symbol", "side"}
        self._exec = itertools.count(1)

    def _new_session(self, comp: str) -> Session:
        self.session = Session(SessionConfig(sender_comp_id=self.comp_id, target_comp_id=comp, role="acceptor"), self)
        return self.session

    async def start(self) -> int:
        return await self.acceptor.start()

    async def stop(self) -> None:
        await self.acceptor.stop()

    @property
    def port(self) -> int:
        return self.acceptor.port

    def on_logon(self, session): pass
    def on_logout(self, session): pass

    def on_message(self, session: Session, msg: FixMessage) -> None:
        self.received.append(msg)
        mt = msg.msg_type
        if mt == "D":
            cl = msg[T.ClOrdID]
            self.orders[cl] = {"qty": int(msg[T.OrderQty]), "cum": 0, "status": "0", "symbol": msg[T.Symbol],
                               "side": msg[T.Side], "px": msg.get(T.Price, "0")}
            if self.auto_ack:
                self.report(cl, "0", "0")
        elif mt == "H" and self.answer_status:
            o = self.orders.get(msg[T.ClOrdID])
            if o is None:
                self.report(msg[T.ClOrdID], "I", "8", text="unknown order")
            else:
                self.report(msg[T.ClOrdID], "I", o["status"], cum=o["cum"], avg_px=o["px"])

    def received_of(self, msg_type: str) -> list[FixMessage]:
        return [m for m in self.received if m.msg_type == msg_type]

    def report(self, cl_ord_id: str, exec_type: str, ord_status: str, *, last_qty=0, last_px="0", cum=None,
               avg_px="0", text="", exec_id=None, orig=None, symbol=None, side=None) -> str:
        o = self.orders.get(cl_ord_id.split(".")[0], {"qty": 0, "cum": 0, "symbol": "AAPL", "side": "1"})
        if cum is not None:
            o["cum"] = cum
        o["status"] = ord_status
        exec_id = exec_id or f"V{next(self._exec)}"
        fields = [(T.OrderID, "V-" + cl_ord_id.split(".")[0]), (T.ClOrdID, cl_ord_id), (T.ExecID, exec_id)]
        if orig:
            fields.append((T.OrigClOrdID, orig))
        fields += [(T.ExecType, exec_type), (T.OrdStatus, ord_status), (T.Symbol, symbol or o["symbol"]),
                   (T.Side, side or o["side"]), (T.LastQty, last_qty), (T.LastPx, last_px),
                   (T.LeavesQty, max(o["qty"] - o["cum"], 0)), (T.CumQty, o["cum"]), (T.AvgPx, avg_px)]
        if text:
            fields.append((T.Text, text))
        self.session.send("8", fields)
        return exec_id

    def fill(self, cl_ord_id: str, qty: int, px: str, **kw) -> str:
        o = self.orders[cl_ord_id.split(".")[0]]
        o["cum"] += qty
        status = "2" if o["cum"] >= o["qty"] else "1"
        return self.report(cl_ord_id, "F", status, last_qty=qty, last_px=px, avg_px=px, **kw)

    def cancel_reject(self, cl_ord_id: str, orig: str, reason: int = 0, text: str = "too late") -> None:
        self.session.send("9", [(T.OrderID, "V"), (T.ClOrdID, cl_ord_id), (T.OrigClOrdID, orig),
                                (T.OrdStatus, "0"), (T.CxlRejResponseTo, "1"), (T.CxlRejReason, reason),
                                (T.Text, text)])

    async def wait_for(self, msg_type: str, count: int = 1, timeout: float = 5.0) -> list[FixMessage]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.received_of(msg_type)) < count:
            if loop.time() > deadline:
                raise TimeoutError(f"venue: {len(self.received_of(msg_type))}/{count} {msg_type} messages")
            await asyncio.sleep(0.002)
        return self.received_of(msg_type)
