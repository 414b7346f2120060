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


def _run(idle, backpressure, reads, seed, undefined=False):
    cfg = make_config("open", seed)
    # tight position limits on every row but one, so that an order deciding on another entry's
    # word (a read-back's, had its own not been held) gets another decision
    cfg.table = {k: LimitEntry((1 << 32) - 1, 1, (1 << 32) - 1, long_limit=600, short_limit=600)
                 for k in range(cfg.depth) if k != UNTOUCHED}
    source = ReadingTraffic(random.Random(seed), cfg, 300, idle, 0.4, reads)
    return source, simulate_source(cfg, source, seed=seed, backpressure=backpressure, undefined=undefined)


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


class FillChasingTraffic(ReadingTraffic):
    """ReadingTraffic whose reads, for a few cycles after each fill, read the open quantities
    of the fill's symbol: a read-back of the entry the fill writes, in each cycle after it."""

    def offer(self, order_free, fill_free):
        order, fill, read, ready = super().offer(order_free, fill_free)
        if fill is not None:
            self.chase = (fill.symbol, 4)
        symbol, left = getattr(self, "chase", (0, 0))
        if left and self.rng.random() < 0.6:
            if read is not None:
                self.issued.pop()
            read = (regmap.table_addr(symbol, regmap.STATE_BASE_WORD + 2 + self.rng.randrange(4)), None)
            self.issued.append(read[0])
        self.chase = (symbol, max(0, left - 1))
        return order, fill, read, ready


def test_state_reads_do_not_use_a_colliding_released_read():
    """A read-back of the ``released`` entry the fill writes at the same edge (reads chasing
    each fill): undefined in synthesis (``no_rw_check``, counters.py), inverted here
    (``released_collision_undefined``); the read-back takes the word before the write instead
    (``FillCounters.read_back``), so every word read and every decision equals the read-first
    run's (the simulator's), whose decisions equal the model's."""
    runs = []
    for undefined in (False, True):
        cfg = make_config("open", 12)
        cfg.table = {k: LimitEntry((1 << 32) - 1, 1, (1 << 32) - 1, long_limit=600, short_limit=600)
                     for k in range(cfg.depth) if k != UNTOUCHED}
        source = FillChasingTraffic(random.Random(12), cfg, 300, 0.0, 0.5, 0.1)
        runs.append(simulate_source(cfg, source, seed=12, backpressure=0.0, undefined=undefined))
        assert not runs[-1].mismatches(), "\n".join(runs[-1].mismatches()[:5])
    first, undefined = runs
    assert len(first.reads) > 20 and undefined.reads == first.reads and undefined.outputs == first.outputs
