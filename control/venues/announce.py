"""Where a venue says its feed is: the venue's announcement file (service discovery for a venue
that comes back on other ports).

A venue (``sim/venue``'s ``SimVenue`` with ``VenueSpec.announce_path``) writes one JSON object
each time it starts, atomically (a temporary file renamed over the old one, so a reader never
sees half of it)::

    {"venue": "XNAS", "fix_port": 9001, "ouch_port": 0,
     "feed": {"host": "127.0.0.1", "port": 9100, "request_port": 9101, "snapshot_port": 9102,
              "session": "XNAS"}, "started_ns": 1764612345000000000}

With ``VenueSpec.announce_port`` the venue also serves the same object over TCP: a connection to
that port gets it and is closed (a discovery port that stays where it is while the venue's feed
moves). A venue manager whose ``FeedEndpoint.announce`` names the file, or ``tcp://HOST:PORT``,
joins the feed at the ports it announces (they win over the configured ones), and after the
venue restarts (its feed said end of session and its sessions are back) reads it again, so a
venue back on other ports is found. ``parse(raw, where, venue)`` is sans-IO; ``read_feed`` (a
file) and ``fetch`` (either) read it; every problem is a ``ValueError`` naming where and the key.
"""
from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 64 * 1024          # an announcement is a few hundred bytes: a larger file is not one


@dataclass(frozen=True, slots=True)
class FeedAnnouncement:
    venue: str
    host: str
    request_port: int
    snapshot_port: int
    session: str
    started_ns: int


def _port(where: str, key: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 65535:
        raise ValueError(f"{where}: {key}: must be a port 0..65535, not {v!r}")
    return v


def tcp_address(where: str) -> tuple[str, int] | None:
    """(host, port) of a ``tcp://HOST:PORT`` announcement, None for a file path; ValueError if bad."""
    if not where.startswith("tcp://"):
        return None
    host, sep, port = where[len("tcp://"):].rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise ValueError(f"announce: must be a file path or tcp://HOST:PORT, not {where!r}")
    return host, int(port)


def read_feed(path: str | Path, venue: str) -> FeedAnnouncement:
    """The feed the venue ``venue`` announces in the file ``path``."""
    p = Path(path)
    try:
        with open(p, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"{p}: cannot read the venue's announcement: {exc.strerror or exc}") from None
    return parse(raw, str(p), venue)


async def fetch(where: str, venue: str, timeout_s: float = 1.0) -> FeedAnnouncement:
    """The feed ``venue`` announces at ``where``: a file, or ``tcp://HOST:PORT`` (read to its end,
    at most ``MAX_BYTES``, within ``timeout_s``)."""
    addr = tcp_address(where)
    if addr is None:
        return read_feed(where, venue)
    streams = []

    async def exchange() -> bytes:
        reader, writer = await asyncio.open_connection(*addr)
        streams.append(writer)
        raw = b""
        while len(raw) <= MAX_BYTES:
            more = await reader.read(MAX_BYTES + 1 - len(raw))
            if not more:
                break
            raw += more
        return raw

    try:
        # One bound for the whole exchange (a peer dripping a byte at a time cannot hold it longer).
        raw = await asyncio.wait_for(exchange(), timeout_s)
    except (OSError, asyncio.TimeoutError) as exc:
        why = (f"no whole answer within {timeout_s:g} s" if isinstance(exc, asyncio.TimeoutError)
               else (exc.strerror or str(exc)))
        raise ValueError(f"{where}: cannot read the venue's announcement: {why}") from None
    finally:
        for writer in streams:
            writer.close()
    return parse(raw, where, venue)


def parse(raw: bytes, where: str, venue: str) -> FeedAnnouncement:
    """The feed ``venue`` announces in ``raw`` (read from ``where``, named in every error)."""
    p = where
    if len(raw) > MAX_BYTES:
        raise ValueError(f"{p}: over {MAX_BYTES} bytes: not a venue announcement")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{p}: not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{p}: must be a JSON object")
    if data.get("venue") != venue:
        raise ValueError(f"{p}: venue: announces {data.get('venue')!r}, not {venue!r}")
    feed = data.get("feed")
    if not isinstance(feed, dict):
        raise ValueError(f"{p}: feed: required (the venue announces no feed)")
    host, session = feed.get("host", "127.0.0.1"), feed.get("session", "")
    if not isinstance(host, str) or not host:
        raise ValueError(f"{p}: feed.host: must be a host name, not {host!r}")
    if not isinstance(session, str) or len(session) > 10:
        raise ValueError(f"{p}: feed.session: a MoldUDP64 session is at most 10 characters, not {session!r}")
    request = _port(p, "feed.request_port", feed.get("request_port"))
    if not request:
        raise ValueError(f"{p}: feed.request_port: the venue announces no request server (0)")
    started = data.get("started_ns", 0)
    if isinstance(started, bool) or not isinstance(started, int):
        raise ValueError(f"{p}: started_ns: must be an integer, not {started!r}")
    return FeedAnnouncement(venue, host, request, _port(p, "feed.snapshot_port", feed.get("snapshot_port", 0)),
                            session, started)


def write(path: str | Path, data: dict) -> None:
    """Write an announcement atomically (the venue's side)."""
    p = Path(path)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, sort_keys=True) + "\n")
    os.replace(tmp, p)
