"""The state memories as bit slices (hw/risk/slices.py): each slice one block's shape at the
memory's depth, so no block select follows a block RAM at 16,384 entries; the sliced pipeline is
the same function (the hazard suite on a pipeline sliced at the hazard suite's small depth)."""
import pytest

from wirespeed.hw.risk import budget, slices
from wirespeed.hw.verify import hazards
from wirespeed.hw.verify.stream_bench import STALLS

from .pipeline_sim import run_scenarios

pytestmark = pytest.mark.hw


@pytest.mark.parametrize("width,depth,bits", [(36, 16384, 1), (48, 8192, 2), (36, 4096, 4), (36, 2048, 9),
                                              (36, 1024, 18), (36, 512, 36), (48, 64, 48), (36, 32768, 36),
                                              (1, 16384, 1)])
def test_a_slice_is_the_widest_block_shape_that_holds_every_entry(width, depth, bits):
    assert slices.slice_width(width, depth) == bits


def test_the_16k_pipeline_s_counters_are_one_block_a_slice_and_fit_the_device():
    """At 8,192 symbols (16,384 entries): opened and released as 36 slices of 16,384 x 1, the
    position as 24 of 8,192 x 2 (one DP16KD each, no select), the limit table whole: 208 blocks,
    the LFE5UM-85F's 208 (200 before, with a 32-way select after the counters' blocks)."""
    mems = {m.name: m for m in budget.memories(8192)}
    assert {n: (m.slice_bits, len(m.slices), m.blocks) for n, m in mems.items()} == {
        "limits": (0, 1, 112), "opened": (1, 36, 36), "released": (1, 36, 36), "position": (2, 24, 24)}
    assert sum(m.blocks for m in mems.values()) == budget.DP16KD_ON_LFE5UM_85F


def test_slices_are_refused_wider_than_the_memory():
    from amaranth.lib.memory import Memory
    with pytest.raises(ValueError, match="slice_bits: 36 must be in"):
        slices.SlicedMemory(Memory, 36, 64, 36)


#: the DP16KD shapes scaled down 2,048 times: the hazard suite's depth-4 pipeline (8 entries) gets
#: its counters in 1-bit slices and its position in 2-bit ones, as the 16k pipeline's
SCALED = ((8, 1), (4, 2), (2, 4), (1, 36))


@pytest.mark.parametrize("stall", [0, pytest.param(-1, marks=pytest.mark.slow)], ids=["no-stall", "last-stall"])
def test_the_sliced_pipeline_matches_the_model_in_every_hazard_scenario(monkeypatch, stall):
    """Every hazard scenario through the sliced pipeline; make test runs it without stalls (~30 s),
    the stall pattern that holds the ports behind `-m slow` (make test-hw-long)."""
    monkeypatch.setattr(slices, "DP16KD_SHAPES", SCALED)
    monkeypatch.setattr(slices, "EVERY_PLATFORM", True)      # the simulator's platform is None
    mems = {m.name: m for m in budget.memories(4, 4, 4)}
    assert (mems["opened"].slice_bits, mems["released"].slice_bits, mems["position"].slice_bits) == (1, 1, 2)
    stalls = [STALLS[stall]]
    runs = run_scenarios(hazards.SCENARIOS, stalls, check_state=True)
    failures = [f"{sc.name}: {m}" for sc, _, res in runs for m in res.mismatches()[:1]]
    assert not failures, "\n".join(failures[:10])
    assert len(runs) == len(hazards.SCENARIOS) * len(stalls)


def test_only_the_ecp5_flow_slices():
    """The simulators and the Verilated harness keep one memory each (no platform)."""
    from amaranth.lib.memory import Memory
    from wirespeed.hw.ecp5 import ECP5
    whole, sliced = slices.state_memory(Memory, 36, 16384, None), slices.state_memory(Memory, 36, 16384, ECP5)
    for unused in (whole, sliced, *sliced.slices):
        unused._MustUse__silence = True          # never elaborated here
    assert isinstance(whole, Memory) and isinstance(sliced, slices.SlicedMemory)
