"""The C histogram recording (gateway/native/hist.c) against the hdrh package's own record_value."""
import random

import pytest
from hdrh.histogram import HdrHistogram

from wirespeed.gateway.native import hist as native_hist
from wirespeed.latency import LatencyRecorder

pytestmark = pytest.mark.skipif(native_hist._hist is None, reason="native _hist not built")


def _values(seed=7, n=20_000):
    rng = random.Random(seed)
    return [rng.choice((-5, 0, 1, 2047, 2048, 2049, 65_537, 59_999_999_999, 70_000_000_000, 2**70))
            if rng.random() < 0.05 else int(rng.lognormvariate(10, 2.5)) for _ in range(n)]


def _reference(values):
    h = HdrHistogram(1, 60_000_000_000, 3)
    for v in values:      # LatencyRecorder.record's clamp, then hdrh's own recording
        h.record_value(min(max(v, 1), 60_000_000_000))
    return h


def test_c_record_gives_hdrh_counts_percentiles_and_encoding():
    values = _values()
    ref = _reference(values)
    got = HdrHistogram(1, 60_000_000_000, 3)
    native_hist.record_many(got, values)
    assert list(got.counts) == list(ref.counts)
    assert got.get_total_count() == ref.get_total_count() == len(values)
    assert (got.get_min_value(), got.get_max_value()) == (ref.get_min_value(), ref.get_max_value())
    for p in (0.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0):
        assert got.get_value_at_percentile(p) == ref.get_value_at_percentile(p)
    # the encoded histogram (the report's dump) decodes, by hdrh, to the same counts; merged too
    assert got.encode() == ref.encode()
    dec = HdrHistogram.decode(got.encode())
    assert list(dec.counts) == list(ref.counts)
    merged = HdrHistogram(1, 60_000_000_000, 3)
    merged.add(got)
    merged.add(ref)
    assert merged.get_total_count() == 2 * len(values)
    assert merged.get_value_at_percentile(99.0) == ref.get_value_at_percentile(99.0)


def test_c_record_on_another_shape_matches_hdrh():
    values = [v for v in _values(3, 5_000) if 1_000 <= v <= 3_600_000_000] + [1_000, 3_600_000_000]
    ref = HdrHistogram(1_000, 3_600_000_000, 2)
    for v in values:
        ref.record_value(v)
    got = HdrHistogram(1_000, 3_600_000_000, 2)
    native_hist.record_many(got, values)
    assert list(got.counts) == list(ref.counts)
    assert got.get_value_at_percentile(99.9) == ref.get_value_at_percentile(99.9)


def test_drain_latency_percentiles_match_one_record_per_value(monkeypatch):
    from wirespeed.gateway.orders import OrderGateway
    values = [v for v in _values(11, 3_000) if v > 0][:2_000]
    direct = LatencyRecorder(["venue send"])
    for v in values:
        direct.record("venue send", v)
        direct.record("venue send @V", v)
        direct.record("venue send C1", v)
    gw = OrderGateway.__new__(OrderGateway)       # only the recorder wiring drain_latency uses
    gw.latency, gw._hop_buf, gw._hops, gw._ring = LatencyRecorder(["venue send"]), [], [], None
    for v in values:
        gw._hop("venue send", "V", "C1", v)
    rec = gw.drain_latency()
    for hop in ("venue send", "venue send @V", "venue send C1"):
        assert rec.percentiles(hop) == direct.percentiles(hop)
        assert list(rec.histogram(hop).counts) == list(direct.histogram(hop).counts)
    assert rec.table() == direct.table()


def test_bad_values_and_counts_get_clear_errors():
    h = HdrHistogram(1, 60_000_000_000, 3)
    with pytest.raises(TypeError, match="value 1 is not an int"):
        native_hist._hist.record(h.counts, [5, "x"], h.unit_magnitude, h.sub_bucket_half_count_magnitude, 1, 10)
    with pytest.raises(TypeError, match="64-bit"):
        native_hist._hist.record(bytearray(80), [5], 0, 10, 1, 10)
    with pytest.raises(ValueError, match="bad histogram shape"):
        native_hist._hist.record(h.counts, [5], 0, 10, 0, 10)
    assert h.get_total_count() == 0 and not any(h.counts)
