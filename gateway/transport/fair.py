"""Fair reads: at most ``READ_BUDGET`` bytes of one connection handled per turn of the event loop.

libuv (under uvloop) reads a readable socket up to 32 times 256,000 bytes in one loop turn, until
it is empty: with twenty client sockets megabytes behind, one turn took seconds and the venues'
reports, read once a turn, waited that long (docs/gateway/transport.md, "Fair reads"). A protocol
with ``FairReads`` hands a longer read on a budget a turn: the rest is held, the socket's reading
paused inside the read callback (which also ends libuv's loop of reads) and resumed the turn
after the last chunk. Nothing is dropped: the paused socket's kernel buffer fills and TCP pushes
the peer back; what is held is at most one read a connection.
``WIRESPEED_FAIR_READS=0`` turns it off (the "before" of ``make bench-load --unfair``).
"""
from __future__ import annotations

import asyncio
import os
import time

READ_BUDGET = 1 << 16
# A venue connection carries the answers to every client connection's orders: held to one
# client's budget, its reports queued behind the clients' orders (make bench-load: served
# 8,805 -> 5,799 orders/s). It gets sixteen clients' worth; what it sends is bounded by what the
# gateway sent it.
VENUE_READ_BUDGET = 16 * READ_BUDGET
# A read this long: the socket's queue was filling faster than we read it (see ``read_since_ns``).
BACKLOG_READ = 1 << 15
BACKLOG_QUIET_NS = 1_000_000_000   # after the last such read, the backlog is over
FAIR_READS = os.environ.get("WIRESPEED_FAIR_READS", "1") != "0"


def fix_cut(data, budget: int = READ_BUDGET) -> int:
    """Where to cut a long FIX read: after the last frame's end within the budget (SOH, then the
    next frame's "8="), so the next chunk starts with a whole message and the client fast path
    takes it; the budget itself when no frame starts within it (a message longer than it)."""
    k = data.rfind(b"\x018=", 0, budget)
    return k + 1 if k >= 0 else budget


class FairReads:
    """Mixin for an ``asyncio.Protocol``: ``data_received`` hands ``_handle(data, recv_ns)`` at most
    ``read_budget`` bytes a loop turn. The protocol has ``transport`` and calls ``_drop_held()``
    when the connection is lost; ``_cut(data, room)`` says where to cut, at most ``room`` bytes in
    (anywhere by default: the protocol's parser buffers a partial frame)."""

    __slots__ = ()
    _held = b""             # a long read's rest, for the next turns
    _held_ns = 0            # the perf_counter_ns of the read that brought it
    _next = None            # the call_soon handle of the next chunk
    held_turns = 0          # turns a long read's rest was handed on in (fair reads at work)
    read_budget = READ_BUDGET

    _used = 0               # bytes handled this loop turn (counted for reads longer than READ_BUDGET)
    _reset = None           # the call_soon handle that zeroes ``_used`` next turn

    # The receive queue's own backlog (docs/gateway/session.md, "SendingTime and the gateway's own
    # backlog"): ``read_since_ns`` is a perf_counter_ns after which the bytes being handled now were
    # sent. A read of BACKLOG_READ bytes or more says the queue was filling faster than we read
    # it (a backlog; the loopback window is 64 KiB until autotuning grows it). Its bytes, and those
    # of every short read after it until as long as the backlog had lasted (at least
    # BACKLOG_QUIET_NS) passes without another, were sent after the queue was last seen quiet:
    # the last short read before the backlog. (The tail: most of a backlog waits in the sender's
    # send buffer, and its last bytes, as old as the backlog, come in short reads.) Otherwise a
    # short read's bytes arrived since the connection's last read, i.e. about now: its own
    # recv_ns. A compare and two stores a read, no system call.
    read_since_ns = 0       # for the bytes handed to ``_handle`` now (0: not known)
    _empty_ns = 0           # the perf_counter_ns of the last read with the queue quiet
    _tail_ns = 0            # short reads before this perf_counter_ns are a backlog's tail
    _held_since = 0         # ``read_since_ns`` of the held rest

    def _cut(self, data, room: int) -> int:
        return room

    def data_received(self, data: bytes) -> None:
        recv_ns = time.perf_counter_ns()
        if len(data) >= BACKLOG_READ:
            since = self._empty_ns
            self._tail_ns = recv_ns + max(BACKLOG_QUIET_NS, recv_ns - since)
        elif recv_ns < self._tail_ns:
            since = self._empty_ns      # the backlog's tail (see ``read_since_ns``)
        else:
            since = self._empty_ns = recv_ns
        if self._held:      # (a transport that read on while paused: behind the rest, in order)
            self._held += data      # (its bytes keep the rest's older ``_held_since``)
            return
        self.read_since_ns = since
        # A read shorter than READ_BUDGET left the socket empty (libuv reads no more of it this
        # turn; StampedTransport reads once a turn): nothing to count. (The common case: free.)
        if len(data) > READ_BUDGET and FAIR_READS:
            if self._reset is None:
                self._reset = asyncio.get_running_loop().call_soon(self._new_turn)
            room = self.read_budget - self._used
            if len(data) <= room:
                self._used += len(data)
            else:
                # The room now; the rest on the next turns, the socket not read until it is
                # handled (pause_reading inside the read callback also ends libuv's reads).
                cut = self._cut(data, room) if room > 0 else 0
                data, self._held, self._held_ns, self._held_since = data[:cut], data[cut:], recv_ns, since
                self.transport.pause_reading()
                self._next = asyncio.get_running_loop().call_soon(self._next_chunk)
                if not data:
                    return
        self._handle(data, recv_ns)

    def _new_turn(self) -> None:
        self._used, self._reset = 0, None

    def _next_chunk(self) -> None:
        """The next budget of a long read's rest (one a loop turn); reading resumes after the last."""
        self._next = None
        held, t = self._held, self.transport
        if t is None or t.is_closing():
            self._held = b""
            return
        if not held:
            # Callbacks run before the loop polls its sockets: reading resumed along with the last
            # chunk would read this socket again in the same turn.
            t.resume_reading()
            return
        self.held_turns += 1
        if len(held) > self.read_budget:
            cut = self._cut(held, self.read_budget)
            chunk, self._held = held[:cut], held[cut:]
        else:
            chunk, self._held = held, b""
        self._next = asyncio.get_running_loop().call_soon(self._next_chunk)
        self.read_since_ns = self._held_since
        self._handle(chunk, self._held_ns)     # (stamped when the bytes were read, not now)

    def _drop_held(self) -> None:
        if self._reset is not None:
            self._reset.cancel()
            self._reset = None
        if self._next is not None:
            self._next.cancel()
            self._next = None
        self._held, self._used = b"", 0     # (an OUCH venue session reconnects as the same protocol)
        self._tail_ns = self.read_since_ns = 0
        self._empty_ns = time.perf_counter_ns()   # (a new connection's queue: empty)

    def _handle(self, data: bytes, recv_ns: int) -> None:   # pragma: no cover - the protocol's
        raise NotImplementedError
