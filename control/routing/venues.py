"""What the router knows of each venue: its fee schedule (static) and its measured history."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class VenueInfo:
    """``take_fee`` paid per share when removing liquidity, ``make_rebate`` earned per share when
    adding it; both in ticks per share (0.3 = 0.3 ticks, i.e. $0.003 with a cent tick)."""
    name: str
    take_fee: float = 0.0
    make_rebate: float = 0.0

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("venue name must not be empty")
        if self.take_fee < -1 or self.make_rebate < -1:
            raise ValueError(f"venue {self.name}: fees are ticks per share, not {self.take_fee!r} / {self.make_rebate!r}")


@dataclass(slots=True)
class VenueStats:
    """Measured per venue: acknowledgement latency (EWMA), fill rate (filled / sent), markout
    (average adverse move of the mid ``horizon`` after our fills, ticks; positive = the price
    went against us after we traded: we were picked off), and whether it is up."""
    latency_us: float = 0.0
    sent: int = 0
    filled: int = 0
    markout_ticks: float = 0.0
    markouts: int = 0
    up: bool = True
    alpha: float = 0.1
    _pending: deque = field(default_factory=lambda: deque(maxlen=10_000))
    # (router config, latency, sent, filled, markout, penalty): the router's last quality penalty
    # of this venue and what it was computed from (Router._quality_of)
    quality_memo: tuple | None = field(default=None, repr=False, compare=False)
    # (quote, price, buy, router config, inside, eff, rebate, queue ahead, depth term): what the
    # router's route found on this venue's book for a child at ``price`` (Router._book_terms)
    book_memo: tuple | None = field(default=None, repr=False, compare=False)
    # (book_memo, quality, Why): the posting reason the router last gave this venue
    why_memo: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def fill_rate(self) -> float:
        return self.filled / self.sent if self.sent else 1.0

    def on_ack(self, latency_ns: int) -> None:
        us = latency_ns / 1e3
        self.latency_us = us if self.latency_us == 0 else (1 - self.alpha) * self.latency_us + self.alpha * us

    def on_markout(self, adverse_ticks: float) -> None:
        self.markouts += 1
        self.markout_ticks += (adverse_ticks - self.markout_ticks) / min(self.markouts, 200)
