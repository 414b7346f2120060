"""The encoder figures ``make bench-hw`` prints (hw/verify/encoder_bench.py) on a few frames."""
import pytest

from wirespeed.hw.encode.fix import FixEncoder
from wirespeed.hw.encode.ouch import BEATS, FIRST_BYTE, FRAME_CYCLES, OuchEncoder
from wirespeed.hw.verify.encoder_bench import frame_timing, measure

pytestmark = pytest.mark.hw


def test_ouch_frames_follow_each_other_with_one_idle_cycle():
    r = measure(OuchEncoder(16), 16, BEATS, frames=6)
    assert r["frames"] == 6 and r["beats"] == BEATS
    assert (r["first_min"], r["first_max"]) == (FIRST_BYTE, FIRST_BYTE) == (4, 4)
    assert r["frame_min"] == r["frame_max"] == FRAME_CYCLES == 10


def test_fix_latency_does_not_depend_on_the_fields():
    r = measure(FixEncoder(16, contiguous=False), 16, 14, frames=8, seed=4)
    assert r["frames"] >= 5
    assert (r["first_min"], r["first_max"]) == (2, 2)
    assert r["frame_min"] >= r["beats"]


def test_frame_timing_counts_gaps_and_latencies():
    """OUCH frames leave at one beat a cycle: no gaps, the last beat BEATS - 1 after the first."""
    r = frame_timing(OuchEncoder(16), 16, frames=4)
    assert r["frames"] == 4 and r["gaps"] == 0
    assert (r["first_min"], r["first_max"], r["last_min"], r["last_max"]) == (FIRST_BYTE, FIRST_BYTE, FIRST_BYTE + BEATS - 1, FIRST_BYTE + BEATS - 1)
