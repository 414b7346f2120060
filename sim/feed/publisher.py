"""A venue's market-data feed: book events -> ITCH 5.0 -> MoldUDP64 over UDP on loopback,
the retransmission (request) server, and in-process subscriptions.

``FeedPublisher`` is an ``EventSink``: the engine calls it for every event, in order.
Messages of one event-loop turn go out as one packet (``call_soon`` batching), so a burst
of a match (executions, a delete, a replace) arrives together; heartbeats every
``heartbeat_s`` of the clock when idle. In-process sinks get the events themselves, before
any encoding (the accelerated backtest needs no sockets).

A snapshot server (TCP, ``snapshot_port``; ``sim/feed/snapshot.py``) gives a late joiner
the displayed book as Add Orders with the sequence number they are valid at.

Hidden executions: a reserve order's refreshed slice that is executed within the same
engine call that refreshed it (the aggressor swept the level) was never shown to anyone:
that quantity goes out as a Non-Displayed Trade (P) instead of Add Order + Order Executed,
as an ITCH venue reports executions of reserve size. In-process sinks get the engine's
events unchanged; the displayed books both paths rebuild are the same.

Bounded: the retransmission buffer keeps ``retain`` messages; the request server answers
at most ``rate`` requests a second per source (token bucket, burst ``burst``), from at
most 1,024 sources, with one packet each; live destinations are capped at 16.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Iterable

from wirespeed.clock import WALL, Clock

from ..events import (AddOrder, BookEvent, EventSink, NonDisplayedTrade, OrderExecuted, SystemEvent,
                      START_OF_MESSAGES)
from .book import FeedBook
from .itch import FeedSymbol, ItchEncoder
from .mold import MoldError, MoldSession, decode_request
from .snapshot import SnapshotServer

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
                 host: str = "127.0.0.1", snapshot: bool = True):
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
                      "unpublished": 0, "hidden": 0}
        self.port = self.request_port = self.snapshot_port = 0
        self.snapshots = SnapshotServer(self.mold.session, self.snapshot_messages) if snapshot else None
        # Reserve refreshes queued in the packet being built: ref -> [queued index, AddOrder, shares left]
        self._refreshed: dict[int, list] = {}
        self._last_full: tuple | None = None    # (side, price, ts) of an order just executed in full

    # -- in process ------------------------------------------------------------
    def subscribe(self, sink: EventSink) -> None:
        """Call ``sink`` with every event, synchronously and in order (no encoding, no socket)."""
        self.sinks.append(sink)

    def unsubscribe(self, sink: EventSink) -> None:
        self.sinks.remove(sink)

    # -- lifecycle ---------------------------------------------------------------
    async def start(self, port: int = 0, request_port: int = 0, snapshot_port: int = 0) -> tuple[int, int]:
        """Open the feed socket and the request server (0: any free port; a venue restarted on its
        old ports is found again by the subscribers that knew them); returns (feed port, request
        port)."""
        self._loop = asyncio.get_running_loop()
        t, _ = await self._loop.create_datagram_endpoint(lambda: self._feed, local_addr=(self.host, port))
        self.port = t.get_extra_info("sockname")[1]
        t, _ = await self._loop.create_datagram_endpoint(lambda: self._requests, local_addr=(self.host, request_port))
        self.request_port = t.get_extra_info("sockname")[1]
        if self.snapshots is not None:
            self.snapshot_port = await self.snapshots.start(self.host, snapshot_port)
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
        if self.snapshots is not None:
            self.snapshots.close()

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
        t = type(ev)
        last_full, self._last_full = self._last_full, None
        try:
            if t is not SystemEvent:
                if t is OrderExecuted:
                    book = self._orders.book(ev.symbol)
                    rec = book.orders.get(ev.order_id)
                    order_price = None if rec is None else rec[1]
                    if rec is not None and rec[2] == ev.qty:
                        self._last_full = (rec[0], rec[1], ev.ts_ns)
                    hidden = self._refreshed.get(ev.order_id)
                    if hidden is not None and hidden[1].ts_ns == ev.ts_ns:
                        self._orders.apply(ev)
                        self._hidden(ev, hidden)
                        return
                self._orders.apply(ev)
            msg = self.encoder.encode(ev, order_price)
        except ValueError as exc:          # ItchError, or an event that does not fit the book
            # The engine called us: a bad event must not break its matching. Count it and go on.
            self.stats["unpublished"] += 1
            log.warning("feed %s: event not published: %s (%r)", self.mold.session.decode().strip(), exc, ev)
            return
        self._queue(msg)
        if t is AddOrder and last_full is not None and last_full == (ev.side, ev.price, ev.ts_ns):
            # The engine refreshes a reserve order right after its slice executed in full: the
            # same side, price and engine call (an aggressor's rest is on the other side).
            self._refreshed[ev.order_id] = [self.mold.pending - 1, ev, ev.qty]

    def _hidden(self, ev: OrderExecuted, rec: list) -> None:
        """An execution of a refreshed slice not yet sent: shown less (or not at all), and the
        executed shares printed as a Non-Displayed Trade."""
        index, add, left = rec
        left -= ev.qty
        rec[2] = left
        if left:
            from dataclasses import replace
            self.mold.amend(index, self.encoder.encode(replace(add, qty=left)))
        else:
            self.mold.amend(index, None)
            self.stats["messages"] -= 1
            del self._refreshed[ev.order_id]
            self._last_full = (add.side, add.price, ev.ts_ns)    # its next refresh is hidden too
        self.stats["hidden"] += 1
        self._queue(self.encoder.encode(NonDisplayedTrade(ev.ts_ns, ev.symbol, add.side, ev.price, ev.qty,
                                                          ev.match_id)))

    def snapshot_messages(self) -> tuple[int, list[bytes]]:
        """The displayed book now: (the sequence number of the first message after it, the Stock
        Directory and one Add Order per resting order, each level in time priority)."""
        self._flush()                       # everything applied to the book is numbered first
        ts = self._ts()
        msgs = self.encoder.directory(ts)
        for sym in sorted(self.encoder.symbols.values(), key=lambda s: s.locate):
            book = self._orders.books.get(sym.name)
            if book is None:
                continue
            for (side, price), refs in book.levels.items():
                for ref in refs:
                    msgs.append(self.encoder.encode(AddOrder(ts, sym.name, ref, side, price, book.orders[ref][2])))
        return self.mold.next_seq, msgs

    def _queue(self, msg: bytes) -> None:
        self.stats["messages"] += 1
        full = self.mold.add(msg)
        if full is not None:
            self._refreshed.clear()         # (their Add Orders went out: executions are E again)
            self._send(full)
        if not self._flush_scheduled and self._loop is not None:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        self._refreshed.clear()
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
