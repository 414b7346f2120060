"""Reads that end inside a frame (under load nearly every socket read does) keep the fast paths.

``Session.data_received`` hands a read to the session's fast path only while its parser holds
nothing of an earlier read. A read cut inside a frame leaves that frame's start in the parser: the
next read's first bytes finish it (up to the next frame start), the parser takes just those, and
the frames after them go to the C path again. Fed whole to the parser instead, every read after a
cut one that itself ended inside a frame went the Python way (make bench-load: two thirds of the
venue reports; docs/gateway/order_path.md, "Sustained load").

The rig of test_fast_path.py: the same byte stream cut at the same places, fast paths on and off,
the same bytes, trail and state out; and the fast paths took almost every frame."""
import pytest

from wirespeed.gateway import order_fast, report_fast

from .test_fast_path import Rig, _both, order, pinned_time  # noqa: F401 (the autouse fixture)
from .test_report_fast_path import er, own_dictionaries, vframe
from . import test_fast_path as base

pytestmark = pytest.mark.skipif(base.native._path is None or base.native._risk is None,
                                reason="gateway/native not built")

CUT = 997      # bytes a read: a prime, so the cuts fall at every place inside a frame
N = 120        # orders (about six a read)


def _cut_reads(rig, session, stream: bytes, size: int = CUT) -> int:
    reads = 0
    for at in range(0, len(stream), size):
        rig.now[0] += 1_000_000_000      # (the risk core's rate throttle refilled between reads)
        session.data_received(stream[at:at + size])
        reads += 1
    return reads


def _orders_then_reports(rig: Rig):
    """N orders and then their N fills, each stream in reads cut every CUT bytes (of 10 shares: all
    open at once inside the position limits)."""
    own_dictionaries(rig)
    # one whole read first: the first order of a session (and of a shape) is Python's, which teaches it
    rig.read(rig.frame("D", order("teach", side="2")))
    rig.venues["VENUE1"].data_received(vframe(rig, er(rig.venue_got()[-1].get(11), "F", "2", 100, 100, 100,
                                                      exec_id="Fteach")))
    stream = b"".join(rig.frame("D", order(f"O{k}", qty="10", side="12"[k % 2])) for k in range(N))
    rig.client_reads = _cut_reads(rig, rig.client, stream)
    vcls = [m.get(11) for m in rig.venue_got() if m.msg_type == "D"]
    assert len(vcls) == N
    reports = b"".join(vframe(rig, er(v, "F", "2", 10, 10, 10, exec_id=f"F{v}")) for v in vcls)
    rig.venue_reads = _cut_reads(rig, rig.venues["VENUE1"], reports)


def test_reads_cut_inside_frames_stay_on_the_fast_paths_with_the_python_path_s_result():
    rig, result = _both(_orders_then_reports)
    assert result["counts"]["fills"] == N + 1, result["counts"]
    client_fast, venue_fast = rig.client.fast, rig.venues["VENUE1"].fast
    assert isinstance(client_fast, order_fast.ClientFastPath)
    assert isinstance(venue_fast, report_fast.VenueFastPath)
    assert rig.client_reads > 15 and rig.venue_reads > 15
    # Each read's first frame (the one the last read cut) is the parser's; the rest the C paths'.
    assert rig.client.frames_resumed >= rig.client_reads - 2 and rig.venues["VENUE1"].frames_resumed >= rig.venue_reads - 2
    assert client_fast.orders >= N - rig.client_reads, (client_fast.orders, rig.client_reads)
    assert venue_fast.reports >= N - rig.venue_reads, (venue_fast.reports, rig.venue_reads)


def test_a_cut_frame_whose_handling_raises_keeps_the_rest_of_the_read_for_the_next_one():
    rig = Rig(True)
    rig.read(rig.frame("D", order("teach", side="2")))
    frames = [rig.frame("D", order(f"R{k}", side="12"[k % 2])) for k in range(4)]
    rig.read(frames[0][:50])
    calls = []
    real = rig.client._on_message

    def fails_once(msg):
        calls.append(msg.get(11))
        if len(calls) == 1:
            raise RuntimeError("handler failed")
        real(msg)

    rig.client._on_message = fails_once
    with pytest.raises(RuntimeError, match="handler failed"):
        rig.read(frames[0][50:], *frames[1:])
    assert calls == ["CR0"]
    rig.read()      # the next read (empty here) polls what the failed one left: none of it is lost
    assert calls == ["CR0", "CR1", "CR2", "CR3"]
