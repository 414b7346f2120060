"""FIX acceptor: many sessions on one port, chosen by the Logon's CompIDs."""
from __future__ import annotations

import asyncio
import logging
import ssl as _ssl
import time
from collections import defaultdict, deque
from typing import Callable

from .fix.parser import FixParser
from .fix import tags as T
from .session import Session
from .transport import FixProtocol

log = logging.getLogger("wirespeed.acceptor")


class FixAcceptor:
    """Listens on ``host:port``; a connection whose Logon names a known session attaches to it.

    ``sessions`` maps the counterparty's CompID (their SenderCompID, our
    TargetCompID) to its Session. ``factory``, if given, creates a session for an
    unknown CompID (dynamic sessions) or returns None to refuse it. A connection
    naming an unknown CompID, or a session already connected, is closed without
    a reply.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, sessions: dict[str, Session] | None = None,
                 factory: Callable[[str], Session | None] | None = None, max_message_bytes: int = 8192,
                 ssl: _ssl.SSLContext | None = None, max_logons_per_minute: int = 30, nodelay: bool = True,
                 busy_poll_us: int = 0, spinner=None):
        self.host, self.port = host, port
        self.spinner = spinner
        self.ssl = ssl
        self.max_logons_per_minute = max_logons_per_minute
        self.nodelay, self.busy_poll_us = nodelay, busy_poll_us
        self._logons: dict[str, deque] = defaultdict(deque)
        self.sessions: dict[str, Session] = dict(sessions or {})
        self.factory = factory
        self.max_message_bytes = max_message_bytes
        self.refused = 0
        self._server: asyncio.AbstractServer | None = None
        self._protocols: set[FixProtocol] = set()
        self._timer: asyncio.Task | None = None

    def _resolve(self, data: bytes):
        if not data:
            return ...
        parser = FixParser(self.max_message_bytes)
        parser.feed(data)
        msg = parser.poll()
        if msg is None:
            if parser.garbled or len(data) > self.max_message_bytes:
                return self._refuse("garbled first message")
            return ...
        if msg.msg_type != "A":
            # A first message that is not Logon still reaches its session, which logs out.
            pass
        comp = msg.get(T.SenderCompID, "")
        if not self._logon_allowed(comp):
            return self._refuse(f"too many logon attempts from {comp!r} (over {self.max_logons_per_minute}/min)")
        session = self.sessions.get(comp)
        if session is None and self.factory is not None:
            session = self.factory(comp)
            if session is not None:
                self.sessions[comp] = session
        if session is None:
            return self._refuse(f"unknown SenderCompID {comp!r}")
        if msg.get(T.TargetCompID) != session.config.sender_comp_id:
            return self._refuse(f"wrong TargetCompID {msg.get(T.TargetCompID)!r}")
        if session._write is not None:
            return self._refuse(f"session {comp} is already connected")
        return session

    def _logon_allowed(self, comp: str) -> bool:
        now = time.monotonic()
        times = self._logons[comp]
        while times and now - times[0] > 60:
            times.popleft()
        if len(times) >= self.max_logons_per_minute:
            return False
        times.append(now)
        return True

    def _refuse(self, why: str):
        self.refused += 1
        log.warning("refused connection: %s", why)
        return None

    def _protocol(self) -> FixProtocol:
        proto = FixProtocol(self._resolve, on_close=self._protocols.discard, nodelay=self.nodelay,
                            busy_poll_us=self.busy_poll_us, spinner=self.spinner)
        self._protocols.add(proto)
        return proto

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self.host, self.port, ssl=self.ssl)
        self.port = self._server.sockets[0].getsockname()[1]
        self._timer = asyncio.create_task(_tick(lambda: self.sessions.values()))
        log.info("acceptor listening on %s:%d", self.host, self.port)
        return self.port

    async def stop(self, logout_wait: float = 0.5) -> None:
        for s in self.sessions.values():
            s.logout("acceptor shutting down")
        if any(s._write is not None for s in self.sessions.values()):
            await _wait_for(lambda: all(s._write is None for s in self.sessions.values()), logout_wait)
        if self._timer:
            self._timer.cancel()
        if self._server:
            self._server.close()
        for proto in list(self._protocols):
            if proto.transport:
                proto.transport.close()
        if self._server:
            await self._server.wait_closed()


async def _tick(sessions: Callable) -> None:
    while True:
        await asyncio.sleep(1.0)
        for s in list(sessions()):
            try:
                s.on_timer()
            except Exception:  # pragma: no cover - keep the timer alive for other sessions
                log.exception("timer failed for %s", s.name)


async def _wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True
