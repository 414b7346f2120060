"""Message stores: what a session sent (by sequence number) and its next sequence numbers.

``MemoryStore`` keeps everything in process. The interface is what a persistent
store implements too: the session only calls these methods.
"""
from __future__ import annotations

import time


class MemoryStore:
    __slots__ = ("next_sender_seq", "next_target_seq", "creation_time", "_sent")

    def __init__(self):
        self.next_sender_seq = 1
        self.next_target_seq = 1
        self.creation_time = time.time()
        self._sent: dict[int, bytes] = {}

    def save_sent(self, seq: int, raw: bytes) -> None:
        self._sent[seq] = raw

    def get_sent(self, begin: int, end: int) -> list[tuple[int, bytes]]:
        return [(s, self._sent[s]) for s in range(begin, end + 1) if s in self._sent]

    def set_next_target(self, seq: int) -> None:
        self.next_target_seq = seq

    def reset(self) -> None:
        self.next_sender_seq = self.next_target_seq = 1
        self._sent.clear()
        self.creation_time = time.time()
