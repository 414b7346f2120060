"""Path selection against the issue's targets, in simulated time (``python -m wirespeed.control.paths.bench``).

``PathSelector`` is sans-IO, so the scenarios drive it with probe sends, answers and ticks on a
simulated clock: two paths to one venue with seeded, normally distributed round trips.

- degradation: path A (50 us, the current one; B 80 us, within the hysteresis) degrades by
  100 us; the figure is the simulated time from the degradation until new orders move to B
  (target <= 1 s);
- outage: A stops answering; the figure is how many of its probes had timed out when orders moved
  (target: ``max_missed``, 3), and the simulated time it took (``max_missed`` intervals plus the
  timeout);
- no flapping: A and B differ by 30 us, under the 50 us hysteresis, with 20 us of jitter each;
  the figure is the number of switches over ten simulated minutes (target 0).

Every figure is a count or a simulated time from seeded draws, so a run is exact and the same on
any machine (no wall-clock timing).
"""
from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass

from .selector import PathConfig, PathSelector

NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Figures:
    degrade_to_switch_s: float | None
    outage_missed_probes: int | None
    outage_to_switch_s: float | None
    flaps: int


def _run(sel: PathSelector, rtt_us, until_s: float, config: PathConfig, rng: random.Random, watch=None):
    """Probe every path each interval; ``rtt_us(path, t_s)`` is its round trip (None: no answer)."""
    step = int(config.probe_interval_s * NS)
    t, n = 0, 0
    pending: list[tuple[int, str, str]] = []          # (answer time, path, probe id)
    while t <= until_s * NS:
        for path in sel.paths:
            n += 1
            pid = f"{path}-{n}"
            sel.on_probe_sent(path, pid, t)
            rtt = rtt_us(path, t / NS)
            if rtt is not None:
                pending.append((t + int(max(1.0, rtt) * 1000), path, pid))
        pending.sort()
        nxt = t + step
        while pending and pending[0][0] < nxt:
            at, path, pid = pending.pop(0)
            sel.on_probe_answer(path, pid, at)
        sel.on_tick(nxt - 1)
        if watch is not None and watch(sel, nxt):
            return nxt
        t = nxt
    return None


def measure(seed: int = 1, config: PathConfig = PathConfig()) -> Figures:
    rng = random.Random(seed)

    def jittered(base, sd):
        return base + rng.gauss(0, sd)

    # degradation at t = 10 s
    sel = PathSelector("V", ["A", "B"], config)
    deg_t = 10.0
    rtt = lambda p, t: jittered(50 if p == "A" else 80, 5) + (100 if p == "A" and t >= deg_t else 0)  # noqa: E731
    moved = _run(sel, rtt, 30.0, config, rng, watch=lambda s, now: now >= deg_t * NS and s.current == "B")
    degrade = (moved / NS - deg_t) if moved is not None else None

    # outage at t = 10 s
    sel = PathSelector("V", ["A", "B"], config)
    out_t = 10.0
    rtt = lambda p, t: None if p == "A" and t >= out_t else jittered(50 if p == "A" else 80, 5)  # noqa: E731
    seen: list[int] = []

    def out_watch(s, now):
        if now >= out_t * NS and s.current == "B":
            seen.append(s.paths["A"].missed)
            return True
        return False
    moved = _run(sel, rtt, 30.0, config, rng, watch=out_watch)
    outage_s = (moved / NS - out_t) if moved is not None else None
    missed = seen[0] if seen else None

    # no flapping: 30 us apart, 20 us jitter, 10 minutes
    sel = PathSelector("V", ["A", "B"], config)
    _run(sel, lambda p, t: jittered(100 if p == "A" else 130, 20), 600.0, config, rng)
    flaps = sum(1 for e in sel.events if e.old is not None and e.new is not None)
    return Figures(degrade, missed, outage_s, flaps)


def report(f: Figures, config: PathConfig) -> str:
    def fmt(x, unit=""):
        return "never" if x is None else f"{x:.2f}{unit}" if isinstance(x, float) else f"{x}{unit}"
    lines = [f"path selection (simulated time; probe every {config.probe_interval_s:g}s, timeout {config.timeout_s:g}s, "
             f"max_missed {config.max_missed}, alpha {config.alpha:g}, hysteresis {config.hysteresis_us:g}us)",
             f"  100 us degradation -> orders on the better path after {fmt(f.degrade_to_switch_s, ' s')} (target <= 1 s)",
             f"  outage -> orders moved when {fmt(f.outage_missed_probes)} probes had timed out, after "
             f"{fmt(f.outage_to_switch_s, ' s')} (target {config.max_missed} probes)",
             f"  two paths 30 us apart (hysteresis {config.hysteresis_us:g} us, 20 us jitter), 10 min: "
             f"{f.flaps} switches (target 0)"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m wirespeed.control.paths.bench")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    cfg = PathConfig()
    print(report(measure(a.seed, cfg), cfg))
    return 0


if __name__ == "__main__":
    sys.exit(main())
