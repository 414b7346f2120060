"""TCP relays on loopback: a ``Relay`` holds named ``Proxy``s, each a listener that
forwards every accepted connection to its upstream through the toxics of each direction.

``upstream`` is client -> venue, ``downstream`` venue -> client (toxiproxy's names).
Toxics change while connections run: each chunk is planned with the toxics present
when it is read. The injected delay is measured per write against its planned deadline
(``Proxy.stats``). Memory is bounded: a direction holding more than ``max_buffered``
bytes stops reading its source until it drains (TCP back-pressure to the sender).
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import socket
import struct
import time
import zlib
from typing import Iterable

from wirespeed.latency import LatencyRecorder

from .timer import PreciseTimer, TimerConfig
from .toxics import LinkState, ToxicError, ToxicSpec, plan_chunk

log = logging.getLogger("wirespeed.net")
_now = time.perf_counter_ns
MAX_BUFFERED = 1 << 20
MAX_CONNECTIONS = 256


class ProxyError(ValueError):
    """A proxy's name, listen or upstream address is invalid, or the name is taken (``exists``)."""

    def __init__(self, text: str, *, exists: bool = False, missing: bool = False):
        super().__init__(text)
        self.exists, self.missing = exists, missing


def parse_address(where: str, text: str, *, loopback: bool) -> tuple[str, int]:
    if not isinstance(text, str) or text.count(":") != 1:
        raise ProxyError(f"{where}: must be host:port, not {text!r}")
    host, port_text = text.rsplit(":", 1)
    host = host or "127.0.0.1"
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ProxyError(f"{where}: port must be 0..65535, not {port_text!r}")
    if host == "localhost":
        host = "127.0.0.1"
    if loopback:
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise ValueError
        except ValueError:
            raise ProxyError(f"{where}: a simulated path listens on loopback only, not {host!r}") from None
    return host, int(port_text)


class _Link:
    """One direction of one connection: plan chunks, hold them until their deadline, write."""
    __slots__ = ("conn", "stream", "state", "dst", "queued", "closing", "src_paused", "held")

    def __init__(self, conn: "_Connection", stream: str, rng: random.Random):
        self.conn, self.stream = conn, stream
        self.state = LinkState(rng)
        self.dst: asyncio.Transport | None = None
        self.queued = 0
        self.closing = False
        self.src_paused = False
        self.held: list[tuple] = []     # due before the far end was connected: (deadline, bytes, read ns)

    def set_dst(self, dst: asyncio.Transport) -> None:
        self.dst = dst
        held, self.held = self.held, []
        for deadline, piece, read_ns in held:
            self._write(deadline, piece, read_ns)      # (still counted in ``queued``; _write takes it off)

    def feed(self, data: bytes) -> None:
        proxy = self.conn.proxy
        now = _now()
        plan = plan_chunk(proxy.toxics_of(self.stream), self.state, data, now)
        timer = proxy.relay.timer
        last = self.conn.last_deadline[self.stream]
        for deadline, piece in plan.pieces:
            deadline = max(deadline, last)           # bytes of a TCP stream never overtake
            last = deadline
            if deadline <= now and not self.queued and self.dst is not None:
                # Due already (no delay toxic) and nothing of ours ahead of it: write it now,
                # not one loop iteration later through the timer (measured: 14-20 us p50).
                self.queued += len(piece)
                self._write(deadline, piece, now)
                continue
            self.queued += len(piece)
            timer.at(deadline, lambda d=deadline, p=piece, r=now: self._write(d, p, r))
        self.conn.last_deadline[self.stream] = last
        if plan.close:
            timer.at(last, lambda: self.conn.close(self.stream))
        if self.queued > proxy.max_buffered and not self.src_paused:
            self.src_paused = True
            self.conn.pause_source(self.stream)

    def _write(self, deadline: int, piece: bytes, read_ns: int) -> None:
        written = _now()
        self.queued -= len(piece)
        if self.dst is None:
            self.held.append((deadline, piece, read_ns))   # still counted in ``queued``: back-pressure
            self.queued += len(piece)
        elif not self.dst.is_closing():
            self.dst.write(piece)
            self.conn.proxy.record(self.stream, written - read_ns, written - deadline)
        if self.src_paused and self.queued <= self.conn.proxy.max_buffered // 2:
            self.src_paused = False
            self.conn.resume_source(self.stream)


class _Side(asyncio.Protocol):
    """The socket of one end; bytes it receives feed the link that leaves from it."""
    __slots__ = ("conn", "link", "transport")

    def __init__(self, conn: "_Connection", link: _Link):
        self.conn, self.link = conn, link
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn.side_made(self)

    def data_received(self, data: bytes) -> None:
        self.link.feed(data)

    def eof_received(self):
        self.conn.source_closed(self.link.stream)
        return True

    def connection_lost(self, exc) -> None:
        self.conn.source_closed(self.link.stream)

    def pause_writing(self) -> None:
        # The destination is full: stop reading the other end (back-pressure through the relay).
        self.conn.pause_source("downstream" if self.link.stream == "upstream" else "upstream")

    def resume_writing(self) -> None:
        self.conn.resume_source("downstream" if self.link.stream == "upstream" else "upstream")


class _Connection:
    """A client connection and its upstream connection, joined by two links."""

    def __init__(self, proxy: "Proxy", index: int):
        self.proxy = proxy
        rng = random.Random(proxy.seed * 1_000_003 + index)
        self.links = {"upstream": _Link(self, "upstream", random.Random(rng.random())),
                      "downstream": _Link(self, "downstream", random.Random(rng.random()))}
        self.client = _Side(self, self.links["upstream"])
        self.server = _Side(self, self.links["downstream"])
        self.last_deadline = {"upstream": 0, "downstream": 0}
        self.closed = False
        self._timers: dict[str, asyncio.TimerHandle] = {}     # outage toxic name -> its timer

    def side_made(self, side: _Side) -> None:
        if self.closed:
            side.transport.close()
        elif side is self.client:
            # Read nothing from the client before the upstream end exists to write it to.
            side.transport.pause_reading()
            self.proxy.relay.loop.create_task(self.proxy.connect_upstream(self))
        else:
            self.links["upstream"].set_dst(self.server.transport)
            self.links["downstream"].set_dst(self.client.transport)

    def _source(self, stream: str) -> _Side:
        return self.client if stream == "upstream" else self.server

    def pause_source(self, stream: str) -> None:
        t = self._source(stream).transport
        if t is not None and not t.is_closing():
            t.pause_reading()

    def resume_source(self, stream: str) -> None:
        link = self.links[stream]
        t = self._source(stream).transport
        if t is not None and not t.is_closing() and not link.src_paused:
            t.resume_reading()

    def attach(self, spec: ToxicSpec) -> None:
        """Start the timers of an outage toxic on this connection (toxiproxy starts them on attach)."""
        if not self.links[spec.stream].state.active(spec):
            return
        ms = spec.attributes.get("timeout", 0)
        loop = self.proxy.relay.loop
        if spec.type == "timeout" and ms:
            self._timers[spec.name] = loop.call_later(ms / 1000, self.close, spec.stream)
        elif spec.type == "reset_peer":
            self._timers[spec.name] = loop.call_later(ms / 1000, self.reset)

    def detach(self, name: str) -> None:
        """A toxic went away (or changed): its pending outage no longer happens."""
        handle = self._timers.pop(name, None)
        if handle is not None:
            handle.cancel()

    def source_closed(self, stream: str) -> None:
        """One end closed: after the data in flight (and any slow_close), close the other."""
        if self.closed:
            return
        delay_ms = sum(s.attributes["delay"] for s in self.proxy.toxics_of(stream)
                       if s.type == "slow_close" and self.links[stream].state.active(s))
        deadline = max(self.last_deadline[stream], _now()) + int(delay_ms * 1e6)
        self.proxy.relay.timer.at(deadline, lambda: self.close(stream))

    def close(self, _stream: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        for h in self._timers.values():
            h.cancel()
        for side in (self.client, self.server):
            if side.transport is not None:
                side.transport.close()
        self.proxy.connections.discard(self)

    def reset(self) -> None:
        """Close both ends with a TCP RST (SO_LINGER 0), as a peer reset looks to each."""
        for side in (self.client, self.server):
            t = side.transport
            sock = t.get_extra_info("socket") if t is not None else None
            if sock is not None:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
            if t is not None:
                t.abort()
        self.closed = True
        for h in self._timers.values():
            h.cancel()
        self.proxy.connections.discard(self)


class Proxy:
    """One network path: ``listen`` -> ``upstream`` with its toxics."""

    def __init__(self, relay: "Relay", name: str, listen: str, upstream: str, *, enabled: bool = True,
                 max_buffered: int = MAX_BUFFERED, max_connections: int = MAX_CONNECTIONS):
        if not isinstance(name, str) or not name or not name.replace("_", "").replace("-", "").isalnum():
            raise ProxyError(f"name: must be letters, digits, '_' or '-', not {name!r}")
        self.relay, self.name = relay, name
        self._listen = parse_address("listen", listen, loopback=True)
        self.upstream_addr = parse_address("upstream", upstream, loopback=False)
        self.upstream = upstream
        self.enabled = False
        self._want_enabled = enabled
        self.max_buffered, self.max_connections = max_buffered, max_connections
        self.seed = relay.seed * 7919 + zlib.crc32(name.encode())
        self.toxics: dict[str, ToxicSpec] = {}
        self._by_stream: dict[str, list[ToxicSpec]] = {"upstream": [], "downstream": []}
        self.connections: set[_Connection] = set()
        self._server: asyncio.AbstractServer | None = None
        self._accepted = 0
        self.latency = LatencyRecorder()

    # -- state -----------------------------------------------------------------
    @property
    def listen(self) -> str:
        return f"{self._listen[0]}:{self._listen[1]}"

    @property
    def port(self) -> int:
        return self._listen[1]

    def toxics_of(self, stream: str) -> list[ToxicSpec]:
        return self._by_stream[stream]

    def record(self, stream: str, injected_ns: int, error_ns: int) -> None:
        # Two HDR records a write (~8 us each here, after the write): both directions' error is
        # merged from the two when asked for, not recorded a third time.
        self.latency.record(f"{stream} injected delay", injected_ns)
        self.latency.record(f"{stream} delay error", error_ns)

    def stats(self) -> dict:
        """p50/p99 of the delay actually injected per direction and of its error (how late each
        write was against its planned deadline), both directions together and each alone, in ns."""
        out = {}
        both = LatencyRecorder()
        for hop in ("upstream delay error", "downstream delay error"):
            if self.latency.count(hop):
                both.histogram("delay error").add(self.latency.histogram(hop))
        for rec, hop in ((self.latency, "upstream injected delay"), (self.latency, "downstream injected delay"),
                         (both, "delay error"), (self.latency, "upstream delay error"),
                         (self.latency, "downstream delay error")):
            if rec.count(hop):
                p = rec.percentiles(hop)
                out[hop.replace(" ", "_")] = {"p50": p["p50"], "p99": p["p99"], "max": p["max"], "count": p["count"]}
        if self.relay._timer is not None:
            out["timer"] = self.relay._timer.stats()    # (ext.) the relay's wake-ups: where an error came from
        return out

    def to_json(self) -> dict:
        return {"name": self.name, "listen": self.listen, "upstream": self.upstream, "enabled": self.enabled,
                "toxics": [t.to_json() for t in self.toxics.values()]}

    # -- toxics ----------------------------------------------------------------
    def add_toxic(self, spec: ToxicSpec) -> ToxicSpec:
        if spec.name in self.toxics:
            raise ToxicError(f"name: toxic {spec.name!r} already exists on proxy {self.name!r}")
        self.toxics[spec.name] = spec
        self._rebuild()
        for conn in list(self.connections):
            conn.attach(spec)
        return spec

    def update_toxic(self, name: str, body: dict) -> ToxicSpec:
        old = self.toxic(name)
        spec = ToxicSpec.from_json(body, base=old)
        self.toxics[name] = spec
        self._rebuild()
        for conn in list(self.connections):
            conn.detach(name)
            conn.attach(spec)
        return spec

    def toxic(self, name: str) -> ToxicSpec:
        try:
            return self.toxics[name]
        except KeyError:
            raise ProxyError(f"toxic {name!r} not found on proxy {self.name!r}", missing=True) from None

    def remove_toxic(self, name: str) -> None:
        self.toxic(name)
        del self.toxics[name]
        self._rebuild()
        for conn in list(self.connections):
            conn.detach(name)

    def _rebuild(self) -> None:
        for stream in self._by_stream:
            self._by_stream[stream] = [t for t in self.toxics.values() if t.stream == stream]

    # -- listening -------------------------------------------------------------
    async def enable(self) -> None:
        if self.enabled:
            return
        loop = self.relay.loop
        self._server = await loop.create_server(self._accept, self._listen[0], self._listen[1])
        self._listen = self._server.sockets[0].getsockname()[:2]
        self.enabled = True

    async def disable(self) -> None:
        """Stop listening and drop every connection (toxiproxy's enabled=false)."""
        self.enabled = False
        if self._server is not None:
            self._server.close()
            self._server = None
        for conn in list(self.connections):
            conn.close()

    def _accept(self) -> asyncio.Protocol:
        self._accepted += 1
        conn = _Connection(self, self._accepted)
        if len(self.connections) >= self.max_connections:
            log.warning("%s: connection refused, %d open", self.name, len(self.connections))
            self.relay.loop.call_soon(conn.close)
            return conn.client
        self.connections.add(conn)
        for spec in self.toxics.values():
            conn.attach(spec)
        return conn.client

    async def connect_upstream(self, conn: _Connection) -> None:
        try:
            await self.relay.loop.create_connection(lambda: conn.server, *self.upstream_addr)
        except OSError as exc:
            log.info("%s: upstream %s unreachable: %s", self.name, self.upstream, exc)
            conn.close()
            return
        if conn.closed:
            conn.server.transport.close()
            return
        if conn.client.transport is not None and not conn.client.transport.is_closing():
            conn.client.transport.resume_reading()


class Relay:
    """The network paths of a simulation; the Python API the HTTP control API drives."""

    def __init__(self, *, seed: int = 0, timer: TimerConfig = TimerConfig()):
        if not isinstance(timer, TimerConfig):
            raise TypeError(f"timer must be a TimerConfig, not {timer!r}")
        self.seed = seed
        self.proxies: dict[str, Proxy] = {}
        self.timer_config = timer
        self._timer: PreciseTimer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    @property
    def timer(self) -> PreciseTimer:
        if self._timer is None:
            self._timer = PreciseTimer(self.loop, self.timer_config)
        return self._timer

    async def create(self, name: str, upstream: str, listen: str = "127.0.0.1:0", *, enabled: bool = True,
                     toxics: Iterable[ToxicSpec] = ()) -> Proxy:
        if name in self.proxies:
            raise ProxyError(f"name: proxy {name!r} already exists", exists=True)
        self.timer      # (built on the loop's thread now, not in the first chunk's path: measured 15 ms once)
        proxy = Proxy(self, name, listen, upstream, enabled=enabled)
        for spec in toxics:
            proxy.add_toxic(spec)
        if enabled:
            try:
                await proxy.enable()
            except OSError as exc:
                raise ProxyError(f"listen: cannot listen on {listen}: {exc.strerror or exc}") from None
        self.proxies[name] = proxy
        return proxy

    def get(self, name: str) -> Proxy:
        try:
            return self.proxies[name]
        except KeyError:
            raise ProxyError(f"proxy {name!r} not found", missing=True) from None

    async def delete(self, name: str) -> None:
        proxy = self.get(name)
        await proxy.disable()
        del self.proxies[name]

    async def reset(self) -> None:
        """Enable every proxy and remove every toxic (toxiproxy's /reset)."""
        for proxy in self.proxies.values():
            for name in list(proxy.toxics):
                proxy.remove_toxic(name)
            await proxy.enable()

    async def close(self) -> None:
        for name in list(self.proxies):
            await self.delete(name)
        if self._timer is not None:
            self._timer.close()             # (and the loop thread's scheduling as it was)
            self._timer = None
