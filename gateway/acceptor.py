"""FIX acceptor: many sessions on one port, chosen by the Logon's CompIDs.

Bounded against hostile peers (docs/gateway/security.md): connections that have not logged on
are capped in number and closed after ``logon_timeout_s``; failed authentications (unknown
CompID, wrong password, a garbled first message) are counted per source address, so nobody
locks a real client out by naming it; dynamic sessions are created only on a well-formed,
authenticated Logon from a CompID fit to be a file name, capped in number, and retired when
idle.
"""
from __future__ import annotations

import asyncio
import logging
import re
import ssl as _ssl
import time
from collections import OrderedDict, deque
from typing import Callable

from wirespeed.clock import WALL, Clock

from .fix.parser import FixParser
from .fix import tags as T
from .session import Session, SessionState
from .session.session import password_ok
from .store import StoreError
from .transport import FixProtocol, StampedServer

#: A CompID a dynamic session may have: it becomes part of a folder name in FileStorePath.
DYNAMIC_COMP_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}").fullmatch
_MAX_TRACKED_ADDRESSES = 10_000   # source addresses with failed logons remembered (oldest forgotten)

log = logging.getLogger("wirespeed.acceptor")


class FixAcceptor:
    """Listens on ``host:port``; a connection whose Logon names a known session attaches to it.

    ``sessions`` maps the counterparty's CompID (their SenderCompID, our
    TargetCompID) to its Session. ``factory``, if given, creates a session for an
    unknown CompID (dynamic sessions) or returns None to refuse it; it is called only
    for a Logon that ``authenticate(logon)`` accepts (the template's password).
    A connection naming an unknown CompID, or a session already connected, is closed
    without a reply. ``max_logons_per_minute`` bounds *failed* logons per source address.
    """

    #: The sessions' timer ticks once a second of this clock (set it before ``start``, and give the
    #: sessions the same clock, for accelerated time).
    clock: Clock = WALL
    #: Housekeeping (LogonTimeout, idle dynamic sessions) runs every this many seconds of *wall*
    #: time, on its own task: those limits guard against peers, who live in real time, and a
    #: session clock that stands still (a SimClock) must not leave silent connections open.
    housekeeping_s: float = 1.0

    def __init__(self, host: str = "127.0.0.1", port: int = 0, sessions: dict[str, Session] | None = None,
                 factory: Callable[[str], Session | None] | None = None, max_message_bytes: int = 8192,
                 ssl: _ssl.SSLContext | None = None, max_logons_per_minute: int = 30, nodelay: bool = True,
                 busy_poll_us: int = 0, spinner=None, logon_timeout_s: float = 10.0, max_pending: int = 256,
                 max_dynamic_sessions: int = 1000, dynamic_idle_s: float = 3600.0,
                 authenticate: Callable | None = None, on_retire: Callable[[Session], None] | None = None,
                 kernel_stamps: Callable[[int], None] | None = None, batcher=None):
        if kernel_stamps is not None and ssl is not None:
            raise ValueError("kernel timestamps need plain sockets (recvmsg): not with TLS")
        self.kernel_stamps = kernel_stamps     # on_stamp(kernel->user ns): connections read by recvmsg
        self.batcher = batcher                 # a WriteBatcher: writes of one loop turn coalesced
        self.host, self.port = host, port
        self.logon_timeout_s, self.max_pending = logon_timeout_s, max_pending
        self.max_dynamic_sessions, self.dynamic_idle_s = max_dynamic_sessions, dynamic_idle_s
        self.authenticate = authenticate or (lambda _msg: True)
        self.on_retire = on_retire
        self._dynamic: dict[str, float] = {}   # dynamic session CompID -> when it was last connected
        self.spinner = spinner
        self.ssl = ssl
        self.max_logons_per_minute = max_logons_per_minute
        self.nodelay, self.busy_poll_us = nodelay, busy_poll_us
        self._failures: OrderedDict[str, deque] = OrderedDict()   # source address -> failure times
        self.sessions: dict[str, Session] = dict(sessions or {})
        self.factory = factory
        self.max_message_bytes = max_message_bytes
        self.refused = 0
        self._server: asyncio.AbstractServer | StampedServer | None = None
        self._protocols: dict[FixProtocol, float] = {}   # open connection -> when it was made
        self._timer: asyncio.Task | None = None     # the sessions' timer (session clock)
        self._keeper: asyncio.Task | None = None    # housekeeping (wall clock)

    def _resolve(self, data: bytes, proto: FixProtocol):
        address = _address(proto)
        if not data:
            pending = sum(1 for p in self._protocols if not _logged_on(p))
            if pending > self.max_pending:
                return self._refuse(f"{pending - 1} connections already waiting to log on (the cap)")
            return ...
        if self._failed_recently(address) >= self.max_logons_per_minute:
            return self._refuse(f"too many failed logons from {address} (over {self.max_logons_per_minute}/min)")
        parser = FixParser(self.max_message_bytes)
        parser.feed(data)
        msg = parser.poll()
        if msg is None:
            if parser.garbled or len(data) > self.max_message_bytes:
                return self._fail(address, "garbled first message")
            return ...
        comp = msg.get(T.SenderCompID, "")
        session = self.sessions.get(comp)
        if session is None and self.factory is not None:
            session = self._dynamic_session(comp, msg, address)
            if session is None:
                return None
        if session is None:
            return self._fail(address, f"unknown SenderCompID {comp[:64]!r}")
        if msg.get(T.TargetCompID) != session.config.sender_comp_id:
            return self._fail(address, f"wrong TargetCompID {msg.get(T.TargetCompID, '')[:64]!r}")
        if session._write is not None:
            return self._refuse(f"session {comp} is already connected")
        if msg.msg_type == "A" and not password_ok(session.config.password, msg):
            # Counted against the address; the session answers with the Logout that says why.
            self._count_failure(address)
            log.warning("failed authentication for %s from %s", comp, address)
        if comp in self._dynamic:
            self._dynamic[comp] = time.monotonic()
        return session

    def _dynamic_session(self, comp: str, msg, address: str) -> Session | None:
        """A session from the template for an unknown CompID, or None (refused, logged)."""
        if msg.msg_type != "A" or msg.error is not None:
            return self._fail(address, f"first message from unknown {comp[:64]!r} is not a valid Logon")
        if not DYNAMIC_COMP_ID(comp):
            return self._fail(address, f"SenderCompID {comp[:64]!r} is not allowed for a dynamic session "
                                       "(letters, digits, '_', '.', '-'; at most 64)")
        if not self.authenticate(msg):
            return self._fail(address, f"authentication failed for dynamic session {comp}")
        if len(self._dynamic) >= self.max_dynamic_sessions:
            return self._refuse(f"dynamic session {comp} refused: {len(self._dynamic)} exist (the cap)")
        try:
            session = self.factory(comp)
        except StoreError as exc:
            log.error("dynamic session %s not created: %s", comp, exc)
            return None
        if session is not None:
            self.sessions[comp] = session
            self._dynamic[comp] = time.monotonic()
        return session

    def _failed_recently(self, address: str) -> int:
        times = self._failures.get(address)
        if times is None:
            return 0
        now = time.monotonic()
        while times and now - times[0] > 60:
            times.popleft()
        if not times:
            del self._failures[address]
            return 0
        return len(times)

    def _fail(self, address: str, why: str):
        """A failed authentication from ``address``: counted against its logon rate; refused."""
        self._count_failure(address)
        return self._refuse(f"{why} (from {address})")

    def _count_failure(self, address: str) -> None:
        times = self._failures.get(address)
        if times is None:
            times = self._failures[address] = deque(maxlen=self.max_logons_per_minute + 1)
            if len(self._failures) > _MAX_TRACKED_ADDRESSES:
                self._failures.popitem(last=False)
        times.append(time.monotonic())

    def _refuse(self, why: str):
        self.refused += 1
        log.warning("refused connection: %s", why)
        return None

    def _protocol(self) -> FixProtocol:
        proto = FixProtocol(None, on_close=self._closed, nodelay=self.nodelay,
                            busy_poll_us=self.busy_poll_us, spinner=self.spinner, batcher=self.batcher)
        proto._resolve = lambda data: self._resolve(data, proto)
        self._protocols[proto] = time.monotonic()
        return proto

    def _closed(self, proto: FixProtocol) -> None:
        self._protocols.pop(proto, None)

    def _housekeeping(self) -> None:
        """Once a second: close connections not logged on in time; retire idle dynamic sessions."""
        now = time.monotonic()
        for proto, since in list(self._protocols.items()):
            if now - since > self.logon_timeout_s and not _logged_on(proto) and proto.transport is not None:
                if proto.session is None or proto.session.state is SessionState.AWAITING_LOGON:
                    log.info("closing a connection from %s: not logged on within LogonTimeout (%g s)",
                             _address(proto), self.logon_timeout_s)
                    if proto.session is not None:
                        proto.session.connection_lost()
                    proto.transport.close()
                    self._protocols.pop(proto, None)
        for comp, last in list(self._dynamic.items()):
            session = self.sessions.get(comp)
            if session is None:
                del self._dynamic[comp]
            elif session._write is not None:
                self._dynamic[comp] = now
            elif now - last > self.dynamic_idle_s:
                del self._dynamic[comp], self.sessions[comp]
                session.store.close()
                log.info("dynamic session %s retired after %g s idle", session.name, now - last)
                if self.on_retire is not None:
                    self.on_retire(session)

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        if self.kernel_stamps is not None:
            self._server = StampedServer(loop, self._protocol, self.host, self.port, self.kernel_stamps)
        else:
            self._server = await loop.create_server(self._protocol, self.host, self.port, ssl=self.ssl)
        self.port = self._server.sockets[0].getsockname()[1]
        self._timer = asyncio.create_task(_tick(lambda: self.sessions.values(), clock=self.clock))
        self._keeper = asyncio.create_task(_every_wall(self.housekeeping_s, self._housekeeping))
        log.info("acceptor listening on %s:%d", self.host, self.port)
        return self.port

    async def stop(self, logout_wait: float = 0.5) -> None:
        for s in self.sessions.values():
            s.logout("acceptor shutting down")
        if any(s._write is not None for s in self.sessions.values()):
            await _wait_for(lambda: all(s._write is None for s in self.sessions.values()), logout_wait)
        for task in (self._timer, self._keeper):
            if task:
                task.cancel()
        if self._server:
            self._server.close()
        for proto in list(self._protocols):
            if proto.transport:
                proto.transport.close()
        if self._server:
            await self._server.wait_closed()


def _address(proto: FixProtocol) -> str:
    peer = proto.transport.get_extra_info("peername") if proto.transport is not None else None
    return str(peer[0]) if isinstance(peer, tuple) and peer else str(peer)


def _logged_on(proto: FixProtocol) -> bool:
    s = proto.session
    return s is not None and s.state not in (SessionState.AWAITING_LOGON, SessionState.DISCONNECTED)


async def _tick(sessions: Callable, clock: Clock = WALL) -> None:
    while True:
        await clock.sleep(1.0)    # a second of the sessions' clock: accelerated time ticks faster
        for s in list(sessions()):
            try:
                s.on_timer()
            except Exception:  # pragma: no cover - keep the timer alive for other sessions
                log.exception("timer failed for %s", s.name)


async def _every_wall(period_s: float, fn: Callable[[], None]) -> None:
    while True:
        await asyncio.sleep(period_s)     # the loop's clock: real time, whatever the sessions' clock
        try:
            fn()
        except Exception:  # pragma: no cover - keep the timer alive
            log.exception("acceptor housekeeping failed")


async def _wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True
