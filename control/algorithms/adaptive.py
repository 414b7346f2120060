"""Adaptive: switch among TWAP, POV and IS schedules on spread, book imbalance, volatility and
progress against schedule, recording every switch and why.

Rules, checked at each decision in this order (the first that holds picks the mode):

* behind the TWAP schedule by more than ``behind_switch`` of the order -> IS (front-loaded,
  crossing by the base rules), reason "behind schedule by N shares";
* realised volatility above ``high_vol`` (per sqrt(s)) -> IS (less exposure to price risk);
* spread wider than ``wide_spread_bps`` -> POV at passive urgency (let the market come);
* otherwise -> TWAP.

Urgency also follows the book: a buy with the bids heavier than ``imbalance_urgent`` (price
pressure up) is placed at the mid rather than the touch; a sell mirrors it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from wirespeed.enums import Side

from ..analytics.microstructure import spread_bps
from ..marketdata import MarketState
from ..model import ParentOrder, Urgency
from .base import AlgoConfig, ScheduledAlgorithm, check
from .implementation_shortfall import ImplementationShortfall, IsConfig
from .pov import Pov, PovConfig
from .twap import Twap, TwapConfig


@dataclass(frozen=True, slots=True)
class Switch:
    ts_ns: int
    old: str
    new: str
    reason: str


@dataclass(frozen=True, slots=True)
class AdaptiveConfig(AlgoConfig):
    is_config: IsConfig | None = None
    pov: PovConfig = field(default_factory=PovConfig)
    wide_spread_bps: float = 10.0
    high_vol: float = 0.002
    behind_switch: float = 0.05
    imbalance_urgent: float = 0.5

    def __post_init__(self) -> None:
        AlgoConfig.__post_init__(self)
        check(self.is_config is not None, "adaptive needs an IS config (its Almgren-Chriss parameters)")
        check(self.wide_spread_bps > 0, f"wide_spread_bps must be positive, not {self.wide_spread_bps!r}")
        check(self.high_vol > 0, f"high_vol must be positive, not {self.high_vol!r}")
        check(0 < self.behind_switch <= 1, f"behind_switch must be in (0, 1], not {self.behind_switch!r}")
        check(0 < self.imbalance_urgent <= 1, f"imbalance_urgent must be in (0, 1], not {self.imbalance_urgent!r}")


class Adaptive(ScheduledAlgorithm):
    name = "adaptive"

    def __init__(self, parent: ParentOrder, config: AdaptiveConfig, market: MarketState):
        super().__init__(parent, config, market)
        common = dict(decision_s=config.decision_s, finish_s=config.finish_s, seed=config.seed,
                      min_child=config.min_child)
        self.modes: dict[str, ScheduledAlgorithm] = {
            "twap": Twap(parent, TwapConfig(**common), market),
            "pov": Pov(parent, config.pov, market),
            "is": ImplementationShortfall(parent, config.is_config, market),
        }
        self.mode = "twap"
        self.switches: list[Switch] = []

    def start(self, now_ns: int):
        for m in self.modes.values():
            m.started, m.start_volume = True, self.market.volume
        return super().start(now_ns)

    def _choose(self, now_ns: int) -> tuple[str, str]:
        c = self.config
        behind = self.modes["twap"].target(now_ns) - self.filled
        if behind > c.behind_switch * self.parent.qty:
            return "is", f"behind schedule by {behind:.0f} shares"
        vol = self.market.volatility.value()
        if vol > c.high_vol:
            return "is", f"volatility {vol:.3g}/sqrt(s) above {c.high_vol:.3g}"
        b, a = self.market.best_bid(), self.market.best_ask()
        if b is not None and a is not None and spread_bps(b, a) > c.wide_spread_bps:
            return "pov", f"spread {spread_bps(b, a):.1f} bps above {c.wide_spread_bps:.1f}"
        return "twap", "normal conditions"

    def target(self, now_ns: int) -> float:
        mode, why = self._choose(now_ns)
        if mode != self.mode:
            self.switches.append(Switch(now_ns, self.mode, mode, why))
            self.mode = mode
        sub = self.modes[mode]
        sub.filled = self.filled             # the sub-schedules read the parent's progress
        return sub.target(now_ns)

    def due_before(self, now_ns: int) -> float:
        return self.modes[self.mode].due_before(now_ns)

    def urgency(self, now_ns: int) -> Urgency:
        imb = self.market.imbalance()
        pressure = imb if self.parent.side == Side.BUY else -imb
        if self.mode == "pov":
            return Urgency.PASSIVE
        return Urgency.MID if pressure > self.config.imbalance_urgent else self.config.urgency
