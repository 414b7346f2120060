"""The client side's booking in C (native/book.h, ``book_new``) against ``ClientFastPath._sent``'s.

Without a trail, an order the client fast path wrote to its venue is booked in the same C call,
right after the write, no record returned. The same scripts run three ways on gateways without a
trail: the C booking (``gw.c_new_book``), the fast path with every order booked by ``_sent``
(``c_new_book`` off) and the Python path. What the booking writes (the order states, ``_live``,
the counts, the books, the venue sessions' counters, the stamps and hops, the bytes, the numbers)
must be the same each time."""
from __future__ import annotations

import pytest

from wirespeed.gateway import order_fast
from wirespeed.gateway.audit import NoAudit

from .test_fast_path import Rig, _random_script, count_c_booked, failing_write_read, order, pinned_time  # noqa: F401 (the autouse fixture)

pytest.importorskip("wirespeed.gateway.native._path")


@pytest.fixture
def booked(monkeypatch):
    """Each client fast path's C calls wrapped: the orders they booked themselves (``core.booked``)."""
    return count_c_booked(monkeypatch, order_fast.ClientFastPath)


def _untrailed(fast: bool, c_new_book: bool, **kw) -> Rig:
    """A rig whose gateway has no trail (the C booking's case), its client's fast path made again."""
    rig = Rig(fast, **kw)
    gw = rig.gw
    gw.audit, gw._auditing, gw.c_new_book = NoAudit(), False, c_new_book
    rig.client.fast = order_fast.fast_path_for(gw, rig.client)
    return rig


def _many(rig):
    """Reads of one to six orders, a risk reject (qty over max_qty) and an unknown symbol among
    them, a ClOrdID taken twice in one read, orders to two venues, their acks and fills."""
    for k in range(12):
        frames = [rig.frame("D", order(f"{k}.{j}", side="12"[j % 2], extra=[(100, f"VENUE{1 + j % 2}")]))
                  for j in range(1 + k % 6)]
        if k % 4 == 1:
            frames.insert(1, rig.frame("D", order(f"{k}.big", qty="900")))
        if k % 4 == 2:
            frames.append(rig.frame("D", order(f"{k}.0", side="2")))     # (live already: duplicate)
        if k % 5 == 3:
            frames.insert(0, rig.frame("D", order(f"{k}.sym", sym="NOPE")))
        rig.read(*frames)
        for name in ("VENUE1", "VENUE2"):
            for m in rig.venue_got(name):
                if m.msg_type == "D" and k % 3 == 0:
                    vcl, qty = m.get(11), int(m.get(38))
                    rig.venue_says(name, "8", [(37, f"V{vcl}"), (11, vcl), (17, f"E{vcl}"), (150, "F"), (39, "2"),
                                               (55, m.get(55)), (54, m.get(54)), (38, qty), (32, qty),
                                               (31, "190.25"), (151, 0), (14, qty), (6, "190.25")])


def _failing_write(rig):
    """The venue's write fails on the last order of a read: what went out before is booked, the
    failing order as the Python path books it, then the error is raised."""
    rig.read(rig.frame("D", order("warm")))
    failing_write_read(rig)
    rig.read(rig.frame("D", order("after")))


def _books(script, fast, c_new_book, counter, **kw):
    rig = _untrailed(fast, c_new_book, **kw)
    before = counter[0]
    script(rig)
    gw = rig.gw
    hops, stamps = gw.buffered_hops()      # (the C booking's in the stamp ring, Python's in the lists)
    states = {oid: (s.sent_ns > 0, s.reserved, s.client_id) for oid, s in gw.orders.items()}
    return counter[0] - before, {
        "result": rig.result(), "client_open": dict(gw._client_open), "states": states,
        "open_notional": {n: v.open_notional for n, v in gw.venues.items()},
        "venues_out": {n: v.messages_out for n, v in rig.venues.items()},
        "hops": sorted({h[:3] for h in hops}), "n_hops": len(hops),
        "stamps": sorted((h[0] <= h[1] <= h[2], h[3] > 0) + h[4:] for h in stamps)}


@pytest.mark.parametrize("script,kw", [(_many, {"second_venue": True}), (lambda r: _random_script(r, 7), {}),
                                       (lambda r: _random_script(r, 23), {}), (_failing_write, {})],
                         ids=["many", "random7", "random23", "failing_write"])
def test_the_c_booking_of_new_orders_books_what__sent_books(script, kw, booked):
    n_c, in_c = _books(script, True, True, booked, **kw)
    n_py, by_py = _books(script, True, False, booked, **kw)
    n_path, by_path = _books(script, False, True, booked, **kw)
    # the comparison is worth something: C booked the orders itself, with c_new_book off none
    assert n_c >= 4 and n_py == 0 and n_path == 0, (n_c, n_py, n_path)
    assert in_c["result"]["counts"]["accepted"] >= n_c
    for key in in_c:
        assert in_c[key] == by_py[key], key
    for key in ("result", "client_open", "open_notional", "venues_out"):    # (the Python path stamps its own)
        assert in_c[key] == by_path[key], key


def test_with_a_trail_python_books_every_order(booked):
    """The trail's in / risk / out records interleave with the booking: with a trail, ``_sent``."""
    rig = Rig(True)
    rig.gw.c_new_book = True
    rig.client.fast = order_fast.fast_path_for(rig.gw, rig.client)
    rig.read(rig.frame("D", order("warm")))      # (the shape learned)
    rig.read(*(rig.frame("D", order(f"T{k}", side="12"[k % 2])) for k in range(3)))
    assert booked[0] == 0 and rig.client.fast.orders == 3
    assert [r[0] for r in rig.audit.records].count("risk") == 4


def test_a_clordid_twice_in_one_read_is_refused_as_the_python_path_refuses_it():
    """The second order of a read with the first's ClOrdID: the Python path has booked the first by
    then and answers ``duplicate ClOrdID of a live order``; the C call, booking after the call (a
    trail, or c_new_book off), must see the ClOrdID among the orders it took in the same call."""
    def script(rig):
        rig.read(rig.frame("D", order("warm")))      # (the shape learned: the fast path takes what follows)
        rig.read(rig.frame("D", order("a")), rig.frame("D", order("b")), rig.frame("D", order("a", side="2")),
                 rig.frame("D", order("c")))
    for c_new_book in (True, False):
        out = []
        for fast in (True, False):
            rig = Rig(fast)
            rig.gw.c_new_book = c_new_book
            rig.client.fast = order_fast.fast_path_for(rig.gw, rig.client) if fast else None
            script(rig)
            out.append(rig.result())
            if fast:
                assert rig.client.fast.orders == 2 and rig.gw.fast_fallbacks["duplicate"] == 1, rig.gw.fast_fallbacks
        texts = [f for f in out[1]["client"].split(b"\x01") if f.startswith(b"58=")]
        assert texts == [b"58=duplicate ClOrdID of a live order"], texts
        for key in out[0]:
            assert out[0][key] == out[1][key], (c_new_book, key)


@pytest.mark.parametrize("ring_words", [None, 5, 1 << 17], ids=["no_ring", "one_order_a_drain", "ring"])
def test_the_c_booking_writes_its_stamps_into_the_ring_and_drains_it_at_its_bound(ring_words, booked, monkeypatch):
    """The C booking's stamps and ``venue send`` hops go into the gateway's stamp ring as words (none
    into the lists); a ring too small for the next order's words is drained first (its bound, as
    the lists' 100,000); without a ring (WIRESPEED_STAMP_RING=0) they are the lists' tuples as
    before. Drained, the histograms count every order either way."""
    from wirespeed.gateway.native.hist import StampRing
    rig = _untrailed(True, True)
    gw = rig.gw
    rig.read(rig.frame("D", order("warm")))      # (the shape learned, the session's index given)
    gw.drain_latency()
    gw._ring = StampRing(ring_words) if ring_words else None
    drains = []
    real = gw.drain_latency
    monkeypatch.setattr(gw, "drain_latency", lambda: drains.append(1) or real())
    before = booked[0]
    rig.read(*(rig.frame("D", order(f"R{k}", side="12"[k % 2])) for k in range(4)))
    assert booked[0] - before == 4
    hops, stamps = gw.buffered_hops()
    if ring_words is None:
        assert len(gw._hops) == 4 and len(gw._hop_buf) == 4 and not drains
    else:
        assert gw._hops == [] and gw._hop_buf == []
        # (5 words: an order's stamps alone fill it, so each next hop or stamps drains it first)
        assert (len(drains), gw._ring.used()) == ((7, 5) if ring_words == 5 else (0, 4 * 7))
    if ring_words != 5:
        assert [h[:3] for h in hops] == [("venue send", "VENUE1", rig.client.config.target_comp_id)] * 4
        assert [s[4] for s in stamps] == ["VENUE1"] * 4 and all(s[0] <= s[1] <= s[2] <= s[3] for s in stamps)
    sent_before = gw.latency.count("venue send")
    rec = gw.drain_latency()
    assert rec.count("client->venue") >= 5 and rec.count("decode") >= 5
    assert gw.buffered_hops() == ([], [])
    assert sent_before <= rec.count("venue send")


def test_a_ring_head_that_does_not_fit_its_bytes_is_refused_not_written_past(booked):
    """C checks the ring's head (words used, capacity) at every write, not only when it first binds
    the ring: a head rewritten to claim more room than the bytes hold is a ValueError, and nothing
    is written past the bytearray (its length and its last word unchanged)."""
    from wirespeed.gateway.native.hist import StampRing
    rig = _untrailed(True, True)
    gw = rig.gw
    rig.read(rig.frame("D", order("warm")))
    gw.drain_latency()
    gw._ring = StampRing(16)
    rig.read(rig.frame("D", order("bound")))        # the ring bound by C, one order's words in it
    assert gw._ring.used() == 7
    size, tail = len(gw._ring.buf), bytes(gw._ring.buf[-8:])
    gw._ring.buf[8:16] = (10 ** 6).to_bytes(8, "little", signed=True)     # capacity past the bytes
    with pytest.raises(ValueError, match="head does not fit"):
        rig.read(rig.frame("D", order("past")))
    assert len(gw._ring.buf) == size and bytes(gw._ring.buf[-8:]) == tail and gw._ring.used() == 7
