"""A thin asyncio Protocol between a socket and a sans-IO Session.

All protocol logic lives in the Session; this class stamps the receive time,
forwards bytes, and honours write flow control. Only ordinary BSD sockets are
used (no raw sockets, no custom syscalls), so a preload-based kernel-bypass stack
such as Onload (``onload --profile=latency wirespeed ...``) accelerates it as is.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import time
from typing import Callable

from .fair import BACKLOG_READ, FAIR_READS, READ_BUDGET, VENUE_READ_BUDGET, FairReads, fix_cut  # noqa: F401 - (their home is fair.py)

log = logging.getLogger("wirespeed.transport")


def tune_gc(gen0: int = 50_000) -> None:
    """Fewer, later garbage collections on the hot path.

    Every message allocates a few short-lived objects; with the default gen-0
    threshold (700) a collection interrupts the path every few dozen messages.
    Startup objects are frozen out of collection entirely; the engine creates no
    reference cycles per message, so a large gen-0 threshold only delays work that
    refcounting already does.
    """
    import gc
    gc.collect()
    gc.freeze()
    gc.set_threshold(gen0, 50, 100)


def install_uvloop() -> bool:
    """Use uvloop for new event loops if it is available."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - a declared dependency
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


WRITE_BUFFER_MAX = 16 << 20   # bytes waiting for a peer that does not read; past it: disconnect

SO_BUSY_POLL = getattr(socket, "SO_BUSY_POLL", 46)  # Linux


def tune_socket(sock, nodelay: bool = True, busy_poll_us: int = 0) -> None:
    """TCP_NODELAY (an order is one small write and must not wait for Nagle) and,
    optionally, SO_BUSY_POLL (spin in the kernel for that many us on an empty
    receive queue instead of sleeping; needs CAP_NET_ADMIN to raise above the
    sysctl net.core.busy_read)."""
    if sock is None:
        return
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1 if nodelay else 0)
    except OSError as exc:  # pragma: no cover - non-TCP sockets
        log.debug("TCP_NODELAY not set: %s", exc)
    if busy_poll_us:
        try:
            sock.setsockopt(socket.SOL_SOCKET, SO_BUSY_POLL, int(busy_poll_us))
        except OSError as exc:
            log.warning("SO_BUSY_POLL=%d not set (%s); continuing without it", busy_poll_us, exc)


def pin_cpus(cpus) -> bool:
    """Pin this process to ``cpus`` (the core(s) isolated for the engine)."""
    try:
        os.sched_setaffinity(0, set(cpus))
        return True
    except (AttributeError, OSError) as exc:
        log.warning("CPU affinity %s not set: %s", cpus, exc)
        return False


# Writes a read collects for one connection before they go out anyway: bounds how long the first
# order of a long read (64 KiB: ~330 NewOrderSingles) waits for the rest to be handled.
READ_BATCH = 64

# A read's collected writes go out at the end of the loop turn, not of the read: the turn's other
# reads (a client read each, under load) add theirs to the same write a connection
# (WIRESPEED_TURN_WRITES=0: at the end of each read, the before; docs/gateway/transport.md).
TURN_WRITES = os.environ.get("WIRESPEED_TURN_WRITES", "1") != "0"


class WriteBatcher:
    """Coalesces writes within one read, and within one turn of the event loop, for every
    connection that shares it.

    Inside a read (``begin_read`` .. ``end_read``, FixProtocol._handle: a client read's orders
    to the venues, a venue read's reports to the clients) the first write to each connection goes
    at once (a lone order's send is as before) and the rest are collected per connection and
    written when the read has been handled (or once READ_BATCH wait for one connection): two
    system calls per connection a read instead of one per message. Under
    ``make bench-load`` the gateway made ~550 writes a 1,000 orders, each of which wakes the
    reader on a 2-core machine (docs/gateway/order_path.md, "Sustained load").
    Outside a read (timers, callbacks) the first write of a turn goes to its transport at once
    (a lone message pays nothing); the writes after it in the same turn are collected and written
    together at the start of the next turn. On a loaded 2-core machine the gateway spent ~40 % of
    its time in those calls (each wakes the reader), so this is its throughput.
    With ``per_turn`` (TURN_WRITES, the default) "a read" above is the loop turn's reads: what
    every read of a turn collects is written at the start of the next turn (``call_soon``: uvloop
    runs it before it polls again), so under load, with a dozen client reads a turn, a venue gets
    one or two writes a turn instead of one a read, and a client its reports of both venues'
    reads in one. The first write to a connection in a turn goes at once, as above, unless the
    turn before handled more than one read (the loop is busy): then a connection written in that
    turn stays in ``_sent`` and its first write waits for the turn's end too, one write a
    connection a turn. A lone order (one read a turn) is written at once as before; only the first
    read after a busy stretch waits for its turn's end.
    Order per connection is kept; a connection closing writes what it has collected first.

    **The trail's gate** (``gate``, set by a gateway with an audit trail, docs/gateway/audit.md): the
    bytes for a connection whose session is ``trail_gated`` (a client's) reach its transport only
    after ``gate()`` returned True (the journal flushed: everything recorded so far is in the
    trail). Inside a read such a connection's writes are all collected, the first too, so a read's
    client reports cost one flush, where the read's collected bytes are written (the turn's flush
    with ``per_turn``, else ``end_read``), not one each. When ``gate()`` is False (the
    journal cannot be written) the bytes are held, in order, and everything after them for that
    connection waits behind them; ``release()`` (the gateway's timer) tries again. Only the bytes
    of that one failing write are held this way: from the failure on (``failing``) the gateway
    holds its client *reports* before they are numbered (``OrderGateway._may_send``, its flushing
    path), so what a connection with nothing held writes then is session traffic (Heartbeats,
    TestRequest answers, Logon/Logout, Rejects), which carries nothing for the trail and goes at
    once: a full disk does not silence the sessions. The failing write's own bytes are first offered
    to ``take_back`` (``Gateway._take_back``, server.py): when they are the session's last numbers, never
    on the wire, their numbers are taken back out of the session and its store and the messages
    sent again with fresh ones (its reports behind the journal, its session messages at once), so
    nothing is held here for that connection either. Bytes it does not take (a resend among them)
    are held, numbered, as before. The bytes of the other gated connections collected before the
    failure was seen (a venue read's reports for several clients) are numbered reports too: each is
    gated once more (``_unsure``), taken back or held, whatever ``failing`` says. A connection dropped with bytes held is
    ``_stale`` (keyed by its session: a resend after its next Logon serves those numbered
    reports) and stays behind the gate until a flush gets through (its bytes held, not taken back:
    a take-back's session messages, sent again, would meet the gate again every loop turn).
    Connections are any protocol with a ``transport`` (a FixProtocol, an OuchVenueSession); only
    one whose ``session`` is ``trail_gated`` is gated."""

    __slots__ = ("_open", "_pending", "batched", "_reading", "_sent", "gate", "_held", "failing", "_stale",
                 "on_written", "take_back", "_unsure", "_flushing", "per_turn", "_turn_reads")

    def __init__(self, per_turn: bool = TURN_WRITES):
        self.per_turn = per_turn       # a read's collected writes out at the turn's end (else the read's)
        self._turn_reads = 0           # reads handled since the last turn's flush (per_turn)
        self._open = False
        self._pending: dict = {}       # FixProtocol -> [bytes, ...] for the next turn
        self.batched = 0               # writes collected rather than written at once (for tests and tuning)
        self._reading = 0              # reads being handled (begin_read .. end_read)
        self._sent: set = set()        # connections written to at once in this read
        self.gate = None               # () -> bool: the trail's journal flushed (None: no trail)
        self._held: dict = {}          # FixProtocol -> [bytes, ...] the gate has not let out yet
        self.failing = False           # the gate's last answer was False (the journal cannot be written)
        self._stale: set = set()       # sessions dropped with bytes held (gated until a flush succeeds)
        # (proto, written) after a gated connection's bytes reached its transport (True) or were
        # dropped with it (False): the gateway stamps its ``venue->client`` hops then
        self.on_written = None
        # (proto, data) -> bool: the bytes a failing gate met, un-numbered and kept by the gateway to
        # be sent again with fresh numbers (True), or not (False: held here, numbered, as before)
        self.take_back = None
        # gated connections whose bytes were collected before the failure was seen (numbered
        # reports among them, not in the journal): gated once more, whatever ``failing`` says
        self._unsure: set = set()
        self._flushing: dict = {}      # (what ``_write_out`` is writing out now, not yet written)

    def _gated(self, proto) -> bool:
        # (getattr twice: an OuchVenueSession writes through the same batcher and has no ``session``)
        return self.gate is not None and getattr(getattr(proto, "session", None), "trail_gated", False)

    def _out(self, proto: "FixProtocol", data: bytes) -> None:
        """``data`` to ``proto``'s transport, through the trail's gate for a gated connection."""
        if self._gated(proto):
            held = self._held.pop(proto, None)
            if held is not None:
                held.append(data)
                data = b"".join(held)
            unsure, stale = proto in self._unsure, proto.session in self._stale
            if unsure:
                self._unsure.discard(proto)
            if held is not None or not self.failing or stale or unsure:
                if not self.gate():
                    if not self.failing:
                        # the failure is seen now: every other gated connection's bytes collected
                        # so far were numbered before it (reports among them) and are gated too
                        self.failing = True
                        self._unsure = {p for p in (*self._pending, *self._flushing)
                                        if p is not proto and self._gated(p)}
                    # (a stale connection's take-back would come back here, re-sent every turn)
                    if held is None and not stale and self.take_back is not None and self.take_back(proto, data):
                        # un-numbered (the session's and its store's numbers taken back): its reports
                        # wait unnumbered with the rest, and its session traffic goes on
                        if self.on_written is not None:
                            self.on_written(proto, False)
                        return
                    self._held[proto] = [data]
                    return
                self.failing = False
                self._stale.clear()
                self._unsure.clear()
            # (else failing, nothing held: session traffic only, the reports wait unnumbered)
            t = proto.transport
            if t is not None and not t.is_closing():
                t.write(data)
            if self.on_written is not None:
                self.on_written(proto, True)
            return
        t = proto.transport
        if t is not None and not t.is_closing():
            t.write(data)

    def waiting(self, proto) -> bool:
        """Bytes for ``proto`` collected or held here, not yet at its transport."""
        return proto in self._pending or proto in self._held

    def held(self) -> int:
        """Bytes waiting for the trail's gate, over every connection."""
        return sum(len(b) for buf in self._held.values() for b in buf)

    def release(self) -> None:
        """What the gate held, written if it now lets it out (the gateway's timer)."""
        if self.failing and not self._held:
            if self.gate():           # (nothing held here, but the failure is over: gate as before)
                self.failing = False
                self._stale.clear()
                self._unsure.clear()
            return
        for proto in list(self._held):
            if proto in self._held:
                self._out(proto, b"")

    def write(self, proto: "FixProtocol", data: bytes) -> None:
        if self._reading:
            buf = self._pending.get(proto)
            if buf is None:
                if proto not in self._sent and not self._gated(proto):
                    self._sent.add(proto)       # the read's first write to it: at once (a lone order's send)
                    proto.transport.write(data)
                    return
                self._pending[proto] = [data]
            else:
                buf.append(data)
                if len(buf) >= READ_BATCH:
                    self.flush_one(proto)
            self.batched += 1
            return
        if not self._open:
            self._open = True
            asyncio.get_running_loop().call_soon(self._flush)
            self._out(proto, data)
            return
        self.batched += 1
        buf = self._pending.get(proto)
        if buf is None:
            self._pending[proto] = [data]
        else:
            buf.append(data)

    def flush_one(self, proto: "FixProtocol") -> None:
        buf = self._pending.pop(proto, None)
        if buf:
            self._out(proto, b"".join(buf))

    def drop(self, proto: "FixProtocol") -> None:
        self._pending.pop(proto, None)
        self._sent.discard(proto)
        self._unsure.discard(proto)
        if self._held.pop(proto, None) is not None:    # (stored: a resend after the next Logon serves them, gated)
            self._stale.add(proto.session)
        if self.on_written is not None and self._gated(proto):
            self.on_written(proto, False)

    def begin_read(self) -> None:
        """A read is being handled: its writes are collected until ``end_read``."""
        self._reading += 1

    def end_read(self) -> None:
        """The read is handled: what it (and the turn before it) collected is written now, or with
        ``per_turn`` at the start of the next loop turn (``_flush``, scheduled here)."""
        self._reading -= 1
        if self._reading:
            return
        if self.per_turn:
            self._turn_reads += 1
            # (the turn's flush writes them and clears _sent; while it is due, writes outside a
            # read are collected behind them, as in any open turn)
            if not self._open:
                if self._pending or self._sent:
                    self._open = True
                    asyncio.get_running_loop().call_soon(self._flush)
                else:
                    self._turn_reads = 0    # (a read that wrote nothing, nor any before it this turn)
            return
        self._sent.clear()
        if not self._pending:
            return
        was_open, self._open = self._open, True    # (a write a flush causes is collected, as in _flush)
        self._write_out()
        if not was_open:
            if self._pending:
                asyncio.get_running_loop().call_soon(self._flush)
            else:
                self._open = False

    def _write_out(self) -> None:
        pending, self._pending = self._pending, {}
        self._flushing = pending       # (one written out at a time: the rest still to be gated)
        try:
            while pending:
                proto = next(iter(pending))
                buf = pending.pop(proto)
                self._out(proto, buf[0] if len(buf) == 1 else b"".join(buf))
        finally:
            self._flushing = {}

    def _flush(self) -> None:
        if self._turn_reads <= 1:
            # (after a busy turn, more than one read, the connections it wrote to stay in _sent and
            # collect their next turn's first write too; a turn of one read or none clears them)
            self._sent.clear()
        self._turn_reads = 0
        self._write_out()
        # Still open during the loop: a write it causes (a transport's callback writing again)
        # is collected, not sent at once ahead of older data still waiting in ``pending``.
        if self._pending:
            asyncio.get_running_loop().call_soon(self._flush)
        else:
            self._open = False


def _read_entry():
    """The C read entry (native/read_entry.h), a base of FixProtocol: uvloop calls its
    ``data_received`` as a C method, so a fast-path read reaches the C driver with no Python frame
    before the venue write. None (FixProtocol is all Python) where the extension is not built, the
    native codec is off (WIRESPEED_NATIVE=0), the fast path is off (WIRESPEED_FAST_PATH=0) or
    WIRESPEED_READ_ENTRY=0 (the bench's "before")."""
    if os.environ.get("WIRESPEED_READ_ENTRY", "1") == "0" or os.environ.get("WIRESPEED_FAST_PATH", "1") == "0":
        return None
    from ..native import native_path
    path = native_path()
    return getattr(path, "ReadEntry", None) if path is not None else None


# TCP_QUICKACK on a connection after each read it handled (WIRESPEED_QUICKACK=1; off by default):
# the peer's next send on loopback then costs it ~0.35x (bench/send_flags.py: the receiver's
# delayed-ACK mode is paid in the sender's system call). One setsockopt a read, after the writes it made at once (with per-turn writes, the bytes it
# collected go out at the turn's flush, after this call: the ACK is due then either way).
QUICKACK = os.environ.get("WIRESPEED_QUICKACK", "0") == "1"


def quickack(sock) -> None:
    """TCP_QUICKACK on ``sock`` (the kernel drops it again on its own: set after every read)."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    except (OSError, AttributeError):
        pass


READ_ENTRY = _read_entry()
if READ_ENTRY is not None:
    from ..native import _path
    _path.bind_entry_slow(FairReads.data_received, BACKLOG_READ)     # (every read it does not take)
_BASES = (READ_ENTRY, FairReads, asyncio.Protocol) if READ_ENTRY is not None else (FairReads, asyncio.Protocol)


class FixProtocol(*_BASES):
    """Feeds one connection's bytes to a Session.

    ``resolve(first_bytes)`` picks the session once enough bytes have arrived
    (an acceptor looks at the Logon's CompIDs); it returns a Session, or None to
    refuse the connection silently, or ``...`` (Ellipsis) to wait for more bytes.
    At most ``READ_BUDGET`` bytes a loop turn reach the session (``FairReads``), cut after a frame.
    """

    __slots__ = ("_resolve", "session", "transport", "_pending", "_paused", "_on_close", "_nodelay", "_busy_poll",
                 "_spinner", "_batcher", "_held", "_held_ns", "_next", "held_turns", "read_budget", "_used", "_reset",
                 "read_since_ns", "_empty_ns", "_tail_ns", "_held_since", "_qa_fd", "_qa_sock")

    def __init__(self, resolve: Callable, on_close: Callable | None = None, nodelay: bool = True,
                 busy_poll_us: int = 0, spinner=None, batcher: WriteBatcher | None = None,
                 read_budget: int = READ_BUDGET):
        if not isinstance(read_budget, int) or read_budget < 1:
            raise ValueError(f"FixProtocol: read_budget must be a positive number of bytes, not {read_budget!r}")
        self.read_budget = read_budget       # bytes handed to the session a loop turn at most (fair.py)
        self._nodelay, self._busy_poll = nodelay, busy_poll_us
        self._spinner = spinner   # a Spinner: keep the loop polling for a while after each read
        self._batcher = batcher   # a WriteBatcher: writes of one loop turn coalesced
        self._resolve = resolve
        self._on_close = on_close
        self.session = None
        self.transport: asyncio.Transport | None = None
        self._pending = bytearray()
        self._paused = False
        self._held, self._held_ns, self._next = b"", 0, None   # a long read's rest, for the next turns
        self._used, self._reset = 0, None     # bytes handled this turn (of long reads); its reset
        self.held_turns = 0        # turns a long read's rest was handed on in (fair reads at work)
        self.read_since_ns, self._tail_ns, self._held_since = 0, 0, 0   # the receive backlog (fair.py)
        self._empty_ns = time.perf_counter_ns()
        self._qa_fd, self._qa_sock = -1, None     # (QUICKACK: the socket set after each read; -1 off)

    def connection_made(self, transport) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        tune_socket(sock, self._nodelay, self._busy_poll)
        if QUICKACK and sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # (the descriptor kept for the setsockopt after each read: safe because the loop closes
            # a transport's socket only in a later turn, never inside the read that set it; a
            # change to close handling must clear _qa_fd first, or a reused number gets the option)
            self._qa_fd, self._qa_sock = sock.fileno(), sock
        session = self._resolve(b"")
        if session is None:
            transport.close()   # refused before a byte arrived (e.g. too many connections waiting)
        elif session is not ...:
            self._attach(session)

    def _attach(self, session) -> None:
        self.session = session
        if self._batcher is not None:
            # (a partial, made in C: one Python frame less a message than the _batched_write method)
            session.connection_made(functools.partial(self._batcher.write, self), self._batched_close)
        else:
            session.connection_made(self.transport.write, self.transport.close)
        # Long jobs (a resend) go on in chunks between other work, and wait while paused.
        session.call_soon = asyncio.get_running_loop().call_soon
        session.receiver = self    # its read_since_ns: the receive queue's backlog (SendingTime check)
        if self._paused:
            session.pause_writing()

    def _batched_write(self, data: bytes) -> None:
        self._batcher.write(self, data)

    def _batched_close(self) -> None:
        self._batcher.flush_one(self)      # (a Logout written just before the close goes first)
        self.transport.close()

    def _cut(self, data, room: int) -> int:
        return fix_cut(data, room)

    def _handle(self, data: bytes, recv_ns: int) -> None:
        if self._paused and self.transport.get_write_buffer_size() > WRITE_BUFFER_MAX:
            # Each message read may be answered: a peer that sends and never reads would grow
            # our write buffer without bound. (Not pause_reading: two engines resending to each
            # other at once would then wait on each other for ever.)
            name = self.session.name if self.session is not None else "unresolved connection"
            log.warning("%s: peer not reading (%d bytes waiting to be sent); disconnecting", name,
                        self.transport.get_write_buffer_size())
            if self.session is not None and self.session._write is not None:
                self.session.connection_lost()
            self.transport.close()
            return
        if self.session is None:
            self._pending += data
            session = self._resolve(bytes(self._pending))
            if session is ...:
                return
            if session is None:
                self.transport.close()
                return
            data, self._pending = bytes(self._pending), bytearray()
            self._attach(session)
        batcher = self._batcher
        if batcher is not None:
            batcher.begin_read()    # (what this read causes goes out once it is handled: one write a connection)
        try:
            self.session.data_received(data, recv_ns)
        except Exception:  # a bug in one session must not take down the loop or other sessions
            self._read_failed()
        finally:
            if batcher is not None:
                batcher.end_read()
        if self._qa_sock is not None:
            quickack(self._qa_sock)
        if self._spinner is not None:
            self._spinner.touch()

    def _fast_read(self, data: bytes, recv_ns: int, fast, now, tokens, budget, result) -> None:
        """The rest of a read the C entry (READ_ENTRY) began: it did what FairReads.data_received,
        ``_handle`` (the batcher's begin_read), Session.data_received and the fast path's on_read
        do before the C call, and made the call; ``result`` is what it returned, or the exception it
        raised. The fast path books it (``finish``, on_read's own code), the rest of the read goes
        to the session's parser, and the read ends as ``_handle`` ends it."""
        batcher = self._batcher
        try:
            rest = fast.finish(data, recv_ns, now, tokens, budget, result)
            if rest is not None:
                self.session._parse(rest, recv_ns)
        except Exception:
            self._read_failed()
        finally:
            if batcher is not None:
                batcher.end_read()
        if self._spinner is not None:
            self._spinner.touch()

    def _read_failed(self) -> None:
        log.exception("session %s failed on inbound data; disconnecting", self.session.name)
        self.session.connection_lost()
        if self._batcher is not None:
            self._batcher.drop(self)
        self.transport.close()

    def connection_lost(self, exc) -> None:
        self._drop_held()
        if self._batcher is not None:
            self._batcher.drop(self)
        if self.session is not None and self.session._write is not None:
            self.session.connection_lost()
        if self._on_close is not None:
            self._on_close(self)

    def pause_writing(self) -> None:
        """The write buffer is past its high-water mark: stop serving resends until it drains."""
        self._paused = True
        if self.session is not None:
            self.session.pause_writing()

    def resume_writing(self) -> None:
        self._paused = False
        if self.session is not None and self.session._write is not None:
            self.session.resume_writing()
