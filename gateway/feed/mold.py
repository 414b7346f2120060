"""MoldUDP64 (NASDAQ), sans-IO: the packet and request codec both sides speak.

The publisher's sequencing and retransmission buffer (``MoldSession``) is the venue's side and
stays in ``sim/feed/mold.py``; a subscriber needs only this.

Downstream packet: Session (10 alpha) | Sequence Number u64 (of the first message) |
Message Count u16 | count x (Message Length u16 | message). Count 0 is a heartbeat
(Sequence = the next message's), 0xFFFF the end of session. A request (to the
retransmission server) is Session | Sequence Number | Requested Message Count; the answer
is an ordinary packet starting at the requested sequence with as many messages as fit.
"""
from __future__ import annotations

import struct
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
