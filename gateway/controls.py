"""Order-rate throttles per client session and per venue (the gateway's own, beside the
risk pipeline's per-session GCRA, which runs with one rate for every session).

A token bucket: ``rate`` orders a second on average, ``burst`` at once. Time comes from
the clock the gateway is given (``time.monotonic`` by default), never read here.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RateLimit:
    rate: float          # orders per second; 0 = no limit
    burst: int = 1       # orders allowed back to back

    def __post_init__(self) -> None:
        if isinstance(self.rate, bool) or not isinstance(self.rate, (int, float)) or self.rate < 0:
            raise ValueError(f"rate: must be a non-negative number of orders per second, not {self.rate!r}")
        if isinstance(self.burst, bool) or not isinstance(self.burst, int) or self.burst < 1:
            raise ValueError(f"burst: must be a positive integer, not {self.burst!r}")


class TokenBucket:
    __slots__ = ("rate", "burst", "_tokens", "_at")

    def __init__(self, limit: RateLimit, now: float):
        self.rate, self.burst = float(limit.rate), float(limit.burst)
        self._tokens, self._at = self.burst, now

    def take(self, now: float) -> bool:
        """One order at ``now`` (seconds): True if it conforms (and is counted)."""
        if self.rate == 0:
            return True
        tokens = self._tokens + (now - self._at) * self.rate
        self._at = now
        if tokens > self.burst:
            tokens = self.burst
        if tokens < 1.0:
            self._tokens = tokens
            return False
        self._tokens = tokens - 1.0
        return True
