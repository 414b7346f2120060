"""Which of a venue's paths new orders take: measured round trips, smoothed, with hysteresis.

Sans-IO: probe sends and answers (TestRequest/Heartbeat), order/ack round trips, link downs and
ups and clock ticks come in as calls with the time; ``current`` is the path for new orders and
``events`` lists every switch with its reason. Rules:

- a path's estimate is an EWMA of its round trips (``alpha``); every sample also goes into the
  path's latency histogram;
- a path is unhealthy after ``max_missed`` probes in a row went unanswered within ``timeout_s``,
  or when its session is down; it is healthy again after ``recovery_probes`` answered probes in a
  row (fail-back is not immediate: one lucky probe does not bring a flapping path back);
- the current path is left at once when it turns unhealthy (failover), and for another healthy
  path only when that one is faster by more than ``hysteresis_us`` (so two paths within the
  hysteresis never flap).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from wirespeed.latency import LatencyRecorder


@dataclass(frozen=True, slots=True)
class PathConfig:
    """probe_interval_s: between probes on each path; timeout_s: a probe unanswered this long is
    missed; max_missed: missed probes in a row that fail a path; recovery_probes: answered probes
    in a row that bring it back; alpha: EWMA weight of a new sample; hysteresis_us: how much
    faster another path must be to take over."""
    probe_interval_s: float = 0.1
    timeout_s: float = 0.3
    max_missed: int = 3
    recovery_probes: int = 3
    alpha: float = 0.3
    hysteresis_us: float = 50.0

    def __post_init__(self) -> None:
        for name in ("probe_interval_s", "timeout_s"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not v > 0:
                raise ValueError(f"{name}: must be a positive number of seconds, not {v!r}")
        for name in ("max_missed", "recovery_probes"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name}: must be a positive integer, not {v!r}")
        if not 0 < self.alpha <= 1:
            raise ValueError(f"alpha: must be in (0, 1], not {self.alpha!r}")
        if self.hysteresis_us < 0:
            raise ValueError(f"hysteresis_us: must not be negative, not {self.hysteresis_us!r}")


@dataclass(frozen=True, slots=True)
class PathEvent:
    ts_ns: int
    venue: str
    old: str | None
    new: str | None
    reason: str


@dataclass(slots=True)
class _Path:
    name: str
    rtt_us: float | None = None
    healthy: bool = True
    up: bool = True
    missed: int = 0
    good: int = 0
    outstanding: dict[str, int] = field(default_factory=dict)   # probe id -> sent ns


class PathSelector:
    def __init__(self, venue: str, paths: list[str], config: PathConfig = PathConfig()):
        if not paths:
            raise ValueError(f"venue {venue}: at least one path is needed")
        if len(set(paths)) != len(paths):
            raise ValueError(f"venue {venue}: path names repeat: {paths}")
        self.venue, self.config = venue, config
        self.paths = {p: _Path(p) for p in paths}
        self.current: str | None = paths[0]
        self.events: list[PathEvent] = []
        self.health: list[tuple[int, str, str]] = []   # (ts, path, "failed: why" | "recovered"), bounded
        self.latency = LatencyRecorder(paths)
        self._max_outstanding = 64          # probes kept per path: a silent path cannot grow memory

    # -- measurements ------------------------------------------------------------------------
    def on_rtt(self, path: str, rtt_ns: int, now_ns: int) -> None:
        p = self.paths[path]
        self.latency.record(path, rtt_ns)
        us = rtt_ns / 1000
        p.rtt_us = us if p.rtt_us is None else p.rtt_us + self.config.alpha * (us - p.rtt_us)
        self._choose(now_ns)

    def on_probe_sent(self, path: str, probe_id: str, now_ns: int) -> None:
        out = self.paths[path].outstanding
        if len(out) >= self._max_outstanding:
            out.pop(next(iter(out)))
        out[probe_id] = now_ns

    def on_probe_answer(self, path: str, probe_id: str, now_ns: int) -> None:
        p = self.paths[path]
        sent = p.outstanding.pop(probe_id, None)
        if sent is None:
            return
        # An answer proves the path alive: probes sent before it no longer count as missed.
        for pid in [k for k, v in p.outstanding.items() if v <= sent]:
            del p.outstanding[pid]
        p.missed = 0
        p.good += 1
        if not p.healthy and p.up and p.good >= self.config.recovery_probes:
            p.healthy = True
            self._health(now_ns, path, f"recovered after {p.good} answered probes")
        self.on_rtt(path, now_ns - sent, now_ns)

    def on_tick(self, now_ns: int) -> None:
        """Probes older than the timeout count as missed."""
        limit = int(self.config.timeout_s * 1e9)
        for p in self.paths.values():
            for pid, sent in list(p.outstanding.items()):
                if now_ns - sent > limit:
                    del p.outstanding[pid]
                    p.missed += 1
                    p.good = 0
                    if p.healthy and p.missed >= self.config.max_missed:
                        p.healthy = False
                        self._why = f"{p.name}: {p.missed} probes unanswered within {self.config.timeout_s:g}s"
                        self._health(now_ns, p.name, "failed: " + self._why)
        self._choose(now_ns)

    def on_down(self, path: str, now_ns: int) -> None:
        p = self.paths[path]
        if p.up:
            p.up = p.healthy = False
            p.good = 0
            self._why = f"{path}: session down"
            self._health(now_ns, path, "failed: session down")
            self._choose(now_ns)

    def on_up(self, path: str, now_ns: int) -> None:
        p = self.paths[path]
        if not p.up:
            p.up = True          # healthy again only after recovery_probes answered probes
            p.good = 0

    def _health(self, ts: int, path: str, what: str) -> None:
        if len(self.health) >= 10_000:
            del self.health[:1000]
        self.health.append((ts, path, what))

    # -- the choice --------------------------------------------------------------------------
    _why = ""

    def healthy(self) -> list[str]:
        return [p.name for p in self.paths.values() if p.healthy]

    def _choose(self, now_ns: int) -> None:
        cur = self.paths.get(self.current) if self.current else None
        ok = [p for p in self.paths.values() if p.healthy]
        if not ok:
            if self.current is not None:
                self._switch(now_ns, None, self._why or "no healthy path")
            return
        best = min(ok, key=lambda p: p.rtt_us if p.rtt_us is not None else float("inf"))
        if cur is None or not cur.healthy:
            self._switch(now_ns, best.name, self._why or "current path unhealthy")
        elif best is not cur and best.rtt_us is not None and cur.rtt_us is not None and \
                best.rtt_us + self.config.hysteresis_us < cur.rtt_us:
            self._switch(now_ns, best.name, f"{best.name} {best.rtt_us:.0f}us faster than {cur.name} "
                                            f"{cur.rtt_us:.0f}us by more than {self.config.hysteresis_us:g}us")
        self._why = ""

    def _switch(self, now_ns: int, new: str | None, reason: str) -> None:
        if new == self.current:
            return
        self.events.append(PathEvent(now_ns, self.venue, self.current, new, reason))
        self.current = new

    def report(self) -> str:
        lines = [f"paths to {self.venue} (current: {self.current})"]
        for p in self.paths.values():
            lines.append(f"  {p.name:<12} {'healthy' if p.healthy else 'FAILED':<8} "
                         f"rtt ewma {p.rtt_us or 0:9.1f} us  samples {self.latency.count(p.name)}")
        return "\n".join(lines)
