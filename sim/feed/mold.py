"""MoldUDP64 (NASDAQ), sans-IO: packets, the publisher's sequencing and its retransmission buffer.

Downstream packet: Session (10 alpha) | Sequence Number u64 (of the first message) |
Message Count u16 | count x (Message Length u16 | message). Count 0 is a heartbeat
(Sequence = the next message's), 0xFFFF the end of session. A request (to the
retransmission server) is Session | Sequence Number | Requested Message Count; the answer
is an ordinary packet starting at the requested sequence with as many messages as fit.
"""
from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass

HEADER = struct.Struct(">10sQH")
REQUEST = HEADER
END_OF_SESSION = 0xFFFF
MAX_PAYLOAD = 1400           # fits an Ethernet MTU with IP/UDP headers, as MoldUDP64 feeds do
_LEN = struct.Struct(">H")


class MoldError(ValueError):
    """A malformed packet or request; the text says what is wrong."""


@dataclass(frozen=True, slots=True)
class Packet:
    session: bytes
    seq: int
    messages: tuple[bytes, ...]
    end: bool = False

    @property
    def count(self) -> int:
        return len(self.messages)


def session_name(name: str) -> bytes:
    raw = name.encode("ascii")
    if not raw or len(raw) > 10:
        raise MoldError(f"session: 1..10 ASCII characters, not {name!r}")
    return raw.ljust(10)


def encode_packet(session: bytes, seq: int, messages: list[bytes] | tuple[bytes, ...] = (), *,
                  end: bool = False) -> bytes:
    out = [HEADER.pack(session, seq, END_OF_SESSION if end else len(messages))]
    for m in messages:
        out.append(_LEN.pack(len(m)))
        out.append(m)
    return b"".join(out)


def decode_packet(data: bytes) -> Packet:
    if len(data) < HEADER.size:
        raise MoldError(f"packet: {len(data)} bytes, shorter than the 20-byte header")
    session, seq, count = HEADER.unpack_from(data)
    if count == END_OF_SESSION:
        return Packet(session, seq, (), True)
    msgs, off = [], HEADER.size
    for i in range(count):
        if off + 2 > len(data):
            raise MoldError(f"packet: message {i + 1} of {count} has no length (packet ends at {len(data)})")
        (n,) = _LEN.unpack_from(data, off)
        if off + 2 + n > len(data):
            raise MoldError(f"packet: message {i + 1} of {count} says {n} bytes, {len(data) - off - 2} left")
        msgs.append(data[off + 2:off + 2 + n])
        off += 2 + n
    if off != len(data):
        raise MoldError(f"packet: {len(data) - off} bytes after the {count} messages")
    return Packet(session, seq, tuple(msgs))


def encode_request(session: bytes, seq: int, count: int) -> bytes:
    return REQUEST.pack(session, seq, count)


def decode_request(data: bytes) -> tuple[bytes, int, int]:
    if len(data) != REQUEST.size:
        raise MoldError(f"request: {len(data)} bytes, MoldUDP64 requests are 20")
    return REQUEST.unpack(data)


class MoldSession:
    """The publisher's side: numbers messages, batches them into packets, keeps the last
    ``retain`` messages for retransmission (older ones can no longer be requested)."""

    def __init__(self, session: str, *, retain: int = 100_000, max_payload: int = MAX_PAYLOAD):
        if retain < 1:
            raise ValueError(f"retain: must be >= 1, not {retain!r}")
        self.session = session_name(session)
        self.next_seq = 1
        self.max_payload = max_payload
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._retained: deque[bytes] = deque(maxlen=retain)

    @property
    def first_retained(self) -> int:
        return self.next_seq - len(self._retained)

    def add(self, message: bytes) -> bytes | None:
        """Queue one message; returns a full packet to send first if it would not fit."""
        if len(message) + 2 + HEADER.size > self.max_payload:
            raise MoldError(f"message: {len(message)} bytes do not fit a {self.max_payload}-byte packet")
        out = None
        if self._pending_bytes + 2 + len(message) + HEADER.size > self.max_payload:
            out = self.flush()
        self._pending.append(message)
        self._pending_bytes += 2 + len(message)
        return out

    @property
    def pending(self) -> int:
        """How many messages are queued (not yet numbered); ``amend`` takes their index."""
        return len(self._pending)

    def amend(self, index: int, message: bytes | None) -> None:
        """Replace a queued message (None drops it): it has no sequence number yet, so no
        subscriber can have seen it."""
        old = self._pending[index]
        if old is None:
            raise MoldError(f"amend: queued message {index} was already dropped")
        new_bytes = 0 if message is None else 2 + len(message)
        if message is not None and len(message) > len(old):
            raise MoldError(f"amend: a {len(message)}-byte message cannot replace {len(old)} bytes in the packet")
        self._pending[index] = message
        self._pending_bytes += new_bytes - 2 - len(old)

    def flush(self) -> bytes | None:
        """The packet of every queued message (numbered now), or None if none is queued."""
        msgs = [m for m in self._pending if m is not None]
        self._pending, self._pending_bytes = [], 0
        if not msgs:
            return None
        seq = self.next_seq
        self.next_seq += len(msgs)
        self._retained.extend(msgs)
        return encode_packet(self.session, seq, msgs)

    def heartbeat(self) -> bytes:
        return encode_packet(self.session, self.next_seq)

    def end_of_session(self) -> bytes:
        return encode_packet(self.session, self.next_seq, end=True)

    def retransmit(self, seq: int, count: int) -> bytes | None:
        """The answer to a request: messages from ``seq`` as fit one packet, or None if ``seq``
        is no longer (or not yet) retained."""
        first = self.first_retained
        if count < 1 or seq < first or seq >= self.next_seq:
            return None
        msgs, size = [], HEADER.size
        for i in range(seq - first, min(seq - first + count, len(self._retained))):
            m = self._retained[i]
            if size + 2 + len(m) > self.max_payload:
                break
            msgs.append(m)
            size += 2 + len(m)
        return encode_packet(self.session, seq, msgs)
