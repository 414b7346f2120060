"""The feed's snapshot service for late joiners: a venue's displayed book, as ITCH Add Order
messages, with the sequence number it is valid at, over TCP on loopback.

A subscriber that joins mid-day cannot replay the day once the request server's buffer has
moved on. It joins the live stream first (holding what arrives), asks the snapshot server,
builds its book from the answer, and applies the held and later live messages from the
snapshot's sequence number on, requesting any gap as usual.

Wire (wirespeed's; MoldUDP64 packets reused, framed for TCP as SoupBinTCP frames are):
request = one MoldUDP64 request (Session | Sequence 0 | Count 0, 20 bytes); answer =
frames of (Length u16 | MoldUDP64 packet), every packet's Sequence = S, the sequence number
of the first live message *not* in the snapshot, its messages the Stock Directory (R) and
one Add Order (A) per resting displayed order, price levels in any order, each level's
orders in time priority; then an end-of-session packet (Count 0xFFFF, Sequence S); then the
server closes. A malformed request or a wrong session is closed without an answer.

This is the wire, its reader and the client's fetch; the server (bounded: clients, timeouts,
buffered bytes) is the venue's side, ``sim/feed/snapshot.py``.
"""
from __future__ import annotations

import asyncio
import struct

from .mold import HEADER, MAX_PAYLOAD, MoldError, Packet, decode_packet, encode_packet, encode_request

_FRAME = struct.Struct(">H")
MAX_SNAPSHOT_BYTES = 64 << 20


def encode_snapshot(session: bytes, seq: int, messages: list[bytes], max_payload: int = MAX_PAYLOAD) -> bytes:
    """The framed answer: packets of ``messages`` (each numbered ``seq``), then the end packet."""
    out, batch, size = [], [], HEADER.size
    for m in messages:
        if size + 2 + len(m) > max_payload and batch:
            out.append(encode_packet(session, seq, batch))
            batch, size = [], HEADER.size
        batch.append(m)
        size += 2 + len(m)
    if batch:
        out.append(encode_packet(session, seq, batch))
    out.append(encode_packet(session, seq, end=True))
    return b"".join(_FRAME.pack(len(p)) + p for p in out)


class SnapshotReader:
    """Sans-IO: bytes of an answer in, ``done`` / ``seq`` / ``messages`` out; raises MoldError
    on a frame that is not a packet of the session or disagrees on the sequence number."""

    def __init__(self, session: bytes, max_bytes: int = MAX_SNAPSHOT_BYTES):
        self.session, self.max_bytes = session, max_bytes
        self.buf = bytearray()
        self.seq: int | None = None
        self.messages: list[bytes] = []
        self.done = False
        self.total = 0

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        if self.total > self.max_bytes:
            raise MoldError(f"snapshot: more than {self.max_bytes} bytes")
        self.buf += data
        while len(self.buf) >= 2 and not self.done:
            (n,) = _FRAME.unpack_from(self.buf)
            if len(self.buf) < 2 + n:
                return
            packet = decode_packet(bytes(self.buf[2:2 + n]))
            del self.buf[:2 + n]
            self._packet(packet)

    def _packet(self, packet: Packet) -> None:
        if packet.session != self.session:
            raise MoldError(f"snapshot: session {packet.session!r}, asked for {self.session!r}")
        if self.seq is None:
            self.seq = packet.seq
        elif packet.seq != self.seq:
            raise MoldError(f"snapshot: packet says sequence {packet.seq}, the snapshot is at {self.seq}")
        if packet.end:
            self.done = True
        else:
            self.messages.extend(packet.messages)


async def fetch_snapshot(addr: tuple[str, int], session: bytes, timeout: float = 5.0,
                         max_bytes: int = MAX_SNAPSHOT_BYTES) -> tuple[int, list[bytes]]:
    """Ask the snapshot server at ``addr``: (the sequence number it is valid at, its messages).
    Raises OSError, asyncio.TimeoutError or MoldError."""
    async def run():
        reader, writer = await asyncio.open_connection(*addr)
        try:
            writer.write(encode_request(session, 0, 0))
            snap = SnapshotReader(session, max_bytes)
            while not snap.done:
                data = await reader.read(65536)
                if not data:
                    raise MoldError("snapshot: the server closed before the end of the snapshot")
                snap.feed(data)
            return snap.seq, snap.messages
        finally:
            writer.close()
    return await asyncio.wait_for(run(), timeout)
