"""The venue-report side's booking in C (native/book.h) against Python's (``VenueFastPath._book``).

The same report stream runs three times: the C fast path booking its common reports itself
(``gw.c_book``), the C fast path with every report booked by ``_book`` (``c_book`` off), and the
Python path. What the booking writes (the books, the counts, the finished orders kept and evicted,
the ClOrdIDs done, the sessions' numbers and counts, and the rig's own comparison: bytes, trail,
order state) must be the same each time; the hops too between the two fast path runs."""
from __future__ import annotations

import pytest

from wirespeed.gateway import report_fast

from . import test_fast_path as base
from .test_fast_path import Rig, count_c_booked, pinned_time  # noqa: F401 (the autouse fixture)
from .test_report_fast_path import _stream, er, own_dictionaries, place, venue_read, vframe

pytest.importorskip("wirespeed.gateway.native._path")


@pytest.fixture
def booked(monkeypatch):
    """Each venue fast path's C call wrapped: the reports it booked itself (``core.booked``) summed."""
    return count_c_booked(monkeypatch, report_fast.VenueFastPath)


def _cancels(rig):
    """Orders acked, one partly filled, then canceled by the client: the venue's Canceled of each
    pending cancel (booked in C), in reads of one and of several, with a fill between them."""
    own_dictionaries(rig)
    orders = place(rig, 6, "X")
    venue_read(rig, vframe(rig, er(orders[0], "0", "0", 100)))
    venue_read(rig, *[vframe(rig, er(v, "0", "0", 100)) for v in orders[1:]])
    venue_read(rig, vframe(rig, er(orders[0], "F", "1", 100, 30, 30)))
    for k in range(5):
        rig.read(rig.frame("F", [(41, f"CX{k}"), (11, f"Q{k}"), (55, "AAPL"), (54, "12"[k % 2]), (60, base.SENT),
                                 (38, 100)]))
    cancels = [m.get(11) for m in rig.venue_got() if m.msg_type == "F"]
    assert len(cancels) == 5

    def done(k, cum):
        return vframe(rig, er(cancels[k], "4", "4", 100, 0, cum, exec_id=f"K{k}", extra=[(41, orders[k])]))
    venue_read(rig, done(4, 0))
    venue_read(rig, done(0, 30), done(1, 0), vframe(rig, er(orders[5], "F", "1", 100, 10, 10)), done(2, 0))
    venue_read(rig, done(3, 0), vframe(rig, er(orders[5], "F", "2", 100, 90, 100)))


def _books(script, fast, c_book, counter):
    rig = Rig(fast)
    rig.gw.c_book = c_book      # (read when a venue's fast path is made: own_dictionaries makes it again)
    rig.gw._retain = 3          # (small: finished orders are evicted as the stream goes)
    before = counter[0]
    script(rig)
    gw, venue = rig.gw, rig.venues["VENUE1"]
    fp = venue.fast
    return counter[0] - before, {
        "result": rig.result(), "client_open": dict(gw._client_open),
        "open_notional": {n: v.open_notional for n, v in gw.venues.items()}, "done": dict(gw._done),
        "finished": list(gw._finished), "kept": sorted(gw.orders), "hops": sorted(h[:3] for h in gw.buffered_hops()[0]),
        "messages_out": rig.client.messages_out, "venue": (venue.store.next_target_seq, venue.messages_in),
        "fast": (fp.sent, fp.reports) if fast else None}


@pytest.mark.parametrize("script", [lambda r: _stream(r, 5), lambda r: _stream(r, 23), _cancels],
                         ids=["stream5", "stream23", "cancels"])
def test_the_c_booking_books_what_python_s_booking_books(script, booked):
    n_c, in_c = _books(script, True, True, booked)
    n_py, by_py = _books(script, True, False, booked)
    n_path, by_path = _books(script, False, True, booked)
    # the comparison is worth something: C booked reports itself, with c_book off none; orders evicted
    assert n_c > 5 and n_py == 0 and n_path == 0, (n_c, n_py, n_path)
    counts = in_c["result"]["counts"]
    assert counts["filled"] + counts["canceled"] > 3 and len(in_c["finished"]) == 3, counts
    for key in in_c:
        assert in_c[key] == by_py[key], key
    for key in in_c.keys() - {"fast", "hops"}:     # (the Python path stamps hops of its own)
        assert in_c[key] == by_path[key], key
