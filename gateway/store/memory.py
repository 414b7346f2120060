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

    def __init__(self, max_messages: int = 0):
        """``max_messages``: keep only the last that many sent messages (0: all, QuickFIX's memory
        store). A ResendRequest for an older one is answered by a GapFill, as for any message
        not resent; the trimming is done by ``flush`` (the session's timer, about once a second)
        and by ``save_sent``, so the fast path's appends in C (native/store_append.h) are
        trimmed too: the store holds at most ``max_messages`` plus a second's sends."""
        if isinstance(max_messages, bool) or not isinstance(max_messages, int) or max_messages < 0:
            raise ValueError(f"max_messages: must be a non-negative integer, not {max_messages!r}")
        self.next_sender_seq = 1
        self.next_target_seq = 1
        self.creation_time = time.time()
        self._sent: dict[int, bytes] = {}
        self.max_messages = max_messages
        self._low = 1                  # no message below this number is kept
        self.dropped = 0               # messages let go by the bound (their resend is a GapFill)

    def save_sent(self, seq: int, raw: bytes, reply_to: int = 0) -> None:
        self._sent[seq] = raw
        self.next_sender_seq = seq + 1
        if self.max_messages and len(self._sent) > self.max_messages:
            self.trim()

    def trim(self) -> None:
        """Let go the messages below the last ``max_messages`` numbers (oldest first)."""
        keep = self.max_messages
        sent = self._sent
        if not keep or len(sent) <= keep:
            return
        low = self.next_sender_seq - keep
        if low - self._low > 2 * len(sent):      # (numbers that jumped: one pass, not one pop a number)
            before = len(sent)
            self._sent = sent = {k: v for k, v in sent.items() if k >= low}
            self.dropped += before - len(sent)
        else:
            pop, n = sent.pop, 0
            for k in range(self._low, low):
                if pop(k, None) is not None:
                    n += 1
            self.dropped += n
        self._low = max(self._low, low)

    def take_back(self, seq: int) -> bool:
        """Forget the messages numbered ``seq`` on (the last sent: the wire never had them,
        Session.take_back); the next number is ``seq`` again. False (nothing changed) if the
        bound has let one of them go."""
        if seq < self._low or seq >= self.next_sender_seq:
            return False
        for k in range(seq, self.next_sender_seq):
            self._sent.pop(k, None)
        self.next_sender_seq = seq
        return True

    def get_sent(self, begin: int, end: int) -> list[tuple[int, bytes]]:
        return [(s, self._sent[s]) for s in range(begin, end + 1) if s in self._sent]

    def set_next_target(self, seq: int) -> None:
        self.next_target_seq = seq

    def flush(self) -> None:
        """Make everything durable (in memory: nothing to write); the bound applied."""
        if self.max_messages:
            self.trim()

    def sync(self, done) -> None:
        """Call ``done()`` once everything saved so far is durable (here: at once)."""
        done()

    def reset(self) -> None:
        self.next_sender_seq = self.next_target_seq = 1
        self._sent.clear()
        self._low = 1
        self.creation_time = time.time()

    def refresh(self) -> None:
        """Re-read the state from where it is kept (RefreshOnLogon): in memory, nothing to read."""

    def close(self) -> None:
        pass
