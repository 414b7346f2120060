"""A venue's market data for the control plane: the gateway's feed handler (ITCH 5.0 over
MoldUDP64 with gap recovery and snapshot load, ``wirespeed.gateway.feed``) turned into control's
``Quote`` / ``TradePrint`` records.

``MarketFeed(venue, endpoint, symbols, clock, sink)``: ``start()`` joins the feed (and loads a
snapshot when the endpoint has one); each book event updates the subscriber's books, every
execution is a ``TradePrint`` at once, and each symbol whose book changed gets one ``Quote``
(depth ``levels``) per event-loop turn, not one per event: a burst of a hundred messages in a
packet is one book for the algorithms. ``stale`` / ``lost`` / ``stats`` are the subscriber's
(the venue manager trips the ``feed_stale`` breaker on them).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from wirespeed.enums import Side
from wirespeed.gateway.feed import BookReset, FeedSubscriber, FeedSymbol
from wirespeed.gateway.feed.events import AddOrder, NonDisplayedTrade, OrderDelete, OrderExecuted, OrderReplace

from ..marketdata import Quote, TradePrint
from .announce import fetch
from .endpoints import FeedEndpoint

log = logging.getLogger("wirespeed.control.feed")

#: References whose price is remembered (ITCH's Order Executed carries none): bounded, the
#: oldest go first, so a feed of orders that never leave cannot grow it without end.
MAX_PRICES = 100_000


class MarketFeed:
    def __init__(self, venue: str, endpoint: FeedEndpoint, symbols, clock, sink, *, levels: int = 5):
        self.venue, self.endpoint, self.clock, self.sink, self.levels = venue, endpoint, clock, sink, levels
        self.configured = endpoint           # ``endpoint`` is where it is joined now (announced ports)
        fsyms = [FeedSymbol.of(s.name, s.index, s.tick) for s in symbols]
        self._fsyms = fsyms
        self.subscriber = self._subscriber()
        self.joins = 0
        self._prices: dict[int, int] = {}
        self._dirty: set[str] = set()
        self._seen: set[str] = set()
        self._scheduled = False
        self.quotes = self.prints = 0

    # the venue manager's view (duck-typed as before: stale, lost, stats)
    @property
    def stale(self) -> bool:
        return self.subscriber.stale

    @property
    def lost(self):
        return self.subscriber.lost

    @property
    def stats(self) -> dict:
        return self.subscriber.stats

    @property
    def book(self):
        return self.subscriber.book

    def _subscriber(self) -> FeedSubscriber:
        e = self.endpoint
        return FeedSubscriber(
            self._fsyms, (e.host, e.request_port), session=e.session or self.venue[:10], clock=self.clock,
            on_event=self._on_event, retry_s=e.retry_s, retries=e.retries, max_held=e.max_held,
            snapshot_addr=(e.host, e.snapshot_port) if e.snapshot_port else None)

    @property
    def ended(self) -> bool:
        """The venue said end of session (MoldUDP64 0xFFFF): nothing more comes on this join."""
        return self.subscriber.ended

    async def announced(self) -> FeedEndpoint:
        """Where the venue's announcement (a file, or tcp://HOST:PORT) says its feed is now (the
        configured endpoint with the announced host, ports and session); the configured one
        without one. Raises ValueError naming where and the key."""
        e = self.configured
        if not e.announce:
            return e
        a = await fetch(e.announce, self.venue)
        return replace(e, host=a.host, request_port=a.request_port, snapshot_port=a.snapshot_port,
                       session=a.session or e.session)

    async def rejoin(self) -> None:
        """Join the feed again from scratch (a venue restarted: a new day of sequence numbers, on
        the same ports or, read from its announcement, on the ones it has now); the books are
        rebuilt (snapshot, or the day from sequence 1) and every symbol seen is quoted again,
        empty until then. Raises ValueError (a bad announcement) before leaving the old join."""
        endpoint = await self.announced()
        await self.subscriber.stop()
        if endpoint != self.endpoint:
            log.warning("venue %s: feed moved to %s:%d (snapshot %d), as the venue announces", self.venue,
                        endpoint.host, endpoint.request_port, endpoint.snapshot_port)
            self.endpoint = endpoint
        self._prices.clear()
        self._dirty.update(self._seen)
        self.subscriber = self._subscriber()
        await self.start()
        if self._dirty and not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._publish)

    async def start(self) -> None:
        if self.joins == 0 and self.configured.announce:
            self.endpoint = await self.announced()    # the first join: where the venue says it is
            self.subscriber = self._subscriber()
        await self.subscriber.start()
        self.joins += 1
        log.info("venue %s: feed joined at %s:%d (session %s)", self.venue, self.endpoint.host,
                 self.endpoint.request_port, self.subscriber.session.decode().strip())

    async def stop(self) -> None:
        await self.subscriber.stop()

    def _on_event(self, ev) -> None:
        t = type(ev)
        prices = self._prices
        if t is AddOrder:
            prices[ev.order_id] = ev.price
        elif t is OrderReplace:
            prices.pop(ev.old_order_id, None)
            prices[ev.new_order_id] = ev.price
        elif t is OrderDelete:
            prices.pop(ev.order_id, None)
        elif t is OrderExecuted or t is NonDisplayedTrade:
            px = ev.price or prices.get(getattr(ev, "order_id", -1), 0)
            if px:
                self.prints += 1
                self.sink(TradePrint(self.venue, ev.symbol, self.clock.time_ns(), px, ev.qty))
        elif t is BookReset:             # a snapshot replaces every book: each one seen is quoted again
            prices.clear()
            self._dirty.update(self._seen)
        if len(prices) > MAX_PRICES:
            for k in list(prices)[:MAX_PRICES // 10]:
                del prices[k]
        symbol = getattr(ev, "symbol", None)
        if symbol:
            self._dirty.add(symbol)
            self._seen.add(symbol)
        if self._dirty and not self._scheduled:
            self._scheduled = True
            try:
                asyncio.get_running_loop().call_soon(self._publish)
            except RuntimeError:          # no loop (a test feeding events by hand): at once
                self._publish()

    def _publish(self) -> None:
        self._scheduled = False
        dirty, self._dirty = self._dirty, set()
        now = self.clock.time_ns()
        for symbol in sorted(dirty):
            book = self.subscriber.book.book(symbol)
            self.quotes += 1
            self.sink(Quote(self.venue, symbol, now, tuple(book.depth(Side.BUY, self.levels)),
                            tuple(book.depth(Side.SELL, self.levels))))
