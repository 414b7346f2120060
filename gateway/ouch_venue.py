"""An OUCH 5.0 venue session over SoupBinTCP: the gateway's connection to a venue configured for it.

Same place in the order path as a FIX venue session: ``OrderGateway`` sends through it
(Enter Order from the encoder the hardware implements, Replace Order, Cancel Order) and it
hands every venue message back decoded (``gw.on_ouch_message``). It reconnects with
exponential backoff and logs in from the next sequence number it has not seen, so the
venue replays whatever it sent while the link was down: that replay is this protocol's
reconciliation. A client heartbeat goes out after a second without sending; a server silent
for 15 s is dropped. A framing error or an undecodable message is logged; framing errors
close only this connection.

The transport options of the FIX sessions apply (docs/gateway/transport.md): every read is
stamped with ``perf_counter_ns`` first thing (``recv_ns``, the venue report's hop start), with
``kernel_stamps`` the connection is read by ``recvmsg`` (``StampedTransport``: the kernel's
receive time, the kernel->user hop), and with a ``batcher`` (the gateway's shared
``WriteBatcher``) the writes of one loop turn after the first go out together.
"""
from __future__ import annotations

import asyncio
import logging
import socket

from wirespeed.order import Order
from wirespeed.symbols import SymbolTable

from .hw_encoder import make_ouch_encoder
from .ouch import OuchSymbol, enter_order
from .ouch.messages import OuchDecodeError, cancel_order, decode, replace_order
from .ouch.soup import SoupClient, SoupError
from .transport import connect_stamped
from .transport.fair import VENUE_READ_BUDGET, FairReads

log = logging.getLogger("wirespeed.ouch")
HEARTBEAT_S, TIMEOUT_S = 1.0, 15.0


class OuchVenueSession(FairReads, asyncio.Protocol):
    read_budget = VENUE_READ_BUDGET        # (fair reads: at most this much of a read a loop turn)
    protocol = "ouch"

    def __init__(self, name: str, host: str, port: int, username: str, password: str, symbols: SymbolTable,
                 on_logon, on_logout, on_message, backoff_initial: float = 0.1, backoff_max: float = 5.0,
                 encoder: str = "software", kernel_stamps=None, batcher=None):
        self.name, self.host, self.port = name, host, port
        self.kernel_stamps = kernel_stamps     # on_stamp(kernel->user ns): the connection read by recvmsg
        self.batcher = batcher                 # a WriteBatcher: writes of one loop turn coalesced
        self.recv_ns = 0                       # perf_counter_ns of the read being handled
        self.soup = SoupClient(username, password)
        self.scales = {s.index: OuchSymbol.of(s.name, s.tick) for s in symbols}
        # encoder = "verilator": Enter Order frames from the Verilated hardware encoder (gateway/hw_encoder.py)
        self.hw_encoder = make_ouch_encoder(encoder, self.scales)
        self.on_logon, self.on_logout, self.on_message = on_logon, on_logout, on_message
        self.backoff_initial, self.backoff_max = backoff_initial, backoff_max
        self.backoff = None      # optional (attempts since the last connection) -> seconds, as FixInitiator's
        self.transport: asyncio.Transport | None = None
        self.messages_in = self.messages_out = 0
        self.last_error = ""
        self._closed: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._last_in = self._last_out = 0.0
        self._stopping = False

    @property
    def active(self) -> bool:
        return self.transport is not None and self.soup.logged_in

    # -- sending -------------------------------------------------------------------
    def _write(self, message: bytes, frame: bytes | None = None) -> None:
        """Send ``message`` as SoupBinTCP Unsequenced Data (``frame``: already framed, by the hardware)."""
        if not self.active:
            raise RuntimeError(f"OUCH venue {self.name} is not logged in")
        self._send(frame if frame is not None else self.soup.unsequenced(message))
        self._last_out = asyncio.get_running_loop().time()
        self.messages_out += 1

    def _send(self, data: bytes) -> None:
        """Every write of the connection, in order: through the batcher where there is one."""
        if self.batcher is not None:
            self.batcher.write(self, data)
        else:
            self.transport.write(data)

    def enter(self, order: Order) -> bytes:
        if self.hw_encoder is not None:
            frame = self.hw_encoder.frame(order)
            self._write(frame[3:], frame)           # the message after the 2-byte length and "U"
            return frame[3:]
        msg = enter_order(order, self.scales[order.symbol])
        self._write(msg)
        return msg

    def replace(self, orig_ref: int, new_ref: int, record: Order, qty: int) -> bytes:
        msg = replace_order(orig_ref, new_ref, qty, record.price * self.scales[record.symbol].price_scale,
                            record.tif)
        self._write(msg)
        return msg

    def cancel(self, user_ref: int) -> bytes:
        msg = cancel_order(user_ref, 0)
        self._write(msg)
        return msg

    def ticks(self, symbol_index: int, price4: int) -> int:
        return price4 // self.scales[symbol_index].price_scale

    # -- the connection --------------------------------------------------------------
    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self.backoff_initial
        attempts = 0
        while not self._stopping:
            self._closed = asyncio.Event()
            try:
                if self.kernel_stamps is not None:
                    await connect_stamped(loop, lambda: self, self.host, self.port, self.kernel_stamps)
                else:
                    await loop.create_connection(lambda: self, self.host, self.port)
                delay = self.backoff_initial
                attempts = 0
                await self._closed.wait()
            except OSError as exc:
                log.warning("OUCH %s: connect to %s:%d failed: %s", self.name, self.host, self.port, exc)
            if self._stopping:
                return
            attempts += 1
            await asyncio.sleep(self.backoff(attempts) if self.backoff is not None else delay)
            delay = min(delay * 2, self.backoff_max)

    async def wait_logged_on(self, timeout: float = 5.0) -> bool:
        from .acceptor import _wait_for
        return await _wait_for(lambda: self.active, timeout)

    async def stop(self) -> None:
        self._stopping = True
        if self.transport is not None:
            try:
                if self.batcher is not None:
                    self.batcher.flush_one(self)               # what this turn collected goes first
                self.transport.write(b"\x00\x01O")          # Logout Request
            except RuntimeError:
                pass
            self.transport.close()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        loop = asyncio.get_running_loop()
        self._last_in = self._last_out = loop.time()
        transport.write(self.soup.login())
        self._timer = loop.call_later(HEARTBEAT_S / 2, self._tick)

    def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self.transport is None:
            return
        if now - self._last_in > TIMEOUT_S:
            log.warning("OUCH %s: nothing from the venue for %.0f s; reconnecting", self.name, TIMEOUT_S)
            self.transport.close()
            return
        if self.soup.logged_in and now - self._last_out >= HEARTBEAT_S:
            self._send(self.soup.heartbeat())
            self._last_out = now
        self._timer = loop.call_later(HEARTBEAT_S / 2, self._tick)

    def connection_lost(self, exc) -> None:
        was = self.active
        self._drop_held()
        if self.batcher is not None:
            self.batcher.drop(self)
        self.transport = None
        self.soup.logged_in = False
        if self._timer is not None:
            self._timer.cancel()
        if self._closed is not None:
            self._closed.set()
        if was:
            self.on_logout(self)

    def _handle(self, data: bytes, recv_ns: int) -> None:
        """A read, at most READ_BUDGET bytes of it a loop turn (``FairReads.data_received``)."""
        self.recv_ns = recv_ns   # stamped first thing: the hop of every message in this read starts there
        self._last_in = asyncio.get_running_loop().time()
        try:
            events = self.soup.feed(data)
        except SoupError as exc:
            log.error("OUCH %s: %s; closing the connection", self.name, exc)
            self.last_error = str(exc)
            self.transport.close()
            return
        for kind, payload in events:
            if kind == "data":
                self.messages_in += 1
                try:
                    msg = decode(payload)
                except OuchDecodeError as exc:
                    log.error("OUCH %s: %s; ignored", self.name, exc)
                    continue
                self.on_message(self, msg)
            elif kind == "login":
                log.info("OUCH %s: logged in (next sequence %d)", self.name, self.soup.next_seq)
                self.on_logon(self)
            elif kind == "refused":
                self.last_error = f"login refused ({payload.decode('ascii', 'replace')})"
                log.error("OUCH %s: %s", self.name, self.last_error)
            elif kind == "debug":
                log.warning("OUCH %s: venue says %s", self.name, payload.decode("ascii", "replace"))
            elif kind == "end":
                log.warning("OUCH %s: end of session", self.name)
