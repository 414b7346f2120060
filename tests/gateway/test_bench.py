"""`make bench` itself: the interleaved timer orders functions by cost, and the round-trip
harness measures all four series through real server processes."""
import time

from wirespeed.gateway.bench import codec, fsync, roundtrip


def test_interleaved_timer_ranks_a_slower_function_slower():
    def fast():
        return None

    def slow():
        t = time.perf_counter_ns() + 20_000
        while time.perf_counter_ns() < t:
            pass
    fast_ns, slow_ns = codec.best_ns_interleaved([fast, slow], batch_s=0.005, rounds=3)
    assert 0 < fast_ns < 5_000 and slow_ns >= 20_000


def test_codec_bench_messages_are_valid_and_timed():
    rows = codec.bench_codec(batch_s=0.002, rounds=1)
    assert [name for name, _, _ in rows] == ["encode NewOrderSingle (template)", "encode NewOrderSingle (generic)",
                                             "parse+validate NewOrderSingle", "encode NewOrderSingle (Python tmpl)"]
    assert all(ours > 0 and theirs > 0 for _, ours, theirs in rows)


def test_round_trip_measures_every_series():
    rec = roundtrip.run(count=40, warmup=5, rounds=2, spin_us=500)
    assert rec.hops == [label for label, _ in roundtrip.hops("batch", 500)]
    for hop in rec.hops:
        p = rec.percentiles(hop)
        assert 0 < p["p50"] <= p["p99"]


def test_order_path_bench_measures_through_a_running_gateway():
    from wirespeed.gateway.bench import order_path
    rec, hops = order_path.through_gateway(count=40, rounds=2, warmup=5, spin_us=200, native=True, entry_pair=False)
    assert rec.hops == ["uvloop echo (TCP floor)", "client -> gateway -> venue -> client", "uvloop echo, spin 200 us",
                        "client -> gateway -> venue -> client, spin 200 us", order_path.PYTHON_SERIES,
                        order_path.NATIVE_SERIES, order_path.FAST_SERIES, *order_path.LEAN[:2]]
    assert all(rec.count(h) == 40 for h in rec.hops)
    # Each gateway's own figures, from its admin interface: every order (warm-up included) passed it.
    assert list(hops) == [rec.hops[1], rec.hops[3], *rec.hops[4:]]
    for venue, gw_hops in zip([f"VENUE{k}" for k in range(7)], hops.values()):
        assert gw_hops["client->venue"]["count"] >= 40 and gw_hops[f"client->venue @{venue}"]["count"] >= 40
    # the fast-path gateways took their orders in C: the venue write's own stamp is there
    assert all(hops[label]["venue send"]["count"] >= 40 for label in (order_path.FAST_SERIES, order_path.LEAN[1]))
    risk = order_path.risk_alone(200, 5, 50)
    assert risk.count("risk decision (model)") == 200 and risk.count("risk decision (amaranth)") == 5
    assert risk.count("risk decision (native)") == 200
    assert risk.count("risk decision (verilator)") == 50


def test_load_run_counts_every_order_exactly_once():
    from wirespeed.gateway.bench import load
    r = load.run(sessions=2, rate=100, seconds=0.5)
    assert r["sent"] == 100 and r["lost"] == 0 and r["duplicated"] == 0 and r["unknown"] == 0
    assert r["latency"].count("client round trip") == 100 and r["gateway_peak_rss"] > 0


def test_fsync_bench_measures_concurrent_sessions(tmp_path):
    rec = fsync.run(orders=10, warmup=2, sessions=3, policies=("always",), folder=str(tmp_path))
    assert rec.hops == ["3 sessions, FsyncPolicy=always"]
    p = rec.percentiles(rec.hops[0])
    assert 0 < p["p50"] <= p["p99"]


def test_load_generator_template_frames_like_the_plain_encoder():
    from wirespeed.gateway.bench.load import OrderTemplate
    from wirespeed.gateway.bench.rtt_client import frame
    st = b"20261201-13:00:00.000"
    for seq, n in ((b"2", b"1"), (b"123456", b"98765")):
        body = (f"35=D\x0149=LOAD07\x0156=GW\x0134={seq.decode()}\x0152={st.decode()}\x0111=LOAD07-{n.decode()}"
                "\x0155=AAPL\x0154=1\x0160=20261122-10:00:00\x0138=10\x0140=2\x0144=190.25\x0159=0\x01100=XNYS\x01")
        assert OrderTemplate("LOAD07", "XNYS").encode(seq, st, sum(st), n) == frame(body)


def test_the_load_bench_samples_the_gateway_s_rss():
    import os

    from wirespeed.gateway.bench.load import RssSampler, _rss, rss_profile
    sampler = RssSampler(os.getpid(), every_s=0.01)
    import time
    time.sleep(0.1)
    samples = sampler.stop()
    assert len(samples) >= 3 and all(b > 0 for _, b in samples) and _rss(os.getpid()) > 0
    assert [t for t, _ in samples] == sorted(t for t, _ in samples)
    four = [(10.0, 100 * 2**20), (20.0, 150 * 2**20), (30.0, 150 * 2**20), (40.0, 151 * 2**20)]
    assert rss_profile(four, points=2) == "20 s 150 MiB, 40 s 151 MiB"
    assert rss_profile(four[:1], points=6) == "10 s 100 MiB"
    assert rss_profile([]) == "no samples"
