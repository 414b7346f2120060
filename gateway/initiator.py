"""FIX initiator: one session to one counterparty, reconnecting.

The delay between attempts starts at ``backoff_initial`` and doubles per failure up to
``backoff_max`` (equal values: QuickFIX's fixed ReconnectInterval). With ``alternates``
(QuickFIX's SocketConnectHost<n>/SocketConnectPort<n>) a failed attempt moves on to the
next address, round robin; a connection that was made starts over at the primary.
"""
from __future__ import annotations

import asyncio
import logging

from wirespeed.clock import WALL, Clock

from .acceptor import _tick, _wait_for
from .session import Session
from .transport import FixProtocol, connect_stamped
from .transport.fair import VENUE_READ_BUDGET

log = logging.getLogger("wirespeed.initiator")


class FixInitiator:
    #: The session's timer ticks once a second of this clock (set it before ``start``).
    clock: Clock = WALL

    def __init__(self, session: Session, host: str, port: int, *, reconnect: bool = True,
                 backoff_initial: float = 0.1, backoff_max: float = 5.0, ssl=None, nodelay: bool = True,
                 busy_poll_us: int = 0, spinner=None, alternates=(),
                 kernel_stamps=None, batcher=None):
        if kernel_stamps is not None and ssl is not None:
            raise ValueError("kernel timestamps need plain sockets (recvmsg): not with TLS")
        self.kernel_stamps = kernel_stamps     # on_stamp(kernel->user ns): the connection read by recvmsg
        self.batcher = batcher                 # a WriteBatcher: writes of one loop turn coalesced
        self.session = session
        self.spinner = spinner
        self.ssl = ssl
        self.nodelay, self.busy_poll_us = nodelay, busy_poll_us
        self.host, self.port = host, port
        self.addresses = [(host, port)] + list(alternates)
        self.reconnect = reconnect
        self.backoff_initial, self.backoff_max = backoff_initial, backoff_max
        # Optional: (attempts since the last connection was made, 1 first) -> seconds to wait; the
        # control plane's venue manager sets its reconnect policy (backoff with seeded jitter) here.
        self.backoff = None
        self.connects = 0
        self._task: asyncio.Task | None = None
        self._timer: asyncio.Task | None = None
        self._closed: asyncio.Event | None = None
        self._transport = None
        self._stopping = False

    async def start(self) -> None:
        self._timer = asyncio.create_task(_tick(lambda: [self.session], clock=self.clock))
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self.backoff_initial
        index = 0
        attempts = 0
        while not self._stopping:
            self._closed = asyncio.Event()
            self.host, self.port = self.addresses[index]
            try:
                factory = lambda: FixProtocol(lambda _data: self.session,  # noqa: E731
                                              on_close=lambda _p: self._closed.set(), nodelay=self.nodelay,
                                              busy_poll_us=self.busy_poll_us, spinner=self.spinner,
                                              batcher=self.batcher, read_budget=VENUE_READ_BUDGET)
                if self.kernel_stamps is not None:
                    self._transport, _ = await connect_stamped(loop, factory, self.host, self.port,
                                                               self.kernel_stamps)
                else:
                    self._transport, _ = await loop.create_connection(
                        factory, self.host, self.port, ssl=self.ssl, server_hostname=self.host if self.ssl else None)
                self.connects += 1
                delay = self.backoff_initial
                index = attempts = 0
                await self._closed.wait()
            except OSError as exc:
                log.warning("%s: connect to %s:%d failed: %s", self.session.name, self.host, self.port, exc)
                index = (index + 1) % len(self.addresses)
            if not self.reconnect or self._stopping:
                return
            attempts += 1
            await asyncio.sleep(self.backoff(attempts) if self.backoff is not None else delay)
            delay = min(delay * 2, self.backoff_max)

    async def wait_logged_on(self, timeout: float = 5.0) -> bool:
        return await _wait_for(lambda: self.session.active, timeout)

    async def stop(self, logout_wait: float = 0.5) -> None:
        self._stopping = True
        self.session.logout("initiator shutting down")
        await _wait_for(lambda: self.session._write is None, logout_wait)
        if self._transport is not None:
            self._transport.close()
        for task in (self._task, self._timer):
            if task is not None:
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):
                    pass
