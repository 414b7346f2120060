"""Kernel receive timestamps: a socket read with ``recvmsg`` on ``loop.add_reader``.

uvloop's transports read through libuv, which drops ancillary data, so SO_TIMESTAMPNS
(the time the kernel queued the bytes) never reaches an ``asyncio.Protocol`` through them.
``StampedTransport`` is a small transport of its own for one connected, non-blocking
socket: the loop tells it the socket is readable, it reads with ``recvmsg`` and gets the
kernel's stamp with the bytes. The stamp is CLOCK_REALTIME, so it is compared with
``time.time_ns()`` taken right after the read: that difference is the kernel -> user
space hop (the wake-up and scheduling of this process), handed to ``on_stamp(ns)``.
Then the bytes go to the protocol (``FixProtocol``) as from any transport. (The first socket
on a machine to ask for stamps turns them on kernel-wide through deferred work: reads in the
first moment after that may come unstamped; they are counted, ``unstamped``, not an error.)

Writes are tried at once with ``send`` (an order is one small write); what the kernel does
not take is buffered and sent when the socket is writable, with ``pause_writing`` /
``resume_writing`` at the usual water marks, so the session's backpressure works as over
uvloop. Plain BSD sockets only: a preload kernel-bypass stack applies unchanged. No TLS.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import socket
import struct
import time
from typing import Callable

log = logging.getLogger("wirespeed.transport")

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)        # Linux; SCM_TIMESTAMPNS has the same value
_TIMESPEC = struct.Struct("@qq")                              # struct timespec: tv_sec, tv_nsec
_ANC_SPACE = socket.CMSG_SPACE(_TIMESPEC.size)
READ_SIZE = 1 << 16
HIGH_WATER, LOW_WATER = 1 << 16, 1 << 14
# accept() failing for want of descriptors or kernel memory leaves the connection in the backlog,
# so the listener stays readable: retrying at once spins the loop. Pause as asyncio's server does.
ACCEPT_PAUSE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
# Failures that consumed the one connection they concern: the next accept may work at once.
_ACCEPT_SKIP_ERRNOS = frozenset({errno.ECONNABORTED, errno.EPROTO, errno.EPERM})
ACCEPT_RETRY_S = 1.0


def enable_timestamps(sock: socket.socket) -> bool:
    """Ask the kernel to stamp every receive on ``sock``; False (logged) where it cannot."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        return True
    except OSError as exc:
        log.warning("SO_TIMESTAMPNS not set (%s): reads carry no kernel timestamp", exc)
        return False


def kernel_stamp(ancdata) -> int:
    """The SCM_TIMESTAMPNS stamp in ``recvmsg`` ancillary data, ns since the epoch (0: none)."""
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= _TIMESPEC.size:
            sec, nsec = _TIMESPEC.unpack_from(data)
            return sec * 1_000_000_000 + nsec
    return 0


class StampedTransport(asyncio.Transport):
    """One connected socket read with ``recvmsg``; ``on_stamp(kernel->user ns)`` per stamped read."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket, protocol: asyncio.Protocol,
                 on_stamp: Callable[[int], None] | None = None):
        super().__init__()
        sock.setblocking(False)
        self._loop, self._sock, self._protocol = loop, sock, protocol
        self._fd = sock.fileno()
        self._on_stamp = on_stamp
        self._out = bytearray()
        self._closing = self._closed = self._paused = self._reading = False
        self.stamped = self.unstamped = 0      # reads with and without a kernel stamp
        enable_timestamps(sock)
        protocol.connection_made(self)
        if not self._closing:
            self._loop.add_reader(self._fd, self._read)
            self._reading = True

    # -- reading ------------------------------------------------------------------------
    def _read(self) -> None:
        try:
            data, ancdata, _flags, _addr = self._sock.recvmsg(READ_SIZE, _ANC_SPACE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._fail(exc)
            return
        wall = time.time_ns()
        if not data:
            self._finish(None)        # the peer closed its side
            return
        stamp = kernel_stamp(ancdata)
        if stamp:
            self.stamped += 1
            if self._on_stamp is not None:
                self._on_stamp(max(wall - stamp, 0))
        else:
            self.unstamped += 1
        self._protocol.data_received(data)

    def pause_reading(self) -> None:
        self._stop_reading()

    def resume_reading(self) -> None:
        if not self._closing and not self._closed and not self._reading:
            self._loop.add_reader(self._fd, self._read)
            self._reading = True

    def is_reading(self) -> bool:
        return self._reading

    # -- writing ------------------------------------------------------------------------
    def write(self, data) -> None:
        if self._closing or self._closed:
            return
        if not self._out:
            try:
                sent = self._sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError as exc:
                self._fail(exc)
                return
            if sent == len(data):
                return
            data = memoryview(data)[sent:]
            self._loop.add_writer(self._fd, self._write_ready)
        self._out += data
        if not self._paused and len(self._out) > HIGH_WATER:
            self._paused = True
            self._protocol.pause_writing()

    def _write_ready(self) -> None:
        try:
            sent = self._sock.send(self._out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._fail(exc)
            return
        del self._out[:sent]
        if self._paused and len(self._out) <= LOW_WATER:
            self._paused = False
            self._protocol.resume_writing()
        if not self._out:
            self._loop.remove_writer(self._fd)
            if self._closing:
                self._finish(None)

    def get_write_buffer_size(self) -> int:
        return len(self._out)

    def can_write_eof(self) -> bool:
        return False

    # -- closing ------------------------------------------------------------------------
    def is_closing(self) -> bool:
        return self._closing or self._closed

    def close(self) -> None:
        """Stop reading; the buffered writes go out first, then the socket closes."""
        if self._closing or self._closed:
            return
        self._closing = True
        self._stop_reading()
        if not self._out:
            self._loop.call_soon(self._finish, None)

    def abort(self) -> None:
        self._finish(None)

    def _fail(self, exc: Exception) -> None:
        log.info("connection %s failed: %s", self._fd, exc)
        self._finish(exc)

    def _stop_reading(self) -> None:
        if self._reading:
            self._reading = False
            self._loop.remove_reader(self._fd)

    def _finish(self, exc) -> None:
        if self._closed:
            return
        self._closed = self._closing = True
        self._stop_reading()
        if self._out:
            self._out.clear()
            self._loop.remove_writer(self._fd)
        self._sock.close()
        # As asyncio's transports do: the protocol hears of it on the next turn of the loop, not
        # inside a write or a read callback it may be running.
        self._loop.call_soon(self._protocol.connection_lost, exc)

    def get_extra_info(self, name, default=None):
        if name == "socket":
            return self._sock if not self._closed else default
        try:
            if name == "peername":
                return self._sock.getpeername()
            if name == "sockname":
                return self._sock.getsockname()
        except OSError:
            return default
        return default


class StampedServer:
    """A listening socket whose connections get ``StampedTransport``s (the acceptor's with
    kernel timestamps: ``loop.create_server`` would give uvloop transports). ``host`` is
    resolved (IPv4 or IPv6, the first address ``getaddrinfo`` gives); "" listens on every
    IPv4 address. Out of descriptors or memory, it stops listening for ``accept_retry_s``."""

    def __init__(self, loop: asyncio.AbstractEventLoop, factory: Callable[[], asyncio.Protocol], host: str,
                 port: int, on_stamp: Callable[[int], None] | None = None, backlog: int = 128,
                 accept_retry_s: float = ACCEPT_RETRY_S):
        self._loop, self._factory, self._on_stamp = loop, factory, on_stamp
        if not isinstance(accept_retry_s, (int, float)) or not 0 < accept_retry_s < float("inf"):
            raise ValueError(f"StampedServer: accept_retry_s must be a positive number of seconds, "
                             f"not {accept_retry_s!r}")
        self.accept_retry_s = accept_retry_s
        address, family = _listen_address(host, port)
        self._sock = socket.create_server(address, family=family, backlog=backlog)
        self._sock.setblocking(False)
        self.sockets = [self._sock]
        self.accept_pauses = 0              # times accepting was paused for want of resources
        self._failing: OSError | None = None  # the error of the episode in progress, logged once
        self._retry: asyncio.TimerHandle | None = None
        loop.add_reader(self._sock.fileno(), self._accept)
        self._listening = True

    def _accept(self) -> None:
        for _ in range(64):     # a burst of connections, bounded per loop turn
            try:
                conn, _addr = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in _ACCEPT_SKIP_ERRNOS:
                    log.info("accept failed: %s", exc)
                    continue
                self._pause(exc)    # EMFILE and the like (or unknown): paused, the listener stays up
                return
            if self._failing is not None:
                log.warning("accepting connections again after %s (paused %d times)", self._failing,
                            self.accept_pauses)
                self._failing = None
            StampedTransport(self._loop, conn, self._factory(), self._on_stamp)

    def _pause(self, exc: OSError) -> None:
        if self._failing is None:           # once per episode, not once per retry
            log.warning("accept failed: %s; not accepting for %s s at a time until it works",
                        exc, self.accept_retry_s)
            self._failing = exc
        self.accept_pauses += 1
        self._stop_listening()
        self._retry = self._loop.call_later(self.accept_retry_s, self._resume)

    def _resume(self) -> None:
        self._retry = None
        if self._sock.fileno() >= 0 and not self._listening:
            self._loop.add_reader(self._sock.fileno(), self._accept)
            self._listening = True

    def _stop_listening(self) -> None:
        if self._listening:
            self._listening = False
            self._loop.remove_reader(self._sock.fileno())

    def close(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        if self._sock.fileno() >= 0:
            self._stop_listening()
            self._sock.close()

    async def wait_closed(self) -> None:
        return None


def _listen_address(host: str, port: int) -> tuple[tuple, socket.AddressFamily]:
    """(address, family) for ``socket.create_server``: ``create_server((host, port))`` alone
    is AF_INET, which cannot bind "::1". Raises OSError naming the host."""
    if not host:
        return ("", port), socket.AF_INET
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise OSError(exc.errno, f"cannot resolve listen address {host!r}: {exc.strerror}") from exc
    family, _kind, _proto, _name, address = infos[0]
    return address, family


async def connect_stamped(loop: asyncio.AbstractEventLoop, factory: Callable[[], asyncio.Protocol], host: str,
                          port: int, on_stamp: Callable[[int], None] | None = None):
    """Connect like ``loop.create_connection`` (raises OSError), with a ``StampedTransport``."""
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not infos:
        raise OSError(f"cannot resolve {host!r}")
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, address)
    except BaseException:
        sock.close()
        raise
    protocol = factory()
    return StampedTransport(loop, sock, protocol, on_stamp), protocol
