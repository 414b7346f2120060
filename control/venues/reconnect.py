"""How a venue session reconnects: exponential backoff with seeded jitter, bounded.

Sans-IO: ``ReconnectPolicy`` is the frozen config, ``Backoff`` turns attempt numbers into
delays. The jitter keeps many sessions that lost one venue together from reconnecting in step
(a thundering herd at the venue's gateway); it is drawn from ``seed``, so a run replays exactly.
The gateway's initiators call the venue manager's ``Backoff`` between attempts
(``FixInitiator.backoff`` / ``OuchVenueSession.backoff``).
"""
from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """initial_s: the first wait after a connection is lost or refused; each failed attempt
    doubles it up to max_s; jitter: each wait is scaled by a factor drawn uniformly in
    [1 - jitter, 1 + jitter] (never more than max_s); seed: the draws' seed."""
    initial_s: float = 0.1
    max_s: float = 5.0
    jitter: float = 0.2
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("initial_s", "max_s"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise ValueError(f"reconnect.{name}: must be a positive number of seconds, not {v!r}")
        if self.max_s < self.initial_s:
            raise ValueError(f"reconnect.max_s: {self.max_s!r} is below initial_s {self.initial_s!r}")
        if isinstance(self.jitter, bool) or not isinstance(self.jitter, (int, float)) or not 0 <= self.jitter < 1:
            raise ValueError(f"reconnect.jitter: must be in [0, 1), not {self.jitter!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"reconnect.seed: must be an integer, not {self.seed!r}")


class Backoff:
    """``delay(attempt)``: the wait before attempt ``attempt`` (1 = the first after a loss)."""

    def __init__(self, policy: ReconnectPolicy, on_delay=None):
        self.policy = policy
        self._rng = random.Random(policy.seed)
        self.on_delay = on_delay            # (attempt, seconds) -> None: the manager's event log

    def base(self, attempt: int) -> float:
        p = self.policy
        return min(p.max_s, p.initial_s * 2.0 ** min(max(0, attempt - 1), 60))

    def delay(self, attempt: int) -> float:
        p = self.policy
        d = min(p.max_s, self.base(attempt) * (1.0 + p.jitter * self._rng.uniform(-1.0, 1.0)))
        if self.on_delay is not None:
            self.on_delay(attempt, d)
        return d

    __call__ = delay
