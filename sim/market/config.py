"""Configuration of a synthetic trading day: one ``SymbolProfile`` per symbol, one ``MarketConfig``.

Frozen and validated: a bad value raises ``ValueError`` naming the field and the problem.
Prices are integer ticks; the latent value starts at ``start_ticks``. Defaults describe a
liquid large-cap: a 2-tick spread, 5 quoted levels of 800 shares a side, 1.2 million shares
a day of which 8% in the closing auction, a U-shaped intraday volume.
"""
from __future__ import annotations

from dataclasses import dataclass, field


def _positive(name: str, value, kind=(int, float)) -> None:
    if not isinstance(value, kind) or isinstance(value, bool) or not value > 0:
        raise ValueError(f"{name} must be a positive number, not {value!r}")


@dataclass(frozen=True, slots=True)
class SymbolProfile:
    symbol: str
    start_ticks: int = 10_000            # latent value at the open (ticks)
    volatility_bps: float = 120.0        # daily volatility of the latent value (basis points)
    spread_ticks: int = 2                # quoted spread of the market makers
    levels: int = 5                      # quoted price levels a side
    depth: int = 800                     # shares a level a side, all makers together
    makers: int = 2                      # market makers (each quotes depth / makers)
    requote_s: float = 0.5               # how often the makers re-centre their ladders on the value
    daily_volume: int = 1_200_000        # shares traded in the day, auction included
    close_auction_share: float = 0.08    # fraction of the day's volume in the closing auction
    u_shape: float = 2.5                 # open/close volume rate over the midday rate (1: flat)
    trade_sizes: tuple[tuple[int, float], ...] = ((100, 0.55), (200, 0.2), (300, 0.1), (500, 0.1), (1000, 0.05))
    momentum_share: float = 0.15         # of taking orders: momentum traders
    value_share: float = 0.15            # of taking orders: value traders (trade towards the value)
    passive_rate: float = 1.5            # noise limit orders a second resting behind the touch
    passive_life_s: float = 20.0         # their mean life before they are cancelled
    # Impact (participants.MakerDesk): makers skew their centre by impact_ticks x sqrt(recent net
    # taken flow / depth), the flow's memory decaying with impact_decay_s; every taken share also
    # moves the latent value by permanent_bps per 1 % of daily_volume. 0 turns either off.
    impact_ticks: float = 3.0
    impact_decay_s: float = 120.0
    permanent_bps: float = 4.0

    def __post_init__(self):
        p = f"symbol {self.symbol!r}: "
        if not isinstance(self.symbol, str) or not self.symbol:
            raise ValueError(f"symbol must be a non-empty string, not {self.symbol!r}")
        for name in ("start_ticks", "spread_ticks", "levels", "depth", "makers", "daily_volume"):
            _positive(p + name, getattr(self, name), int)
        for name in ("volatility_bps", "requote_s", "u_shape", "passive_life_s", "impact_decay_s"):
            _positive(p + name, getattr(self, name))
        for name in ("close_auction_share", "momentum_share", "value_share"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not 0 <= v < 1:
                raise ValueError(f"{p}{name} must be in [0, 1), not {v!r}")
        if self.momentum_share + self.value_share >= 1:
            raise ValueError(f"{p}momentum_share + value_share must be below 1 (the rest is noise)")
        for name in ("passive_rate", "impact_ticks", "permanent_bps"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                raise ValueError(f"{p}{name} must be a number >= 0, not {v!r}")
        if not isinstance(self.passive_rate, (int, float)) or self.passive_rate < 0:
            raise ValueError(f"{p}passive_rate must be >= 0, not {self.passive_rate!r}")
        if not self.trade_sizes:
            raise ValueError(f"{p}trade_sizes must list (size, weight) pairs")
        for pair in self.trade_sizes:
            if (not isinstance(pair, tuple) or len(pair) != 2 or not isinstance(pair[0], int) or pair[0] <= 0
                    or not isinstance(pair[1], (int, float)) or pair[1] <= 0):
                raise ValueError(f"{p}trade_sizes entries must be (positive int size, positive weight), not {pair!r}")
        if self.depth < self.makers:
            raise ValueError(f"{p}depth ({self.depth}) must be at least makers ({self.makers})")

    @property
    def mean_trade_size(self) -> float:
        total = sum(w for _, w in self.trade_sizes)
        return sum(s * w for s, w in self.trade_sizes) / total


@dataclass(frozen=True, slots=True)
class MarketConfig:
    symbols: tuple[SymbolProfile, ...] = field(default_factory=lambda: (SymbolProfile("SIMA"),))
    seed: int = 1
    open_s: int = 9 * 3600 + 30 * 60     # market open, seconds after midnight (UTC on the clock)
    close_s: int = 16 * 3600             # market close
    auction_window_s: int = 600          # market-on-close orders arrive in the last this many seconds
    bin_s: int = 1800                    # volume-profile bin width
    sample_s: float = 1.0                # spread/depth sampling period

    def __post_init__(self):
        if not self.symbols or not all(isinstance(s, SymbolProfile) for s in self.symbols):
            raise ValueError("symbols must be a non-empty tuple of SymbolProfile")
        names = [s.symbol for s in self.symbols]
        if len(set(names)) != len(names):
            raise ValueError(f"symbols: duplicate symbol in {names}")
        if not isinstance(self.seed, int):
            raise ValueError(f"seed must be an integer, not {self.seed!r}")
        if not (0 <= self.open_s < self.close_s <= 86_400):
            raise ValueError(f"open_s/close_s must satisfy 0 <= open_s < close_s <= 86400, not {self.open_s}/{self.close_s}")
        _positive("bin_s", self.bin_s, int)
        _positive("sample_s", self.sample_s)
        if not isinstance(self.auction_window_s, int) or not 0 < self.auction_window_s < self.close_s - self.open_s:
            raise ValueError(f"auction_window_s must be a positive int shorter than the session, not {self.auction_window_s!r}")

    def profile(self, symbol: str) -> SymbolProfile:
        for s in self.symbols:
            if s.symbol == symbol:
                return s
        raise KeyError(f"no profile for symbol {symbol!r}")
