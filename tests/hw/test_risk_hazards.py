"""The directed hazard scenarios (hw/verify/hazards.py) in the Amaranth simulator, every one
under every stall combination, against the golden model; the same scenarios run on the
Verilated design in test_risk_pipeline_cocotb.py."""
import pytest

from wirespeed.hw.verify import hazards
from wirespeed.hw.verify.stream_bench import STALL_IDS, STALLS

from .pipeline_sim import run_scenarios

pytestmark = pytest.mark.hw


@pytest.fixture(scope="module")
def runs():
    return run_scenarios(hazards.SCENARIOS, STALLS)


def test_every_scenario_matches_the_model_under_every_stall(runs):
    failures = [f"{sc.name} [{STALL_IDS[STALLS.index(stall)]}]: {m}"
                for sc, stall, res in runs for m in res.mismatches()[:1]]
    assert not failures, "\n".join(failures)
    assert len(runs) == len(hazards.SCENARIOS) * len(STALLS)


def test_backpressure_stalls_the_scenarios():
    """The fillers keep outputs queued, so backpressure stalls the pipeline mid-scenario
    (without them a scenario would pass through an empty pipeline and never stall)."""
    sc = next(s for s in hazards.SCENARIOS if s.name == "pos/same-entry-accepted-ahead")
    (_, _, free), (_, _, held) = run_scenarios([sc], [(0.0, 0.0), (0.0, 0.5)])
    span = lambda r: r.in_cycles[-1] - r.in_cycles[0] + 1 - len(r.in_cycles)   # noqa: E731
    assert span(free) == 0 and span(held) > 0


def test_back_to_back_fills_leave_the_model_s_positions():
    """Fills back to back on one entry forward the word the fill ahead is writing (counters.py);
    the positions and open quantities read back after them equal the model's."""
    fills = [s for s in hazards.SCENARIOS if s.name.startswith(("fill/back-to-back", "fill/fill-then"))]
    runs = run_scenarios(fills, [(0.0, 0.0), (0.3, 0.3)], check_state=True)
    assert len(fills) >= 4 and not [m for _, _, r in runs for m in r.mismatches()]


def test_scenario_names_are_unique():
    names = [s.name for s in hazards.SCENARIOS]
    assert len(names) == len(set(names))


def test_every_hazard_bin_is_hit(runs, capsys):
    """Functional coverage (cocotb-coverage) over the scenario runs: every check x outcome x
    hazard bin hit, the report printed."""
    from wirespeed.hw.verify import coverage
    assert sum(coverage.sample(res.trace, 4) for _, _, res in runs) > 0
    with capsys.disabled():
        print("\n" + coverage.report().splitlines()[-1])
    assert not coverage.missing(), coverage.report()


def test_fill_scenarios_do_not_use_a_colliding_released_read():
    """``released`` has ``no_rw_check`` (one DP16KD port for the fill's read and write,
    counters.py): in synthesis the order's read of the entry the fill writes at the same edge is
    undefined. With every such word inverted (``released_collision_undefined``), every fill
    scenario (a fill or cancel landing in each cycle relative to an order on its entry, fills
    back to back) still decides as the model and leaves the model's state: the forwarding, not
    the word read, decides."""
    fills = [s for s in hazards.SCENARIOS if s.name.startswith("fill/")]
    runs = run_scenarios(fills, [(0.0, 0.0), (0.3, 0.3)], check_state=True, undefined=True)
    assert len(fills) >= 30 and not [f"{sc.name}: {m}" for sc, _, r in runs for m in r.mismatches()[:1]]
