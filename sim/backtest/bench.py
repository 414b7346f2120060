"""The control plane's quality and speed figures over seeded simulated days (printed, never
asserted):

    python -m wirespeed.sim.backtest.bench [--seeds 20] [--day stylised|synthetic] [--minutes 30] [--start 10]

* TWAP / VWAP price tracking (|vs market TWAP| / |vs market VWAP|, median and worst), schedule
  tracking worst (as a share of the order, and in slices), fill rate of every algorithm;
* IS: realised cost (net of the day's own move, fees included) over the Almgren-Chriss expected
  cost of its plan, on the bench's days;
* every algorithm's mean arrival slippage beside the naive baselines, side by side;
* the impact model fit on as many training days as the bench has, right after them
  (``train_seeds``), its median absolute prediction error on the bench's days;
* decision and routing time (``control/bench.py``), seconds per simulated day, and the sweep
  figure (``sweep_bench.py``: every seed x the six algorithms on a two-worker LocalCluster against
  serial, back to back in this run).

The backtests run on one warmed two-worker LocalCluster (one task a day and seed).
"""
from __future__ import annotations

import argparse
import math
import statistics
import time

from wirespeed.control import bench as control_bench
from wirespeed.control.analytics.impact import fit, prediction_error

from . import sweep_bench
from .calibrate import FIT_ALGO, FIT_PCTS, observations
from .counterfactual import cost_split, mid_path
from .days import make_day
from .run import BacktestSpec, run_backtest
from .sweep import SweepSpec, local_cluster, run_sweep, summary_table

ALGOS = ("twap", "vwap", "pov", "is", "iceberg", "adaptive")
BASELINES = ("naive-immediate", "naive-twap")


def _pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * (len(xs) - 1) + 0.5))]


def counterfactual(args, seed: int, start_s: float, minutes: float):
    """The same day and seed with a 100-share order: the price path the order did not move."""
    return mid_path(args.day, seed, start_s, minutes)


def train_seeds(seeds) -> tuple[int, ...]:
    """The days the impact model is fit on: as many as the bench's, right after them (seeds 21-40
    for the bench's 1-20), so every figure of the bench is on days the fit did not see."""
    return tuple(range(max(seeds) + 1, max(seeds) + 1 + len(seeds)))


def impact_fit(args, seeds, client):
    """Fit the impact model on IS's executions (``calibrate.FIT_PCTS``) on the training days, and
    its median absolute prediction error on the same participations on the bench's days; one
    cluster task a day. Fit on the horizon the orders it predicts trade over (the square-root term
    scales with the horizon's volatility, the market's impact with the rate: calibrate where you
    trade)."""
    start = args.start * 60.0
    train_days, test_days = train_seeds(seeds), tuple(seeds)
    futs = client.map(observations, [args.day] * (len(train_days) + len(test_days)), train_days + test_days,
                      [start] * (len(train_days) + len(test_days)), [args.minutes] * (len(train_days) + len(test_days)),
                      pure=False)
    obs = [o for day in client.gather(futs) for o in day]
    train = [o for s, _, o in obs if s in train_days]
    test = [o for s, _, o in obs if s in test_days]
    model = fit(train)
    return model, prediction_error(model, test), len(train), len(test), train_days


def split_table(args, seeds, impact) -> str:
    """Each algorithm's net cost split into the spread paid at its fills and its footprint on the
    mid (``counterfactual.cost_split``), mean over ``seeds``: why one pays more than another."""
    out = [f"  {'algorithm':<16}{'net':>7}{'spread':>8}{'footprint':>11}"]
    for a in ("naive-twap", "twap", "vwap", "is"):
        parts = []
        for seed in seeds:
            res = run_backtest(BacktestSpec(algo=a, start_s=args.start * 60, minutes=args.minutes, seed=seed,
                                            impact=impact), make_day(args.day, seed))
            parts.append(cost_split(res, counterfactual(args, seed, args.start * 60, args.minutes)))
        sp, fo = statistics.mean(x[0] for x in parts), statistics.mean(x[1] for x in parts)
        out.append(f"  {a:<16}{sp + fo:>7.2f}{sp:>8.2f}{fo:>11.2f}")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m wirespeed.sim.backtest.bench")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--day", default="synthetic")
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--start", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sweep-minutes", type=float, default=15.0,
                    help="the sweep figure's order horizon (its days start 5 minutes after the open)")
    args = ap.parse_args(argv)
    seeds = tuple(range(1, args.seeds + 1))
    t_bench = time.perf_counter()

    d, db = control_bench.bench_decision()
    r, rb = control_bench.bench_routing()
    print(f"decision per child {d:.2f} us (target <= 20; {d / db:.1f}x a quote update); "
          f"route across 5 venues {r:.2f} us (target <= 50; {r / rb:.1f}x)")

    t0, c0 = time.perf_counter(), time.process_time()
    full = run_backtest(BacktestSpec(algo="vwap", start_s=args.start * 60, minutes=args.minutes, seed=1),
                        make_day(args.day, 1))
    print(f"one simulated session ({args.start + args.minutes:.0f} min, one parent order): "
          f"{time.perf_counter() - t0:.2f} s wall, {time.process_time() - c0:.2f} s CPU, {full.events:,} events")
    t0, c0 = time.perf_counter(), time.process_time()
    full = run_backtest(BacktestSpec(algo="vwap", start_s=60.0, minutes=385.0, seed=1), make_day(args.day, 1))
    print(f"one whole simulated day (6.5 h, a VWAP order over it): {time.perf_counter() - t0:.2f} s wall, "
          f"{time.process_time() - c0:.2f} s CPU, {full.events:,} events (target <= 10 s; the CPU figure is the "
          f"one alone on the machine)", flush=True)

    with local_cluster(args.workers) as client:
        # the sweep figure first (the issue's: every seed x the six algorithms, serially and on the
        # warmed cluster back to back; shorter days, real backtests: sweep_bench.py)
        sw = sweep_bench.timed_pair(sweep_bench.sweep_spec(len(seeds), 5.0, args.sweep_minutes, args.day), client)
        print(sweep_bench.report(dict(seeds=len(seeds), **sw), args.workers), flush=True)

        # the impact model: fit on training days, predict the bench's; IS then plans with it
        model, err, n_train, n_test, train_days = impact_fit(args, seeds, client)
        print(f"impact model cost_bps = {model.spread_coef:.3f} x half-spread + {model.impact_coef:.3f} x sigma_T "
              f"sqrt(Q/V), fit on {n_train} runs of {FIT_ALGO} at {', '.join(f'{p:.0%}' for p in FIT_PCTS)} on days "
              f"{train_days[0]}-{train_days[-1]}; median abs prediction error on {n_test} runs on the bench's days "
              f"{seeds[0]}-{seeds[-1]}: {err:.1%} (goal <= 25%)", flush=True)

        spec = SweepSpec(algorithms=ALGOS + BASELINES, seeds=seeds, days=(args.day,), start=args.start,
                         minutes=args.minutes, pct_volume=0.05, impact=(model.spread_coef, model.impact_coef),
                         net=True)
        t0 = time.perf_counter()
        rows = run_sweep(spec, client=client)
        t_cluster = time.perf_counter() - t0
    serial_cpu = sum(r["wall_s"] for r in rows)
    print(f"\n{len(rows)} backtests on a {args.workers}-worker LocalCluster in {t_cluster:.1f} s "
          f"(tasks' own time {serial_cpu:.1f} s: {serial_cpu / t_cluster:.2f}x)")

    print("\n" + summary_table(rows))
    by = lambda a: [r for r in rows if r["algo"] == a]  # noqa: E731
    print("\nprice tracking (bps)            median   worst    schedule gap worst   fill rate min")
    for a in ("twap", "vwap"):
        key = "twap_bps" if a == "twap" else "vwap_bps"
        xs = [abs(r[key]) for r in by(a)]
        gaps = [r["schedule_gap"] for r in by(a)]
        n_slices = args.minutes * 60 / 30
        print(f"  {a:<6} vs market {a.upper():<5}      {statistics.median(xs):7.2f} {max(xs):7.2f}    "
              f"{max(gaps):6.2%} (one slice {1 / n_slices:.2%})   {min(r['fill_rate'] for r in by(a)):.2%}")
    for a in ALGOS + BASELINES:
        print(f"  fill rate {a:<16} min {min(r['fill_rate'] for r in by(a)):.2%}  mean "
              f"{statistics.mean(r['fill_rate'] for r in by(a)):.2%}")
    print("\n" + is_cost_report(by("is"), seeds))
    slip = {a: statistics.mean(r["slippage_bps"] for r in by(a)) for a in ALGOS + BASELINES}
    net = {a: statistics.mean(r["net_bps"] for r in by(a)) for a in ALGOS + BASELINES}
    print("\nmean arrival slippage (bps), beside the naive baselines; 'net': against the same day without the "
          "order (the market's own move over the horizon taken out)")
    print(f"  {'algorithm':<16}{'slippage':>9}{'vs immediate':>14}{'vs even-slice':>15}{'net':>9}"
          f"{'net vs immediate':>18}{'net vs even-slice':>19}")
    for a in ALGOS + BASELINES:
        print(f"  {a:<16}{slip[a]:>9.2f}{slip[a] - slip['naive-immediate']:>14.2f}{slip[a] - slip['naive-twap']:>15.2f}"
              f"{net[a]:>9.2f}{net[a] - net['naive-immediate']:>18.2f}{net[a] - net['naive-twap']:>19.2f}")
    # VWAP and IS against the even-slice market-order TWAP, net, on every day and on the second
    # half alone (the algorithms' settings were chosen on the first half)
    half = seeds[len(seeds) // 2]
    for a in ("vwap", "is"):
        d_all = [r["net_bps"] - n["net_bps"] for r in by(a) for n in by("naive-twap") if n["seed"] == r["seed"]]
        d_out = [r["net_bps"] - n["net_bps"] for r in by(a) for n in by("naive-twap")
                 if n["seed"] == r["seed"] and r["seed"] >= half]
        sd = statistics.stdev(d_all) if len(d_all) > 1 else 0.0
        print(f"  {a} - naive-twap, net: {statistics.mean(d_all):+.2f} bps over {len(d_all)} days (sd of a day "
              f"{sd:.2f}, of the mean {sd / math.sqrt(len(d_all)):.2f}), {statistics.mean(d_out):+.2f} on the "
              f"{len(d_out)} held-out days; cheaper on {sum(d < 0 for d in d_all)} of {len(d_all)} days")
    few = seeds[:6]
    print(f"\nnet cost (bps, no fees) = spread paid at the fills + footprint on the mid, days {few[0]}-{few[-1]}:")
    print(split_table(args, few, (model.spread_coef, model.impact_coef)))
    move = [r["slippage_bps"] - r["net_bps"] for r in by("twap")]
    print(f"  the days' own move as TWAP met it: mean {statistics.mean(move):.2f} bps, sd "
          f"{statistics.stdev(move) if len(move) > 1 else 0:.2f} bps over {len(move)} days (a {len(move)}-day mean "
          f"carries +-{(statistics.stdev(move) if len(move) > 1 else 0) / math.sqrt(len(move)):.1f} bps of it)")
    print(f"\nbench wall time {time.perf_counter() - t_bench:.0f} s")
    return 0


def is_cost_report(is_rows, seeds) -> str:
    """IS's realised cost (net of the day's own move, fees included) over its Almgren-Chriss
    expected cost: mean of the days' ratios with its standard error, the ratio of the means, and
    the same against the arrival price alone (the day's own move left in)."""
    ratios = [r["net_cost"] / r["expected_cost"] for r in is_rows]
    sd = statistics.stdev(ratios) if len(ratios) > 1 else 0.0
    net = statistics.mean(r["net_cost"] for r in is_rows)
    raw = statistics.mean(r["realised_cost"] for r in is_rows)
    exp = statistics.mean(r["expected_cost"] for r in is_rows)
    return (f"IS realised / Almgren-Chriss expected cost over {len(ratios)} days {seeds[0]}-{seeds[-1]} (none of "
            f"them the impact model's): mean {statistics.mean(ratios):.2f} (standard error "
            f"{sd / math.sqrt(len(ratios)):.2f}; ratio of the means {net / exp:.2f}) against the day's own price "
            f"path without the order; {raw / exp:.2f} against the arrival price alone (target within 10% on average)")


if __name__ == "__main__":
    raise SystemExit(main())
