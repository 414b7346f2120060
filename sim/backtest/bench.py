"""The control plane's quality and speed figures over seeded simulated days (printed, never
asserted):

    python -m wirespeed.sim.backtest.bench [--seeds 20] [--day stylised|synthetic] [--minutes 60]

* TWAP / VWAP price tracking (|vs market TWAP| / |vs market VWAP|, median and worst), schedule
  tracking worst (as a share of the order, and in slices), fill rate of every algorithm;
* IS: realised cost (impact + fees against arrival) over the Almgren-Chriss expected cost;
* every algorithm's mean arrival slippage beside the naive baselines, side by side;
* the impact model fit on half the days, median absolute prediction error on the other half;
* decision and routing time (``control/bench.py``), seconds per simulated day, and a sweep's
  speed-up on a two-worker LocalCluster against the same tasks run serially.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import time

from wirespeed.control import bench as control_bench
from wirespeed.control.analytics.impact import ImpactObservation, fit, prediction_error

from .counterfactual import cost_split, mid_path, net_cost
from .days import make_day
from .run import BacktestSpec, run_backtest
from .sweep import SweepSpec, run_sweep, speedup, summary_table

ALGOS = ("twap", "vwap", "pov", "is", "iceberg", "adaptive")
BASELINES = ("naive-immediate", "naive-twap")


def _pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * (len(xs) - 1) + 0.5))]


def counterfactual(args, seed: int, start_s: float, minutes: float):
    """The same day and seed with a 100-share order: the price path the order did not move."""
    return mid_path(args.day, seed, start_s, minutes)


#: the executions the impact model is fit on: IS's own (passive at the touch, crossing when behind),
#: whose cost the model's Almgren-Chriss expected cost then describes (calibrate on what you trade
#: like; fit on market orders it described a crossing executor, ~1 bp dearer than IS's placement)
FIT_ALGO = "is"


def impact_fit(args, seeds):
    # fit on the horizon the orders it predicts trade over (the square-root term scales with the
    # horizon's volatility, the market's impact with the rate: calibrate where you trade)
    minutes, start = args.minutes, args.start * 60.0
    obs = []
    for seed in seeds:
        path = counterfactual(args, seed, start, minutes)
        day = make_day(args.day, seed)
        cal = day.calibration()
        for pct in (0.02, 0.05, 0.1, 0.2):
            res = run_backtest(BacktestSpec(algo=FIT_ALGO, start_s=start, minutes=minutes, seed=seed,
                                            pct_volume=pct), make_day(args.day, seed))
            t = res.tca
            cost_bps = net_cost(res, path) / (t.arrival_mid * t.filled) * 1e4
            sigma_bps = cal.sigma_ticks_per_sqrt_s * math.sqrt(minutes * 60) / cal.mid_ticks * 1e4
            half_bps = cal.half_spread_ticks / cal.mid_ticks * 1e4
            obs.append((seed, ImpactObservation(t.filled, max(1, t.market_volume - t.filled), half_bps, sigma_bps,
                                                cost_bps)))
    half = seeds[len(seeds) // 2]
    train = [o for s, o in obs if s < half]
    test = [o for s, o in obs if s >= half]
    model = fit(train)
    return model, prediction_error(model, test), len(train), len(test)


def is_cost(args, seed, impact):
    path = counterfactual(args, seed, args.start * 60, args.minutes)
    res = run_backtest(BacktestSpec(algo="is", start_s=args.start * 60, minutes=args.minutes, seed=seed,
                                    impact=impact), make_day(args.day, seed))
    return res.tca.impact_cost + res.tca.fees, net_cost(res, path), res.expected_cost


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
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--start", type=float, default=30.0)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    seeds = tuple(range(1, args.seeds + 1))

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
          f"one alone on the machine)")

    # impact model first: fit on the first half of the days, predict the second half; IS then
    # plans with the fitted model (as it would live, calibrated on history)
    model, err, n_train, n_test = impact_fit(args, seeds)
    print(f"impact model cost_bps = {model.spread_coef:.3f} x half-spread + {model.impact_coef:.3f} x sigma_T "
          f"sqrt(Q/V), fit on {n_train} runs; median abs prediction error on {n_test} held-out runs: "
          f"{err:.1%} (goal <= 25%)")

    spec = SweepSpec(algorithms=ALGOS + BASELINES, seeds=seeds, days=(args.day,), start=args.start,
                     minutes=args.minutes, pct_volume=0.05, impact=(model.spread_coef, model.impact_coef), net=True)
    t0 = time.perf_counter()
    rows = run_sweep(spec, workers=args.workers)
    t_cluster = time.perf_counter() - t0
    serial_cpu = sum(r["wall_s"] for r in rows)
    print(f"\n{len(rows)} backtests on a {args.workers}-worker LocalCluster in {t_cluster:.1f} s "
          f"(tasks' own time {serial_cpu:.1f} s: {serial_cpu / t_cluster:.2f}x)")
    # the figure: every seed x the six algorithms, serially and on the cluster (a small
    # sweep of fast tasks would mostly time the cluster's start-up)
    sub = SweepSpec(algorithms=ALGOS, seeds=seeds, days=(args.day,), start=args.start, minutes=args.minutes)
    ts, tc = speedup(sub, args.workers)          # back to back, the cluster warmed before either clock
    print(f"sweep speed-up, {len(sub.algorithms)} algorithms x {len(sub.seeds)} seeds: serial {ts:.1f} s, "
          f"LocalCluster {tc:.1f} s -> {ts / tc:.2f}x (target >= 1.7x; load average {os.getloadavg()[0]:.1f})")

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
    is_runs = [is_cost(args, seed, (model.spread_coef, model.impact_coef)) for seed in seeds]
    raw = statistics.mean(r[0] for r in is_runs)
    net = statistics.mean(r[1] for r in is_runs)
    exp = statistics.mean(r[2] for r in is_runs)
    half = seeds[len(seeds) // 2]
    out = [r for s, r in zip(seeds, is_runs) if s >= half]
    print(f"\nIS realised / Almgren-Chriss expected cost, mean over {len(seeds)} days: {net / exp:.2f} against the "
          f"day's own price path without the order ({statistics.mean(r[1] for r in out) / statistics.mean(r[2] for r in out):.2f} "
          f"on the {len(out)} days the impact model was not fit on), {raw / exp:.2f} against the arrival price alone "
          f"(target within 10% on average)")
    slip = {a: statistics.mean(r["slippage_bps"] for r in by(a)) for a in ALGOS + BASELINES}
    net = {a: statistics.mean(r["net_bps"] for r in by(a)) for a in ALGOS + BASELINES}
    print("\nmean arrival slippage (bps), beside the naive baselines; 'net': against the same day without the "
          "order (the market's own move over the horizon taken out)")
    print(f"  {'algorithm':<16}{'slippage':>9}{'vs immediate':>14}{'vs even-slice':>15}{'net':>9}"
          f"{'net vs immediate':>18}{'net vs even-slice':>19}")
    for a in ALGOS + BASELINES:
        print(f"  {a:<16}{slip[a]:>9.2f}{slip[a] - slip['naive-immediate']:>14.2f}{slip[a] - slip['naive-twap']:>15.2f}"
              f"{net[a]:>9.2f}{net[a] - net['naive-immediate']:>18.2f}{net[a] - net['naive-twap']:>19.2f}")
    # VWAP and IS against the even-slice market-order TWAP, net, on every day and on the held-out
    # half alone (the days the impact model IS plans with was not fit on; the algorithms' settings
    # were chosen on the first half)
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

    return 0


if __name__ == "__main__":
    raise SystemExit(main())
