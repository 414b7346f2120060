"""Circuit breakers and per-venue caps, sans-IO: events in with their times, decisions out.

| breaker | trips when | effect | recovers |
|---|---|---|---|
| volatility | the mid moves more than ``vol_move_bps`` within ``vol_window_s`` | ``vol_action`` "pause": algorithms paused (no new children); "slow": each child sent at ``vol_slow_factor`` of its size | ``vol_recovery_s`` after the last breach |
| reject rate (per venue) | at least ``reject_min`` of the last orders there and a reject share over ``reject_rate`` in ``reject_window_s`` | routed away, working orders there re-routed | ``reject_recovery_s`` after tripping |
| venue down (per venue) | its sessions are lost | routed away, working quantity re-routed | ``venue_recovery_s`` after it is back |
| system load | more than ``max_orders_per_s`` child orders in one second | new children held (throttled) | ``load_recovery_s`` after tripping |
| venue caps (per venue) | daily trades, traded notional or realised+marked loss over the cap | the venue stopped for the day, its orders canceled | not the same day |
| feed stale (per venue) | the venue's market-data feed lost a gap it could not recover (``on_feed``) | routed away, working orders there re-routed | when the feed is trusted again |
| desk caps | the same caps over every venue together (``desk_caps``) | every venue stopped for the day, every working order canceled | not the same day |

Every trip is logged once with the reason (``log.warning``) and kept in ``trips``.
"""
from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field

log = logging.getLogger("wirespeed.control.breakers")
NS = 1_000_000_000


def _positive(name: str, v) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
        raise ValueError(f"{name}: must be a positive number, not {v!r}")


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    vol_move_bps: float = 100.0
    vol_window_s: float = 60.0
    vol_recovery_s: float = 120.0
    reject_rate: float = 0.5
    reject_min: int = 10
    reject_window_s: float = 30.0
    reject_recovery_s: float = 60.0
    venue_recovery_s: float = 5.0
    max_orders_per_s: int = 200
    load_recovery_s: float = 2.0
    vol_action: str = "pause"        # or "slow": keep trading, each child at vol_slow_factor of its size
    vol_slow_factor: float = 0.5

    def __post_init__(self) -> None:
        for name in ("vol_move_bps", "vol_window_s", "vol_recovery_s", "reject_window_s", "reject_recovery_s",
                     "venue_recovery_s", "max_orders_per_s", "load_recovery_s", "reject_min"):
            _positive(name, getattr(self, name))
        if not 0 < self.reject_rate <= 1:
            raise ValueError(f"reject_rate: must be in (0, 1], not {self.reject_rate!r}")
        if self.vol_action not in ("pause", "slow"):
            raise ValueError(f"vol_action: must be 'pause' or 'slow', not {self.vol_action!r}")
        if isinstance(self.vol_slow_factor, bool) or not isinstance(self.vol_slow_factor, (int, float)) \
                or not 0 < self.vol_slow_factor < 1:
            raise ValueError(f"vol_slow_factor: must be in (0, 1), not {self.vol_slow_factor!r}")


@dataclass(frozen=True, slots=True)
class VenueCaps:
    """Per venue and day; 0 = no cap. Notional and loss in ticks x shares."""
    max_trades: int = 0
    max_notional: int = 0
    max_loss: int = 0

    def __post_init__(self) -> None:
        for name in ("max_trades", "max_notional", "max_loss"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"{name}: must be a non-negative integer, not {v!r}")


@dataclass(frozen=True, slots=True)
class Trip:
    breaker: str          # volatility | reject_rate | venue_down | feed_stale | load | caps | desk_caps
    venue: str            # "" for desk-wide breakers
    ts_ns: int
    until_ns: int | None  # None: until the condition clears (venue down) or the day ends (caps)
    reason: str


@dataclass(slots=True)
class _Venue:
    results: deque = field(default_factory=deque)     # (ts, rejected)
    trades: int = 0
    notional: int = 0
    position: int = 0
    cash: int = 0                                      # -(bought notional) + sold notional, ticks x shares
    down_since: int | None = None
    up_at: int | None = None


class Breakers:
    def __init__(self, config: BreakerConfig = BreakerConfig(), caps: dict[str, VenueCaps] | None = None,
                 desk_caps: VenueCaps | None = None):
        self.config = config
        self.caps = dict(caps or {})
        self.desk_caps = desk_caps
        self.desk = _Venue()             # the day's totals over every venue (the desk caps' counts)
        self.venues: dict[str, _Venue] = {}
        self.trips: list[Trip] = []
        self._active: dict[tuple[str, str], Trip] = {}
        self._mids: deque = deque()
        self._sends: deque = deque()
        self._last_mid: float | None = None
        self.on_trip = None           # (Trip) -> None: the desk acts on it (cancel, re-route, halt)

    def _v(self, venue: str) -> _Venue:
        v = self.venues.get(venue)
        if v is None:
            v = self.venues[venue] = _Venue()
        return v

    def _trip(self, breaker: str, venue: str, ts: int, until: int | None, reason: str) -> None:
        key = (breaker, venue)
        cur = self._active.get(key)
        if cur is not None:
            if until is not None and (cur.until_ns or 0) < until:
                self._active[key] = Trip(breaker, venue, cur.ts_ns, until, cur.reason)   # extended, not re-logged
            return
        t = Trip(breaker, venue, ts, until, reason)
        self._active[key] = t
        self.trips.append(t)
        log.warning("breaker %s%s tripped: %s", breaker, f" {venue}" if venue else "", reason)
        if self.on_trip is not None:
            self.on_trip(t)

    def _expire(self, now: int) -> None:
        for key, t in list(self._active.items()):
            if t.until_ns is not None and now >= t.until_ns:
                del self._active[key]
                log.warning("breaker %s%s recovered", t.breaker, f" {t.venue}" if t.venue else "")

    def active(self, now: int) -> list[Trip]:
        self._expire(now)
        return list(self._active.values())

    # -- decisions -------------------------------------------------------------------------
    def paused(self, now: int) -> str:
        """Why no new child may go out now ("" if it may): volatility pause or load throttle."""
        self._expire(now)
        for b in ("volatility", "load"):
            t = self._active.get((b, ""))
            if t is not None and not (b == "volatility" and self.config.vol_action == "slow"):
                return f"{b}: {t.reason}"
        return ""

    def slow_factor(self, now: int) -> float:
        """The share of its size a child goes out at now: ``vol_slow_factor`` while the volatility
        breaker slows (``vol_action`` "slow"), else 1."""
        if self.config.vol_action != "slow":
            return 1.0
        self._expire(now)
        return self.config.vol_slow_factor if ("volatility", "") in self._active else 1.0

    def venue_blocked(self, venue: str, now: int) -> str:
        """Why ``venue`` takes no new order now ("" if it does)."""
        self._expire(now)
        t = self._active.get(("desk_caps", ""))
        if t is not None:
            return f"desk_caps: {t.reason}"
        for b in ("caps", "venue_down", "feed_stale", "reject_rate"):
            t = self._active.get((b, venue))
            if t is not None:
                return f"{b} {venue}: {t.reason}"
        return ""

    # -- events ------------------------------------------------------------------------------
    def on_mid(self, ts: int, mid: float) -> None:
        c = self.config
        q = self._mids
        q.append((ts, mid))
        while q and q[0][0] < ts - c.vol_window_s * NS:
            q.popleft()
        lo, hi = min(m for _, m in q), max(m for _, m in q)
        move = (hi - lo) / lo * 1e4 if lo > 0 else 0.0
        if move > c.vol_move_bps:
            self._trip("volatility", "", ts, ts + int(c.vol_recovery_s * NS),
                       f"mid moved {move:.0f} bps ({lo:g} -> {hi:g}) within {c.vol_window_s:g}s, "
                       f"over {c.vol_move_bps:g} bps")

    def on_send(self, venue: str, ts: int) -> None:
        c = self.config
        q = self._sends
        q.append(ts)
        while q and q[0] <= ts - NS:
            q.popleft()
        if len(q) > c.max_orders_per_s:
            self._trip("load", "", ts, ts + int(c.load_recovery_s * NS),
                       f"{len(q)} child orders in 1s, over {c.max_orders_per_s}/s")

    def on_result(self, venue: str, ts: int, rejected: bool) -> None:
        """An order's first answer at ``venue``: acknowledged or rejected."""
        c = self.config
        v = self._v(venue)
        v.results.append((ts, rejected))
        while v.results and (v.results[0][0] < ts - c.reject_window_s * NS or len(v.results) > 1000):
            v.results.popleft()
        n = len(v.results)
        bad = sum(1 for _, r in v.results if r)
        if n >= c.reject_min and bad / n > c.reject_rate:
            self._trip("reject_rate", venue, ts, ts + int(c.reject_recovery_s * NS),
                       f"{bad} of the last {n} orders rejected in {c.reject_window_s:g}s, over {c.reject_rate:.0%}")
            v.results.clear()

    def on_venue_down(self, venue: str, ts: int) -> None:
        v = self._v(venue)
        v.down_since, v.up_at = ts, None
        self._trip("venue_down", venue, ts, None, "venue sessions lost")

    def on_feed(self, venue: str, ts: int, stale: bool, why: str = "") -> None:
        """The venue's feed state: a stale feed (a gap lost for good) means its books cannot be
        trusted, so no order is routed there on them until the feed is trusted again."""
        key = ("feed_stale", venue)
        if stale:
            self._trip("feed_stale", venue, ts, None, why or "market data feed stale")
        elif key in self._active:
            del self._active[key]
            log.warning("breaker feed_stale %s recovered", venue)

    def on_venue_up(self, venue: str, ts: int) -> None:
        v = self._v(venue)
        t = self._active.get(("venue_down", venue))
        if t is not None and t.until_ns is None:
            # healthy again only after the recovery time with the sessions up
            self._active[("venue_down", venue)] = Trip(t.breaker, venue, t.ts_ns,
                                                       ts + int(self.config.venue_recovery_s * NS), t.reason)
        v.down_since = None

    def on_fill(self, venue: str, ts: int, side_sign: int, qty: int, price: int, mid: float | None = None) -> None:
        for v, caps, breaker, where in ((self._v(venue), self.caps.get(venue), "caps", venue),
                                        (self.desk, self.desk_caps, "desk_caps", "")):
            v.trades += 1
            v.notional += qty * price
            v.position += side_sign * qty
            v.cash -= side_sign * qty * price
            if caps is not None:
                self._check_caps(v, caps, breaker, where, ts, mid)

    def _check_caps(self, v: _Venue, caps: VenueCaps, breaker: str, venue: str, ts: int, mid: float | None) -> None:
        scope = "" if venue else "desk: "
        if caps.max_trades and v.trades >= caps.max_trades:
            self._trip(breaker, venue, ts, None, f"{scope}{v.trades} trades today reached the cap {caps.max_trades}")
        if caps.max_notional and v.notional >= caps.max_notional:
            self._trip(breaker, venue, ts, None,
                       f"{scope}traded notional {v.notional} reached the cap {caps.max_notional}")
        if caps.max_loss and mid is not None:
            loss = -(v.cash + v.position * mid)
            if loss >= caps.max_loss:
                self._trip(breaker, venue, ts, None, f"{scope}loss {loss:.0f} (marked at mid {mid:g}) reached the "
                                                     f"cap {caps.max_loss}")
