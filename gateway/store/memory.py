"""In-process store: the interface every store implements, and the one tests use."""
from __future__ import annotations

import time


class MemoryStore:
    """``save_sent(seq, raw, reply_to)``: ``reply_to`` is the inbound MsgSeqNum being
    processed when the message was sent (0 if none). A persistent store uses it to
    recover the next expected inbound number after a crash: a message that was
    answered is never asked for again, so a synchronous answer is never duplicated."""

    #: True where ``save_sent`` is durable only once ``sync``'s callback runs (the session holds
    #: the message back until then); False: durable (or as durable as the policy says) at once.
    deferred_sync = False

    def __init__(self):
        self.next_sender_seq = 1
        self.next_target_seq = 1
        self.creation_time = time.time()
        self._sent: dict[int, bytes] = {}

    def save_sent(self, seq: int, raw: bytes, reply_to: int = 0) -> None:
        self._sent[seq] = raw
        self.next_sender_seq = seq + 1

    def get_sent(self, begin: int, end: int) -> list[tuple[int, bytes]]:
        return [(s, self._sent[s]) for s in range(begin, end + 1) if s in self._sent]

    def set_next_target(self, seq: int) -> None:
        self.next_target_seq = seq

    def flush(self) -> None:
        """Make everything durable (no-op in memory)."""

    def sync(self, done) -> None:
        """Call ``done()`` once everything saved so far is durable (here: at once)."""
        done()

    def reset(self) -> None:
        self.next_sender_seq = self.next_target_seq = 1
        self._sent.clear()
        self.creation_time = time.time()

    def refresh(self) -> None:
        """Re-read the state from where it is kept (RefreshOnLogon): in memory, nothing to read."""

    def close(self) -> None:
        pass
