"""A symbol's state read back over the bus while orders and fills stream: the read takes the
order's and the fill's block-RAM ports for a cycle (hw/risk/tables.py ``ReadBack``: no read-back
copy of a memory), so no order or fill is taken in that cycle, and an order or fill stalled
in the pipeline keeps the words it read (``hold``). Every decision still equals the model's."""
import random

import pytest

from wirespeed.hw.regs import map as regmap
from wirespeed.hw.risk.model import LimitEntry
from wirespeed.hw.verify.pipeline_bench import RandomTraffic

from .pipeline_sim import make_config, simulate_source

pytestmark = pytest.mark.hw

UNTOUCHED = 5           # a symbol without a row: no order on it is accepted, its state stays zero


class ReadingTraffic(RandomTraffic):
    """Random traffic, and a state read (any symbol, any state word) in about ``reads`` of the cycles."""

    def __init__(self, rng, cfg, orders, idle, fill_rate, reads):
        super().__init__(rng, cfg, orders, idle, fill_rate)
        self.read_rate, self.depth = reads, cfg.depth
        self.issued: list[int] = []

    def offer(self, order_free, fill_free):
        order, fill, _, ready = super().offer(order_free, fill_free)
        read = None
        if self.rng.random() < self.read_rate:
            index = UNTOUCHED if self.rng.random() < 0.3 else self.rng.randrange(self.depth)
            read = (regmap.table_addr(index, regmap.STATE_BASE_WORD + self.rng.randrange(6)), None)
            self.issued.append(read[0])
        return order, fill, read, ready


def _run(idle, backpressure, reads, seed):
    cfg = make_config("open", seed)
    # tight position limits on every row but one, so that an order deciding on another entry's
    # word (a read-back's, had its own not been held) gets another decision
    cfg.table = {k: LimitEntry((1 << 32) - 1, 1, (1 << 32) - 1, long_limit=600, short_limit=600)
                 for k in range(cfg.depth) if k != UNTOUCHED}
    source = ReadingTraffic(random.Random(seed), cfg, 300, idle, 0.4, reads)
    return source, simulate_source(cfg, source, seed=seed, backpressure=backpressure)


@pytest.mark.parametrize("idle,backpressure", [(0.0, 0.0), (0.3, 0.5)], ids=["full", "stalls"])
def test_state_reads_while_orders_and_fills_stream(idle, backpressure):
    source, res = _run(idle, backpressure, 0.3, seed=11)
    assert not res.mismatches(), "\n".join(res.mismatches()[:5])     # and the state read back at the end
    assert [a for a, _ in res.reads] == source.issued
    untouched = [d for a, d in res.reads if (a - regmap.TABLE_BASE) // regmap.TABLE_STRIDE == UNTOUCHED]
    assert untouched and set(untouched) == {0}
    assert any(d for a, d in res.reads), "every read gave 0: the reads did not see the traffic's state"
    # (a read in the last cycle steals after the run)
    assert len(source.issued) - 1 <= len(res.steals) <= len(source.issued)
    if backpressure:
        # the pipeline stalled while a read took its ports: the held words were used
        assert res.stalled_steals > 10
    else:
        # one input cycle a read, no other bubble
        first, last = res.in_cycles[0], res.in_cycles[-1]
        gaps = sorted(set(range(first, last + 1)) - set(res.in_cycles))
        assert gaps and gaps == [c for c in res.steals if first <= c <= last]
