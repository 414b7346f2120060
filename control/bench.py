"""Control-plane micro-benchmarks: decision time per child order and routing time per child
across 5 venues (targets: <= 20 us and <= 50 us). Printed, never asserted; each figure beside a
baseline measured in the same run (one market-data update of the
market state, the least any event costs), so a slower machine shows in both.

    python -m wirespeed.control.bench

The day-level quality figures (tracking, fill rate, IS vs expected cost, slippage against the
naive baselines, impact-model error, seconds per simulated day, sweep speed-up) need the sim
and are in ``python -m wirespeed.sim.backtest.bench``.
"""
from __future__ import annotations

import time

from wirespeed.enums import Side

from .algorithms.twap import Twap, TwapConfig
from .marketdata import MarketState, Quote
from .model import NewChild, ParentOrder
from .routing import Router, VenueInfo

NS = 1_000_000_000


def _per_call_us(fn, n: int) -> float:
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter_ns()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter_ns() - t0) / n / 1e3)
    return best


def bench_decision(n: int = 20_000) -> tuple[float, float]:
    m = MarketState("XYZ")
    for i, v in enumerate("ABCDE"):
        m.update(Quote(v, "XYZ", 0, ((10_000 - i, 500), (9_999 - i, 800)), ((10_002 + i, 500), (10_003 + i, 800))))
    p = ParentOrder("P", "XYZ", Side.BUY, 10 ** 9, 0, 10 ** 6 * NS)
    algo = Twap(p, TwapConfig(decision_s=1.0, size_jitter=0.0, time_jitter=0.0), m)
    algo.start(0)
    t = [0]

    def decide():
        # one decision a second that places a child (the previous one filled in between)
        t[0] += NS
        out = algo.on_timer(t[0])
        for a in out:
            if isinstance(a, NewChild):
                algo.filled += a.qty
        algo.working.clear()
    q = Quote("A", "XYZ", 0, ((10_000, 500), (9_999, 800)), ((10_002, 500), (10_003, 800)))
    baseline = _per_call_us(lambda: m.update(q), n)
    return _per_call_us(decide, n // 10), baseline


def bench_routing(n: int = 20_000) -> tuple[float, float]:
    venues = [VenueInfo(v, 0.1 * i, 0.05 * i) for i, v in enumerate("ABCDE")]
    r = Router(venues)
    books = {v.name: Quote(v.name, "XYZ", 0, tuple((9_999 - k, 300) for k in range(5)),
                           tuple((10_001 + k + i % 2, 300) for k in range(5))) for i, v in enumerate(venues)}
    m = MarketState("XYZ")
    for q in books.values():
        m.update(q)
    baseline = _per_call_us(lambda: m.update(books["A"]), n)
    return _per_call_us(lambda: r.route(Side.BUY, 2_500, 10_003, books), n // 10), baseline


def main() -> int:
    d, db = bench_decision()
    r, rb = bench_routing()
    print("control plane (best of 5, per call)")
    print(f"  decision per child order (TWAP on_timer)   {d:7.2f} us   target <= 20 us   "
          f"{d / db:6.1f}x a quote update ({db:.2f} us)")
    print(f"  route one marketable child across 5 venues {r:7.2f} us   target <= 50 us   "
          f"{r / rb:6.1f}x a quote update ({rb:.2f} us)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
