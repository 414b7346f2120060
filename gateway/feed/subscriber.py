"""A feed subscriber: MoldUDP64 packets -> ITCH 5.0 -> book events -> ``FeedBook`` per venue.

It knows only the wire (``itch``, ``mold``, ``book`` of this package and core types): no
venue internals, so the control plane can hold one against any ITCH/MoldUDP64 feed.

Sequencing: messages are applied strictly in sequence order. A packet past the next
expected sequence is a gap: the packet is held (at most ``max_held`` messages), the
missing range requested from the request server, and the request repeated every
``retry_s`` of the clock up to ``retries`` times; the held packets are applied once the
gap is filled. A gap the server can no longer fill (older than its buffer) leaves the
subscriber ``stale`` with the lost range in ``lost`` (its books must not be trusted).

Late joiners: with ``snapshot_addr`` (the publisher's snapshot server, ``sim/feed/snapshot.py``)
the subscriber joins the live stream, holds what arrives, loads the displayed book as of
sequence S, and applies the live messages from S on (a gap between S and the first held
packet is requested as usual). A gap that cannot be recovered is resynchronised the same
way (the book is rebuilt from a new snapshot) instead of leaving the subscriber stale.
``on_event`` hears of each load: a ``BookReset`` (drop every book so far), then the
snapshot's Add Orders, then the live events, so a book the sink builds (a ``FeedBook``
clears itself on the reset) equals ``subscriber.book``.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Iterable

from wirespeed.clock import WALL, Clock

from .events import EventSink
from .book import BookReset, FeedBook
from .itch import FeedSymbol, ItchDecoder, StockDirectory
from .mold import MoldError, decode_packet, encode_request, session_name
from .snapshot import fetch_snapshot

log = logging.getLogger("wirespeed.feed.subscriber")


class FeedSubscriber:
    def __init__(self, symbols: Iterable[FeedSymbol], request_addr: tuple[str, int], *, session: str = "WIRESPEED",
                 clock: Clock = WALL, on_event: EventSink | None = None, max_held: int = 50_000,
                 retry_s: float = 0.05, retries: int = 5, join: bool = True,
                 snapshot_addr: tuple[str, int] | None = None, snapshot_timeout_s: float = 5.0):
        self.decoder = ItchDecoder(list(symbols))
        self.book = FeedBook()
        self.request_addr, self.session = request_addr, session_name(session)
        self.clock, self.on_event = clock, on_event
        self.max_held, self.retry_s, self.retries, self.join = max_held, retry_s, retries, join
        self.next_seq = 1
        self._held: dict[int, tuple[bytes, ...]] = {}      # first seq -> messages of a held packet
        self._held_count = 0
        self._transport: asyncio.DatagramTransport | None = None
        self._gap_task: asyncio.Task | None = None
        self.ended = self.stale = False
        self.lost: list[tuple[int, int]] = []
        self.errors: list[str] = []
        self.stats = {"packets": 0, "messages": 0, "gaps": 0, "recovered": 0, "requests": 0, "duplicates": 0,
                      "snapshots": 0}
        self._progress = asyncio.Event()
        self.snapshot_addr, self.snapshot_timeout_s = snapshot_addr, snapshot_timeout_s
        self._loading = False           # a snapshot is being fetched: hold live packets, ask for nothing
        self._snap_task: asyncio.Task | None = None
        self.snapshot_seq: int | None = None   # the sequence number the last snapshot was valid at

    @property
    def address(self) -> tuple[str, int]:
        return self._transport.get_extra_info("sockname")[:2]

    async def start(self) -> tuple[str, int]:
        loop = asyncio.get_running_loop()
        sub = self

        class _P(asyncio.DatagramProtocol):
            def datagram_received(self, data, addr):
                sub.on_datagram(data)

            def error_received(self, exc):
                log.debug("subscriber socket: %s", exc)
        self._transport, _ = await loop.create_datagram_endpoint(_P, local_addr=("127.0.0.1", 0))
        if self.join:
            self._transport.sendto(encode_request(self.session, 0, 0), self.request_addr)
            if self.snapshot_addr is not None:
                self._loading = True        # (joined first: nothing between the snapshot and live is missed)
                await self._load_snapshot()
            else:
                # Whatever was published before we joined is a gap from sequence 1: ask for it now.
                self._request(1, 0xFFFE)
        return self.address

    async def _load_snapshot(self) -> bool:
        """Fetch the book as of sequence S, replace ours with it, go on from S. On failure the
        subscriber falls back to asking for the day from sequence 1 (the error is recorded)."""
        self._loading = True
        try:
            seq, messages = await fetch_snapshot(self.snapshot_addr, self.session, self.snapshot_timeout_s)
        except (OSError, asyncio.TimeoutError, MoldError) as exc:
            self._loading = False
            self._error(f"snapshot from {self.snapshot_addr[0]}:{self.snapshot_addr[1]} failed: {exc or type(exc).__name__}")
            if self.next_seq == 1:
                self._request(1, 0xFFFE)
            return False
        self.stats["snapshots"] += 1
        self.snapshot_seq = seq
        if seq >= self.next_seq:
            self.next_seq = seq
        # (else: the live stream is already past S, which cannot be: a snapshot is taken after
        # everything sent before it; keep ours)
        events = []
        for msg in messages:
            try:
                ev = self.decoder.decode(msg)
                if ev is not None and not isinstance(ev, StockDirectory):
                    events.append(ev)
            except ValueError as exc:
                self._error(f"snapshot at {seq}: {exc}")
        # The sink's books are void too: it hears the reset and the snapshot as the book does.
        self._deliver(BookReset(max((getattr(ev, "ts_ns", 0) for ev in events), default=0), seq),
                      f"snapshot at {seq}")
        for ev in events:
            self._deliver(ev, f"snapshot at {seq}")
        self._loading = False
        self.stale = False
        self._drain()
        if self._held and min(self._held) > self.next_seq:
            self._gap(min(self._held))
        return True

    async def stop(self) -> None:
        if self._gap_task is not None:
            self._gap_task.cancel()
        if self._transport is not None:
            self._transport.close()

    async def wait_for(self, seq: int, timeout: float = 2.0) -> bool:
        """Wait (real time, bounded) until every message before ``seq`` is applied."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while self.next_seq < seq and loop.time() < end and not self.stale:
            await asyncio.sleep(0.005)
        return self.next_seq >= seq

    # -- packets -----------------------------------------------------------------
    def on_datagram(self, data: bytes) -> None:
        try:
            packet = decode_packet(data)
        except MoldError as exc:
            self._error(str(exc))
            return
        if packet.session != self.session:
            self._error(f"packet: session {packet.session!r}, subscribed to {self.session!r}")
            return
        self.stats["packets"] += 1
        if packet.end:
            self.ended = True
            return
        if self._loading:
            if packet.count and packet.seq not in self._held and self._held_count + packet.count <= self.max_held:
                self._held[packet.seq] = packet.messages
                self._held_count += packet.count
            return
        if packet.count == 0:                        # heartbeat: tells the next sequence
            if packet.seq > self.next_seq:
                self.stats["gaps"] += 1
                self._gap(packet.seq)
            return
        end = packet.seq + packet.count
        if end <= self.next_seq:
            self.stats["duplicates"] += 1
            return
        if packet.seq > self.next_seq:
            if not any(seq + len(m) == packet.seq for seq, m in self._held.items()):
                self.stats["gaps"] += 1             # not the continuation of a held run: a new gap
            if packet.seq not in self._held and self._held_count + packet.count <= self.max_held:
                self._held[packet.seq] = packet.messages
                self._held_count += packet.count
            self._gap(packet.seq)
            return
        self._apply(packet.messages[self.next_seq - packet.seq:])
        self._drain()

    def _apply(self, messages) -> None:
        self._progress.set()
        if self._held and self.next_seq < min(self._held) <= self.next_seq + len(messages):
            self.stats["recovered"] += 1            # this fills the gap before a held packet
        for msg in messages:
            self.next_seq += 1
            self.stats["messages"] += 1
            try:
                ev = self.decoder.decode(msg)
            except ValueError as exc:             # ItchError: keep going, say so
                self._error(f"seq {self.next_seq - 1}: {exc}")
                continue
            if ev is not None and not isinstance(ev, StockDirectory):
                self._deliver(ev, f"seq {self.next_seq - 1}")

    def _deliver(self, ev, where: str) -> None:
        """To our book, then (if the book took it) to the sink."""
        try:
            self.book.apply(ev)
            if self.on_event is not None:
                self.on_event(ev)
        except ValueError as exc:                 # FeedBookError: keep going, say so
            self._error(f"{where}: {exc}")

    def _drain(self) -> None:
        progressed = True
        while progressed and self._held:
            progressed = False
            for seq in sorted(self._held):
                msgs = self._held[seq]
                if seq + len(msgs) <= self.next_seq:
                    del self._held[seq]
                    self._held_count -= len(msgs)
                    progressed = True
                elif seq <= self.next_seq:
                    del self._held[seq]
                    self._held_count -= len(msgs)
                    self._apply(msgs[self.next_seq - seq:])
                    progressed = True
                break

    def _error(self, text: str) -> None:
        log.info("feed: %s", text)
        self.errors.append(text)
        del self.errors[:-100]

    # -- gaps --------------------------------------------------------------------
    def _request(self, seq: int, count: int) -> None:
        self.stats["requests"] += 1
        self._transport.sendto(encode_request(self.session, seq, min(count, 0xFFFE)), self.request_addr)

    def _gap(self, upto: int) -> None:
        if self._gap_task is None or self._gap_task.done():
            self._gap_task = asyncio.get_running_loop().create_task(self._recover(upto))

    async def _recover(self, upto: int) -> None:
        """Request the missing range until it is filled; each answer that fills part of it
        asks for the rest at once, and ``retries`` requests in a row without progress give up."""
        idle = 0
        while idle <= self.retries:
            want = min(self._held) if self._held else upto
            if self.next_seq >= want:
                break
            before = self.next_seq
            self._progress.clear()
            self._request(self.next_seq, want - self.next_seq)
            waiter = asyncio.ensure_future(self._progress.wait())
            sleeper = asyncio.ensure_future(self.clock.sleep(self.retry_s))
            await asyncio.wait({waiter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            sleeper.cancel()
            idle = 0 if self.next_seq > before else idle + 1
        else:
            self.lost.append((self.next_seq, (min(self._held) if self._held else upto) - 1))
            self._error(f"gap {self.next_seq}..{self.lost[-1][1]} could not be recovered")
            self._gap_task = None
            if self.snapshot_addr is not None and await self._load_snapshot():
                return                      # resynchronised: the book is the snapshot's, then live
            self.stale = True
            return
        self._gap_task = None
        if self._held:
            self._drain()
