"""The venue's OUCH 5.0 front end over SoupBinTCP 4.0.

A client logs in (username/password from the venue config, session = the venue name),
then sends Enter Order / Replace Order / Cancel Order as Unsequenced Data; every answer
(Accepted, Executed, Canceled, Replaced, Rejected with its reason code) is a Sequenced
Data message of the user's stream, kept (bounded) so a client that logs in again with a
Requested Sequence Number gets what it missed. Server heartbeats after 1 s of silence; a
client silent for 15 s is disconnected. A framing error closes that connection only; a
bad message is answered (Rejected, or a Debug packet when it names no order) and the
session goes on.

Heartbeats are real time (loop timers): they keep a TCP session alive, which no
simulated clock can speed up. Message timestamps are the venue clock's.
"""
from __future__ import annotations

import asyncio
import logging

from wirespeed.enums import OrdType
from wirespeed.gateway.ouch import OuchSymbol

from ..ouch import messages as om
from ..ouch.soup import NOT_AUTHORIZED, SESSION_UNAVAILABLE, FrameReader, SequencedStream, SoupError, packet, \
    parse_login
from .core import NS_PER_DAY, Report, VenueCore, VenueOrder, VenueReject
from .latency import VenueLatency

log = logging.getLogger("wirespeed.venue.ouch")
HEARTBEAT_S, TIMEOUT_S = 1.0, 15.0
MAX_REFS = 100_000
_CANCEL_WHY = {"ioc": om.CancelReason.IMMEDIATE, "user": om.CancelReason.USER_REQUESTED}


class OuchOwner:
    """One OUCH user: its sequenced stream, its orders by UserRefNum, its live connection."""

    def __init__(self, front: "OuchFront", username: str):
        self.front, self.username = front, username
        self.stream = SequencedStream(front.core.spec.name)
        self.by_ref: dict[int, VenueOrder] = {}
        self.last_ref = 0
        self.conn: "_Connection | None" = None

    def send(self, message: bytes) -> None:
        data = self.stream.add(message)
        if self.conn is not None:
            self.conn.write(data)

    def on_report(self, r: Report) -> None:
        self.front.send_report(self, r)


class _Connection(asyncio.Protocol):
    def __init__(self, front: "OuchFront"):
        self.front = front
        self.reader = FrameReader()
        self.owner: OuchOwner | None = None
        self.transport: asyncio.Transport | None = None
        self._last_in = self._last_out = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        loop = asyncio.get_running_loop()
        self._last_in = self._last_out = loop.time()
        self._timer = loop.call_later(HEARTBEAT_S / 2, self._tick)
        self.front.connections.add(self)

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)
            self._last_out = asyncio.get_running_loop().time()

    def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if now - self._last_in > TIMEOUT_S:
            log.info("OUCH %s: no data for %.0f s, disconnecting", self.owner and self.owner.username, TIMEOUT_S)
            self.close()
            return
        if self.owner is not None and now - self._last_out >= HEARTBEAT_S:
            self.write(packet(b"H"))
        self._timer = loop.call_later(HEARTBEAT_S / 2, self._tick)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self.owner is not None and self.owner.conn is self:
            self.owner.conn = None
        self.front.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        self._last_in = asyncio.get_running_loop().time()
        try:
            packets = self.reader.feed(data)
        except SoupError as exc:
            log.info("OUCH: %s; closing the connection", exc)
            self.close()
            return
        for kind, payload in packets:
            try:
                self._packet(kind, payload)
            except SoupError as exc:
                log.info("OUCH: %s; closing the connection", exc)
                self.close()
                return

    def _packet(self, kind: bytes, payload: bytes) -> None:
        if self.owner is None:
            if kind != b"L":
                raise SoupError(f"packet {kind!r} before Login Request")
            self._login(payload)
        elif kind == b"U":
            owner = self.owner
            self.front.latency.run(lambda: self.front.on_message(owner, payload))
        elif kind == b"O":
            self.close()
        elif kind == b"R":
            pass                                  # client heartbeat: _last_in is enough
        elif kind == b"L":
            raise SoupError("second Login Request on a logged-in connection")
        else:
            self.write(packet(b"+", f"packet type {kind!r} not handled".encode()))

    def _login(self, payload: bytes) -> None:
        login = parse_login(payload)
        front = self.front
        if front.users.get(login.username) != login.password:
            self.write(packet(b"J", NOT_AUTHORIZED))
            self.close()
            return
        if login.session not in ("", front.core.spec.name):
            self.write(packet(b"J", SESSION_UNAVAILABLE))
            self.close()
            return
        owner = front.owner(login.username)
        if owner.conn is not None:
            self.write(packet(b"J", SESSION_UNAVAILABLE))      # one connection a user at a time
            self.close()
            return
        owner.conn, self.owner = self, owner
        accepted, replay = owner.stream.accepted(login.sequence)
        self.write(accepted + b"".join(replay))


class OuchFront:
    def __init__(self, core: VenueCore, latency: VenueLatency, host: str, port: int, users: dict[str, str]):
        self.core, self.latency, self.host, self.port, self.users = core, latency, host, port, dict(users)
        self.owners: dict[str, OuchOwner] = {}
        self.connections: set[_Connection] = set()
        self.scales = {s.name: OuchSymbol.of(s.name, s.tick).price_scale for s in core.symbols}
        self._server: asyncio.AbstractServer | None = None

    def owner(self, username: str) -> OuchOwner:
        o = self.owners.get(username)
        if o is None:
            o = self.owners[username] = OuchOwner(self, username)
        return o

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        for conn in list(self.connections):
            conn.write(packet(b"Z"))
            conn.close()
        if self._server is not None:
            self._server.close()

    def _ts(self) -> int:
        return self.core.clock.time_ns() % NS_PER_DAY

    # -- requests ------------------------------------------------------------------
    def on_message(self, owner: OuchOwner, payload: bytes) -> None:
        try:
            msg = om.decode(payload)
        except om.OuchError as exc:
            if exc.user_ref is not None and exc.user_ref > owner.last_ref:
                owner.last_ref = exc.user_ref
                self.core.stats["rejects"] += 1
                owner.send(om.rejected(self._ts(), exc.user_ref, exc.reason))
            elif owner.conn is not None:
                owner.conn.write(packet(b"+", str(exc).encode()))
            return
        if isinstance(msg, om.CancelOrder):
            o = owner.by_ref.get(msg.user_ref)
            if o is None or not self.core.cancel(owner, o, msg, remain=msg.qty):
                self._debug(owner, f"Cancel Order: UserRefNum {msg.user_ref} is not a live order; ignored")
            return
        if msg.user_ref <= owner.last_ref:
            self._debug(owner, f"UserRefNum {msg.user_ref} is not above the last one ({owner.last_ref}); ignored")
            return
        owner.last_ref = msg.user_ref
        if len(owner.by_ref) >= MAX_REFS:
            for ref in [r for r, o in owner.by_ref.items() if not o.open]:
                del owner.by_ref[ref]
        if isinstance(msg, om.EnterOrder):
            self._enter(owner, msg)
        else:
            self._replace(owner, msg)

    def _debug(self, owner: OuchOwner, text: str) -> None:
        if owner.conn is not None:
            owner.conn.write(packet(b"+", text.encode()))

    def _ticks(self, symbol: str, price4: int) -> int | None:
        scale = self.scales[symbol]
        return price4 // scale if price4 > 0 and price4 % scale == 0 else None

    def _enter(self, owner: OuchOwner, m: om.EnterOrder) -> None:
        core = self.core
        if m.symbol not in self.scales:
            core.reject(owner, m, VenueReject.UNKNOWN_SYMBOL, f"unknown symbol {m.symbol!r}")
            return
        ticks = self._ticks(m.symbol, m.price4)
        if ticks is None:
            core.reject(owner, m, VenueReject.OFF_TICK, f"price {m.price4 / 10_000} is not on the tick grid")
            return
        if m.display != b"Y" or m.cross != b"N":
            reason = VenueReject.UNSUPPORTED
            core.reject(owner, m, reason, "only displayed (Y), continuous-market (N) orders are supported")
            return
        o = core.new_order(owner, m, str(m.user_ref), m.symbol, m.side, OrdType.LIMIT, m.tif, m.qty, ticks,
                           participant=owner.username)
        if o is not None:
            owner.by_ref[m.user_ref] = o

    def _replace(self, owner: OuchOwner, m: om.ReplaceOrder) -> None:
        o = owner.by_ref.get(m.orig_user_ref)
        if o is None or not o.open:
            self.core.reject(owner, m, VenueReject.TOO_LATE, f"UserRefNum {m.orig_user_ref} is not a live order")
            return
        ticks = self._ticks(o.symbol, m.price4)
        if ticks is None:
            self.core.reject(owner, m, VenueReject.OFF_TICK, f"price {m.price4 / 10_000} is not on the tick grid")
            return
        why = self.core.replace(owner, o, m, str(m.user_ref), m.qty, ticks)
        if why:
            self.core.reject(owner, m, VenueReject.TOO_LATE, why)
            return
        owner.by_ref[m.user_ref] = o

    # -- reports -------------------------------------------------------------------
    def send_report(self, owner: OuchOwner, r: Report) -> None:
        ts, o = self._ts(), r.order
        if r.kind == "rejected":
            req = r.request
            owner.send(om.rejected(ts, req.user_ref, om.OuchReject(r.reason.ouch), getattr(req, "cl_ord_id", "")))
        elif r.kind == "new":
            owner.send(om.accepted(ts, r.request, o.id))
        elif r.kind == "trade":
            owner.send(om.executed(ts, int(o.client_id), r.last_qty, r.last_px * self.scales[o.symbol], r.liquidity,
                                   r.match_id))
        elif r.kind == "canceled":
            owner.send(om.canceled(ts, int(o.client_id), r.canceled_qty,
                                   _CANCEL_WHY.get(r.why, om.CancelReason.SYSTEM)))
        elif r.kind == "replaced":
            owner.send(om.replaced(ts, r.request, o.side, o.symbol, o.id,
                                   om.LIVE if o.open else om.DEAD))
