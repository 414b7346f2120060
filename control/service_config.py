"""The configuration of ``wirespeed control --config FILE``: one TOML file for the desk service.

The gateway's part is the gateway service's (``[gateway]``, ``[risk]``, ``[[symbols]]``,
``[[clients]]``, ``[audit]``, ``[transport]``: docs/gateway/service.md); the control plane's is
``[desk]`` (what a stop does), ``[algo]`` (the algorithms' defaults), ``[paths]`` (the path
selector for venues reached over several paths), ``[breakers]``, ``[desk_caps]``, and one
``[[venues]]`` per venue: its fees for the router, its paths (one gateway venue session each, the
venue manager owns them), its feed, limits, caps and reconnect policy. Loaded through
``wirespeed.config.from_mapping``: every error names its key (``venues[1].paths[0].port: must be
a TCP port 0..65535, not -1``). docs/control/live.md ("The desk service") has an example.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from wirespeed.config import (ConfigError, GatewayConfig, RiskConfig, SymbolConfig, WirespeedConfig, _comp_id,
                              from_mapping, read_toml)
from wirespeed.gateway.service_config import AuditConfig, ClientSessionConfig, TransportConfig

from .algorithms import AdaptiveConfig, IcebergConfig, IsConfig, PovConfig, TwapConfig
from .algorithms.vwap import VolumeProfile, VwapConfig
from .live.history import SymbolHistory
from .analytics.impact import ImpactModel
from .model import ExecutionRefused, Urgency
from .paths import PathConfig
from .risk import BreakerConfig, VenueCaps
from .routing import VenueInfo
from .venues import FeedEndpoint, PathEndpoint, ReconnectPolicy, VenueConfig, VenueLimits
from .venues.endpoints import _seconds


@dataclass(frozen=True, slots=True)
class VenueEntry:
    """One venue the desk trades on. take_fee / make_rebate: ticks per share (the router's
    ``VenueInfo``); paths: its sessions, fastest healthy one chosen when there are several;
    feed: its ITCH feed (request_port 0: none); the rest as ``control.venues.VenueConfig``."""
    name: str
    paths: tuple[PathEndpoint, ...]
    take_fee: float = 0.0
    make_rebate: float = 0.0
    feed: FeedEndpoint = FeedEndpoint()
    limits: VenueLimits = VenueLimits()
    caps: VenueCaps = VenueCaps()
    reconnect: ReconnectPolicy = ReconnectPolicy()
    cancel_on_stop: bool = True
    logon_timeout_s: float = 5.0
    stop_timeout_s: float = 2.0

    def __post_init__(self) -> None:
        if not self.paths:
            raise ValueError("paths: must list at least one path (a session to the venue)")
        VenueInfo(self.name, self.take_fee, self.make_rebate)          # raises on bad fees
        self.manager_config()                                          # and on the rest

    def manager_config(self) -> VenueConfig:
        return VenueConfig(self.name, limits=self.limits, caps=self.caps, reconnect=self.reconnect,
                           paths=self.paths, feed=self.feed if self.feed.enabled else None,
                           cancel_on_stop=self.cancel_on_stop, logon_timeout_s=self.logon_timeout_s,
                           stop_timeout_s=self.stop_timeout_s)

    @property
    def info(self) -> VenueInfo:
        return VenueInfo(self.name, self.take_fee, self.make_rebate)


@dataclass(frozen=True, slots=True)
class DeskConfig:
    """comp_id: the desk's own client of the gateway (its children's sender); on_stop: what a
    SIGTERM does to working parents, ``cancel`` (each canceled, the client told) or ``leave``
    (nothing sent; their children stay at the venues unless a venue's cancel_on_stop cancels
    them); stop_timeout_s: how long the stop waits for the parents' cancels; tick_s: the desk's
    periodic tick (venue availability, paused children, parents' ends); max_parents: working at
    once; speed: the desk's clock runs this many times faster than wall time (a ScaledClock: a
    scripted session in less time, the same decisions; StartTime / EndTime / DurationSecs are on
    it), 1: the wall clock; store_path: a folder where the parents are kept so a restarted desk
    carries them on (control/live/parent_store.py; "" = in memory only; needs ``[audit]
    directory``, whose trail rebuilds their children), store_fsync: none | batch | always."""
    comp_id: str = "CONTROL"
    on_stop: Literal["cancel", "leave"] = "cancel"
    stop_timeout_s: float = 5.0
    tick_s: float = 0.05
    max_parents: int = 1000
    speed: float = 1.0
    store_path: str = ""
    store_fsync: Literal["none", "batch", "always"] = "batch"

    def __post_init__(self) -> None:
        if self.store_fsync not in ("none", "batch", "always"):
            raise ValueError(f"store_fsync: must be none, batch or always, not {self.store_fsync!r}")
        if not isinstance(self.store_path, str):
            raise ValueError(f"store_path: must be a folder path (a string), not {self.store_path!r}")
        if isinstance(self.speed, bool) or not isinstance(self.speed, (int, float)) or not 0 < self.speed <= 1000:
            raise ValueError(f"speed: must be a number in (0, 1000] (times wall time), not {self.speed!r}")
        _comp_id("comp_id", self.comp_id)
        _seconds("stop_timeout_s", self.stop_timeout_s)
        _seconds("tick_s", self.tick_s)
        if isinstance(self.max_parents, bool) or not isinstance(self.max_parents, int) or self.max_parents < 1:
            raise ValueError(f"max_parents: must be a positive integer, not {self.max_parents!r}")


@dataclass(frozen=True, slots=True)
class AlgoDefaults:
    """What a parent gets when its StrategyParametersGrp does not say (the parameters of a parent
    override these): decision_s, min_child, urgency (passive | mid | cross); pov_rate: POV's
    participation; iceberg_display: the iceberg's shown slice (0: a fortieth of the order, at
    least 100). TWAP, POV and ICEBERG run on these alone. VWAP, IS and ADAPTIVE need the market's
    volume: expected_volume_per_s (shares a second traded in a symbol on all venues; 0: they are
    refused, saying so); volume_fractions: its split over the parent's horizon in equal bins
    (empty: flat), VWAP's profile; sigma_ticks (volatility, ticks per square-root second),
    half_spread_ticks and risk_aversion: IS's Almgren-Chriss inputs (ADAPTIVE's too); finish_s:
    the schedule ends this long before the parent's end (the rest of it mops up).
    history: per symbol, a history file (``control/live/history.py``: the day's volume, its
    intraday profile, sigma and half spread); a symbol with one gets its VWAP profile and its IS
    inputs from it (the rate and fractions above are then for the others)."""
    decision_s: float = 10.0
    min_child: int = 100
    urgency: Literal["passive", "mid", "cross"] = "passive"
    pov_rate: float = 0.1
    iceberg_display: int = 0
    expected_volume_per_s: float = 0.0
    volume_fractions: tuple[float, ...] = ()
    sigma_ticks: float = 0.05
    half_spread_ticks: float = 0.5
    risk_aversion: float = 0.0
    finish_s: float = 60.0
    history: dict[str, str] = field(default_factory=dict)
    histories: dict = field(init=False, default_factory=dict, repr=False, compare=False)   # loaded

    def __post_init__(self) -> None:
        if not isinstance(self.history, dict):
            raise ValueError(f"history: must be a table of symbol = file, not {self.history!r}")
        for symbol, path in self.history.items():
            if not isinstance(path, str) or not path:
                raise ValueError(f"history.{symbol}: must be a file path, not {path!r}")
            try:
                self.histories[symbol] = SymbolHistory.load(path, symbol)
            except ValueError as exc:
                raise ValueError(f"history.{symbol}: {exc}") from None
        # the algorithms' own checks, their refusal said against this table's key
        for keys, check in ((("decision_s", "min_child", "urgency", "finish_s"), lambda: TwapConfig(**self._base())),
                            (("pov_rate",), self._pov)):
            try:
                check()
            except ExecutionRefused as exc:
                key = next((k for k in keys if k in exc.reason), keys[0])
                raise ValueError(f"{key}: {exc.reason.removeprefix(key).lstrip(': ')}") from None
        if isinstance(self.iceberg_display, bool) or not isinstance(self.iceberg_display, int) \
                or self.iceberg_display < 0:
            raise ValueError(f"iceberg_display: must be a non-negative integer, not {self.iceberg_display!r}")
        if not self.expected_volume_per_s >= 0:
            raise ValueError(f"expected_volume_per_s: must be >= 0 shares a second, not {self.expected_volume_per_s!r}")
        if any(not f >= 0 for f in self.volume_fractions) or (self.volume_fractions and not sum(self.volume_fractions) > 0):
            raise ValueError(f"volume_fractions: must be non-negative and not all zero, not {list(self.volume_fractions)}")
        for key in ("sigma_ticks", "half_spread_ticks"):
            if not getattr(self, key) > 0:
                raise ValueError(f"{key}: must be positive, not {getattr(self, key)!r}")
        if not self.risk_aversion >= 0:
            raise ValueError(f"risk_aversion: must be >= 0, not {self.risk_aversion!r}")

    def _base(self) -> dict:
        return dict(decision_s=self.decision_s, min_child=self.min_child, urgency=Urgency(self.urgency),
                    finish_s=self.finish_s)

    def _pov(self, rate: float | None = None, **kw) -> PovConfig:
        r = self.pov_rate if rate is None else rate
        return PovConfig(rate=r, min_rate=min(0.05, r), max_rate=max(0.2, r), **{**self._base(), **kw})

    def configs(self, name: str, parent, symbols=None):
        """The desk's config factory (``AlgoDesk(configs=...)``); ``symbols``: the desk's table
        (IS plans around the symbol's reference price)."""
        base = self._base()
        if name == "twap":
            return TwapConfig(**base)
        if name == "pov":
            return self._pov()
        if name == "iceberg":
            return IcebergConfig(display_qty=self.iceberg_display or max(100, parent.qty // 40), **base)
        if name not in ("vwap", "is", "adaptive"):
            raise ExecutionRefused(f"TargetStrategy(847): unknown strategy {name!r}")
        horizon_s = (parent.end_ns - parent.start_ns) / 1e9
        hist = self.histories.get(parent.symbol)
        sigma, half_spread = self.sigma_ticks, self.half_spread_ticks
        if hist is not None:
            # From the symbol's history: its day's profile and what it expects over this horizon.
            profile = hist.profile(parent.start_ns)
            expected = profile.between(parent.start_ns, parent.end_ns)
            if not expected > 0:
                raise ExecutionRefused(f"TargetStrategy(847): {name}: the history of {parent.symbol} "
                                       f"(algo.history.{parent.symbol}) expects no volume over the parent's horizon "
                                       f"(its session is {hist.open_s}-{hist.close_s} s after midnight)")
            if name == "vwap":
                return VwapConfig(profile=profile, **base)
            sigma, half_spread = hist.sigma_ticks, hist.half_spread_ticks
        elif not self.expected_volume_per_s:
            raise ExecutionRefused(f"TargetStrategy(847): {name} needs the market's volume "
                                   f"(algo.expected_volume_per_s), which this desk service was not given, or "
                                   f"{parent.symbol}'s history (algo.history.{parent.symbol})")
        else:
            expected = self.expected_volume_per_s * horizon_s
        if name == "vwap":
            fr = self.volume_fractions or (1.0,)
            n, span = len(fr), parent.end_ns - parent.start_ns
            starts = tuple(parent.start_ns + i * span // n for i in range(n))
            total = sum(fr)
            return VwapConfig(profile=VolumeProfile(starts, tuple(f / total * expected for f in fr), parent.end_ns),
                              **base)
        sym = symbols.by_name(parent.symbol) if symbols is not None else None
        mid = sym.reference_ticks if sym is not None else 1
        params = ImpactModel().ac_params(parent.qty, horizon_s, expected, mid, half_spread, sigma,
                                         self.risk_aversion)
        is_cfg = IsConfig(params=params, decision_s=self.decision_s, min_child=self.min_child)
        if name == "is":
            return is_cfg
        rate = min(1.0, 1.15 * parent.qty / expected) if expected else self.pov_rate
        return AdaptiveConfig(is_config=is_cfg, pov=PovConfig(rate=rate, min_rate=0.0, max_rate=1.0), **base)


@dataclass(frozen=True, slots=True)
class ControlServiceConfig:
    clients: tuple[ClientSessionConfig, ...]
    venues: tuple[VenueEntry, ...]
    gateway: GatewayConfig = field(default_factory=GatewayConfig)
    risk: RiskConfig = field(default_factory=RiskConfig)
    symbols: tuple[SymbolConfig, ...] = WirespeedConfig().symbols
    audit: AuditConfig = field(default_factory=AuditConfig)
    transport: TransportConfig = field(default_factory=TransportConfig)
    desk: DeskConfig = field(default_factory=DeskConfig)
    algo: AlgoDefaults = field(default_factory=AlgoDefaults)
    paths: PathConfig = field(default_factory=PathConfig)
    breakers: BreakerConfig = field(default_factory=BreakerConfig)
    desk_caps: VenueCaps = field(default_factory=VenueCaps)

    def __post_init__(self) -> None:
        if not self.clients:
            raise ValueError("clients: must list at least one client session")
        if not self.venues:
            raise ValueError("venues: must list at least one venue")
        own = {self.gateway.comp_id: "gateway.comp_id", self.desk.comp_id: "desk.comp_id"}
        if len(own) < 2:
            raise ValueError(f"desk.comp_id: must differ from gateway.comp_id ({self.desk.comp_id!r})")
        seen: dict[str, str] = {}
        for i, c in enumerate(self.clients):
            if c.comp_id in own:
                raise ValueError(f"clients[{i}].comp_id: {c.comp_id!r} is {own[c.comp_id]}")
            if c.comp_id in seen:
                raise ValueError(f"clients[{i}].comp_id: duplicate {c.comp_id!r} (also {seen[c.comp_id]})")
            seen[c.comp_id] = f"clients[{i}]"
        sessions: dict[str, str] = {}
        for i, v in enumerate(self.venues):
            if v.name in seen:
                raise ValueError(f"venues[{i}].name: duplicate {v.name!r} (also {seen[v.name]})")
            seen[v.name] = f"venues[{i}]"
            for j, p in enumerate(v.paths):
                if p.name in sessions:
                    raise ValueError(f"venues[{i}].paths[{j}].name: {p.name!r} is a session of {sessions[p.name]} "
                                     "already")
                sessions[p.name] = f"venues[{i}]"
        if self.desk.store_path and not self.audit.directory:
            raise ValueError("desk.store_path: needs [audit] directory (a resumed parent's children are the "
                             "gateway's orders, rebuilt from its audit trail)")
        names = {sym.name for sym in self.symbols}
        for symbol in self.algo.history:
            if symbol not in names:
                raise ValueError(f"algo.history.{symbol}: not a configured symbol (symbols: {', '.join(sorted(names))})")
        for i, c in enumerate(self.clients):
            # a client's own orders go to a gateway venue session: a path's name
            if c.route and c.route not in sessions:
                raise ValueError(f"clients[{i}].route: no venue path named {c.route!r} "
                                 f"(paths: {', '.join(sessions)})")
        self.core()

    def core(self) -> WirespeedConfig:
        """The core config the gateway's components take."""
        return WirespeedConfig(gateway=self.gateway, risk=self.risk, symbols=self.symbols)


def load_control_config(path: str | Path) -> ControlServiceConfig:
    try:
        return from_mapping(ControlServiceConfig, read_toml(path))
    except ConfigError as exc:
        # A component names its own field after the path from_mapping gives it
        # ("venues[0].limits." + "limits.rate: ..."): say it once; a venue's own check says
        # "venue NAME: ..." after the path, which names it already.
        text = re.sub(r"\b([a-z_]+)\.\1\.", r"\1.", str(exc))
        raise ConfigError(re.sub(r"(venues\[\d+\])\.venue [^:]+: ", r"\1.", text)) from None
