"""The transport's C read entry (gateway/native/read_entry.h): ``FixProtocol.data_received`` in C,
from the read callback straight into the fast path's C driver, against the Python chain it stands
in for (FairReads.data_received -> FixProtocol._handle -> Session.data_received -> on_read) and
against the Python path (no fast path at all).

The rig of test_fast_path.py, with each session's reads handed to a ``FixProtocol`` (a transport
that keeps nothing): the same scripts run three ways and every byte written to the client and to
each venue, every trail record, every order's state, the counts and the stores' numbers must be
equal. The scripts put several messages in one read, cut a frame across two reads, put
non-fast messages (admin, status, cancel) in the same read as orders, and send garbage and a
bad CheckSum; ``_path.entry_counts`` shows the entry took reads and passed the others on."""
import pytest

from wirespeed.gateway import report_fast  # noqa: F401 (binds the entry's fast path types)
from wirespeed.gateway.native import _path
from wirespeed.gateway.transport import tcp
from wirespeed.gateway.transport.fair import FairReads
from wirespeed.gateway.transport.tcp import WriteBatcher

from . import test_fast_path as base
from . import test_report_fast_path as reports
from .test_fast_path import Rig, _msgs, order, pinned_time, session_ending_reads  # noqa: F401 (the autouse fixture)

pytestmark = pytest.mark.skipif(tcp.READ_ENTRY is None, reason="the C read entry is not built or is turned off")


class Transport:
    """What FixProtocol asks of a transport on a read (nothing buffered, never paused)."""

    def __init__(self):
        self.closed = False

    def is_closing(self):
        return self.closed

    def close(self):
        self.closed = True

    def get_write_buffer_size(self):
        return 0


def _protocol(session):
    proto = tcp.FixProtocol(lambda _data: session)
    proto.transport, proto.session = Transport(), session
    return proto


class EntryRig(Rig):
    """The rig with its reads going through a FixProtocol: ``entry`` True calls the C entry (what
    uvloop calls), False the Python chain (FairReads.data_received)."""

    def __init__(self, entry: bool, **kw):
        super().__init__(True, **kw)
        self.entry = entry
        self.protos = {"CLIENT1": _protocol(self.client)}
        self.protos.update({n: _protocol(v) for n, v in self.venues.items()})

    def _feed(self, name, data):
        proto = self.protos[name]
        if self.entry:
            proto.data_received(data)
        else:
            FairReads.data_received(proto, data)

    def read(self, *frames):
        self._feed("CLIENT1", b"".join(frames))

    def venue_says(self, name, msg_type, fields):
        self._feed(name, self.frame(msg_type, fields, sender=name))


def _three(script, **kw):
    """The script through the C entry, the Python chain with the fast path, and the Python path:
    the same results; returns the entry's rig and result and the entry's counts."""
    _path.entry_counts()
    rig = EntryRig(True, **kw)
    reports.own_dictionaries(rig)
    script(rig)
    taken, passed = _path.entry_counts()
    got = rig.result()
    for other in (EntryRig(False, **kw), Rig(False, **kw)):
        reports.own_dictionaries(other)
        script(other)
        want = other.result()
        for key in got:
            assert got[key] == want[key], (key, type(other).__name__)
    return rig, got, (taken, passed)


def test_a_random_stream_through_the_entry_gives_the_python_paths_bytes_trail_and_state():
    rig, result, (taken, passed) = _three(lambda r: base._random_script(r, 11))
    # the entry took most reads (orders several to a read, reports) and passed the others on
    assert taken > 250 and passed >= 1, (taken, passed)
    assert rig.client.fast.orders > 150 and result["counts"]["fills"] > 50, (rig.client.fast.orders, result["counts"])


def test_every_fallback_reason_through_the_entry_keeps_the_python_paths_result():
    """A cut frame (its rest the next read, which the parser finishes), a bad CheckSum, admin,
    status and cancel messages before an order in one read, gaps, PossDup, ...: each read the
    entry takes leaves the frames from the first it does not take to the session, in order."""
    rig, result, (taken, passed) = _three(base._fallback_script, second_venue=True)
    assert set(rig.gw.fast_fallbacks) >= base.REASONS_KEPT_UP, base.REASONS_KEPT_UP - set(rig.gw.fast_fallbacks)
    assert taken > 20 and passed >= 1, (taken, passed)
    assert rig.client.active and not rig.client._queue


def test_garbage_and_a_bad_checksum_in_a_read_the_entry_takes_are_answered_as_the_session_answers_them():
    def script(rig):
        rig.read(rig.frame("D", order("a")), rig.frame("D", order("b")))
        bad = bytearray(rig.frame("D", order("badsum"), seq=rig.seq["CLIENT1"]))
        bad[-3] = ord("0") + (bad[-3] - ord("0") + 1) % 10           # a wrong CheckSum: dropped
        rig.read(rig.frame("D", order("c")), bytes(bad), rig.frame("D", order("d")))
        rig.read(rig.frame("D", order("e")), b"8=FIX.4.4\x019=5\x01garbage\x01", rig.frame("D", order("f")))
        # a message the dictionary refuses (a required tag missing): a session-level Reject
        rig.read(rig.frame("D", order("g")), rig.frame("D", [(11, "h"), (55, "AAPL")]), rig.frame("D", order("i")))
        rig.read(rig.frame("D", order("j")))
    rig, result, (taken, passed) = _three(script)
    client = [m.msg_type for m in _msgs(result["client"])]
    assert "3" in client, client                        # the Reject of the incomplete order
    sent = [m.get(11) for m in _msgs(result["venues"]["VENUE1"]) if m.msg_type == "D"]
    assert len(sent) == 9 and sent == sorted(sent), sent    # a b c d e f g i j (the dropped one and h not), in order
    assert rig.client.active and taken >= 4 and passed <= 1, (rig.client.state, taken, passed)


def test_a_read_cut_mid_frame_and_several_to_a_read_keep_their_order():
    def script(rig):
        frames = [rig.frame("D", order(f"k{k}")) for k in range(7)]
        whole = b"".join(frames)
        cut = len(frames[0]) + len(frames[1]) + 30
        rig.read(whole[:cut])                           # two orders and the start of a third
        rig.read(whole[cut:])                           # its rest and four more (the parser's, then the entry's)
        rig.read(rig.frame("D", order("x1")), rig.frame("0", []), rig.frame("D", order("x2")))
    rig, result, _ = _three(script)
    sent = [m.get(38) and m.get(11) for m in _msgs(result["venues"]["VENUE1"]) if m.msg_type == "D"]
    assert len(sent) == 9 and sent == sorted(sent), sent    # the venue ids rise with the client's order
    assert rig.client.frames_resumed == 1


@pytest.mark.parametrize("reason", ["comp_id", "sending_time", "rate"])
def test_reads_that_end_the_session_end_it_as_the_python_path_does(reason):
    def script(rig):
        session_ending_reads(rig, reason)
        rig.read(rig.frame("D", order("after")))        # a read after the Logout: the Python path's
    rig, _, _ = _three(script, max_msgs=3 if reason == "rate" else 100_000)
    assert not rig.client.active


def test_venue_reports_through_the_entry_give_the_python_paths_result(monkeypatch):
    def venue_read(rig, *frames, name="VENUE1"):
        if isinstance(rig, EntryRig):
            rig._feed(name, b"".join(frames))
        else:
            rig.venues[name].data_received(b"".join(frames))
    monkeypatch.setattr(reports, "venue_read", venue_read)
    rig, result, (taken, passed) = _three(lambda r: reports._stream(r, 5))
    assert rig.venues["VENUE1"].fast.reports > 30 and taken > 60, (rig.venues["VENUE1"].fast.reports, taken)


def test_a_session_without_a_fast_path_is_passed_to_the_python_chain():
    rig = Rig(False)
    proto = _protocol(rig.client)
    _path.entry_counts()
    proto.data_received(rig.frame("D", order("a")))
    assert _path.entry_counts() == (0, 1)
    assert rig.gw.counts["accepted"] == 1 and rig.client.fast is None


def test_order_ids_taken_in_c_reserve_their_blocks_as_order_ids_does(monkeypatch, tmp_path):
    """OrderIds.__next__ is done in C while a block lasts; at its end the Python __next__ writes
    the next block: the same ids and the same reservation file through every path."""
    from wirespeed.ids import OrderIds
    files = iter(range(10))

    def ids(epoch_ns):
        return OrderIds(path=tmp_path / f"ids{next(files)}", block=3, epoch_ns=epoch_ns)
    monkeypatch.setattr(base, "OrderIds", ids)

    def script(rig):
        for k in range(4):
            rig.read(*(rig.frame("D", order(f"i{k}.{j}", side="12"[j % 2])) for j in range(k + 1)))
    rig, result, (taken, _) = _three(script)
    sent = [int(m.get(11), 16) for m in _msgs(result["venues"]["VENUE1"]) if m.msg_type == "D"]
    assert len(sent) == 10 and sent == list(range(sent[0], sent[0] + 10)), sent
    assert taken == 3 and rig.client.fast.orders == 9     # (the first read: the venue table made, in Python)
    reserved = {p.read_text() for p in tmp_path.iterdir() if not p.name.endswith(".tmp")}
    assert reserved == {f"{sent[0] + 12}\n"}, reserved      # four blocks of three, in each run


class WireTransport(Transport):
    def __init__(self, wire, name):
        super().__init__()
        self.wire, self.name = wire, name

    def write(self, data):
        self.wire.append((self.name, bytes(data)))


def test_the_reads_first_venue_write_goes_at_once_and_the_rest_through_the_write_batcher():
    """The venue's write through the loop's WriteBatcher (as the service connects it): the C path
    sends a read's first order itself and hands the others to the batcher, which writes them once
    the read is handled; bytes collected for the venue before the read stay ahead. The same
    writes, in the same order, as the Python read chain makes."""
    import asyncio
    import functools

    class Counting(WriteBatcher):
        __slots__ = ("calls",)

        def write(self, proto, data):
            self.calls += 1
            super().write(proto, data)

    def run(entry):
        async def main():
            rig = EntryRig(entry)
            rig.read(rig.frame("D", order("first")))      # (the client's first order: Python's)
            rig.venue_got()
            wire = []
            batcher = Counting(per_turn=False)    # (the read's rest at its end: checked in the read)
            batcher.calls = 0
            vproto = rig.protos["VENUE1"]
            vproto.transport = WireTransport(wire, "venue")
            venue = rig.venues["VENUE1"]
            venue._write = functools.partial(batcher.write, vproto)
            rig.protos["CLIENT1"]._batcher = batcher
            rig.gw.venue_epoch += 1              # (the fast path's venue table redone: the new write)
            rig.read(*(rig.frame("D", order(f"w{k}")) for k in range(3)))
            first, calls = list(wire), batcher.calls
            batcher.write(vproto, b"HEARTBEAT;")     # the turn's first write outside a read: at once
            batcher.write(vproto, b"LATER;")         # collected for the next turn
            rig.read(rig.frame("D", order("behind")))    # behind LATER, through the batcher
            await asyncio.sleep(0)
            return first, wire, rig, calls
        return asyncio.run(main())

    (first, wire, rig, calls), (chain_first, chain_wire, _, chain_calls) = run(True), run(False)
    assert [w[1] for w in wire] == [w[1] for w in chain_wire]
    assert len(first) == 2 and first == chain_first       # the first order at once, the other two in one write
    assert first[1][1].count(b"\x0135=D\x01") == 2
    assert wire[2][1] == b"HEARTBEAT;" and wire[3][1].startswith(b"LATER;") and b"\x0111=" in wire[3][1]
    assert rig.client.fast.orders == 4
    assert calls == chain_calls == 2     # the first write of the read made in C, not by WriteBatcher.write


def test_uvloop_calls_the_c_entry_which_takes_a_services_orders_and_reports(tmp_path, monkeypatch):
    """Over real sockets, in the service (native risk, a trail): uvloop calls ReadEntry's
    data_received; it takes the client's orders and the venues' reports, and every order is
    answered."""
    import asyncio
    import io

    from wirespeed.clock import fix_timestamp
    for mod in (base.session_mod, base.orders_mod, base.encoder_mod):     # (the real clock: real peers)
        monkeypatch.setattr(mod, "fix_timestamp", fix_timestamp)

    from wirespeed.gateway.client import FixClient
    from wirespeed.gateway.service import serve
    from wirespeed.gateway.service_config import load_service_config

    from .conftest import run_async
    from .test_service import _ports, _venues, service_toml

    @run_async(timeout=90)
    async def main():
        venues = await _venues()
        cfg = load_service_config(service_toml(tmp_path, [v.port for v in venues], backend="native"))
        out, stop = io.StringIO(), asyncio.Event()
        task = asyncio.create_task(serve(cfg, stop, out))
        while "listening metrics" not in out.getvalue():
            await asyncio.sleep(0.01)
        c = FixClient("CLIENT1", "GW", "127.0.0.1", _ports(out.getvalue())["fix"])
        await c.start()
        _path.entry_counts()
        for k in range(12):
            c.new_order(f"U{k}", "AAPL", "12"[k % 2], 10, "190.03", extra=[(100, "XNAS")])
            await c.wait_report(f"U{k}")
        taken, passed = _path.entry_counts()
        stop.set()
        await task
        await c.stop()
        for v in venues:
            await v.stop()
        return taken, passed
    taken, passed = main()
    assert taken >= 10, (taken, passed)      # (the first order, and the first report of a shape: Python's)


def test_the_default_risk_clock_is_read_in_c_by_its_own_formula():
    """The backends' default clock ((monotonic ns - t0) & NOW_MASK) is read by the C path itself
    (no lambda called before the write); the formula C uses brackets the clock's own readings.
    Any other clock (the rig's pinned one) is called."""
    from wirespeed.gateway import order_fast
    from wirespeed.gateway.risk import NOW_MASK, NativeRiskBackend
    risk = NativeRiskBackend(256, 256)
    t0, mask = order_fast.monotonic_risk_clock(risk)
    assert (t0, mask) == (risk._t0, NOW_MASK)
    for _ in range(100):
        before = (_path.mono_ns() - t0) & mask
        now = risk.clock()
        after = (_path.mono_ns() - t0) & mask
        assert before <= now <= after
    assert order_fast.monotonic_risk_clock(NativeRiskBackend(256, 256, clock=lambda: 5)) is None
    assert order_fast.monotonic_risk_clock(Rig(True).gw.risk) is None


def test_a_fast_read_that_cannot_be_called_ends_the_batchers_read_in_c():
    """The entry raised the batcher's ``_reading`` and ran the C path; ``_fast_read`` (which ends
    the read) failing on its lookup must not leave it raised, or every later write through the
    shared batcher is collected and never sent."""
    import asyncio

    class Broken(tcp.FixProtocol):
        @property
        def _fast_read(self):
            raise LookupError("no _fast_read here")

    async def main():
        rig = EntryRig(True)
        rig.read(rig.frame("D", order("first")))
        proto = Broken(lambda _data: rig.client)
        proto.transport, proto.session = Transport(), rig.client
        batcher = WriteBatcher()
        proto._batcher = batcher
        _path.entry_counts()
        with pytest.raises(LookupError, match="no _fast_read here"):
            proto.data_received(rig.frame("D", order("second")))
        assert _path.entry_counts()[0] == 1           # (the entry took it: the C path ran)
        assert batcher._reading == 0
        wire = []
        vproto = rig.protos["VENUE1"]
        vproto.transport = WireTransport(wire, "venue")
        batcher.write(vproto, b"AFTER;")              # outside a read: at once
        assert wire == [("venue", b"AFTER;")]
    asyncio.run(main())
