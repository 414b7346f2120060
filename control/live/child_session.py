"""The control plane as one more client of the gateway's order path.

Child orders enter ``OrderGateway`` exactly as a client's NewOrderSingle / OrderCancelRequest /
OrderCancelReplaceRequest do (decode, route by ExDestination, throttles, risk, venue session), and
the gateway's ExecutionReports come back through ``send`` as they would be written to a client
socket. Nothing is written to a socket here: control and the gateway share the process and the loop.
"""
from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class _Config:
    target_comp_id: str
    begin_string: str = "FIX.4.4"
    sender_comp_id: str = "GATEWAY"


class ControlSession:
    """Quacks like the client ``Session`` the order path writes reports to.

    Reports are queued and delivered on the next loop turn: the gateway answers some requests
    (a reject, a pending cancel) before ``send`` returns, and the runner must not be re-entered
    while it is still routing the child that caused them.
    """
    __slots__ = ("config", "name", "active", "_deliver", "_queue", "_scheduled", "_max")

    def __init__(self, comp_id: str, deliver, max_queued: int = 100_000):
        self.config = _Config(comp_id)
        self.name = f"control:{comp_id}"
        self.active = True
        self._deliver = deliver
        self._queue: deque = deque()
        self._scheduled = False
        self._max = max_queued

    def send(self, msg_type: str, fields: list) -> None:
        if len(self._queue) >= self._max:
            raise RuntimeError(f"{self.name}: {self._max} reports queued and not consumed")
        self._queue.append((msg_type, {int(t): str(v) for t, v in fields}))
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._drain)

    def _drain(self) -> None:
        self._scheduled = False
        q = self._queue
        while q:
            self._deliver(*q.popleft())
