"""Speed work on the backtest (sim/market's participants, the book, the engine, the backtest
context, control's router and runner) must not change the market: the same seed gives the same
book events and the same tape, event for event.

The digests below were taken from the code before the speed work (2026-12-01), re-pinned for
vwap, is and iceberg when their decisions changed on purpose (VWAP's stepped, bounded target; IS
posting passively; the iceberg's refresh and re-pricing rules), the market unchanged. A change that
alters the market or the decisions on purpose (a new participant rule, a new algorithm rule)
re-pins them, and says so in its commit: ``python -m tests.sim.test_day_pinned`` prints them.
"""
from __future__ import annotations

import hashlib

import pytest

from wirespeed.sim.backtest.days import make_day
from wirespeed.sim.backtest.run import BacktestSpec, run_backtest


class _Recorded:
    """The day, with a digest of every book event of every venue (a sink added after the day's
    own, so it sees what they see and changes nothing)."""

    def __init__(self, day):
        self.day = day
        self.events = 0
        self.hash = hashlib.sha256()

    def __getattr__(self, name):
        return getattr(self.day, name)

    def install(self, ctx) -> None:
        self.day.install(ctx)
        for name, v in ctx.venues.items():
            v.engine.subscribe(lambda ev, name=name: self._sink(name, ev))

    def _sink(self, venue: str, ev) -> None:
        self.events += 1
        self.hash.update(f"{venue}{ev!r}".encode())


def digest(algo: str, day: str = "synthetic", seed: int = 3, start_s: float = 60.0, minutes: float = 3.0):
    rec = _Recorded(make_day(day, seed))
    r = run_backtest(BacktestSpec(algo=algo, start_s=start_s, minutes=minutes, seed=seed), rec)
    tape = hashlib.sha256("\n".join(repr(x) for x in r.tape.records).encode()).hexdigest()[:16]
    t = r.tca
    return (rec.events, rec.hash.hexdigest()[:16], len(r.tape.records), tape, t.filled,
            round(t.slippage_bps, 9), round(t.vwap_tracking_bps, 9))


PINNED = {
    ('twap', 'synthetic'): (4865, '45aef79e71067185', 728, '80f21ccf953cab0f', 600, -0.015007504, 1.144794371),
    ('vwap', 'synthetic'): (4923, '203f959a91c13605', 765, '780cec78c5e6c668', 600, 0.260130065, 1.703934697),
    ('pov', 'synthetic'): (4706, '24c199b07380f4bf', 730, 'a79b3a18b293bf90', 533, -0.991114694, 0.127395096),
    ('is', 'synthetic'): (4912, 'e44942c7d140a5f6', 739, 'bafc676f11414ea5', 600, 0.011672503, 1.19744275),
    ('iceberg', 'synthetic'): (4661, '5b325acb731e2324', 705, '9121c00d9d349f4e', 600, 0.872102718, 1.903424593),
    ('adaptive', 'synthetic'): (4706, 'fc6da06c1fc8d851', 706, 'd023eae261137dfc', 600, -1.649157912, -0.490834161),
    ('naive-immediate', 'synthetic'): (4684, '04fd4e47d0f531f3', 715, '8308fa9f08ca1bfe', 600, 1.00050025, 1.542698911),
    ('vwap', 'stylised'): (14825, '69438a3889b48e7b', 1275, 'f931a077c9a7445d', 7000, -1.559298787, -0.044332957),
}


@pytest.mark.parametrize("key", sorted(PINNED))
def test_same_seed_same_events_and_tape_as_before_the_speed_work(key):
    algo, day = key
    assert digest(algo, day) == PINNED[key]


if __name__ == "__main__":
    for algo, day in [(a, "synthetic") for a in ("twap", "vwap", "pov", "is", "iceberg", "adaptive",
                                                 "naive-immediate")] + [("vwap", "stylised")]:
        print(f"    ({algo!r}, {day!r}): {digest(algo, day)!r},")
