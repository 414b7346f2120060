"""A FIX client for tests, the demo and connectivity checks: send orders, await their reports."""
from __future__ import annotations

import asyncio
from collections import defaultdict

from wirespeed.clock import fix_timestamp, now_ns

from .fix import tags as T
from .fix.message import FixMessage
from .fix.tags import MsgTypes as M
from .initiator import FixInitiator
from .session import Session, SessionConfig


class FixClient:
    def __init__(self, sender: str, target: str, host: str, port: int, *, begin_string: str = "FIX.4.4",
                 heartbeat_s: int = 30, config: SessionConfig | None = None, store=None, reconnect: bool = False,
                 **initiator_kw):
        # The gateway's client side: parent orders (847 + StrategyParametersGrp) come back on reports.
        config = config or SessionConfig(sender_comp_id=sender, target_comp_id=target, role="initiator",
                                         begin_string=begin_string, heartbeat_s=heartbeat_s,
                                         strategy_parameters=True)
        self.session = Session(config, self, store)
        self.initiator = FixInitiator(self.session, host, port, reconnect=reconnect, **initiator_kw)
        self.reports: dict[str, list[FixMessage]] = defaultdict(list)
        self.other: list[FixMessage] = []
        self._waiters: dict[str, asyncio.Event] = {}

    async def start(self, timeout: float = 5.0) -> None:
        await self.initiator.start()
        if not await self.initiator.wait_logged_on(timeout):
            raise ConnectionError(f"{self.session.name}: logon failed ({self.session.last_error or 'no reply'})")

    async def stop(self) -> None:
        await self.initiator.stop()

    # Application callbacks
    def on_logon(self, session: Session) -> None:
        pass

    def on_logout(self, session: Session) -> None:
        pass

    def on_message(self, session: Session, msg: FixMessage) -> None:
        key = msg.get(T.ClOrdID) if msg.msg_type in (M.EXECUTION_REPORT, M.ORDER_CANCEL_REJECT) else None
        if key is None:
            self.other.append(msg)
            key = f"<{msg.msg_type}>"
        else:
            self.reports[key].append(msg)
        ev = self._waiters.get(key)
        if ev is not None:
            ev.set()

    # Orders
    def new_order(self, cl_ord_id: str, symbol: str, side: str, qty: int | str, price: str | None = None,
                  ord_type: str = "2", tif: str = "0", extra: list | None = None) -> int:
        """Send a NewOrderSingle; returns the perf_counter_ns just before the write."""
        fields = [(T.ClOrdID, cl_ord_id), (T.Symbol, symbol), (T.Side, side), (T.TransactTime, fix_timestamp()),
                  (T.OrderQty, qty), (T.OrdType, ord_type)]
        if price is not None:
            fields.append((T.Price, price))
        fields.append((T.TimeInForce, tif))
        fields += extra or []
        t = now_ns()
        self.session.send(M.NEW_ORDER_SINGLE, fields)
        return t

    async def test_request(self, test_id: str, timeout: float = 5.0) -> int:
        """Send a TestRequest; return the ns until its Heartbeat arrives."""
        t0 = now_ns()
        self.session.send_test_request(test_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            answered = self.session.test_answers.pop(test_id, None)
            if answered is not None:
                return answered - t0
            if loop.time() > deadline:
                raise TimeoutError(f"no Heartbeat for TestRequest {test_id}")
            await asyncio.sleep(0.0005)

    def cancel(self, cl_ord_id: str, orig: str, symbol: str, side: str, qty: int) -> None:
        self.session.send(M.ORDER_CANCEL_REQUEST, [(T.OrigClOrdID, orig), (T.ClOrdID, cl_ord_id),
                                                   (T.Symbol, symbol), (T.Side, side),
                                                   (T.TransactTime, fix_timestamp()), (T.OrderQty, qty)])

    def replace(self, cl_ord_id: str, orig: str, symbol: str, side: str, qty: int, price: str,
                ord_type: str = "2") -> None:
        """OrderCancelReplaceRequest: ``qty`` is the new total OrderQty."""
        self.session.send(M.ORDER_CANCEL_REPLACE_REQUEST, [
            (T.OrigClOrdID, orig), (T.ClOrdID, cl_ord_id), (T.Symbol, symbol), (T.Side, side),
            (T.TransactTime, fix_timestamp()), (T.OrderQty, qty), (T.OrdType, ord_type), (T.Price, price)])

    def status(self, cl_ord_id: str, symbol: str, side: str) -> None:
        """OrderStatusRequest (35=H)."""
        self.session.send("H", [(T.ClOrdID, cl_ord_id), (T.Symbol, symbol), (T.Side, side)])

    async def wait_report(self, key: str, count: int = 1, timeout: float = 5.0, predicate=None) -> list[FixMessage]:
        """Wait until ``key`` (a ClOrdID, or ``<MsgType>``) has ``count`` messages (matching ``predicate``)."""
        def matching():
            msgs = self.reports[key] if not key.startswith("<") else \
                [m for m in self.other if m.msg_type == key[1:-1]]
            return [m for m in msgs if predicate is None or predicate(m)]

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(matching()) < count:
            ev = self._waiters.setdefault(key, asyncio.Event())
            ev.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{key}: {len(matching())}/{count} reports after {timeout}s")
            try:
                await asyncio.wait_for(ev.wait(), remaining)
            except asyncio.TimeoutError:
                pass
        return matching()
