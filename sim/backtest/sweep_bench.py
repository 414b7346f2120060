"""The issue's sweep figure: every seed x the six algorithms on a two-worker LocalCluster against
the same backtests run serially, in the same run (printed, never asserted):

    python -m wirespeed.sim.backtest.sweep_bench [--seeds 6,20] [--start 5] [--minutes 15]

What a task is: one Dask task per day and seed (``sweep.batches``), holding that seed's six
backtests; a backtest is a real one (``run_backtest``: a fresh synthetic day on three venues from
the open to 30 s after the order's end, a parent order of 5 % of the horizon's expected volume
through the algorithm, the router and the runner, then its TCA). The days are shorter than the
quality bench's (the order from 5 to 20 minutes after the open by default) so the pair of runs
stays practical; the ratio depends on a task being much longer than Dask's round trip (~ms), not
on the day's length. One cluster, started and warmed (imports done) before any clock starts,
serves every pair; workers are processes with one thread each. Each pair is timed A-B-B-A over
two halves of the seeds (``timed_pair``), so a load that drifts while it runs weighs on both. The
machine is shared, so each pair prints the load average beside it: two workers get two cores
only when the others are idle.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import time

from .sweep import SweepSpec, local_cluster, run_on, run_sweep, tasks

ALGOS = ("twap", "vwap", "pov", "is", "iceberg", "adaptive")


def sweep_spec(n_seeds: int, start: float = 5.0, minutes: float = 15.0, day: str = "synthetic") -> SweepSpec:
    """``n_seeds`` seeds x the six algorithms on ``day`` (seeds 1..n)."""
    return SweepSpec(algorithms=ALGOS, seeds=tuple(range(1, n_seeds + 1)), days=(day,), start=start, minutes=minutes)


def halves(seeds: tuple[int, ...], workers: int = 2) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Split the seeds in two, the first half a multiple of ``workers`` seeds (so neither half
    leaves a worker idle while the other finishes a task it could have shared)."""
    k = workers * (len(seeds) // (2 * workers))
    return seeds[:k], seeds[k:]


def timed_pair(spec: SweepSpec, client, workers: int = 2) -> dict:
    """Serial seconds, cluster seconds and the load average around them for ``spec``, timed
    A-B-B-A (serial first half, cluster first half, cluster second half, serial second half) so
    a load that rises or falls steadily while it runs weighs on both alike; the rows of both runs
    must agree (the same numbers serially and on the cluster), else it raises."""
    load0 = os.getloadavg()[0]
    a, b = (dataclasses.replace(spec, seeds=h) if h else None for h in halves(spec.seeds, workers))
    serial, cluster = [], []
    serial_s = cluster_s = 0.0
    for part, where in ((a, "serial"), (a, "cluster"), (b, "cluster"), (b, "serial")):
        if part is None:
            continue
        t0 = time.perf_counter()
        if where == "serial":
            rows = run_sweep(part, serial=True)
            serial_s += time.perf_counter() - t0
        else:
            rows = run_on(client, tasks(part))
            cluster_s += time.perf_counter() - t0
        (serial if where == "serial" else cluster).append((part.seeds, rows))
    order = lambda runs: [r for _, rows in sorted(runs) for r in rows]  # noqa: E731
    strip = lambda rows: [{k: v for k, v in r.items() if k != "wall_s"} for r in rows]  # noqa: E731
    serial_rows, cluster_rows = order(serial), order(cluster)
    if strip(serial_rows) != strip(cluster_rows):
        raise AssertionError("the sweep gave different numbers serially and on the cluster")
    return dict(algorithms=len(spec.algorithms), backtests=len(serial_rows), tasks=len(spec.seeds) * len(spec.days),
                serial_s=serial_s, cluster_s=cluster_s, ratio=serial_s / cluster_s, load=(load0, os.getloadavg()[0]),
                per_backtest_s=sum(r["wall_s"] for r in serial_rows) / len(serial_rows),
                worker_backtest_s=sum(r["wall_s"] for r in cluster_rows) / len(cluster_rows))


def measure(seed_counts=(6, 20), start: float = 5.0, minutes: float = 15.0, workers: int = 2,
            day: str = "synthetic") -> list[dict]:
    with local_cluster(workers) as client:
        return [dict(seeds=n, **timed_pair(sweep_spec(n, start, minutes, day), client, workers)) for n in seed_counts]


def report(r: dict, workers: int = 2) -> str:
    # a backtest slower on a worker than in the serial run is the machine's cores shared with others
    return (f"sweep {r['algorithms']} algorithms x {r['seeds']} seeds ({r['backtests']} backtests, {r['tasks']} "
            f"tasks): serial {r['serial_s']:.1f} s, {workers}-worker LocalCluster {r['cluster_s']:.1f} s -> "
            f"{r['ratio']:.2f}x (target >= 1.7x; load average {r['load'][0]:.1f} -> {r['load'][1]:.1f}; a backtest "
            f"{r['per_backtest_s']:.2f} s serially, {r['worker_backtest_s']:.2f} s on a worker, so "
            f"{r['ratio'] * r['worker_backtest_s'] / r['per_backtest_s']:.2f}x on cores as free as the serial run's; "
            f"same numbers both ways)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m wirespeed.sim.backtest.sweep_bench")
    ap.add_argument("--seeds", default="6,20", help="seed counts to time, comma-separated (default 6,20)")
    ap.add_argument("--start", type=float, default=5.0, help="the order's start, minutes after the open")
    ap.add_argument("--minutes", type=float, default=15.0, help="the order's horizon, minutes")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--day", default="synthetic")
    args = ap.parse_args(argv)
    try:
        counts = tuple(int(s) for s in args.seeds.split(","))
    except ValueError:
        ap.error(f"--seeds: expected comma-separated integers, not {args.seeds!r}")
    if not counts or min(counts) < 1:
        ap.error(f"--seeds: every count must be at least 1, not {args.seeds!r}")
    t0 = time.perf_counter()
    for r in measure(counts, args.start, args.minutes, args.workers, args.day):
        print(report(r, args.workers), flush=True)
    print(f"sweep bench wall time {time.perf_counter() - t0:.0f} s (cluster start-up included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
