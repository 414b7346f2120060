"""In-process store: the interface every store implements, and the one tests use."""
from __future__ import annotations

import time


#: Messages past the window a send through Python lets wait before they are spilled together (the
#: timer's ``flush`` spills the rest): one write for many, not one a message
_SPILL_BATCH = 1024


class MemoryStore:
    """``save_sent(seq, raw, reply_to)``: ``reply_to`` is the inbound MsgSeqNum being
    processed when the message was sent (0 if none). A persistent store uses it to
    recover the next expected inbound number after a crash: a message that was
    answered is never asked for again, so a synchronous answer is never duplicated."""

    #: True where ``save_sent`` is durable only once ``sync``'s callback runs (the session holds
    #: the message back until then); False: durable (or as durable as the policy says) at once.
    deferred_sync = False

    def __init__(self, max_messages: int = 0, window: int = 0, spill=None):
        """``max_messages``: keep only the last that many sent messages (0: all, QuickFIX's memory
        store). A ResendRequest for an older one is answered by a GapFill, as for any message
        not resent; the trimming is done by ``flush`` (the session's timer, about once a second),
        by ``save_sent``, and in the gateway service by its 50-ms latency drain's tick
        (``Gateway._trim_stores``), so the fast path's appends in C (native/store_append.h) are
        trimmed too: the store holds at most ``max_messages`` plus a tick's sends.

        ``spill`` (a ``store.spill.Spill``) with ``max_messages`` 0 and ``window`` > 0: every message
        is kept, but only the last ``window`` in memory (plus a second's sends, or ``_SPILL_BATCH``
        through Python); the older ones are written to the spill's files by the same ``flush`` and
        ``save_sent`` (one write for many) and read back from there by ``get_sent``. A spill that
        fails (a full disk) keeps them in memory and is tried again at the next ``flush``."""
        if isinstance(max_messages, bool) or not isinstance(max_messages, int) or max_messages < 0:
            raise ValueError(f"max_messages: must be a non-negative integer, not {max_messages!r}")
        if isinstance(window, bool) or not isinstance(window, int) or window < 0:
            raise ValueError(f"window: must be a non-negative integer, not {window!r}")
        self.next_sender_seq = 1
        self.next_target_seq = 1
        self.creation_time = time.time()
        self._sent: dict[int, bytes] = {}
        self.max_messages = max_messages
        self._low = 1                  # no message below this number is kept
        self.dropped = 0               # messages let go by the bound (their resend is a GapFill)
        self.window = window
        self._spill = spill if spill is not None and window and not max_messages else None
        self._mem_low = 1              # no message below this number is in memory (the rest: spilled)

    def save_sent(self, seq: int, raw: bytes, reply_to: int = 0) -> None:
        self._sent[seq] = raw
        self.next_sender_seq = seq + 1
        if self.max_messages and len(self._sent) > self.max_messages:
            self.trim()
        elif self._spill is not None and len(self._sent) > self.window + _SPILL_BATCH and not self._spill.failing:
            self.spill()    # (a spill that failed is retried by the timer's flush only: not a write a send)

    def spill(self) -> None:
        """The messages below the last ``window`` numbers written to the spill's files, then let go
        from memory (kept if the write fails: retried at the next ``flush``)."""
        sent, low = self._sent, self.next_sender_seq - self.window
        if self._spill is None or len(sent) <= self.window or low <= self._mem_low:
            return
        if low - self._mem_low > 2 * len(sent):      # (numbers that jumped: only those present)
            items = sorted((k, v) for k, v in sent.items() if k < low)
        else:
            items = [(k, sent[k]) for k in range(self._mem_low, low) if k in sent]
        spill, before = self._spill, self._spill.dropped
        try:
            spill.append(items)
        except OSError:
            return
        finally:
            if spill.dropped != before:        # (numbers that jumped past its span: those let go)
                self.dropped += spill.dropped - before
                self._low = max(self._low, spill.first)
        for k, _ in items:
            del sent[k]
        self._mem_low = low

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
        if seq < self._low or seq < self._mem_low or seq >= self.next_sender_seq:
            return False
        for k in range(seq, self.next_sender_seq):
            self._sent.pop(k, None)
        self.next_sender_seq = seq
        return True

    def get_sent(self, begin: int, end: int) -> list[tuple[int, bytes]]:
        sent = self._sent
        if self._spill is not None and begin < self._mem_low:
            return self._spill.get(begin, min(end, self._mem_low - 1)) + \
                [(s, sent[s]) for s in range(self._mem_low, end + 1) if s in sent]
        return [(s, sent[s]) for s in range(begin, end + 1) if s in sent]

    def set_next_target(self, seq: int) -> None:
        self.next_target_seq = seq

    def flush(self) -> None:
        """Make everything durable (in memory: nothing to write); the bound applied."""
        if self.max_messages:
            self.trim()
        elif self._spill is not None and len(self._sent) > self.window:
            self.spill()

    def sync(self, done) -> None:
        """Call ``done()`` once everything saved so far is durable (here: at once)."""
        done()

    def reset(self) -> None:
        self.next_sender_seq = self.next_target_seq = 1
        self._sent.clear()
        self._low = self._mem_low = 1
        if self._spill is not None:
            self._spill.reset()
        self.creation_time = time.time()

    def refresh(self) -> None:
        """Re-read the state from where it is kept (RefreshOnLogon): in memory, nothing to read."""

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()
