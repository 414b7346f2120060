"""SoupBinTCP 4.0, the server side, sans-IO: framing, login, sequencing, heartbeats.

Every packet is Packet Length u16 (bytes that follow) | Packet Type | payload.

client -> server: L Login Request (Username 6, Password 10, Requested Session 10,
Requested Sequence Number 20; alpha left-justified, the numbers right-justified, space
padded), U Unsequenced Data, R Client Heartbeat, O Logout Request.
server -> client: A Login Accepted (Session 10, Sequence Number 20: the next one),
J Login Rejected (A not authorized, S session not available), S Sequenced Data,
H Server Heartbeat, Z End of Session, + Debug.

The sequenced stream of a session (the venue's answers) is kept, bounded, so a client
logging in again with a Requested Sequence Number gets the messages it missed.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

# SoupBinTCP framing is defined once, beside the gateway's client side.
from wirespeed.gateway.ouch.soup import MAX_PACKET, FrameReader, SoupError, packet  # noqa: F401

LOGIN_PAYLOAD = 46
NOT_AUTHORIZED, SESSION_UNAVAILABLE = b"A", b"S"


@dataclass(frozen=True, slots=True)
class Login:
    username: str
    password: str
    session: str
    sequence: int          # 0: from the current end; n: replay from n


def parse_login(payload: bytes) -> Login:
    if len(payload) != LOGIN_PAYLOAD:
        raise SoupError(f"login request: {len(payload)} payload bytes, SoupBinTCP 4.0 says {LOGIN_PAYLOAD}")
    text = payload.decode("ascii", "replace")
    seq = text[26:46].strip()
    if seq and not seq.isdigit():
        raise SoupError(f"login request: requested sequence number {seq!r} is not a number")
    return Login(text[0:6].strip(), text[6:16].strip(), text[16:26].strip(), int(seq or 0))


def login_request(username: str, password: str, session: str = "", sequence: int = 0) -> bytes:
    """The client's Login Request packet (for tests and the gateway's use)."""
    return packet(b"L", username.ljust(6).encode() + password.ljust(10).encode() + session.ljust(10).encode() +
                  str(sequence).rjust(20).encode())


class SequencedStream:
    """The server's numbered messages of one session, the last ``retain`` kept for replay."""

    def __init__(self, session: str, retain: int = 100_000):
        self.session = session
        self.next_seq = 1
        self._kept: deque[bytes] = deque(maxlen=retain)

    def add(self, message: bytes) -> bytes:
        self.next_seq += 1
        self._kept.append(message)
        return packet(b"S", message)

    def accepted(self, requested: int) -> tuple[bytes, list[bytes]]:
        """Login Accepted for ``requested`` (0: the current end) and the packets to replay."""
        first_kept = self.next_seq - len(self._kept)
        start = self.next_seq if requested == 0 else max(min(requested, self.next_seq), first_kept)
        replay = [packet(b"S", self._kept[i - first_kept]) for i in range(start, self.next_seq)]
        return packet(b"A", self.session.ljust(10).encode() + str(start).rjust(20).encode()), replay
