"""RiskPipeline in the Amaranth simulator against the golden model (RiskModel)."""
import pytest

from wirespeed.hw.risk.pipeline import LATENCY, RiskPipeline
from wirespeed.reasons import RISK_REASONS

from .harness import STALL_IDS, STALLS
from .pipeline_sim import CONFIGS, make_config, simulate

pytestmark = pytest.mark.hw


#: (config, idle, backpressure): every setting under every stall; the per-session rates (the
#: throttle's paths, already under every stall) under both stalls at once
RUNS = [pytest.param(c, *stall, id=f"{c}-{sid}") for c in CONFIGS for stall, sid in zip(STALLS, STALL_IDS)
        if c != "session-rate" or stall == STALLS[-1]]


@pytest.mark.parametrize("config,idle,backpressure", RUNS)
def test_random_orders_and_fills_match_model(config, idle, backpressure):
    seed = sum(map(ord, config))
    cfg = make_config(config, seed)
    warmup = make_config("open", seed) if config == "reduce-only" else None
    # reduce-only accepts only the few orders that shrink the warm-up's positions: a seed whose
    # traffic has some (and so fills) at the 5-cycle latency
    res = simulate(cfg, 300, warmup=warmup, seed=9 if config == "reduce-only" else 7, idle=idle,
                   backpressure=backpressure)
    assert not res.mismatches(), "\n".join(res.mismatches()[:5])
    assert res.fills > 0 or config == "kill"


def test_fixed_latency_and_full_throughput():
    cfg = make_config("open", seed=3)
    res = simulate(cfg, 300, seed=3, fill_rate=0.5)
    assert not res.mismatches()
    assert res.in_cycles == list(range(res.in_cycles[0], res.in_cycles[0] + 300)), "a bubble at the input"
    assert {o - i for i, o in zip(res.in_cycles, res.out_cycles)} == {LATENCY}


def test_every_reason_is_produced():
    seen = set()
    for name in CONFIGS:
        warmup = make_config("open", 11) if name == "reduce-only" else None
        seen |= simulate(make_config(name, seed=11), 400, warmup=warmup, seed=5).reasons_seen
    assert set(RISK_REASONS) <= seen, f"never produced: {sorted(set(RISK_REASONS) - seen)}"


@pytest.mark.parametrize("bad", [{"depth": 3}, {"sessions": 0}, {"window": 6}, {"depth": 1 << 18}])
def test_bad_parameters_are_named(bad):
    with pytest.raises(TypeError, match="must be a power of two|does not fit"):
        RiskPipeline(**{"depth": 16, "sessions": 4, "window": 8, **bad})
