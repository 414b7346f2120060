"""What a backtest needs of a trading day: the ``Day`` protocol.

A day names its symbol and tick, its venues (fees, latency), its session times, puts its
participants' flow into a ``BacktestContext`` (``install``), and gives the historical intraday
volume profile VWAP plans with and the calibration IS starts from. The synthetic and replayed
days of ``sim/market`` are adapted to it in ``sim/backtest/days.py``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from wirespeed.control.algorithms.vwap import VolumeProfile
from wirespeed.control.routing import VenueInfo
from wirespeed.prices import TickSize

from .context import BacktestContext


@dataclass(frozen=True, slots=True)
class Calibration:
    """The day's typical market, known before trading (from history): what IS plans with."""
    mid_ticks: float
    half_spread_ticks: float
    sigma_ticks_per_sqrt_s: float
    volume_per_s: float


class Day(Protocol):
    symbol: str
    tick: TickSize
    venues: list[VenueInfo]
    latency_ns: dict[str, int]
    open_ns: int
    close_ns: int

    def install(self, ctx: BacktestContext) -> None:
        """Schedule the participants' flow (from ``open_ns`` to ``close_ns``) into ``ctx``."""
        ...

    def volume_profile(self) -> VolumeProfile:
        ...

    def calibration(self) -> Calibration:
        ...
