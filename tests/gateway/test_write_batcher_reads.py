"""WriteBatcher inside a read (transport/tcp.py): the first write a read causes to a connection
goes at once, the rest once the read is handled (``per_turn=False``) or at the start of the next
loop turn (``per_turn``, the default: the turn's reads share one write a connection), one write a
connection, in order, at most READ_BATCH messages late; FixProtocol opens and closes
the read around the session's data_received, whatever the session raises."""
import asyncio
import socket

from wirespeed.gateway.transport import FixProtocol, WriteBatcher
from wirespeed.gateway.transport import tcp

from .conftest import run_async


class Transport:
    def __init__(self, name, wire):
        self.name, self.wire = name, wire

    def write(self, data):
        self.wire.append((self.name, bytes(data)))

    def is_closing(self):
        return False


class Proto:
    def __init__(self, name, wire):
        self.transport = Transport(name, wire)


@run_async
async def test_a_read_s_writes_go_out_when_it_is_handled_one_write_a_connection_in_order():
    wire = []
    batcher = WriteBatcher(per_turn=False)
    a, b = Proto("a", wire), Proto("b", wire)
    batcher.begin_read()
    for k in range(5):
        batcher.write(a, b"a%d;" % k)
        if k % 2:
            batcher.write(b, b"b%d;" % k)
    assert wire == [("a", b"a0;"), ("b", b"b1;")]       # the first to each at once, the rest held
    batcher.end_read()
    assert wire[2:] == [("a", b"a1;a2;a3;a4;"), ("b", b"b3;")]
    assert batcher.batched == 5 and not batcher._open and not batcher._pending
    batcher.begin_read()                                  # a new read: its first writes at once again
    batcher.write(b, b"b5;")
    batcher.end_read()
    assert wire[-1] == ("b", b"b5;")
    batcher.write(a, b"lone;")                            # outside a read: the turn's first write at once
    assert wire[-1] == ("a", b"lone;")
    await asyncio.sleep(0)
    assert not batcher._open


@run_async
async def test_a_read_after_the_turn_s_first_write_flushes_what_the_turn_collected_first():
    wire = []
    batcher = WriteBatcher(per_turn=False)
    a = Proto("a", wire)
    batcher.write(a, b"t0;")          # at once; the turn is open
    batcher.write(a, b"t1;")          # collected for the next turn
    batcher.begin_read()
    batcher.write(a, b"r0;")
    batcher.end_read()                # the older bytes before the read's
    assert wire == [("a", b"t0;"), ("a", b"t1;r0;")]     # (behind the turn's: collected, not at once)
    await asyncio.sleep(0)            # the turn's flush finds nothing more and closes the turn
    assert not batcher._open and not batcher._pending
    assert wire == [("a", b"t0;"), ("a", b"t1;r0;")]


@run_async
async def test_a_long_read_writes_every_read_batch_messages_so_the_first_does_not_wait_for_all():
    wire = []
    batcher = WriteBatcher(per_turn=False)
    a = Proto("a", wire)
    n = 2 * tcp.READ_BATCH + 22
    batcher.begin_read()
    for k in range(n):
        batcher.write(a, b"%d;" % k)
    assert [len(d.split(b";")) - 1 for _, d in wire] == [1, tcp.READ_BATCH, tcp.READ_BATCH]
    batcher.end_read()
    assert [len(d.split(b";")) - 1 for _, d in wire] == [1, tcp.READ_BATCH, tcp.READ_BATCH, 21]
    assert b"".join(d for _, d in wire) == b"".join(b"%d;" % k for k in range(n))


@run_async
async def test_fix_protocol_flushes_the_read_s_writes_even_when_its_session_raises():
    loop = asyncio.get_running_loop()
    batcher = WriteBatcher(per_turn=False)
    wire = []
    other = Proto("venue", wire)

    class Session:      # each frame ("m;") written to the other connection; "boom" raises after
        name, _write = "sink", None

        def connection_made(self, write, close):
            self._write = write

        def connection_lost(self):
            self._write = None

        def data_received(self, data, recv_ns):
            for part in data.split(b";")[:-1]:
                if part == b"boom":
                    raise RuntimeError("session bug")
                batcher.write(other, part + b";")

    server = socket.create_server(("127.0.0.1", 0))
    sessions = [Session(), Session()]
    protos = []
    for s in sessions:
        _t, proto = await loop.create_connection(lambda s=s: FixProtocol(lambda _d, s=s: s, batcher=batcher),
                                                 "127.0.0.1", server.getsockname()[1])
        protos.append(proto)
    peers = [server.accept()[0] for _ in sessions]
    try:
        protos[0].data_received(b"x1;x2;x3;")
        assert wire == [("venue", b"x1;"), ("venue", b"x2;x3;")]   # the rest in one write, once handled
        protos[1].data_received(b"y1;y2;y3;boom;")      # the session fails: disconnected, the log says so
        assert wire[2:] == [("venue", b"y1;"), ("venue", b"y2;y3;")]   # what it wrote before failing goes out
        assert batcher._reading == 0 and not batcher._pending
    finally:
        for p in protos:
            p.transport.close()
        for s in peers + [server]:
            s.close()


class _GatedSession:
    trail_gated = True


@run_async
async def test_a_gate_failing_in_a_read_s_write_out_holds_every_connection_s_bytes_of_that_read():
    """The trail's gate fails at the first connection's write-out: the bytes the same read
    collected for the other connections were numbered before the failure (reports not journaled
    among them), so they pass the gate too (held or taken back), never straight to the wire; what a
    connection writes after the failure (session traffic only) goes at once, as before."""
    wire, offered = [], []
    batcher = WriteBatcher(per_turn=False)
    up = [False]
    batcher.gate = lambda: up[0]
    batcher.take_back = lambda proto, data: offered.append((proto.transport.name, data)) or proto.transport.name == "c"
    a, b, c = (Proto(n, wire) for n in "abc")
    for p in (a, b, c):
        p.session = _GatedSession()
    batcher.begin_read()                 # one venue read with a report for each of three clients
    batcher.write(a, b"ra;")
    batcher.write(b, b"rb;")
    batcher.write(c, b"rc;")
    assert wire == []                    # (gated: all collected, the first too)
    batcher.end_read()
    assert wire == [] and batcher.failing
    assert offered == [("a", b"ra;"), ("b", b"rb;"), ("c", b"rc;")]   # each offered for take-back
    assert batcher.held() == len(b"ra;rb;")                          # c's taken back, a's and b's held
    batcher.begin_read()                 # after the failure: a Heartbeat to c goes at once
    batcher.write(c, b"hb;")
    batcher.end_read()
    assert wire == [("c", b"hb;")] and not batcher._unsure
    up[0] = True
    batcher.release()
    assert sorted(wire[1:]) == [("a", b"ra;"), ("b", b"rb;")] and not batcher.failing


def _read(batcher, *writes):
    """One read handled: its writes, (connection, bytes) each, between begin_read and end_read."""
    batcher.begin_read()
    for proto, data in writes:
        batcher.write(proto, data)
    batcher.end_read()


@run_async
async def test_per_turn_the_turn_s_reads_share_one_write_a_connection_after_the_first():
    """Three client reads in one loop turn, each with an order to the same venue: the first at
    once, the other two in one write at the start of the next turn (one a read before)."""
    wire = []
    batcher = WriteBatcher(per_turn=True)
    venue, client = Proto("venue", wire), Proto("client", wire)
    batcher.begin_read()                # a quiet turn: one read, its write at once
    batcher.write(venue, b"q;")
    batcher.end_read()
    assert wire == [("venue", b"q;")]
    await asyncio.sleep(0)
    assert not batcher._sent and not batcher._open
    for k in range(3):                  # a busy turn
        _read(batcher, (venue, b"o%d;" % k))
    assert wire[1:] == [("venue", b"o0;")] and batcher._open      # the rest wait for the turn's end
    batcher.write(client, b"hb;")       # outside a read, the turn still open: collected behind them
    assert wire[1:] == [("venue", b"o0;")]
    await asyncio.sleep(0)
    assert wire[2:] == [("venue", b"o1;o2;"), ("client", b"hb;")] and not batcher._pending


@run_async
async def test_per_turn_after_a_busy_turn_the_first_write_waits_for_the_turn_s_end_too():
    """The turn after one of several reads (the loop busy): a connection written in it gets one
    write this turn, at its end, the first too; a turn of one read lets the next first write go
    at once again (a lone order as before)."""
    wire = []
    batcher = WriteBatcher(per_turn=True)
    venue, other = Proto("venue", wire), Proto("other", wire)
    for k in range(2):                  # a busy turn
        _read(batcher, (venue, b"b%d;" % k))
    await asyncio.sleep(0)
    assert wire == [("venue", b"b0;"), ("venue", b"b1;")] and venue in batcher._sent
    batcher.begin_read()                # the next turn: one read
    batcher.write(venue, b"n0;")        # (written to in the busy turn: collected, the first too)
    batcher.write(other, b"x;")         # (not: at once)
    batcher.write(venue, b"n1;")
    batcher.end_read()
    assert wire[2:] == [("other", b"x;")]
    await asyncio.sleep(0)
    assert wire[3:] == [("venue", b"n0;n1;")] and not batcher._sent    # one read: the turn was quiet
    batcher.begin_read()
    batcher.write(venue, b"lone;")
    batcher.end_read()
    assert wire[-1] == ("venue", b"lone;")                             # at once again
    await asyncio.sleep(0)
    assert not batcher._open and not batcher._sent
    _read(batcher)                      # reads that write nothing do not make a turn busy
    _read(batcher)
    assert batcher._turn_reads == 0


@run_async
async def test_a_dropped_connection_leaves_the_turn_s_sent_set():
    wire = []
    batcher = WriteBatcher(per_turn=True)
    a = Proto("a", wire)
    _read(batcher, (a, b"m;"))
    _read(batcher, (a, b"m;"))
    await asyncio.sleep(0)
    assert a in batcher._sent
    batcher.drop(a)
    assert a not in batcher._sent


@run_async
async def test_per_turn_off_each_read_writes_its_rest_when_handled():
    """The before (WIRESPEED_TURN_WRITES=0): the same three reads, a write each."""
    wire = []
    batcher = WriteBatcher(per_turn=False)
    venue = Proto("venue", wire)
    for k in range(3):
        _read(batcher, (venue, b"o%d;" % k), (venue, b"p%d;" % k))
    assert wire == [("venue", b"o0;"), ("venue", b"p0;"), ("venue", b"o1;"), ("venue", b"p1;"),
                    ("venue", b"o2;"), ("venue", b"p2;")]


def test_turn_writes_is_the_default_and_the_env_turns_it_off():
    import subprocess
    import sys
    code = "from wirespeed.gateway.transport.tcp import WriteBatcher as W; print(W().per_turn)"
    for env, want in (("1", "True"), ("0", "False")):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**__import__("os").environ, "WIRESPEED_TURN_WRITES": env}).stdout.strip()
        assert out == want
