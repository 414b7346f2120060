"""One backtest: a parent order, an algorithm (or a naive baseline), a simulated day on several
venues in process, in simulated time; TCA of the result.

``BacktestSpec`` is the frozen description (what a sweep varies); ``run_backtest`` builds a fresh
context and day from the seed, runs the order through ``control``'s runner and router, and
returns the TCA result with the tape. Same spec, same numbers: all randomness is seeded.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from wirespeed.enums import Side
from wirespeed.control.algorithms import ALGORITHMS
from wirespeed.control.algorithms import almgren_chriss as ac
from wirespeed.control.algorithms.adaptive import AdaptiveConfig
from wirespeed.control.algorithms.base import AlgoConfig, Algorithm
from wirespeed.control.algorithms.iceberg import IcebergConfig
from wirespeed.control.algorithms.implementation_shortfall import IsConfig
from wirespeed.control.algorithms.pov import PovConfig
from wirespeed.control.algorithms.twap import TwapConfig
from wirespeed.control.algorithms.vwap import VwapConfig
from wirespeed.control.analytics.impact import ImpactModel
from wirespeed.control.marketdata import MarketState
from wirespeed.control.model import ExecutionRefused, make_parent
from wirespeed.control.routing import Router
from wirespeed.control.runner import ParentRunner
from wirespeed.control.tca.metrics import TcaResult, analyse
from wirespeed.control.tca.tape import Tape
from wirespeed.symbols import Symbol

from .baselines import BASELINES, BaselineConfig
from .context import BacktestContext
from .day import Day

NS = 1_000_000_000
NAMES = tuple(ALGORITHMS) + tuple(BASELINES)


@dataclass(frozen=True)
class BacktestSpec:
    """algo: one of NAMES; qty: shares, 0 = ``pct_volume`` of the horizon's expected volume;
    start_s: seconds after the open; kappa_T: IS urgency (Almgren-Chriss kappa x horizon; 0 =
    risk-neutral, even); impact: the impact model's (spread, impact) coefficients IS plans with
    (fit them with ``analytics.impact.fit``); params: overrides of the algorithm's config fields."""
    algo: str = "vwap"
    side: str = "buy"
    qty: int = 0
    pct_volume: float = 0.05
    start_s: float = 1800.0
    minutes: float = 60.0
    seed: int = 1
    limit: str = ""
    kappa_T: float = 1.0
    impact: tuple[float, float] = (1.0, 0.5)
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.algo not in NAMES:
            raise ExecutionRefused(f"unknown algorithm {self.algo!r} (known: {', '.join(NAMES)})")
        if self.side not in ("buy", "sell"):
            raise ExecutionRefused(f"side must be buy or sell, not {self.side!r}")
        if not 0 < self.pct_volume <= 1:
            raise ExecutionRefused(f"pct_volume must be in (0, 1], not {self.pct_volume!r}")
        if not self.minutes > 0:
            raise ExecutionRefused(f"minutes must be positive, not {self.minutes!r}")
        if self.kappa_T < 0:
            raise ExecutionRefused(f"kappa_T must not be negative, not {self.kappa_T!r}")


@dataclass
class BacktestResult:
    spec: BacktestSpec
    tca: TcaResult
    tape: Tape
    algo: Algorithm
    expected_cost: float | None     # IS: Almgren-Chriss expected cost of the plan, ticks x shares
    wall_s: float
    events: int


def horizon(spec: BacktestSpec, day: Day) -> tuple[int, int]:
    start = day.open_ns + int(spec.start_s * NS)
    end = start + int(spec.minutes * 60 * NS)
    if end > day.close_ns:
        raise ExecutionRefused(f"the order ends {(end - day.close_ns) / NS:.0f} s after the close")
    return start, end


def order_qty(spec: BacktestSpec, day: Day) -> int:
    if spec.qty:
        return spec.qty
    start, end = horizon(spec, day)
    return max(100, int(round(spec.pct_volume * day.volume_profile().between(start, end), -2)))


def algo_config(spec: BacktestSpec, day: Day, qty: int) -> AlgoConfig:
    start, end = horizon(spec, day)
    seed, name = spec.seed, spec.algo
    expected = day.volume_profile().between(start, end)
    base = dict(seed=seed, min_child=100)
    if name in BASELINES:
        cfg: AlgoConfig = BaselineConfig(**base)
    elif name == "twap":
        cfg = TwapConfig(**base)
    elif name == "vwap":
        cfg = VwapConfig(profile=day.volume_profile(), **base)
    elif name == "pov":
        rate = min(1.0, 1.15 * qty / expected)
        cfg = PovConfig(rate=rate, min_rate=rate / 2, max_rate=min(1.0, 2 * rate), **base)
    elif name == "iceberg":
        cfg = IcebergConfig(display_qty=max(100, qty // 40), **base)
    else:
        is_cfg = IsConfig(params=is_params(spec, day, qty), **base)
        cfg = is_cfg if name == "is" else AdaptiveConfig(
            is_config=is_cfg, pov=PovConfig(rate=min(1.0, 1.15 * qty / expected), min_rate=0.0,
                                            max_rate=1.0), **base)
    return override(cfg, spec.params, name)


def is_params(spec: BacktestSpec, day: Day, qty: int):
    start, end = horizon(spec, day)
    cal = day.calibration()
    T = (end - start) / NS
    V = day.volume_profile().between(start, end)
    p0 = ImpactModel(*spec.impact).ac_params(qty, T, V, cal.mid_ticks, cal.half_spread_ticks, cal.sigma_ticks_per_sqrt_s, 0.0)
    # lam from the wanted urgency: kappa^2 ~ lam sigma^2 / eta  ->  lam = (kappa_T / T)^2 eta / sigma^2
    lam = (spec.kappa_T / T) ** 2 * p0.eta / max(cal.sigma_ticks_per_sqrt_s, 1e-9) ** 2
    p = dataclasses.replace(p0, lam=lam)
    # The model's cost is of the order as IS trades it (it is fit on IS's executions of such
    # plans), ac_params matched it to an even schedule over the whole horizon; IS plans over the
    # horizon less finish_s, front-loaded. Scale eta, and lam with it (lam / eta, so kappa and the
    # trajectory, unchanged), so that the expected cost of IS's own plan is the model's prediction.
    d = {f.name: f.default for f in dataclasses.fields(IsConfig) if f.name in ("decision_s", "finish_s")}
    d.update({k: v for k, v in spec.params.items() if k in d})
    T_plan = max(T - d["finish_s"], d["decision_s"])
    n = max(1, round(T_plan / d["decision_s"]))
    temporary = ac.expected_cost(qty, T_plan, n, dataclasses.replace(p, epsilon=0.0, gamma=0.0))
    f = temporary / (p.eta * qty * qty / T)
    return dataclasses.replace(p, eta=p.eta / f, lam=p.lam / f)


def override(cfg: AlgoConfig, params: Mapping[str, Any], name: str) -> AlgoConfig:
    if not params:
        return cfg
    known = {f.name for f in dataclasses.fields(cfg)}
    for k in params:
        if k not in known:
            raise ExecutionRefused(f"params.{k}: not a setting of {name} (known: {', '.join(sorted(known))})")
    return dataclasses.replace(cfg, **params)


def run_backtest(spec: BacktestSpec, day: Day, progress: Callable[[float], None] | None = None) -> BacktestResult:
    """Run ``spec`` on ``day`` (a fresh Day object: its flow is installed into a new context)."""
    t0 = time.perf_counter()
    start, end = horizon(spec, day)
    qty = order_qty(spec, day)
    sym = Symbol(1, day.symbol, day.tick)
    side = Side.BUY if spec.side == "buy" else Side.SELL
    parent = make_parent(f"{spec.algo}-{spec.seed}", sym, side, qty, start, end, spec.limit or None)
    cfg = algo_config(spec, day, qty)
    market = MarketState(day.symbol)
    if spec.algo in BASELINES:
        algo = BASELINES[spec.algo](parent, cfg, market)
    else:
        algo = ALGORITHMS[spec.algo][0](parent, cfg, market)
    ctx = BacktestContext(day.symbol, day.venues, tick=day.tick, latency_ns=day.latency_ns, start_ns=day.open_ns)
    # the router prices the rest of a marketable child beyond the books with the same impact
    # model IS plans with, on the market state the algorithm reads
    router = Router(day.venues, impact=ImpactModel(*spec.impact), market=market)
    runner = ParentRunner(algo, router, ctx)
    ctx.runner = runner
    day.install(ctx)
    ctx.at(start, runner.submit, start)
    cb = None
    if progress is not None:
        cb = lambda ts: progress(min(1.0, (ts - day.open_ns) / max(1, end + 30 * NS - day.open_ns)))  # noqa: E731
    ctx.run(end + 30 * NS, cb)
    if progress is not None:
        progress(1.0)
    return BacktestResult(spec, analyse(runner.tape, parent.parent_id), runner.tape, algo,
                          getattr(algo, "expected_cost", None), time.perf_counter() - t0, ctx.events)
