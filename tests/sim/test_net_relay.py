"""Relays over real loopback sockets: delay, outages, close behaviour, several paths, and the
toxiproxy HTTP API driven by toxiproxy-python (a client wirespeed did not write) and plain HTTP."""
import asyncio
import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
import toxiproxy
from toxiproxy.api import APIConsumer
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

from wirespeed.sim.net import ControlApi, Relay, ToxicSpec


async def _echo_server():
    async def echo(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def _round_trip(port, payload=b"ping", timeout=2.0):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    t0 = time.perf_counter_ns()
    writer.write(payload)
    got = await asyncio.wait_for(reader.readexactly(len(payload)), timeout)
    rtt = time.perf_counter_ns() - t0
    writer.close()
    return got, rtt


def test_latency_is_injected_per_direction_and_measured():
    async def main():
        server, port = await _echo_server()
        relay = Relay(seed=3)
        path = await relay.create("v1", f"127.0.0.1:{port}")
        path.add_toxic(ToxicSpec("latency", stream="upstream", attributes={"latency": 2}))
        path.add_toxic(ToxicSpec("latency", stream="downstream", attributes={"latency": 1, "jitter": 0.5}))
        results = [await _round_trip(path.port, b"hello %d" % i) for i in range(5)]
        stats = path.stats()
        await relay.close()
        server.close()
        return results, stats
    results, stats = asyncio.run(main())
    assert [r[0] for r in results] == [b"hello %d" % i for i in range(5)]
    assert all(rtt >= 2_500_000 for _, rtt in results), "2 ms up + at least 0.5 ms down"
    up, down = stats["upstream_injected_delay"], stats["downstream_injected_delay"]
    assert up["count"] == down["count"] == 5 and up["p50"] >= 2_000_000 and down["p50"] >= 500_000
    assert stats["delay_error"]["count"] == 10


def test_outages_black_hole_reset_limit_and_disable():
    async def main():
        server, port = await _echo_server()
        relay = Relay()
        path = await relay.create("v1", f"127.0.0.1:{port}")
        out = {}
        # Black hole: nothing comes back, the connection stays open.
        path.add_toxic(ToxicSpec("timeout", stream="upstream"))
        with pytest.raises(asyncio.TimeoutError):
            await _round_trip(path.port, timeout=0.1)
        path.remove_toxic("timeout_upstream")
        out["after"] = (await _round_trip(path.port))[0]
        # Timeout with a deadline closes the connection.
        path.add_toxic(ToxicSpec("timeout", stream="downstream", attributes={"timeout": 20}))
        reader, writer = await asyncio.open_connection("127.0.0.1", path.port)
        writer.write(b"lost")
        out["timeout_eof"] = await asyncio.wait_for(reader.read(10), 1)
        path.remove_toxic("timeout_downstream")
        # Reset peer: the client sees a connection reset.
        path.add_toxic(ToxicSpec("reset_peer", attributes={"timeout": 10}))
        reader, writer = await asyncio.open_connection("127.0.0.1", path.port)
        try:
            out["reset"] = await asyncio.wait_for(reader.read(10), 1)
        except ConnectionResetError:
            out["reset"] = "reset"
        path.remove_toxic("reset_peer_downstream")
        # limit_data: 6 bytes pass, then the connection closes.
        path.add_toxic(ToxicSpec("limit_data", attributes={"bytes": 6}))
        reader, writer = await asyncio.open_connection("127.0.0.1", path.port)
        writer.write(b"0123456789")
        out["limited"] = await asyncio.wait_for(reader.read(100), 1)
        out["limited_eof"] = await asyncio.wait_for(reader.read(100), 1)
        path.remove_toxic("limit_data_downstream")
        # Disabled: the port refuses connections; enabled again it relays.
        await path.disable()
        try:
            await asyncio.open_connection("127.0.0.1", path.port)
            out["disabled"] = "connected"
        except ConnectionRefusedError:
            out["disabled"] = "refused"
        await path.enable()
        out["enabled"] = (await _round_trip(path.port))[0]
        await relay.close()
        server.close()
        return out
    out = asyncio.run(main())
    assert out == {"after": b"ping", "timeout_eof": b"", "reset": "reset", "limited": b"012345",
                   "limited_eof": b"", "disabled": "refused", "enabled": b"ping"}


def test_slow_close_holds_the_close_and_slicer_keeps_bytes():
    async def answer_and_close(reader, writer):
        writer.write(await reader.read(10))
        await writer.drain()
        writer.close()

    async def main():
        server = await asyncio.start_server(answer_and_close, "127.0.0.1", 0)
        relay = Relay()
        path = await relay.create("v1", f"127.0.0.1:{server.sockets[0].getsockname()[1]}")
        path.add_toxic(ToxicSpec("slow_close", stream="downstream", attributes={"delay": 60}))
        reader, writer = await asyncio.open_connection("127.0.0.1", path.port)
        t0 = time.perf_counter()        # (before the write: the close comes after it, however loaded the machine)
        writer.write(b"bye")
        got = await asyncio.wait_for(reader.readexactly(3), 2)
        eof = await asyncio.wait_for(reader.read(10), 2)
        held = time.perf_counter() - t0
        path.remove_toxic("slow_close_downstream")
        # The slicer cuts the echo of 200 bytes into 2..4-byte writes, every byte in order.
        echo, port = await _echo_server()
        sliced = await relay.create("v2", f"127.0.0.1:{port}", toxics=[
            ToxicSpec("slicer", attributes={"average_size": 3, "size_variation": 1, "delay": 100})])
        payload = bytes(range(200))
        back = (await _round_trip(sliced.port, payload))[0]
        await relay.close()
        server.close()
        echo.close()
        return got, eof, held, back
    got, eof, held, back = asyncio.run(main())
    assert got == b"bye" and eof == b"" and held >= 0.06
    assert back == bytes(range(200))


def test_several_paths_to_one_venue():
    async def main():
        server, port = await _echo_server()
        relay = Relay(seed=1)
        fast = await relay.create("venue_fast", f"127.0.0.1:{port}")
        slow = await relay.create("venue_slow", f"127.0.0.1:{port}",
                                  toxics=[ToxicSpec("latency", attributes={"latency": 5})])
        f, s = await _round_trip(fast.port), await _round_trip(slow.port)
        stats = fast.stats(), slow.stats()
        await relay.close()
        server.close()
        return f, s, stats
    (fg, _), (sg, srtt), (fast, slow) = asyncio.run(main())
    assert fg == sg == b"ping" and srtt >= 5_000_000
    assert slow["downstream_injected_delay"]["p50"] >= 5_000_000 and fast["delay_error"]["count"] == 2


class _Background:
    """The relay, its API and an echo venue on a loop in a thread (toxiproxy-python is blocking)."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self.ready.set()
        self.loop.run_forever()

    async def _start(self):
        self.server, self.venue_port = await _echo_server()
        self.relay = Relay(seed=2)
        self.api = ControlApi(self.relay)
        self.api_port = await self.api.start()

    def call(self, coro, timeout=5):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __enter__(self):
        self.thread.start()
        self.ready.wait(5)
        return self

    def __exit__(self, *exc):
        async def stop():
            await self.api.stop()
            await self.relay.close()
            self.server.close()
        self.call(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def background():
    with _Background() as bg:
        APIConsumer.host, APIConsumer.port = "127.0.0.1", bg.api_port
        yield bg


def _http(bg, method, path, body=None):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(f"http://127.0.0.1:{bg.api_port}{path}", data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw and resp.headers["Content-Type"] == "application/json" else raw
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _sync_round_trip(port, payload=b"ping"):
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        t0 = time.perf_counter()
        s.sendall(payload)
        got = b""
        while len(got) < len(payload):
            got += s.recv(100)
        return got, time.perf_counter() - t0


def test_toxiproxy_python_client_drives_the_relay(background):
    server = toxiproxy.Toxiproxy()
    assert server.running() and server.version() == b"2.9.0"
    proxy = server.create(upstream=f"127.0.0.1:{background.venue_port}", name="venue1")
    assert proxy.listen.startswith("127.0.0.1:") and proxy.enabled is True
    port = int(proxy.listen.rsplit(":", 1)[1])
    with pytest.raises(ProxyExists):
        server.create(upstream=f"127.0.0.1:{background.venue_port}", name="venue1")
    proxy.add_toxic(type="latency", stream="downstream", attributes={"latency": 30, "jitter": 1})
    toxics = proxy.toxics()
    assert list(toxics) == ["latency_downstream"] and toxics["latency_downstream"].attributes["latency"] == 30
    got, rtt = _sync_round_trip(port)
    assert got == b"ping" and rtt >= 0.029
    with pytest.raises(InvalidToxic):
        proxy.add_toxic(type="latency", name="bad", attributes={"latency": -3})
    with pytest.raises(InvalidToxic):
        proxy.add_toxic(type="wormhole")
    proxy.destroy_toxic("latency_downstream")
    assert proxy.toxics() == {}
    with proxy.down():
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1)
    assert _sync_round_trip(port)[0] == b"ping"
    proxy.add_toxic(type="bandwidth", attributes={"rate": 10})
    assert server.reset() and proxy.toxics() == {}
    assert set(server.proxies()) == {"venue1"}
    server.destroy(proxy)
    assert server.proxies() == {}
    with pytest.raises(NotFound):
        APIConsumer.get("/proxies/venue1")


def test_plain_http_json_and_error_reasons(background):
    up = f"127.0.0.1:{background.venue_port}"
    status, body = _http(background, "POST", "/proxies", {"name": "p1", "upstream": up, "listen": "127.0.0.1:0"})
    assert status == 201 and body["name"] == "p1" and body["toxics"] == []
    status, body = _http(background, "POST", "/proxies/p1/toxics",
                         {"type": "latency", "stream": "upstream", "attributes": {"latency": 0.5}})
    assert status == 200 and body["name"] == "latency_upstream" and body["attributes"]["latency"] == 0.5
    status, body = _http(background, "POST", "/proxies/p1/toxics/latency_upstream", {"attributes": {"jitter": 0.1}})
    assert status == 200 and body["attributes"] == {"latency": 0.5, "jitter": 0.1, "distribution": "uniform"}
    assert _http(background, "GET", "/proxies/p1/toxics/latency_upstream")[1]["attributes"]["jitter"] == 0.1
    port = int(_http(background, "GET", "/proxies/p1")[1]["listen"].rsplit(":", 1)[1])
    assert _sync_round_trip(port)[0] == b"ping"
    stats = _http(background, "GET", "/proxies/p1/stats")[1]
    assert stats["upstream_injected_delay"]["count"] == 1 and stats["upstream_injected_delay"]["p50"] >= 400_000
    assert stats["downstream_injected_delay"]["p50"] < 500_000 and stats["delay_error"]["count"] == 2
    bad = [
        ("POST", "/proxies/p1/toxics", {"type": "latency", "attributes": {"jitter": "lots"}}, 400,
         "attributes.jitter: must be a number, not 'lots'"),
        ("POST", "/proxies/p1/toxics", {"type": "nope"}, 400, "type: unknown toxic type 'nope'"),
        ("POST", "/proxies/p1/toxics", {"type": "latency", "stream": "upstream"}, 409, "already exists"),
        ("POST", "/proxies/p1/toxics", b"{not json", 400, "body: not JSON"),
        ("GET", "/proxies/p1/toxics/ghost", None, 404, "toxic 'ghost' not found"),
        ("GET", "/proxies/ghost", None, 404, "proxy 'ghost' not found"),
        ("POST", "/proxies", {"name": "p2", "upstream": up, "listen": "10.1.2.3:0"}, 400, "listen: a simulated"),
        ("POST", "/proxies", {"name": "p2"}, 400, "upstream: missing"),
        ("POST", "/proxies", {"name": "p2", "upstream": "nohost"}, 400, "upstream: must be host:port"),
    ]
    for method, path, payload, code, text in bad:
        status, body = _http(background, method, path, payload)
        assert status == code and text in body["error"] and body["status"] == code, (path, body)
    assert _http(background, "DELETE", "/proxies/p1/toxics/latency_upstream")[0] == 204
    assert _http(background, "POST", "/reset")[0] == 204
    status, body = _http(background, "POST", "/populate", [{"name": "a", "upstream": up}, {"name": "b", "upstream": up}])
    assert status == 201 and [p["name"] for p in body["proxies"]] == ["a", "b"]
    assert set(_http(background, "GET", "/proxies")[1]) == {"p1", "a", "b"}


def test_wirespeed_relay_command_serves_toxiproxy_clients():
    proc = subprocess.Popen([sys.executable, "-m", "wirespeed.cli", "relay", "--port", "0", "--run-for", "20",
                             "--sched", "normal"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)", proc.stdout.readline()).group(1))
        APIConsumer.host, APIConsumer.port = "127.0.0.1", port
        server = toxiproxy.Toxiproxy()
        assert server.running() and server.proxies() == {}
        proxy = server.create(upstream="127.0.0.1:9", name="p1")
        proxy.add_toxic(type="latency", attributes={"latency": 1})
        assert list(server.get_proxy("p1").toxics()) == ["latency_downstream"]
    finally:
        proc.terminate()
        proc.wait(10)


def test_removing_an_outage_toxic_calls_the_outage_off():
    async def main():
        server, port = await _echo_server()
        relay = Relay()
        path = await relay.create("v1", f"127.0.0.1:{port}")
        reader, writer = await asyncio.open_connection("127.0.0.1", path.port)
        path.add_toxic(ToxicSpec("reset_peer", attributes={"timeout": 50}))
        path.remove_toxic("reset_peer_downstream")
        await asyncio.sleep(0.1)
        writer.write(b"alive")
        got = await asyncio.wait_for(reader.readexactly(5), 2)
        writer.close()
        await relay.close()
        server.close()
        return got
    assert asyncio.run(main()) == b"alive"
