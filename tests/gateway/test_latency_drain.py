"""OrderGateway.drain_latency grouped by (hop, venue, client): the histograms (and the order they are
made in, which the latency table shows) are those of one record per value and name."""
import random

from wirespeed.gateway.orders import OrderGateway
from wirespeed.latency import LatencyRecorder


def test_grouped_drain_gives_the_histograms_of_one_record_per_value_in_first_seen_order():
    rng = random.Random(5)
    gw = OrderGateway.__new__(OrderGateway)       # only the recorder wiring drain_latency uses
    gw.latency, gw._hop_buf, gw._hops = LatencyRecorder(), [], []
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
            gw._stamp((t0, t1, t2, t3, venue, client))
            record("decode", t1 - t0)
            record("risk", t2 - t1)
            if t3:
                pending_cv.append((venue, client, t3 - t0))
            hop = rng.choice(["venue send", "venue ack rtt", "venue->client", "kernel->user"])
            v = rng.randint(1, 10**9)
            if hop == "kernel->user":
                gw.kernel_hop(v)
                record(hop, v)
            else:
                gw._hop(hop, venue, client, v)
                for name in (hop, f"{hop} @{venue}", f"{hop} {client}"):
                    record(name, v)
        for venue, client, v in pending_cv:        # (the stamps' client->venue after the drain's other hops)
            for name in ("client->venue", f"client->venue @{venue}", f"client->venue {client}"):
                record(name, v)
        pending_cv.clear()
        rec = gw.drain_latency()
        assert gw._hop_buf == [] and gw._hops == []
    assert list(rec.hops) == names
    for name in names:
        got, want = rec.histogram(name), direct.histogram(name)
        assert list(got.counts) == list(want.counts), name     # (so every percentile is the same)
        assert (got.total_count, got.min_value, got.max_value) == (want.total_count, want.min_value, want.max_value)
