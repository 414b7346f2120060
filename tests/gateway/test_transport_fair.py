"""Fair reads (transport/fair.py, READ_BUDGET): under overload one busy socket must not hold the
event loop. Busy client sockets with their kernel buffers full and one quiet socket with one
message: every connection is handled at most READ_BUDGET bytes a loop turn, the quiet message
within a few turns, and every busy byte arrives once, in order (held, never dropped). Turns are
counted by a callback that schedules itself once a turn; no wall-clock assertion."""
import asyncio
import socket

import pytest

from wirespeed.gateway.transport import fair, kstamp
from wirespeed.gateway.transport.tcp import READ_BUDGET, FixProtocol, fix_cut

from .conftest import run_async

BUSY = 6


def _frame(n: int) -> bytes:
    body = f"35=0\x0134={n}\x01112={'x' * 150}\x01".encode()
    return b"8=FIX.4.4\x019=%d\x01%s10=000\x01" % (len(body), body)


class Recorder:
    """A session that records, per read it is handed, the loop turn and the bytes."""

    name = "recorder"

    def __init__(self, key, log, turn):
        self.key, self.log, self.turn, self._write = key, log, turn, None

    def connection_made(self, write, close):
        self._write = write

    def data_received(self, data, recv_ns=0):
        self.log.append((self.turn[0], self.key, bytes(data)))

    def connection_lost(self):
        self._write = None

    def pause_writing(self):
        pass

    def resume_writing(self):
        pass


def _fill(sock: socket.socket, frames: list[bytes]) -> bytes:
    """Write frames until the kernel takes no more (no reader yet): what it took."""
    sock.setblocking(False)
    out = bytearray()
    for f in frames:
        try:
            sent = sock.send(f)
        except BlockingIOError:
            break
        out += f[:sent]
        if sent < len(f):
            break
    return bytes(out)


async def _run(kind: str, budget: int = READ_BUDGET):
    loop = asyncio.get_running_loop()
    turn, log, protos = [0], [], []
    keys = iter([f"busy{i}" for i in range(BUSY)] + ["quiet"])

    def factory():
        proto = FixProtocol(None, read_budget=budget)
        proto._resolve = lambda _data, key=next(keys): Recorder(key, log, turn)
        protos.append(proto)
        return proto

    if kind == "uvloop":
        listener = socket.create_server(("127.0.0.1", 0))
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)   # inherited by accepted sockets
        server = await loop.create_server(factory, sock=listener)
    else:
        server = kstamp.StampedServer(loop, factory, "127.0.0.1", 0)
        server.sockets[0].setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    port = server.sockets[0].getsockname()[1]
    clients, sent = [], {}
    try:
        for i in range(BUSY + 1):
            c = socket.create_connection(("127.0.0.1", port))
            c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
            clients.append(c)
        for _ in range(500):          # all accepted and read from (nothing yet)
            if len(protos) == BUSY + 1:
                break
            await asyncio.sleep(0.002)
        await asyncio.sleep(0.02)
        # Filled before the loop runs again: the server reads nothing meanwhile, then finds every
        # socket readable at once, the quiet one last.
        frames = [_frame(n) for n in range(20_000)]
        for i, c in enumerate(clients[:BUSY]):
            sent[f"busy{i}"] = _fill(c, frames)
        quiet = clients[BUSY]
        quiet.sendall(_frame(1))
        sent["quiet"] = _frame(1)
        assert min(len(sent[f"busy{i}"]) for i in range(BUSY)) > 4 * READ_BUDGET, "kernel buffers too small"

        def tick():
            turn[0] += 1
            if turn[0] < 100_000:
                loop.call_soon(tick)
        loop.call_soon(tick)
        got = lambda: {k: sum(len(d) for _t, kk, d in log if kk == k) for k in sent}  # noqa: E731
        for _ in range(2000):
            if got() == {k: len(v) for k, v in sent.items()}:
                break
            await asyncio.sleep(0.005)
        return log, sent, protos
    finally:
        for c in clients:
            c.close()
        server.close()


def _per_turn(log):
    per = {}
    for t, key, data in log:
        per[t, key] = per.get((t, key), 0) + len(data)
    return per


@pytest.mark.parametrize("kind", ["uvloop", "stamped"])
def test_a_quiet_socket_is_handled_within_a_few_turns_of_busy_ones(kind):
    log, sent, protos = run_async(_run)(kind)
    for key, data in sent.items():         # all of it, once, in order: held, never dropped
        assert b"".join(d for _t, k, d in log if k == key) == data, key
    per = _per_turn(log)
    assert max(per.values()) <= READ_BUDGET, "a connection was handled past its budget in one turn"
    first = min(t for t, _k, _d in log)
    quiet_turn = next(t for t, k, _d in log if k == "quiet")
    assert quiet_turn - first <= 2, f"the quiet message waited {quiet_turn - first} turns"
    before = sum(len(d) for t, k, d in log if k != "quiet" and t <= quiet_turn)
    assert before <= 3 * BUSY * READ_BUDGET
    if kind == "uvloop":          # (uvloop's reads are 256,000 bytes: the rest was held a turn)
        assert sum(p.held_turns for p in protos) > 0


def test_a_larger_budget_counts_every_read_of_the_turn():
    """A venue connection's budget (VENUE_READ_BUDGET) is larger than one uvloop read (256,000
    bytes): libuv's several reads of one turn are counted together and cut at the budget."""
    budget = 300_000
    log, sent, _protos = run_async(_run)("uvloop", budget)
    for key, data in sent.items():
        assert b"".join(d for _t, k, d in log if k == key) == data, key
    per = _per_turn(log)
    assert READ_BUDGET < max(per.values()) <= budget


def test_without_fair_reads_a_busy_socket_holds_the_loop(monkeypatch):
    """The scenario reproduces the starvation (so the test above can fail): libuv reads a busy
    socket until its buffer is empty (up to 32 x 256,000 bytes) in one turn."""
    monkeypatch.setattr(fair, "FAIR_READS", False)
    log, sent, _protos = run_async(_run)("uvloop")
    per = _per_turn(log)
    assert max(per.values()) > 2 * READ_BUDGET


def test_a_long_read_is_cut_after_the_last_whole_frame_in_the_budget():
    frames = b"".join(_frame(n) for n in range(1000))
    cut = fix_cut(frames)
    assert 0 < cut <= READ_BUDGET and frames[cut:].startswith(b"8=FIX") and frames[:cut].endswith(b"10=000\x01")
    assert fix_cut(frames, 100) == 100          # (the first frame is longer than 100 bytes)
    blob = b"8=FIX.4.4\x019=99999\x01" + b"x" * (2 * READ_BUDGET)     # one message longer than the budget
    assert fix_cut(blob) == READ_BUDGET


class _FakeTransport:
    def __init__(self):
        self.reading, self.closing = True, False

    def pause_reading(self):
        self.reading = False

    def resume_reading(self):
        self.reading = True

    def is_closing(self):
        return self.closing


class _Chunks(fair.FairReads, asyncio.Protocol):
    """FairReads' default cut (anywhere: OuchVenueSession's, whose parser buffers a partial frame)."""

    read_budget = 100_000

    def __init__(self, turn):
        self.transport, self.turn, self.got = _FakeTransport(), turn, []

    def _handle(self, data, recv_ns):
        self.got.append((self.turn[0], data, recv_ns))


def test_a_read_past_the_budget_is_handed_on_a_budget_a_turn_and_reading_resumes_after():
    async def go():
        loop = asyncio.get_running_loop()
        turn = [0]

        def tick():
            turn[0] += 1
            if turn[0] < 50:
                loop.call_soon(tick)
        loop.call_soon(tick)
        p = _Chunks(turn)
        data = bytes(range(256)) * 1000            # 256,000 bytes: one uvloop read
        p.data_received(data)
        assert not p.transport.reading              # paused inside the read: libuv reads no more
        p.data_received(b"late")                    # (a transport that read on anyway: kept behind)
        while not p.transport.reading:
            await asyncio.sleep(0)
        return p, data, turn[0]
    p, data, _ = run_async(go)()
    assert b"".join(d for _t, d, _ns in p.got) == data + b"late"
    assert [len(d) for _t, d, _ns in p.got] == [100_000, 100_000, 56_004]
    assert len({t for t, _d, _ns in p.got}) == 3   # one chunk a turn
    assert len({ns for _t, _d, ns in p.got}) == 1  # every chunk stamped with its read's time
    assert p.held_turns == 2
