"""The naive baselines a backtest compares every algorithm with, on the same day and seed.

* ``Immediate``: the whole order at arrival as market orders (what is left after the book is
  swept goes again a second later);
* ``EvenSliceTwap``: the simplest executor in common use: ``slices`` equal market orders at
  equal intervals over the horizon, no randomisation, no limit orders, each slice's unfilled
  rest carried into the next.

They run through the same runner and router as the algorithms (the router sweeps the touch of
every venue for a market order) so the comparison isolates the decision logic.
"""
from __future__ import annotations

from dataclasses import dataclass

from wirespeed.enums import TimeInForce
from wirespeed.control.algorithms.base import NS, AlgoConfig, Algorithm, Working, check
from wirespeed.control.model import Action, ChildDone, NewChild, Urgency


@dataclass(frozen=True, slots=True)
class BaselineConfig(AlgoConfig):
    slices: int = 20

    def __post_init__(self) -> None:
        AlgoConfig.__post_init__(self)
        check(isinstance(self.slices, int) and self.slices > 0, f"slices must be a positive integer, not {self.slices!r}")


class _MarketOrders(Algorithm):
    def _market(self, now_ns: int, qty: int) -> list[Action]:
        qty = min(qty, self.remaining - sum(w.leaves for w in self.working.values()))
        if qty <= 0:
            return []
        self._seq += 1
        cid = f"{self.parent.parent_id}.{self._seq}"
        self.working[cid] = Working(qty, 0, now_ns, Urgency.CROSS, TimeInForce.IOC)
        return [NewChild(cid, self.parent.parent_id, self.name, self.parent.side, qty, 0, TimeInForce.IOC,
                         Urgency.CROSS)]


class Immediate(_MarketOrders):
    name = "naive-immediate"

    def on_timer(self, now_ns: int) -> list[Action]:
        if now_ns >= self.parent.end_ns or self.remaining <= 0:
            self.next_timer_ns = None
            return []
        self.next_timer_ns = now_ns + int(self.config.retry_s * NS)
        return self._market(now_ns, self.remaining)


class EvenSliceTwap(_MarketOrders):
    name = "naive-twap"

    def on_timer(self, now_ns: int) -> list[Action]:
        p, n = self.parent, self.config.slices
        if now_ns >= p.end_ns or self.remaining <= 0:
            self.next_timer_ns = None
            return []
        dt = (p.end_ns - p.start_ns) / n
        k = min(n, int((now_ns - p.start_ns) // dt) + 1)          # slices due so far
        self.next_timer_ns = int(p.start_ns + k * dt) if k < n else now_ns + int(self.config.retry_s * NS)
        due = p.qty * k // n
        return self._market(now_ns, due - self.filled)

    def on_done(self, done: ChildDone) -> list[Action]:
        return super().on_done(done)


BASELINES = {"naive-immediate": Immediate, "naive-twap": EvenSliceTwap}
