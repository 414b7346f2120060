"""MoldUDP64, the publisher's side: ``MoldSession`` numbers messages, batches them into packets
and keeps the last ones for retransmission. The codec both sides speak is the gateway's feed
handler's (``wirespeed.gateway.feed.mold``), re-exported here so ``sim.feed.mold`` names stay.
"""
from __future__ import annotations

from collections import deque

from wirespeed.gateway.feed.mold import (END_OF_SESSION, HEADER, MAX_PAYLOAD, REQUEST, MoldError, Packet,  # noqa: F401
                                         decode_packet, decode_request, encode_packet, encode_request,
                                         session_name)


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
