"""Toxics, sans-IO: validation names the field; plans are seeded, ordered and bounded."""
import random

import pytest

from wirespeed.sim.net.toxics import LinkState, ToxicError, ToxicSpec, jitter_ns, plan_chunk


@pytest.mark.parametrize("kwargs, message", [
    ({"type": "lag"}, "type: unknown toxic type 'lag'"),
    ({"type": "latency", "stream": "sideways"}, "stream: must be upstream or downstream, not 'sideways'"),
    ({"type": "latency", "toxicity": 1.5}, "toxicity: must be between 0 and 1, not 1.5"),
    ({"type": "latency", "attributes": {"latency": -1}}, "attributes.latency: must be >= 0, not -1"),
    ({"type": "latency", "attributes": {"latency": "5"}}, "attributes.latency: must be a number, not '5'"),
    ({"type": "latency", "attributes": {"delay": 5}}, "attributes.delay: not an attribute of latency"),
    ({"type": "latency", "attributes": {"distribution": "cauchy"}}, "attributes.distribution: must be one of"),
    ({"type": "bandwidth", "attributes": {"rate": 1.5}}, "attributes.rate: must be a whole number, not 1.5"),
    ({"type": "slicer", "attributes": {"average_size": 10, "size_variation": 10}},
     "attributes.size_variation: must be smaller than average_size"),
    ({"type": "loss", "attributes": {"probability": 2}}, "attributes.probability: must be between 0 and 1"),
    ({"type": "latency", "name": "a b"}, "name: must be letters, digits"),
])
def test_bad_toxic_names_the_field(kwargs, message):
    with pytest.raises(ToxicError, match=message.replace("(", r"\(").replace(".", r"\.")):
        ToxicSpec(**kwargs)


def test_defaults_and_json_round_trip():
    spec = ToxicSpec("latency", attributes={"latency": 2})
    assert spec.name == "latency_downstream" and spec.stream == "downstream"
    assert spec.to_json() == {"name": "latency_downstream", "type": "latency", "stream": "downstream",
                              "toxicity": 1.0, "attributes": {"latency": 2.0, "jitter": 0.0, "distribution": "uniform"}}
    assert ToxicSpec.from_json(spec.to_json()) == spec
    updated = ToxicSpec.from_json({"attributes": {"jitter": 1}}, base=spec)
    assert updated.attributes["latency"] == 2 and updated.attributes["jitter"] == 1
    with pytest.raises(ToxicError, match="colour: unknown toxic field"):
        ToxicSpec.from_json({"type": "latency", "colour": "red"})


def _plan(specs, data=b"x" * 100, now=1_000_000, seed=1, state=None):
    return plan_chunk(specs, state or LinkState(random.Random(seed)), data, now)


def test_latency_jitter_is_seeded_and_bounded():
    spec = ToxicSpec("latency", attributes={"latency": 1, "jitter": 0.2})
    a = [_plan([spec], seed=9).pieces[0][0] for _ in range(3)]
    assert len(set(a)) == 1, "same seed, same delay"
    rng = random.Random(4)
    samples = [jitter_ns(spec, rng) for _ in range(2000)]
    assert 800_000 <= min(samples) and max(samples) <= 1_200_000
    assert abs(sum(samples) / len(samples) - 1_000_000) < 20_000
    expo = ToxicSpec("latency", attributes={"latency": 1, "jitter": 0.2, "distribution": "exponential"})
    e = [jitter_ns(expo, rng) for _ in range(2000)]
    assert min(e) >= 1_000_000 and abs(sum(e) / len(e) - 1_200_000) < 30_000


def test_bandwidth_serialises_chunks():
    spec = ToxicSpec("bandwidth", attributes={"rate": 100})      # 100 KB/s: 10 us a byte
    state = LinkState(random.Random(0))
    first = _plan([spec], state=state, now=0).pieces[0][0]
    second = _plan([spec], state=state, now=0).pieces[0][0]
    assert first == 1_000_000 and second == 2_000_000


def test_slicer_cuts_in_order_and_keeps_every_byte():
    spec = ToxicSpec("slicer", attributes={"average_size": 10, "size_variation": 3, "delay": 50})
    data = bytes(range(256)) * 2
    plan = _plan([spec], data=data, now=0)
    assert b"".join(p[1] for p in plan.pieces) == data
    assert all(7 <= len(p[1]) <= 13 for p in plan.pieces[:-1])
    assert [p[0] for p in plan.pieces] == [i * 50_000 for i in range(len(plan.pieces))]


def test_limit_data_truncates_then_closes():
    spec = ToxicSpec("limit_data", attributes={"bytes": 150})
    state = LinkState(random.Random(0))
    assert not _plan([spec], state=state).close
    second = _plan([spec], state=state)
    assert second.close and len(second.pieces[0][1]) == 50
    assert _plan([spec], state=state).pieces == []


def test_loss_delays_by_rto_at_its_rate_and_timeout_black_holes():
    loss = ToxicSpec("loss", attributes={"probability": 0.25, "rto": 3})
    state = LinkState(random.Random(5))
    delays = [_plan([loss], state=state, now=0).pieces[0][0] for _ in range(4000)]
    assert set(delays) == {0, 3_000_000}
    assert 0.22 < delays.count(3_000_000) / 4000 < 0.28
    assert _plan([ToxicSpec("timeout")]).pieces == []


def test_toxicity_is_drawn_once_per_link():
    spec = ToxicSpec("latency", toxicity=0.5, attributes={"latency": 1})
    hits = 0
    for seed in range(400):
        state = LinkState(random.Random(seed))
        first = _plan([spec], state=state, now=0).pieces[0][0]
        assert all(_plan([spec], state=state, now=0).pieces[0][0] == first for _ in range(3))
        hits += first > 0
    assert 160 < hits < 240
