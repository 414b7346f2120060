"""``wirespeed backtest`` and ``wirespeed sweep``."""
from __future__ import annotations

import ast
from pathlib import Path

from wirespeed.control.model import ExecutionRefused
from wirespeed.control.tca.plots import write_plots
from wirespeed.control.tca.report import comparison_table, text_report

from .days import make_day
from .run import BacktestSpec, run_backtest

BASELINE_NAMES = ("naive-immediate", "naive-twap")


def parse_params(items: list[str] | None) -> dict:
    out = {}
    for item in items or ():
        key, eq, text = item.partition("=")
        if not eq or not key:
            raise ExecutionRefused(f"--param {item!r}: expected key=value")
        try:
            out[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            out[key] = text
    return out


def backtest_main(args) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console()
    try:
        spec = BacktestSpec(algo=args.algo, side=args.side, qty=args.qty or 0, pct_volume=args.pct_volume,
                            start_s=args.start * 60, minutes=args.minutes, seed=args.seed, limit=args.limit or "",
                            params=parse_params(args.param))
        runs = [spec] + ([] if args.no_baselines else
                         [BacktestSpec(algo=b, side=spec.side, qty=spec.qty, pct_volume=spec.pct_volume,
                                       start_s=spec.start_s, minutes=spec.minutes, seed=spec.seed) for b in BASELINE_NAMES])
        results = []
        with Progress(TextColumn("{task.description:<18}"), BarColumn(), TextColumn("{task.percentage:>5.1f}%"),
                      TimeElapsedColumn(), console=console, transient=False) as bar:
            for s in runs:
                task = bar.add_task(s.algo, total=1.0)
                day = make_day(args.day, s.seed)
                results.append(run_backtest(s, day, progress=lambda f, task=task: bar.update(task, completed=f)))
    except (ExecutionRefused, ValueError, OSError) as exc:
        console.print(f"[red]wirespeed backtest: {exc}[/red]")
        return 2
    main = results[0]
    tick = float(make_day(args.day, spec.seed).tick.decimal)
    print(text_report(main.tca, tick))
    if main.expected_cost is not None:
        realised = main.tca.impact_cost + main.tca.fees
        print(f"  Almgren-Chriss expected cost {main.expected_cost * tick:,.2f}; realised impact + fees "
              f"{realised * tick:,.2f} ({realised / main.expected_cost:.2f}x)")
    print()
    print(comparison_table([r.tca for r in results]))
    out = Path(args.out)
    files = write_plots(main.tape, main.tca.parent_id, out)
    main.tape.write_csv(out / f"{main.tca.parent_id}_tape.csv")
    print(f"\nplots: {', '.join(str(f) for f in files)}\ntape: {out / (main.tca.parent_id + '_tape.csv')}")
    print(f"simulated {spec.start_s / 60 + spec.minutes:.0f} minutes of the day in {main.wall_s:.2f} s "
          f"({main.events:,} events)")
    return 0


def sweep_main(args) -> int:
    from .sweep import SweepError, load_spec, run_sweep, write_results
    try:
        sweep = load_spec(args.spec) if args.spec else load_spec(None, algorithms=args.algorithms, seeds=args.seeds)
        rows = run_sweep(sweep, scheduler=args.scheduler, workers=args.workers, serial=args.serial)
    except (SweepError, ExecutionRefused, ValueError, OSError) as exc:
        print(f"wirespeed sweep: {exc}")
        return 2
    path = write_results(rows, Path(args.out))
    from .sweep import summary_table
    print(summary_table(rows))
    print(f"\nresults: {path}")
    return 0
