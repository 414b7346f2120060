"""WriteBatcher inside a read (transport/tcp.py): the first write a read causes to a connection
goes at once, the rest once the read is handled, one write a connection, in order, at most
READ_BATCH messages late; FixProtocol opens and closes
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
    batcher = WriteBatcher()
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
    batcher = WriteBatcher()
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
    batcher = WriteBatcher()
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
    batcher = WriteBatcher()
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
    batcher = WriteBatcher()
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
