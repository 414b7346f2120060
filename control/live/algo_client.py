"""The desk's scripting side: parent orders to a running gateway + control plane, over FIX.

``AlgoClient`` is one FIX client session of the gateway (``gateway.client.FixClient``), so a
script sees what an OMS sees: ``submit`` sends NewOrderSingle with TargetStrategy (847) and the
StrategyParametersGrp and waits for the parent's New or its reject; ``status`` sends
OrderStatusRequest (H) and reads the desk's 150=I answer; ``cancel`` and ``replace`` send F / G
and wait for the outcome (Canceled / Replaced, or OrderCancelReject with its text). Every call
returns a ``ParentStatus``; every wait is bounded by ``timeout``. ``wirespeed algo`` is this class
behind a command line (``control/live/algo_cli.py``).
"""
from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass

from wirespeed.clock import fix_timestamp
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.fix.tags import MsgTypes as M

from .strategy import strategy_fields

SIDES = {"buy": "1", "sell": "2", "1": "1", "2": "2"}
ORD_STATUS = {"0": "new", "1": "partially filled", "2": "filled", "3": "done for day", "4": "canceled",
              "5": "replaced", "6": "pending cancel", "8": "rejected", "E": "pending replace"}


@dataclass(frozen=True, slots=True)
class ParentStatus:
    """A parent as its last report says: ``ok`` False when the request was refused (``text`` why)."""
    cl_ord_id: str
    ok: bool
    state: str
    order_id: str = ""
    symbol: str = ""
    side: str = ""
    qty: int = 0
    cum_qty: int = 0
    leaves_qty: int = 0
    avg_px: str = "0"
    text: str = ""
    ord_type: str = "1"
    price: str | None = None

    @classmethod
    def of(cls, cl: str, msg) -> "ParentStatus":
        if msg.msg_type == M.ORDER_CANCEL_REJECT:
            return cls(cl, False, "refused", msg.get(T.OrderID, ""), text=msg.get(T.Text, ""))
        status, et = msg.get(T.OrdStatus, ""), msg.get(T.ExecType)
        ok = et != "8" and not (et == "I" and status == "8")       # 150=I 39=8: no such order
        return cls(cl, ok, ORD_STATUS.get(status, status), msg.get(T.OrderID, ""),
                   msg.get(T.Symbol, ""), msg.get(T.Side, ""), int(msg.get(T.OrderQty, "0") or 0),
                   int(msg.get(T.CumQty, "0") or 0), int(msg.get(T.LeavesQty, "0") or 0), msg.get(T.AvgPx, "0"),
                   msg.get(T.Text, ""), msg.get(T.OrdType, "1"), msg.get(T.Price))

    def line(self) -> str:
        if not self.ok:
            return f"{self.cl_ord_id}: refused: {self.text}"
        avg = f" avg px {self.avg_px}" if self.cum_qty else ""
        more = f" ({self.text})" if self.text else ""
        return (f"{self.cl_ord_id} {self.order_id}: {self.state}, filled {self.cum_qty:,} of {self.qty:,}, "
                f"leaves {self.leaves_qty:,}{avg}{more}")


class AlgoClient:
    def __init__(self, host: str, port: int, sender: str = "CLIENT1", target: str = "GATEWAY",
                 timeout: float = 5.0):
        if not timeout > 0:
            raise ValueError(f"timeout: must be positive, not {timeout!r}")
        self.client = FixClient(sender, target, host, port)
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._tag = f"{fix_timestamp().replace(':', '').replace('-', '').replace('.', '')[-10:]}"

    @classmethod
    def attach(cls, client: FixClient, timeout: float = 5.0) -> "AlgoClient":
        """Over a FIX client session already logged on (one CompID has one session at a time)."""
        self = cls.__new__(cls)
        self.client, self.timeout, self._ids = client, timeout, itertools.count(1)
        self._tag = "A"
        return self

    async def __aenter__(self) -> "AlgoClient":
        await self.client.start(self.timeout)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.stop()

    def _request_id(self, what: str) -> str:
        return f"{what}{self._tag}-{next(self._ids)}"

    async def _answer(self, cl: str, done) -> ParentStatus:
        msgs = await self.client.wait_report(cl, 1, self.timeout, predicate=done)
        return ParentStatus.of(cl, msgs[-1])

    async def submit(self, cl: str, symbol: str, side: str, qty: int, algo: str, params: dict[str, str],
                     limit: str | None = None) -> ParentStatus:
        """A new parent; returns once the desk accepted (New) or rejected it."""
        s = SIDES.get(str(side).lower())
        if s is None:
            raise ValueError(f"side: {side!r} is neither buy nor sell")
        self.client.new_order(cl, symbol, s, qty, limit, ord_type="2" if limit is not None else "1",
                              extra=strategy_fields(algo, params))
        return await self._answer(cl, lambda m: m.get(T.ExecType) in ("0", "8"))

    async def status(self, cl: str) -> ParentStatus:
        """The parent's status from the desk. The desk finds a parent by ClOrdID alone; Symbol and
        Side are sent because FIX 4.4's OrderStatusRequest requires them."""
        self.client.status(cl, "*", "1")
        return await self._answer(cl, lambda m: m.get(T.ExecType) == "I")

    async def status_all(self) -> list[ParentStatus]:
        """Every parent of this client the desk knows (OrderMassStatusRequest, 585=7 all orders)."""
        req = self._request_id("M")
        self.client.session.send("AF", [(584, req), (585, "7")])

        def answers():
            return [m for msgs in list(self.client.reports.values()) for m in msgs if m.get(584) == req]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while True:
            got = answers()
            if got and len(got) >= int(got[0].get(911, "0") or 0) and any(m.get(912) == "Y" for m in got):
                break
            if loop.time() > deadline:
                raise TimeoutError(f"mass status {req}: {len(got)} reports after {self.timeout}s")
            await asyncio.sleep(0.005)
        return [ParentStatus.of(m.get(T.ClOrdID, ""), m) for m in got if m.get(T.ClOrdID) != "NONE"]

    async def cancel(self, cl: str, wait_done: bool = True) -> ParentStatus:
        """Cancel a parent; with ``wait_done`` returns once it is Canceled (every child out)."""
        st = await self.status(cl)
        if not st.ok:
            return st
        req = self._request_id("X")
        self.client.cancel(req, cl, st.symbol, st.side, st.qty)
        ends = ("4", "2", "3") if wait_done else ("6", "4", "2", "3")
        return await self._answer(req, lambda m: m.msg_type == M.ORDER_CANCEL_REJECT or m.get(T.ExecType) in ends)

    async def replace(self, cl: str, new_cl: str, qty: int | None = None, limit: str | None = None,
                      params: dict[str, str] | None = None) -> ParentStatus:
        """Amend a running parent: a new total ``qty``, a new ``limit``, changed strategy parameters
        (those left out keep their values). Returns Replaced, or the refusal with its reason."""
        st = await self.status(cl)
        if not st.ok:
            return st
        fields = [(T.OrigClOrdID, cl), (T.ClOrdID, new_cl), (T.Symbol, st.symbol), (T.Side, st.side),
                  (T.TransactTime, fix_timestamp()), (T.OrderQty, qty if qty is not None else st.qty)]
        if limit is not None:
            fields += [(T.OrdType, "2"), (T.Price, limit)]
        elif st.price is not None:
            fields += [(T.OrdType, st.ord_type), (T.Price, st.price)]
        else:
            fields += [(T.OrdType, st.ord_type)]
        if params:
            fields += strategy_fields("", params)[1:]      # the 957 group; 847 stays the running one
        self.client.session.send(M.ORDER_CANCEL_REPLACE_REQUEST, fields)
        return await self._answer(new_cl, lambda m: m.msg_type == M.ORDER_CANCEL_REJECT or m.get(T.ExecType) == "5")


def run(coro_factory, host: str, port: int, sender: str, target: str, timeout: float):
    """Run ``coro_factory(client)`` on a fresh loop with a connected client (the CLI's way in)."""
    async def main():
        async with AlgoClient(host, port, sender, target, timeout) as c:
            return await coro_factory(c)
    return asyncio.run(main())
