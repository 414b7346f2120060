"""POV: trade a target share of the observed market volume (excluding its own fills), kept
between a minimum and a maximum rate.

The target is ``rate * volume``; the maximum rate is the participation cap (so fills plus
working quantity never exceed ``max_rate * volume``) and falling below ``min_rate * volume``
counts as behind schedule, which crosses. POV decides on every trade print as well as on
its timer, at most once per ``min_interval_s``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..marketdata import MarketData, MarketState, TradePrint
from ..model import Action, ParentOrder, Urgency
from .base import NS, AlgoConfig, ScheduledAlgorithm, check


@dataclass(frozen=True, slots=True)
class PovConfig(AlgoConfig):
    rate: float = 0.1
    min_rate: float = 0.05
    max_rate: float = 0.2
    min_interval_s: float = 1.0
    min_child: int = 100
    finish_s: float = 0.0

    def __post_init__(self) -> None:
        AlgoConfig.__post_init__(self)
        check(0 < self.rate <= 1, f"participation rate must be in (0, 1], not {self.rate!r}")
        check(0 <= self.min_rate <= self.rate <= self.max_rate <= 1,
              f"POV needs 0 <= min_rate <= rate <= max_rate <= 1, not {self.min_rate!r}, {self.rate!r}, {self.max_rate!r}")
        check(self.min_interval_s >= 0, f"min_interval_s must not be negative, not {self.min_interval_s!r}")


class Pov(ScheduledAlgorithm):
    name = "pov"

    def __init__(self, parent: ParentOrder, config: PovConfig, market: MarketState):
        cap = config.max_rate if config.participation_cap is None else min(config.max_rate, config.participation_cap)
        super().__init__(parent, replace(config, participation_cap=cap), market)
        self._last_decision = -1 << 62

    def target(self, now_ns: int) -> float:
        return self.config.rate * self.market_volume()

    def urgency(self, now_ns: int) -> Urgency:
        if self.filled < self.config.min_rate * self.market_volume() - self.config.min_child:
            return Urgency.CROSS
        return self.config.urgency

    def due_before(self, now_ns: int) -> float:
        return self.config.min_rate * self.market_volume()

    def schedule_end_ns(self) -> int:
        return self.parent.end_ns          # POV follows the market; it does not mop up at the end

    def on_timer(self, now_ns: int) -> list[Action]:
        self._last_decision = now_ns
        return super().on_timer(now_ns)

    def on_market(self, md: MarketData) -> list[Action]:
        if (self.started and isinstance(md, TradePrint)
                and md.ts_ns - self._last_decision >= self.config.min_interval_s * NS):
            nxt = self.next_timer_ns
            actions = self.on_timer(md.ts_ns)
            if nxt is not None and self.next_timer_ns is not None:
                self.next_timer_ns = min(nxt, self.next_timer_ns)
            return actions
        return []
