"""A symbol's history for the desk service: its intraday volume profile and its impact inputs,
read from a configured file per symbol (``[algo.history]`` of ``wirespeed control``'s config).

The file is TOML::

    symbol = "MSFT"
    volume = 2400000          # shares a day, every venue together: the profile's total
    open_s = 34200            # the profile (sim/market's VolumeProfile.to_dict): seconds after
    close_s = 57600           #   midnight on the desk's clock (UTC), bins of bin_s from the open,
    bin_s = 1800              #   each the fraction of the day's volume traded in it; with the
    bins = [0.12, ...]        #   closing auction's they sum to 1
    auction = 0.0
    sigma_ticks = 0.05        # IS / ADAPTIVE: volatility, ticks per square-root second
    half_spread_ticks = 0.5   # ... and the half spread paid to cross

``SymbolHistory.load(path, symbol)`` validates it; each error names the file and the key
(``msft.toml: bins: 13 bins, the session 09:30-16:00 in 1800 s bins has 13``). VWAP's profile
for a parent is the day's bins on the parent's day (``profile(start_ns)``), IS's expected volume
what the profile says over the parent's horizon.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from wirespeed.config import ConfigError, read_toml

from ..algorithms.vwap import VolumeProfile

DAY_NS = 86_400 * 1_000_000_000
_KEYS = ("symbol", "volume", "open_s", "close_s", "bin_s", "bins", "auction", "sigma_ticks", "half_spread_ticks")


@dataclass(frozen=True, slots=True)
class SymbolHistory:
    symbol: str
    volume: float
    open_s: int
    close_s: int
    bin_s: int
    bins: tuple[float, ...]
    auction: float = 0.0
    sigma_ticks: float = 0.05
    half_spread_ticks: float = 0.5

    def __post_init__(self) -> None:
        if not isinstance(self.symbol, str) or not self.symbol:
            raise ValueError(f"symbol: must be the symbol's name, not {self.symbol!r}")
        for key in ("volume", "sigma_ticks", "half_spread_ticks"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < math.inf:
                raise ValueError(f"{key}: must be a positive number, not {v!r}")
        for key in ("open_s", "close_s", "bin_s"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 86_400:
                raise ValueError(f"{key}: must be whole seconds of a day (0..86400), not {v!r}")
        if not self.open_s < self.close_s:
            raise ValueError(f"close_s: {self.close_s} is not after open_s {self.open_s}")
        if not self.bin_s > 0:
            raise ValueError("bin_s: must be positive")
        n = math.ceil((self.close_s - self.open_s) / self.bin_s)
        if len(self.bins) != n:
            raise ValueError(f"bins: {len(self.bins)} bins, the session {self.open_s}-{self.close_s} s in "
                             f"{self.bin_s} s bins has {n}")
        if any(isinstance(b, bool) or not isinstance(b, (int, float)) or not b >= 0 for b in self.bins) \
                or isinstance(self.auction, bool) or not isinstance(self.auction, (int, float)) \
                or not self.auction >= 0:
            raise ValueError("bins: fractions must be non-negative numbers (and auction too)")
        total = sum(self.bins) + self.auction
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"bins: the fractions and the auction must sum to 1, not {total:.6f}")

    @classmethod
    def load(cls, path: str | Path, symbol: str) -> "SymbolHistory":
        p = Path(path)
        try:
            data = read_toml(p)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        except OSError as exc:
            raise ValueError(f"{p}: cannot read the history: {exc.strerror or exc}") from None
        unknown = sorted(set(data) - set(_KEYS))
        if unknown:
            raise ValueError(f"{p}: {unknown[0]}: unknown key (known: {', '.join(_KEYS)})")
        for key in ("symbol", "volume", "open_s", "close_s", "bin_s", "bins"):
            if key not in data:
                raise ValueError(f"{p}: {key}: required key is missing")
        if data["symbol"] != symbol:
            raise ValueError(f"{p}: symbol: the history is {data['symbol']!r}'s, not {symbol!r}'s")
        if not isinstance(data["bins"], list):
            raise ValueError(f"{p}: bins: must be a list of fractions, not {data['bins']!r}")
        try:
            return cls(**{**data, "bins": tuple(data["bins"])})
        except ValueError as exc:
            raise ValueError(f"{p}: {exc}") from None

    def profile(self, at_ns: int) -> VolumeProfile:
        """The day's profile (shares per bin) on the day of ``at_ns`` (desk clock, UTC)."""
        midnight = at_ns - at_ns % DAY_NS
        return VolumeProfile.from_fractions(midnight + self.open_s * 1_000_000_000, self.bin_s,
                                            self.bins, self.volume, midnight + self.close_s * 1_000_000_000)
