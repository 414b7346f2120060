"""The gateway's transport options on loopback: kernel receive timestamps (transport/kstamp.py), spin,
write coalescing (WriteBatcher), the buffered latency hops, and the [transport] config table."""
import asyncio
import re
import socket
import time

import pytest

from wirespeed.config import ConfigError, from_mapping, load_config
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.server import Gateway
from wirespeed.gateway.service_config import ServiceConfig, TransportConfig
from wirespeed.gateway.transport import kstamp
from wirespeed.sim.venue import SimVenue
from wirespeed.symbols import table_from_config

from .conftest import run_async


class Keeper(asyncio.Protocol):
    """Keeps what it is given and when the transport paused it."""

    def __init__(self):
        self.data, self.events, self.lost = bytearray(), [], asyncio.Event()
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.data += data

    def pause_writing(self):
        self.events.append("pause")

    def resume_writing(self):
        self.events.append("resume")

    def connection_lost(self, exc):
        self.lost.set()


async def _until(pred, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.002)


def test_the_kernel_stamp_arrives_and_precedes_the_user_space_read():
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    try:
        assert kstamp.enable_timestamps(conn)
        stamped = 0
        # The first socket to ask turns stamping on kernel-wide through deferred work: a packet
        # received just before that is not stamped. After it, every read is.
        for k in range(50):
            before = time.time_ns()
            client.sendall(b"8=FIX.4.4\x01%d\x01" % k)
            data, anc, _flags, _addr = conn.recvmsg(1024, kstamp._ANC_SPACE)
            after = time.time_ns()
            assert data == b"8=FIX.4.4\x01%d\x01" % k
            stamp = kstamp.kernel_stamp(anc)
            if stamp:
                # Stamped by the kernel when the bytes were queued: after the send began, before we read them.
                assert before <= stamp <= after
                stamped += 1
            elif stamped:
                raise AssertionError(f"read {k} not stamped after {stamped} stamped reads")
            time.sleep(0.002)
        assert stamped >= 40
        assert kstamp.kernel_stamp([]) == 0          # no ancillary data: no stamp, not an error
    finally:
        for s in (client, conn, server):
            s.close()


@run_async
async def test_stamped_transport_reads_writes_with_backpressure_and_closes():
    loop = asyncio.get_running_loop()
    stamps, protos = [], []

    def factory():
        protos.append(Keeper())
        return protos[-1]
    server = kstamp.StampedServer(loop, factory, "127.0.0.1", 0, stamps.append)
    port = server.sockets[0].getsockname()[1]
    peer = socket.create_connection(("127.0.0.1", port))
    peer.setblocking(False)
    try:
        await _until(lambda: protos)
        proto = protos[0]
        for k in range(3):
            await loop.sock_sendall(peer, b"x%d" % k)
            await _until(lambda: len(proto.data) >= 2 * (k + 1))
        assert bytes(proto.data) == b"x0x1x2"
        assert len(stamps) == proto.transport.stamped >= 1 and all(0 <= s < 5_000_000_000 for s in stamps)
        # A write larger than the socket takes is buffered, pauses the protocol, and all of it
        # arrives in order once the peer reads.
        blob = bytes(range(256)) * (16 << 10)          # 4 MiB
        proto.transport.write(blob)
        proto.transport.write(b"END")
        assert proto.events == ["pause"] and proto.transport.get_write_buffer_size() > 0
        got = bytearray()
        while len(got) < len(blob) + 3:
            got += await loop.sock_recv(peer, 1 << 16)
        assert bytes(got) == blob + b"END"
        await _until(lambda: proto.events == ["pause", "resume"] and not proto.transport.get_write_buffer_size())
        # The peer closing its side ends the connection.
        peer.close()
        await asyncio.wait_for(proto.lost.wait(), 5)
        assert proto.transport.is_closing() and proto.transport.get_extra_info("socket") is None
    finally:
        peer.close()
        server.close()


@run_async
async def test_stamped_server_out_of_descriptors_pauses_accepting_and_logs_once(caplog):
    import os
    import resource
    loop = asyncio.get_running_loop()
    protos = []

    def factory():
        protos.append(Keeper())
        return protos[-1]
    server = kstamp.StampedServer(loop, factory, "127.0.0.1", 0, accept_retry_s=0.05)
    port = server.sockets[0].getsockname()[1]
    peers = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]   # queued in the backlog
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lowest = os.dup(0)                      # the next descriptor number: a limit at it makes accept EMFILE
    os.close(lowest)
    try:
        with caplog.at_level("INFO", logger="wirespeed.transport"):
            resource.setrlimit(resource.RLIMIT_NOFILE, (lowest, hard))
            try:
                await asyncio.sleep(0.3)
            finally:
                resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
            starved, pauses = len(protos), server.accept_pauses
            await _until(lambda: len(protos) == 3)   # resources back: the backlog is accepted
        failed = [r.getMessage() for r in caplog.records if r.getMessage().startswith("accept failed")]
        again = [r.getMessage() for r in caplog.records if r.getMessage().startswith("accepting connections again")]
        assert starved == 0
        # Paused and retried every 0.05 s, not spinning (the loop had retried thousands of times).
        assert 2 <= pauses <= 12
        assert len(failed) == 1 and "Too many open files" in failed[0] and "not accepting for 0.05 s" in failed[0]
        assert len(again) == 1 and f"(paused {pauses} times)" in again[0]
    finally:
        for p in peers:
            p.close()
        server.close()


@run_async
async def test_stamped_server_listens_on_ipv6_and_names_an_unresolvable_host():
    with pytest.raises(OSError, match="cannot resolve listen address 'no.such.host.invalid'"):
        kstamp.StampedServer(asyncio.get_running_loop(), Keeper, "no.such.host.invalid", 0)
    with pytest.raises(ValueError, match="accept_retry_s must be a positive number of seconds, not 0"):
        kstamp.StampedServer(asyncio.get_running_loop(), Keeper, "127.0.0.1", 0, accept_retry_s=0)
    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    protos = []

    def factory():
        protos.append(Keeper())
        return protos[-1]
    loop = asyncio.get_running_loop()
    server = kstamp.StampedServer(loop, factory, "::1", 0)
    assert server.sockets[0].family == socket.AF_INET6
    peer = socket.create_connection(("::1", server.sockets[0].getsockname()[1]))
    try:
        peer.sendall(b"over v6")
        await _until(lambda: protos and bytes(protos[0].data) == b"over v6")
        assert protos[0].transport.get_extra_info("peername")[0] == "::1"
    finally:
        peer.close()
        server.close()


@run_async(timeout=60)
async def test_gateway_with_kernel_timestamps_and_spin_records_the_kernel_hop():
    config = load_config(overrides={"risk": {"default": {"max_qty": 1000, "collar_ticks": 100}}})
    symbols = table_from_config(config.symbols)
    venue = SimVenue(config.venue, symbols)
    await venue.start()
    gw = Gateway(config, venue.port, clients=("CLIENT1",), symbols=symbols,
                 transport=TransportConfig(spin_micros=200, kernel_timestamps=True))
    await gw.start()
    client = FixClient("CLIENT1", config.gateway.comp_id, "127.0.0.1", gw.port)
    try:
        await client.start()
        for k in range(5):
            client.new_order(f"K{k}", "AAPL", "1", 10, "190.03")
        for k in range(5):
            reports = await client.wait_report(f"K{k}", count=2)
            assert [m[T.ExecType] for m in reports] == ["0", "F"]
        lat = gw.orders.drain_latency()
        # Client reads and venue reads are both stamped (reads coalesce: a stamp per read, not per order).
        client_reads = sum(p.transport.stamped for p in gw.acceptor._protocols)
        venue_reads = gw.initiator._transport.stamped
        assert client_reads >= 1 and venue_reads >= 1
        assert lat.count("kernel->user") == client_reads + venue_reads
        assert lat.count("client->venue") == 5 and lat.count("venue->client") >= 10
        assert gw.spinner is not None and gw.spinner.spins > 0
    finally:
        await client.stop()
        await gw.stop()
        await venue.stop()


@pytest.mark.parametrize("table,message", [
    ({"spin_micros": -1}, "transport.spin_micros: must be 0..1000000 microseconds, not -1.0"),
    ({"busy_poll_us": "50"}, "transport.busy_poll_us: must be an integer, not '50'"),
    ({"cpu_affinity": [4096]}, "transport.cpu_affinity[0]: no CPU 4096 on this machine"),
    ({"kernel_stamps": True}, "transport.kernel_stamps: unknown key"),
])
def test_a_bad_transport_table_names_the_key(table, message):
    mapping = {"clients": [{"comp_id": "C1"}], "venues": [{"name": "XNAS", "port": 1, "comp_id": "XNAS"}],
               "transport": table}
    with pytest.raises(ConfigError, match=re.escape(message)):
        from_mapping(ServiceConfig, mapping)


def test_kernel_timestamps_refuse_tls():
    import ssl

    from wirespeed.gateway.acceptor import FixAcceptor
    with pytest.raises(ValueError, match="kernel timestamps need plain sockets"):
        FixAcceptor(ssl=ssl.create_default_context(ssl.Purpose.CLIENT_AUTH), kernel_stamps=lambda ns: None)


def test_buffered_hops_make_the_same_histograms_as_one_record_per_value():
    import random

    from wirespeed.gateway.orders import _bucket
    from wirespeed.latency import LatencyRecorder
    rng = random.Random(7)
    values = [rng.choice((0, 1, 2047, 2048, 2049, 65_537, 70_000_000_000)) if rng.random() < 0.05
              else int(rng.lognormvariate(10, 2.5)) for _ in range(20_000)]
    direct = LatencyRecorder(["hop"])
    for v in values:
        direct.record("hop", v)
    counted = LatencyRecorder(["hop"])
    from collections import Counter
    for v, n in Counter(map(_bucket, values)).items():
        counted.histogram("hop").record_value(v, n)
    assert list(direct.histogram("hop").counts) == list(counted.histogram("hop").counts)
    assert direct.percentiles("hop") == counted.percentiles("hop")


@run_async
async def test_write_batcher_coalesces_a_turns_writes_in_order_and_flushes_before_close():
    from wirespeed.gateway.transport import FixProtocol, WriteBatcher
    loop = asyncio.get_running_loop()
    batcher = WriteBatcher()

    class Sink:                                   # a session: only what FixProtocol calls
        name = "sink"
        _write = None

        def connection_made(self, write, close):
            self._write, self._close = write, close

        def connection_lost(self):
            self._write = None

    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    sinks = [Sink(), Sink()]
    protos = []
    for sink in sinks:
        _t, proto = await loop.create_connection(lambda s=sink: FixProtocol(lambda _d, s=s: s, batcher=batcher),
                                                 "127.0.0.1", port)
        protos.append(proto)
    peers = [server.accept()[0] for _ in sinks]
    try:
        for k in range(50):                       # one loop turn: a burst to both connections
            sinks[k % 2]._write(b"m%02d;" % k)
        assert batcher.batched == 49              # only the first write of the turn went out at once
        sinks[1]._write(b"BYE;")
        sinks[1]._close()                         # closing flushes what the connection still holds
        await asyncio.sleep(0.05)
        got = []
        for peer in peers:
            peer.settimeout(2)
            data = b""
            while True:
                chunk = peer.recv(65536)
                data += chunk
                if not chunk or data.endswith(b"m48;") or data.endswith(b"BYE;"):
                    break
            got.append(data)
        assert got[0] == b"".join(b"m%02d;" % k for k in range(0, 50, 2))
        assert got[1] == b"".join(b"m%02d;" % k for k in range(1, 50, 2)) + b"BYE;"
    finally:
        for p in protos:
            p.transport.close()
        for s in peers + [server]:
            s.close()


@run_async
async def test_write_batcher_keeps_order_when_its_flush_causes_another_write():
    from wirespeed.gateway.transport import WriteBatcher
    batcher = WriteBatcher()
    wire = []

    class Transport:
        def __init__(self, name):
            self.name, self.hook = name, None

        def write(self, data):
            wire.append((self.name, bytes(data)))
            if self.hook is not None and bytes(data) == b"a1":
                self.hook()                    # e.g. a callback in the transport writing again

        def is_closing(self):
            return False

    class Proto:
        def __init__(self, name):
            self.transport = Transport(name)
    a, b = Proto("a"), Proto("b")
    a.transport.hook = lambda: batcher.write(b, b"b-new")
    batcher.write(a, b"a0")                    # the first write of the turn: at once
    batcher.write(a, b"a1")                    # collected for the next turn
    batcher.write(b, b"b-old")
    for _ in range(3):
        await asyncio.sleep(0)
    assert [d for n, d in wire if n == "b"] == [b"b-old", b"b-new"]   # the older one first
    assert [d for n, d in wire if n == "a"] == [b"a0", b"a1"]
    assert not batcher._pending and not batcher._open                  # closed once nothing is left
