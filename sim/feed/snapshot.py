"""The feed's snapshot *server* for late joiners (the venue's side): a venue's displayed book as
ITCH Add Order messages with the sequence number it is valid at, over TCP on loopback.

The wire (request, framed answer), its reader and the client's ``fetch_snapshot`` are the
gateway's feed handler's (``wirespeed.gateway.feed.snapshot``, which documents the format),
re-exported here.

Bounded: ``max_clients`` connections at once (more are closed at once), a connection that
sends no request within ``request_timeout_s`` is closed, and an answer is at most the book
(``max_bytes`` a fetch on the client side). A connection counts against ``max_clients`` until
it is gone (``connection_lost``), not until its answer is handed to the transport: a peer that
never reads keeps its socket, descriptor and the answer's bytes alive, so it is aborted if its
answer has not drained within ``send_timeout_s``, and the answers still held for all clients
together stay under ``max_buffered_bytes`` (a request beyond it is refused, logged with why).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Callable

from wirespeed.gateway.feed.mold import HEADER, MoldError, decode_request
from wirespeed.gateway.feed.snapshot import (MAX_SNAPSHOT_BYTES, SnapshotReader, encode_snapshot,  # noqa: F401
                                             fetch_snapshot)

log = logging.getLogger("wirespeed.feed.snapshot")


class SnapshotServer:
    """Answers snapshot requests with ``build()`` -> (sequence, messages), computed when asked."""

    def __init__(self, session: bytes, build: Callable[[], tuple[int, list[bytes]]], *, max_clients: int = 8,
                 request_timeout_s: float = 2.0, send_timeout_s: float = 10.0,
                 max_buffered_bytes: int = 2 * MAX_SNAPSHOT_BYTES):
        for name, value in (("max_clients", max_clients), ("max_buffered_bytes", max_buffered_bytes)):
            if type(value) is not int or value < 1:
                raise ValueError(f"SnapshotServer: {name} must be a positive integer, not {value!r}")
        for name, value in (("request_timeout_s", request_timeout_s), ("send_timeout_s", send_timeout_s)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < float("inf"):
                raise ValueError(f"SnapshotServer: {name} must be a positive number of seconds, not {value!r}")
        self.session, self.build = session, build
        self.max_clients, self.request_timeout_s = max_clients, request_timeout_s
        self.send_timeout_s, self.max_buffered_bytes = send_timeout_s, max_buffered_bytes
        self.clients: set[_SnapshotConn] = set()
        self.buffered = 0                   # bytes of answers written to connections not yet gone
        self.stats = {"snapshots": 0, "refused": 0, "aborted": 0}
        self._server: asyncio.AbstractServer | None = None
        self.port = 0

    async def start(self, host: str, port: int = 0) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _SnapshotConn(self), host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for c in list(self.clients):
            c.abort()                       # shutting down: no waiting for slow readers

    def refuse(self, peer, reason: str) -> None:
        self.stats["refused"] += 1
        log.warning("snapshot request from %s refused: %s", peer, reason)

    def answer(self, data: bytes) -> bytes | None:
        """The answer to one request, or None (refused)."""
        try:
            session, seq, count = decode_request(data)
        except MoldError as exc:
            log.info("snapshot request refused: %s", exc)
            self.stats["refused"] += 1
            return None
        if session != self.session or seq != 0 or count != 0:
            self.stats["refused"] += 1
            return None
        at, messages = self.build()
        self.stats["snapshots"] += 1
        return encode_snapshot(self.session, at, messages)


class _SnapshotConn(asyncio.Protocol):
    def __init__(self, server: SnapshotServer):
        self.server = server
        self.transport = None
        self.buf = b""
        self._timer = None
        self.answered = False
        self.reserved = 0                   # this connection's share of server.buffered
        self.peer = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.peer = transport.get_extra_info("peername")
        server = self.server
        if len(server.clients) >= server.max_clients:
            server.refuse(self.peer, f"{len(server.clients)} snapshot clients connected, max_clients is "
                                     f"{server.max_clients}")
            transport.close()
            return
        server.clients.add(self)
        self._timer = asyncio.get_running_loop().call_later(server.request_timeout_s, self.close)

    def data_received(self, data: bytes) -> None:
        if self.answered:
            return
        self.buf += data
        if len(self.buf) < HEADER.size:
            return
        self.answered = True
        if self._timer is not None:
            self._timer.cancel()
        server = self.server
        if server.buffered >= server.max_buffered_bytes:      # refuse before building
            self._over_cap(0)
            return
        answer = server.answer(self.buf) if len(self.buf) == HEADER.size else server.answer(b"")
        if answer is None:
            self.close()
            return
        if server.buffered + len(answer) > server.max_buffered_bytes:
            self._over_cap(len(answer))
            return
        # Held until connection_lost: the transport (and the kernel) keep the bytes until the peer reads.
        self.reserved = len(answer)
        server.buffered += self.reserved
        self.transport.write(answer)
        self._timer = asyncio.get_running_loop().call_later(server.send_timeout_s, self._send_deadline)
        self.transport.close()              # (after what was written is sent)

    def _over_cap(self, size: int) -> None:
        s = self.server
        self.server.refuse(self.peer, f"{s.buffered} bytes of snapshots are still being sent to other clients; "
                                      f"another {size} would pass max_buffered_bytes {s.max_buffered_bytes}")
        self.close()

    def _send_deadline(self) -> None:
        self.server.stats["aborted"] += 1
        left = self.transport.get_write_buffer_size() if self.transport is not None else 0
        log.warning("snapshot client %s did not take its %d-byte answer within send_timeout_s %s "
                    "(%d bytes unsent): aborted", self.peer, self.reserved, self.server.send_timeout_s, left)
        self.abort()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc) -> None:
        # Only now are socket, descriptor and buffered answer gone: the connection stops counting.
        self.server.clients.discard(self)
        self.server.buffered -= self.reserved
        self.reserved = 0
        if self._timer is not None:
            self._timer.cancel()


__all__ = ["SnapshotReader", "SnapshotServer", "encode_snapshot", "fetch_snapshot"]
