"""SoupBinTCP 4.0, the client side, sans-IO: login, framing, the sequence number, heartbeats.

Packets are Packet Length u16 (bytes that follow) | Packet Type | payload. The client sends
L Login Request (Username 6, Password 10, Requested Session 10, Requested Sequence Number
20), U Unsequenced Data, R Client Heartbeat, O Logout Request; it reads A Login Accepted
(Session 10, Sequence Number 20), J Login Rejected, S Sequenced Data, H Server Heartbeat,
Z End of Session, + Debug. ``next_seq`` is the number of the next Sequenced Data message:
logging in again with it makes the server replay what was missed while away.
"""
from __future__ import annotations

import struct

_LEN = struct.Struct(">H")
MAX_PACKET = 1024                      # OUCH messages are < 200 bytes; more is a broken peer


class SoupError(ValueError):
    """A peer broke SoupBinTCP framing; the text says how (the connection is then closed)."""


def packet(kind: bytes, payload: bytes = b"") -> bytes:
    return _LEN.pack(len(payload) + 1) + kind + payload


class FrameReader:
    """Bytes in -> (type, payload) packets out; bounded (a packet over MAX_PACKET is an error)."""
    __slots__ = ("_buf",)

    def __init__(self):
        self._buf = bytearray()

    def clear(self) -> None:
        """Drop a partial packet (a new connection starts a new stream)."""
        self._buf.clear()

    def feed(self, data: bytes) -> list[tuple[bytes, bytes]]:
        buf = self._buf
        buf += data
        out, off = [], 0
        while len(buf) - off >= 2:
            (n,) = _LEN.unpack_from(buf, off)
            if n == 0 or n > MAX_PACKET:
                raise SoupError(f"packet length {n} (1..{MAX_PACKET})")
            if len(buf) - off - 2 < n:
                break
            out.append((bytes(buf[off + 2:off + 3]), bytes(buf[off + 3:off + 2 + n])))
            off += 2 + n
        del buf[:off]
        return out


class SoupClient:
    def __init__(self, username: str, password: str, session: str = ""):
        if not 1 <= len(username) <= 6 or len(password) > 10 or len(session) > 10:
            raise ValueError("SoupBinTCP: username 1..6, password and session at most 10 characters")
        self.username, self.password, self.session = username, password, session
        self.next_seq = 1
        self.logged_in = False
        self._frames = FrameReader()

    def login(self) -> bytes:
        """The Login Request for a (re)connection: from the next message not yet seen."""
        self._frames.clear()
        self.logged_in = False
        return packet(b"L", self.username.ljust(6).encode() + self.password.ljust(10).encode()
                      + self.session.ljust(10).encode() + str(self.next_seq).rjust(20).encode())

    @staticmethod
    def heartbeat() -> bytes:
        return packet(b"R")

    @staticmethod
    def unsequenced(message: bytes) -> bytes:
        return packet(b"U", message)

    def feed(self, data: bytes) -> list[tuple[str, bytes]]:
        """Bytes in -> events: ("login", session), ("refused", reason), ("data", payload),
        ("heartbeat", b""), ("end", b""), ("debug", text). Raises SoupError."""
        out = []
        for kind, payload in self._frames.feed(data):
            if kind == b"S":
                self.next_seq += 1
                out.append(("data", payload))
            elif kind == b"A":
                seq = payload[10:30].strip()
                if len(payload) != 30 or not seq.isdigit():
                    raise SoupError(f"Login Accepted: bad payload {payload!r}")
                self.next_seq, self.logged_in = int(seq), True
                out.append(("login", payload[:10].strip()))
            elif kind == b"J":
                out.append(("refused", payload))
            elif kind == b"H":
                out.append(("heartbeat", b""))
            elif kind == b"Z":
                out.append(("end", b""))
            elif kind == b"+":
                out.append(("debug", payload))
            else:
                raise SoupError(f"packet type {kind!r} is not one a SoupBinTCP server sends")
        return out
