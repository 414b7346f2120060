"""A venue's market-data feed: book events -> ITCH 5.0 -> MoldUDP64 over UDP on loopback,
the retransmission (request) server, and in-process subscriptions.

``FeedPublisher`` is an ``EventSink``: the engine calls it for every event, in order.
Messages of one event-loop turn go out as one packet (``call_soon`` batching), so a burst
of a match (executions, a delete, a replace) arrives together; heartbeats every
``heartbeat_s`` of the clock when idle. In-process sinks get the events themselves, before
any encoding (the accelerated backtest needs no sockets).

Bounded: the retransmission buffer keeps ``retain`` messages; the request server answers
at most ``rate`` requests a second per source (token bucket, burst ``burst``), from at
most 1,024 sources, with one packet each; live destinations are capped at 16.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Iterable

from wirespeed.clock import WALL, Clock

from ..events import BookEvent, EventSink, OrderExecuted, SystemEvent, START_OF_MESSAGES
from .book import FeedBook
from .itch import FeedSymbol, ItchEncoder
from .mold import MoldError, MoldSession, decode_request

log = logging.getLogger("wirespeed.feed")
MAX_DESTINATIONS, MAX_SOURCES = 16, 1024
NS_PER_DAY = 86_400 * 1_000_000_000


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, on_datagram=None):
        self.transport: asyncio.DatagramTransport | None = None
        self.on_datagram = on_datagram

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        if self.on_datagram is not None:
            self.on_datagram(data, addr)

    def error_received(self, exc) -> None:      # e.g. ICMP port unreachable from a gone subscriber
        log.debug("feed socket: %s", exc)


class FeedPublisher:
    def __init__(self, symbols: Iterable[FeedSymbol], *, session: str = "WIRESPEED", clock: Clock = WALL,
                 retain: int = 100_000, rate: float = 200.0, burst: int = 50, heartbeat_s: float = 1.0,
                 host: str = "127.0.0.1"):
        self.symbols = list(symbols)
        self.encoder = ItchEncoder(self.symbols)
        self.mold = MoldSession(session, retain=retain)
        self.clock, self.host = clock, host
        self.rate, self.burst, self.heartbeat_s = rate, burst, heartbeat_s
        self.sinks: list[EventSink] = []
        self.destinations: list[tuple[str, int]] = []
        self._orders = FeedBook()          # prices of resting orders: E or C for an execution
        self._feed = _Udp()
        self._requests = _Udp(self._on_request)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flush_scheduled = False
        self._buckets: dict = {}
        self._hb_task: asyncio.Task | None = None
        self.stats = {"messages": 0, "packets": 0, "requests": 0, "retransmitted": 0, "refused": 0,
                      "unpublished": 0}
        self.port = self.request_port = 0

    # -- in process ------------------------------------------------------------
    def subscribe(self, sink: EventSink) -> None:
        """Call ``sink`` with every event, synchronously and in order (no encoding, no socket)."""
        self.sinks.append(sink)

    def unsubscribe(self, sink: EventSink) -> None:
        self.sinks.remove(sink)

    # -- lifecycle ---------------------------------------------------------------
    async def start(self) -> tuple[int, int]:
        """Open the feed socket and the request server; returns (feed port, request port)."""
        self._loop = asyncio.get_running_loop()
        t, _ = await self._loop.create_datagram_endpoint(lambda: self._feed, local_addr=(self.host, 0))
        self.port = t.get_extra_info("sockname")[1]
        t, _ = await self._loop.create_datagram_endpoint(lambda: self._requests, local_addr=(self.host, 0))
        self.request_port = t.get_extra_info("sockname")[1]
        self.start_of_day()
        self._hb_task = self._loop.create_task(self._heartbeats())
        return self.port, self.request_port

    def start_of_day(self) -> None:
        """System Event 'O' and the Stock Directory (R per symbol) as the first messages."""
        ts = self._ts()
        self(SystemEvent(ts, START_OF_MESSAGES))
        if self._loop is None:
            return
        for msg in self.encoder.directory(ts):
            self._queue(msg)

    async def stop(self) -> None:
        if self._hb_task is not None:
            self._hb_task.cancel()
        self._flush()
        if self._feed.transport is not None:
            self._send(self.mold.end_of_session())
            self._feed.transport.close()
        if self._requests.transport is not None:
            self._requests.transport.close()

    def add_destination(self, addr: tuple[str, int]) -> None:
        if addr not in self.destinations:
            if len(self.destinations) >= MAX_DESTINATIONS:
                raise ValueError(f"destinations: at most {MAX_DESTINATIONS} live subscribers a feed")
            self.destinations.append(addr)

    def _ts(self) -> int:
        return self.clock.time_ns() % NS_PER_DAY

    # -- publishing --------------------------------------------------------------
    def __call__(self, ev: BookEvent) -> None:
        for sink in self.sinks:
            sink(ev)
        if self._loop is None:
            return          # not started: in-process only (accelerated backtests), nothing to encode
        order_price = None
        try:
            if not isinstance(ev, SystemEvent):
                if isinstance(ev, OrderExecuted):
                    order_price = self._orders.book(ev.symbol).price_of(ev.order_id)
                self._orders.apply(ev)
            msg = self.encoder.encode(ev, order_price)
        except ValueError as exc:          # ItchError, or an event that does not fit the book
            # The engine called us: a bad event must not break its matching. Count it and go on.
            self.stats["unpublished"] += 1
            log.warning("feed %s: event not published: %s (%r)", self.mold.session.decode().strip(), exc, ev)
            return
        self._queue(msg)

    def _queue(self, msg: bytes) -> None:
        self.stats["messages"] += 1
        full = self.mold.add(msg)
        if full is not None:
            self._send(full)
        if not self._flush_scheduled and self._loop is not None:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        packet = self.mold.flush()
        if packet is not None:
            self._send(packet)

    def _send(self, packet: bytes) -> None:
        self.stats["packets"] += 1
        t = self._feed.transport
        if t is None:
            return
        for addr in self.destinations:
            t.sendto(packet, addr)

    async def _heartbeats(self) -> None:
        last = -1
        while True:
            await self.clock.sleep(self.heartbeat_s)
            if self.mold.next_seq == last:
                self._send(self.mold.heartbeat())
            last = self.mold.next_seq

    # -- request server ----------------------------------------------------------
    def _allow(self, addr) -> bool:
        now = self.clock.monotonic_ns()
        tokens, at = self._buckets.get(addr, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate / 1e9)
        if tokens < 1.0:
            self._buckets[addr] = (tokens, now)
            return False
        if addr not in self._buckets and len(self._buckets) >= MAX_SOURCES:
            return False
        self._buckets[addr] = (tokens - 1.0, now)
        return True

    def _on_request(self, data: bytes, addr) -> None:
        self.stats["requests"] += 1
        try:
            session, seq, count = decode_request(data)
        except MoldError as exc:
            log.info("feed request from %s refused: %s", addr, exc)
            self.stats["refused"] += 1
            return
        if session != self.mold.session or not self._allow(addr):
            self.stats["refused"] += 1
            return
        if count == 0:
            # wirespeed extension: a request for no messages joins the live stream (loopback has
            # no multicast routing, so the feed is sent to each joined subscriber).
            try:
                self.add_destination(addr)
            except ValueError:
                self.stats["refused"] += 1
            return
        self._flush()                       # what was queued is retained before it is asked for
        packet = self.mold.retransmit(seq, count)
        if packet is None:
            self.stats["refused"] += 1
            return
        self.stats["retransmitted"] += 1
        self._requests.transport.sendto(packet, addr)
