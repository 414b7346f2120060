"""The venue NewOrderSingle's store append around its write (gateway/native/store_append.h
``store_prepare`` / ``store_commit``, path.c ``one_frame``): before the write the record is in the
log, its number taken and indexed, so a kill -9 during or after the write finds it, anything that
asks for the next number gets the next, and a resend can replay whatever the venue may have.
Whatever can fail (the log's growth on a full disk, the index on memory) fails before the venue has
anything, as the Python path's store-first send fails."""
import os
from contextlib import contextmanager

from array import array

import pytest

from wirespeed.gateway import order_fast
from wirespeed.gateway.audit import NoAudit
from wirespeed.gateway.native import _path

from .test_fast_path import Rig, _msgs, order, pinned_time  # noqa: F401 (the autouse fixture)

pytestmark = pytest.mark.skipif(_path is None, reason="gateway/native not built")


def _rig(fast, tmp_path, c_booking=False):
    rig = Rig(fast, tmp_path=tmp_path)
    if c_booking:        # no trail: the order booked in the C call itself (native/book.h)
        gw = rig.gw
        gw.audit, gw._auditing, gw.c_new_book = NoAudit(), False, True
        rig.client.fast = order_fast.fast_path_for(gw, rig.client)
    rig.read(rig.frame("D", order("warm")))          # (the shape learned: the Python path's)
    return rig


def _taken(rig):
    """How many orders the client fast path took so far (booked in C or from its records)."""
    return rig.client.fast.orders


@pytest.mark.parametrize("kind", ["file", "memory"])
def test_the_record_is_in_the_log_and_numbered_when_the_venue_write_runs(tmp_path, kind):
    rig = _rig(True, tmp_path if kind == "file" else None)
    venue = rig.venues["VENUE1"]
    store, seen = venue.store, []

    def write(raw):
        seq = int(_msgs(raw)[0].get(34))
        log = (store.dir / "messages").read_bytes() if kind == "file" else b""
        seen.append((seq, store.next_sender_seq, kind == "memory" or b" %d\n%b\n" % (len(raw), raw) in log))
        rig.vouts["VENUE1"].append(raw)
    venue._write = write
    before = _taken(rig)
    rig.read(*(rig.frame("D", order(f"L{k}")) for k in range(3)))
    rig.read(rig.frame("D", order("L3")))
    assert _taken(rig) - before == 4 and len(seen) == 4
    assert all(next_seq == seq + 1 and in_log for seq, next_seq, in_log in seen), seen
    # ... and indexed by the time the call returned: every one served from the store
    assert [raw for _, raw in store.get_sent(seen[0][0], seen[-1][0])] == rig.vouts["VENUE1"][-4:]


@contextmanager
def _disk_full(store):
    """The log is full and its growth fails as a full disk fails it (posix_fallocate's ENOSPC)."""
    real = os.posix_fallocate

    def no_room(fd, offset, length):
        if fd == store._msg_fd:
            raise OSError(28, "No space left on device")
        return real(fd, offset, length)
    store._capacity = store._size
    os.posix_fallocate = no_room
    try:
        yield
    finally:
        os.posix_fallocate = real


def _no_room_script(rig):
    venue = rig.venues["VENUE1"]
    rig.read(rig.frame("D", order("R0")))
    store = venue.store
    with _disk_full(store):
        with pytest.raises(OSError, match="No space left"):
            rig.read(rig.frame("D", order("R1")))
        # the store as it was: what it sent still served (its mapping kept, not closed)
        n = store.next_sender_seq
        assert [s for s, _ in store.get_sent(n - 1, n - 1)] == [n - 1]
    rig.read(rig.frame("D", order("R2")))   # (room again: the next order goes out with the same number)


def test_a_log_that_cannot_grow_refuses_the_order_before_the_venue_has_it(tmp_path):
    """The same bytes, states, numbers and files as the Python path, whose send stores first."""
    out = []
    for fast in (True, False):
        rig = _rig(fast, tmp_path / str(fast))
        _no_room_script(rig)
        out.append((rig.result(), rig))
    (fres, frig), (pres, _) = out
    for key in fres:
        assert fres[key] == pres[key], key
    assert _taken(frig) >= 2
    sent = [m.get(11) for m in _msgs(fres["venues"]["VENUE1"]) if m.msg_type == "D"]
    assert len(sent) == 3 and sent[-1] == frig.gw.orders[max(frig.gw.orders)].venue_cl   # warm, R0, R2
    r1 = next(s for s in frig.gw.orders.values() if s.order.cl_ord_id == "CR1")
    assert r1.sent_ns == 0                # booked, never sent (as the Python path books it)
    numbers = [int(m.get(34)) for m in _msgs(fres["venues"]["VENUE1"])]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))     # no number lost or taken twice


class _FailingStarts(array):
    """FileStore's index, whose next append fails as an allocation fails."""
    fail = True

    def append(self, v):
        if self.fail:
            type(self).fail = False
            raise MemoryError("index")
        super().append(v)


@pytest.mark.parametrize("c_booking", [False, True], ids=["records", "c_booking"])
def test_an_index_that_fails_refuses_the_order_before_the_venue_has_it(tmp_path, c_booking):
    """The same bytes, states, numbers and files as the Python path (its save_sent fails before
    its write): no message at the venue that a resend could not replay."""
    out = []
    for fast in (True, False):
        rig = _rig(fast, tmp_path / str(fast), c_booking and fast)
        store = rig.venues["VENUE1"].store
        n, sent = store.next_sender_seq, len(rig.vouts["VENUE1"])
        _FailingStarts.fail = True
        store._starts = _FailingStarts("q", store._starts)
        with pytest.raises(MemoryError, match="index"):
            rig.read(rig.frame("D", order("M0")))
        assert len(rig.vouts["VENUE1"]) == sent and store.next_sender_seq == n      # nothing out, not numbered
        rig.read(rig.frame("D", order("M1")))                                       # the next: that number
        assert [(m.get(11), int(m.get(34))) for m in _msgs(b"".join(rig.vouts["VENUE1"][sent:]))] == \
            [(rig.gw.orders[max(rig.gw.orders)].venue_cl, n)]
        assert [s for s, _ in store.get_sent(n, n)] == [n]
        rig.venue_says("VENUE1", "2", [(7, n), (16, 0)])                            # a resend replays it
        again = _msgs(b"".join(rig.vouts["VENUE1"][sent + 1:]))
        assert [(m.msg_type, int(m.get(34)), m.get(43)) for m in again] == [("D", n, "Y")]
        out.append(rig.result())
    fres, pres = out
    for key in fres:
        if not (c_booking and key == "audit"):         # (the C booking runs without a trail)
            assert fres[key] == pres[key], key


@pytest.mark.parametrize("kind", ["file", "memory"])
def test_a_resend_serves_the_orders_the_fast_path_wrote(tmp_path, kind):
    """The venue asks for everything again: the same bytes as the Python path's (PossDupFlag=Y)."""
    out = []
    for fast in (True, False):
        rig = _rig(fast, tmp_path / str(fast) if kind == "file" else None)
        rig.read(*(rig.frame("D", order(f"S{k}")) for k in range(3)))
        rig.read(rig.frame("D", order("S3")))
        sent = len(rig.vouts["VENUE1"])
        rig.venue_says("VENUE1", "2", [(7, 1), (16, 0)])
        out.append((rig.result(), rig, _msgs(b"".join(rig.vouts["VENUE1"][sent:]))))
    (fres, frig, fresent), (pres, _, present) = out
    for key in fres:
        assert fres[key] == pres[key], key
    assert _taken(frig) == 4
    orders = [m for m in fresent if m.msg_type == "D"]
    assert [m.get(43) for m in orders] == ["Y"] * 5                       # warm, S0-S3
    assert [m.get(11) for m in orders] == [s.venue_cl for _, s in sorted(frig.gw.orders.items())]
