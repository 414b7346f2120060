"""OrderGateway.drain_latency grouped by (hop, venue, client): the histograms (and the order they are
made in, which the latency table shows) are those of one record per value and name."""
import random

import pytest

from wirespeed.gateway import orders
from wirespeed.gateway.native import hist
from wirespeed.gateway.orders import OrderGateway
from wirespeed.latency import LatencyRecorder


@pytest.mark.parametrize("store", ["lists", "ring"])
@pytest.mark.parametrize("way", ["drained_in_c", "grouped_in_c", "grouped_in_python"])
def test_grouped_drain_gives_the_histograms_of_one_record_per_value_in_first_seen_order(way, store, monkeypatch):
    """(Three ways: hist.c's ``drain``, the default; hist.c's ``group`` and record_many,
    WIRESPEED_C_DRAIN=0; and drain_latency's Python loop, WIRESPEED_C_CALLS=0. Two stores: the
    lists' tuples of the Python paths, and the stamp ring's words of the C paths.)"""
    calls = []
    in_c = way != "grouped_in_python"
    if way == "drained_in_c":
        if hist._drain is None:
            pytest.skip("hist.c's drain is not built or is turned off")
        monkeypatch.setattr(orders, "group_hops", None)      # (it must not be needed)
        monkeypatch.setattr(orders, "drain_hops", lambda *a: calls.append(r := hist.drain_hops(*a)) or r)
    elif way == "grouped_in_c":
        if hist.group_hops is None:
            pytest.skip("hist.c's group is not built or is turned off")
        monkeypatch.setattr(orders, "drain_hops", lambda *a: False)
        monkeypatch.setattr(orders, "group_hops", lambda *a: calls.append((r := hist.group_hops(*a)) is not None) or r)
    else:
        monkeypatch.setattr(orders, "drain_hops", lambda *a: False)
        monkeypatch.setattr(orders, "group_hops", None)
    rng = random.Random(5)
    gw = OrderGateway.__new__(OrderGateway)       # only the recorder wiring drain_latency uses
    gw.latency, gw._hop_buf, gw._hops = LatencyRecorder(), [], []
    gw._ring = ring = hist.StampRing(8_000) if store == "ring" else None
    direct, names = LatencyRecorder(), []

    def record(name, v):
        if name not in names:
            names.append(name)
        direct.record(name, v)

    pending_cv = []
    for _ in range(3):                            # three drains: the later ones add to made histograms
        for _k in range(250):
            venue, client = rng.choice(["V1", "V2"]), f"C{rng.randint(0, 4)}"
            t0 = rng.randint(1, 10**6)
            t1, t2 = t0 + rng.randint(1, 9_999), t0 + rng.randint(10_000, 99_999)
            t3 = rng.choice([0, t0 + rng.randint(100_000, 10**7)])
            if ring is not None:
                assert ring.put("client->venue", venue, client, t0, t1, t2, t3)
            else:
                gw._stamp((t0, t1, t2, t3, venue, client))
            record("decode", t1 - t0)
            record("risk", t2 - t1)
            if t3:
                pending_cv.append((venue, client, t3 - t0))
            hop = rng.choice(["venue send", "venue ack rtt", "venue->client", "kernel->user"])
            v = rng.randint(1, 10**9)
            if hop == "kernel->user":
                gw.kernel_hop(v) if ring is None else ring.put(hop, "", "", v)
                record(hop, v)
            else:
                gw._hop(hop, venue, client, v) if ring is None else ring.put(hop, venue, client, v)
                for name in (hop, f"{hop} @{venue}", f"{hop} {client}"):
                    record(name, v)
        for venue, client, v in pending_cv:        # (the stamps' client->venue after the drain's other hops)
            for name in ("client->venue", f"client->venue @{venue}", f"client->venue {client}"):
                record(name, v)
        pending_cv.clear()
        rec = gw.drain_latency()
        assert gw._hop_buf == [] and gw._hops == [] and (ring is None or ring.used() == 0)
    assert list(rec.hops) == names
    for name in names:
        got, want = rec.histogram(name), direct.histogram(name)
        assert list(got.counts) == list(want.counts), name     # (so every percentile is the same)
        assert (got.total_count, got.min_value, got.max_value) == (want.total_count, want.min_value, want.max_value)
    if in_c:
        assert calls == [True] * 3      # (each drain taken by C, not left to the Python loop)


def test_the_c_grouping_leaves_an_item_of_another_shape_to_python():
    if hist.group_hops is None:
        pytest.skip("hist.c's group is not built or is turned off")
    assert hist.group_hops([("venue send", "V", "C", 5), ("bad",)], []) is None
    assert hist.group_hops([], [(1, 2, 3)]) is None
    dec, risk, groups = hist.group_hops([("h", "V", "C", 5), ("h", "V", "C", 7), ("g", "", "", 1)],
                                        [(10, 12, 15, 0, "V", "C"), (10, 11, 13, 30, "V", "C")])
    assert dec == [2, 1] and risk == [3, 2]
    assert list(groups.items()) == [(("h", "V", "C"), [5, 7]), (("g", "", "", 1)[:3], [1]),
                                    (("client->venue", "V", "C"), [20])]


def test_the_c_drain_leaves_what_it_does_not_take_to_python_untouched():
    """Another shape, a value that is not an int (or past 64 bits), a name that is not a str, a
    histogram of another word size: None, nothing counted; Python's drain then gives one record per value."""
    if hist._drain is None:
        pytest.skip("hist.c's drain is not built or is turned off")
    from hdrh.histogram import HdrHistogram
    for buf, stamps in (([("venue send", "V", "C", 5), ("bad",)], []), ([], [(1, 2, 3)]),
                        ([("venue send", "V", "C", 5.0)], []), ([("venue send", "V", "C", 2**70)], []),
                        ([("venue send", "V", 7, 5)], []), ([], [(1, 2, 3, "4", "V", "C")])):
        rec = LatencyRecorder()
        assert hist.drain_hops(buf, stamps, rec.histogram) is False
        assert all(rec.histogram(h).total_count == 0 and not any(rec.histogram(h).counts) for h in rec.hops)
    rec = LatencyRecorder()
    rec._hists["venue send @V"] = HdrHistogram(1, 60_000_000_000, 3, word_size=4)
    assert hist.drain_hops([("venue send", "V", "C", 5)], [], rec.histogram) is False
    assert all(rec.histogram(h).total_count == 0 and not any(rec.histogram(h).counts) for h in rec.hops)
    # a ring whose name is not a (str, str, str), or whose words run past their head: left as it is
    for bad in ("name", "words"):
        ring, rec = hist.StampRing(16), LatencyRecorder()
        ring.put("venue send", "V", "C", 5)
        if bad == "name":
            ring.names[0] = ("venue send", "V", 7)
        else:
            ring.buf[0:8] = (3).to_bytes(8, "little")     # (a hop's two words and one of the next)
        used = ring.used()
        assert hist.drain_hops([], [], rec.histogram, ring) is False and ring.used() == used
        assert all(rec.histogram(h).total_count == 0 for h in rec.hops)
    # and what it takes: clamped into the recorder's range, the totals, min and max moved
    rec = LatencyRecorder()
    assert hist.drain_hops([("venue send", "V", "C", 0), ("venue send", "V", "C", 10**12), ("g", "", "", 7)],
                           [(10, 12, 15, 0, "V", "C"), (10, 11, 13, 30, "V", "C")], rec.histogram) is True
    assert list(rec.hops) == ["decode", "risk", "venue send", "venue send @V", "venue send C", "g",
                              "client->venue", "client->venue @V", "client->venue C"]
    h = rec.histogram("venue send C")
    assert (h.total_count, h.min_value, h.max_value) == (2, 1, 60_000_000_000)     # (as record_many leaves it)
    assert rec.histogram("decode").total_count == 2 and rec.histogram("client->venue @V").get_max_value() == 20


def test_the_ring_is_drained_after_the_lists_as_pythons_drain_takes_it():
    """The C drain's order of the histograms with both stores: buf's hops, the ring's hops, the
    list's stamps, the ring's stamps (StampRing.take after the lists), the ring emptied."""
    if hist._drain is None:
        pytest.skip("hist.c's drain is not built or is turned off")
    ring, rec = hist.StampRing(64), LatencyRecorder()
    ring.put("client->venue", "R", "C", 10, 11, 13, 40)
    ring.put("venue ack rtt", "R", "C", 9)
    assert hist.drain_hops([("venue send", "V", "C", 5)], [(10, 12, 15, 30, "V", "C")], rec.histogram, ring) is True
    assert ring.used() == 0
    assert list(rec.hops) == ["decode", "risk", "venue send", "venue send @V", "venue send C", "venue ack rtt",
                              "venue ack rtt @R", "venue ack rtt C", "client->venue", "client->venue @V",
                              "client->venue C", "client->venue @R"]
    assert rec.histogram("decode").total_count == 2 and rec.histogram("client->venue C").total_count == 2
    assert rec.histogram("client->venue @R").get_max_value() == 30 and rec.histogram("venue ack rtt @R").total_count == 1
    with pytest.raises(ValueError, match="at least 5 words"):
        hist.StampRing(4)
