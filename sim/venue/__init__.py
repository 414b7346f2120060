"""Simulated venues: a book per symbol behind a FIX 4.4 acceptor (on gateway/) and an OUCH 5.0 /
SoupBinTCP front end, a venue-side latency model, and an ITCH 5.0 / MoldUDP64 feed.

    venue = SimVenue(spec)                    # a VenueSpec (sim/venue/config.py)
    await venue.start()                       # FIX, OUCH, feed and request server listen
    venue.port, venue.ouch_port, venue.feed.port, venue.feed.request_port, venue.feed.snapshot_port
    venue.feed.subscribe(sink)                # in process: every book event

``SimVenue(VenueConfig, SymbolTable)`` (the demo's one-venue config) still works. A FIX
session's numbers and sent messages outlive its connection (``spec.store_path``: on disk, so
they outlive the venue too; fix.py); ``spec.announce_path``: where the venue announces its ports
at each start (control/venues/announce.py's format).
"""
from __future__ import annotations

import asyncio
import json
import logging

from wirespeed.clock import WALL, Clock, now_ns
from wirespeed.control.venues import announce as announcement
from wirespeed.config import VenueConfig
from wirespeed.symbols import SymbolTable

from ..feed import FeedPublisher, FeedSymbol
from .config import LatencyModel, MarketSpec, VenueSpec, VenueSymbol, load_market
from .core import VenueCore, VenueReject
from .fix import FixFront
from .latency import VenueLatency
from .ouch import OuchFront

log = logging.getLogger("wirespeed.venue")

__all__ = ["LatencyModel", "MarketSpec", "SimVenue", "VenueCore", "VenueReject", "VenueSpec", "VenueSymbol",
           "load_market"]


class SimVenue:
    def __init__(self, spec: VenueSpec | VenueConfig, symbols: SymbolTable | None = None, *, levels: int = 5,
                 level_qty: int = 500, heartbeat_s: int | None = None, clock: Clock = WALL):
        if isinstance(spec, VenueConfig):
            spec = VenueSpec.from_venue_config(spec, symbols, levels=levels, level_qty=level_qty)
        if heartbeat_s is not None:
            from dataclasses import replace
            spec = replace(spec, heartbeat_s=heartbeat_s)
        self.spec, self.config, self.clock = spec, spec, clock
        self.feed: FeedPublisher | None = None
        if spec.feed.enabled:
            self.feed = FeedPublisher([FeedSymbol.of(s.name, s.index, s.tick) for s in spec.symbol_table()],
                                      session=spec.feed.session, clock=clock, retain=spec.feed.retain,
                                      rate=spec.feed.request_rate, heartbeat_s=spec.feed.heartbeat_s, host=spec.host)
        self.core = VenueCore(spec, clock=clock, sink=self.feed)
        self.symbols = self.core.symbols
        self.books = self.core.books
        self.stats = self.core.stats
        self.latency = VenueLatency(spec.latency)
        self.fix = FixFront(self.core, self.latency, spec.host, spec.fix_port)
        self.ouch = OuchFront(self.core, self.latency, spec.host, spec.ouch_port, spec.ouch_users) if spec.ouch \
            else None
        self.acceptor = self.fix.acceptor
        self._announcement = b""
        self._announcer = None           # the TCP server of spec.announce_port

    async def start(self) -> int:
        """Open every front end and the feed, then quote; returns the FIX port. With
        ``spec.announce_path`` the ports are announced there (before the FIX front opens, so a
        counterparty that logs on finds the feed's ports already said; again once all are open)."""
        if self.feed is not None:
            await self.feed.start()
        self.announce()
        if self.spec.announce_port:
            self._announcer = await asyncio.start_server(self._serve_announcement, self.spec.host,
                                                         self.spec.announce_port)
        self.core.start()
        await self.fix.start()
        if self.ouch is not None:
            await self.ouch.start()
        self.announce()
        return self.port

    async def _serve_announcement(self, reader, writer) -> None:
        # Written at once and closed: nothing is read, so a client cannot hold the venue up.
        try:
            writer.write(self._announcement)
            await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    def announce(self) -> None:
        """Where this venue listens: to ``spec.announce_path`` (atomically) and for the TCP
        ``spec.announce_port`` (the format is control/venues/announce.py's)."""
        if not self.spec.announce_path and not self.spec.announce_port:
            return
        data = {"venue": self.spec.name, "fix_port": self.fix.acceptor.port or self.spec.fix_port,
                "ouch_port": (self.ouch.port or 0) if self.ouch is not None else 0, "started_ns": now_ns()}
        if self.feed is not None:
            data["feed"] = {"host": self.spec.host, "port": self.feed.port, "request_port": self.feed.request_port,
                            "snapshot_port": self.feed.snapshot_port or 0, "session": self.spec.feed.session}
        self._announcement = (json.dumps(data, sort_keys=True) + "\n").encode()
        if self.spec.announce_path:
            announcement.write(self.spec.announce_path, data)

    async def stop(self) -> None:
        if self._announcer is not None:
            self._announcer.close()
            await self._announcer.wait_closed()
            self._announcer = None
        await self.fix.stop()
        if self.ouch is not None:
            await self.ouch.stop()
        if self.feed is not None:
            await self.feed.stop()
        self.latency.close()

    @property
    def port(self) -> int:
        return self.fix.port

    @property
    def ouch_port(self) -> int | None:
        return self.ouch.port if self.ouch is not None else None

    def describe(self) -> str:
        """Where this venue listens, one line."""
        h = self.spec.host
        parts = [f"{self.spec.name:<10} FIX {h}:{self.port} (CompID {self.spec.comp_id})"]
        if self.ouch is not None:
            parts.append(f"OUCH {h}:{self.ouch_port}")
        if self.feed is not None:
            parts.append(f"ITCH feed udp {h}:{self.feed.port} request server udp {h}:{self.feed.request_port}"
                         f" snapshot tcp {h}:{self.feed.snapshot_port} (session {self.spec.feed.session})")
        return "  ".join(parts)
