"""``wirespeed sweep``: many backtests (algorithms x seeds x parameters x days) as Dask tasks.

A LocalCluster by default, any scheduler by address (``--scheduler tcp://host:8786``), or
``serial`` in this process. Each backtest is one ``BacktestSpec`` run on a fresh day from its
seed, so the numbers are the same however the backtests are spread (only ``wall_s`` differs).
Results come back as one table (CSV and Parquet) and a summary plot.

How it is spread: one Dask task per day and seed (``batches``: every algorithm and parameter set
of that day, ``run_batch``), so a task is seconds of work, not the scheduler's round trip per
backtest, and what a day shares (its counterfactual mid path) is built once in the worker that
runs it; only the spec goes out and only the small rows come back. Workers are processes with one
thread each (the backtest is pure Python: threads would share one interpreter lock).
``local_cluster`` starts and warms the workers (imports done) before any timing starts;
``sweep_bench.py`` times a sweep serially and on such a cluster back to back.

The spec is TOML::

    [sweep]
    algorithms = ["twap", "vwap", "is"]
    seeds = [1, 2, 3, 4]
    days = ["stylised"]
    start = 30.0           # minutes after the open
    minutes = 60.0
    pct_volume = 0.05
    side = "buy"

    [params.pov]           # a list is a grid axis; a scalar is fixed
    rate = [0.05, 0.1]

A malformed spec is refused naming the key (``sweep.seeds[1]: must be an integer``).
"""
from __future__ import annotations

import contextlib
import csv
import dataclasses
import itertools
import json
import statistics
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wirespeed.config import ConfigError, from_mapping

from .run import NAMES, BacktestSpec, algo_config, run_backtest


class SweepError(ValueError):
    """A sweep spec that cannot run; the message names the key."""


@dataclass(frozen=True, slots=True)
class SweepSpec:
    algorithms: tuple[str, ...] = ("twap", "vwap", "pov", "is", "iceberg", "adaptive")
    seeds: tuple[int, ...] = (1, 2, 3, 4)
    days: tuple[str, ...] = ("stylised",)
    start: float = 30.0
    minutes: float = 60.0
    pct_volume: float = 0.05
    side: str = "buy"
    impact: tuple[float, ...] = (1.0, 0.5)          # the impact model IS plans with (spread, impact)
    params: dict = field(default_factory=dict)      # algo -> {setting: value | [values]}
    net: bool = False                               # also slippage net of the day's own move (net_bps)

    def __post_init__(self) -> None:
        if not self.algorithms:
            raise ValueError("algorithms: must name at least one algorithm")
        for i, a in enumerate(self.algorithms):
            if a not in NAMES:
                raise ValueError(f"algorithms[{i}]: unknown algorithm {a!r} (known: {', '.join(NAMES)})")
        if not self.seeds:
            raise ValueError("seeds: must list at least one seed")
        if not self.days:
            raise ValueError("days: must list at least one day")
        if len(self.impact) != 2:
            raise ValueError(f"impact: must be [spread coefficient, impact coefficient], not {list(self.impact)!r}")


def load_spec(path: str | Path | None, **overrides) -> SweepSpec:
    table: dict[str, Any] = {}
    params: dict = {}
    if path is not None:
        try:
            doc = tomllib.loads(Path(path).read_text())
        except FileNotFoundError:
            raise SweepError(f"{path}: sweep spec not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise SweepError(f"{path}: not valid TOML: {exc}") from None
        unknown = sorted(set(doc) - {"sweep", "params"})
        if unknown:
            raise SweepError(f"{unknown[0]}: unknown table (known: params, sweep)")
        table = dict(doc.get("sweep", {}))
        params = doc.get("params", {})
    if overrides.get("algorithms"):
        table["algorithms"] = [a.strip() for a in overrides["algorithms"].split(",") if a.strip()]
    if overrides.get("seeds"):
        table["seeds"] = list(range(1, overrides["seeds"] + 1))
    try:
        spec = from_mapping(SweepSpec, {k: v for k, v in table.items() if k != "params"}, "sweep")
    except ConfigError as exc:
        raise SweepError(str(exc)) from None
    checked = {}
    for algo, settings in params.items():
        if algo not in spec.algorithms:
            raise SweepError(f"params.{algo}: not one of the sweep's algorithms ({', '.join(spec.algorithms)})")
        if not isinstance(settings, dict):
            raise SweepError(f"params.{algo}: must be a table of settings")
        fields = {f.name for f in dataclasses.fields(_config_class(algo))}
        for k, v in settings.items():
            if k not in fields:
                raise SweepError(f"params.{algo}.{k}: not a setting of {algo} (known: {', '.join(sorted(fields))})")
            if isinstance(v, list) and not v:
                raise SweepError(f"params.{algo}.{k}: an empty list leaves nothing to run")
        checked[algo] = settings
    return dataclasses.replace(spec, params=checked)


def _config_class(algo: str):
    from wirespeed.control.algorithms import ALGORITHMS
    from .baselines import BaselineConfig
    return ALGORITHMS[algo][1] if algo in ALGORITHMS else BaselineConfig


def tasks(spec: SweepSpec) -> list[dict]:
    out = []
    for day, algo, seed in itertools.product(spec.days, spec.algorithms, spec.seeds):
        grid = spec.params.get(algo, {})
        keys = sorted(grid)
        axes = [grid[k] if isinstance(grid[k], list) else [grid[k]] for k in keys]
        for combo in itertools.product(*axes):
            out.append(dict(day=day, algo=algo, seed=seed, params=dict(zip(keys, combo)), start=spec.start,
                            minutes=spec.minutes, pct_volume=spec.pct_volume, side=spec.side,
                            impact=tuple(spec.impact), net=spec.net))
    return out


def run_task(task: dict) -> dict:
    """One backtest as a row (module-level: Dask ships it to the workers by reference)."""
    from .days import make_day
    t0 = time.perf_counter()
    spec = BacktestSpec(algo=task["algo"], side=task["side"], pct_volume=task["pct_volume"],
                        start_s=task["start"] * 60, minutes=task["minutes"], seed=task["seed"],
                        impact=tuple(task.get("impact", (1.0, 0.5))), params=task["params"])
    r = run_backtest(spec, make_day(task["day"], task["seed"]))
    t = r.tca
    realised = t.impact_cost + t.fees
    net = net_cost = None
    if task.get("net"):
        # against the same day without the order (counterfactual.py), computed once per day
        from . import counterfactual as cf
        path = cf.mid_path(task["day"], task["seed"], task["start"] * 60, task["minutes"])
        net, net_cost = cf.net_slippage_bps(r, path), cf.net_cost(r, path)
    return dict(day=task["day"], algo=task["algo"], seed=task["seed"], params=json.dumps(task["params"], sort_keys=True),
                qty=t.qty, filled=t.filled, fill_rate=t.fill_rate, slippage_bps=t.slippage_bps, net_bps=net,
                is_bps=t.bps(t.shortfall), twap_bps=t.twap_tracking_bps, vwap_bps=t.vwap_tracking_bps,
                schedule_gap=t.schedule_gap_frac, participation=t.participation, fees=t.fees, children=t.children,
                expected_cost=r.expected_cost,
                realised_cost=realised, net_cost=net_cost, wall_s=time.perf_counter() - t0)


def batches(todo: list[dict]) -> list[list[int]]:
    """The task indices grouped by day and seed (first-seen order): one Dask task each."""
    groups: dict[tuple, list[int]] = {}
    for i, t in enumerate(todo):
        groups.setdefault((t["day"], t["seed"]), []).append(i)
    return list(groups.values())


def run_batch(batch: list[dict]) -> list[dict]:
    """The backtests of one day and seed, in order (module-level: shipped by reference)."""
    return [run_task(t) for t in batch]


def _warm() -> bool:
    """Import what a task needs, so the first task on a worker is not also its start-up."""
    from . import calibrate, counterfactual, days, marketdays, run  # noqa: F401
    return True


@contextlib.contextmanager
def local_cluster(workers: int = 2):
    """A LocalCluster of ``workers`` one-thread processes and its client, warmed up."""
    import logging
    from dask.distributed import Client, LocalCluster
    logging.getLogger("distributed").setLevel(logging.WARNING)     # the cluster's chatter is not the result
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as client:
        client.wait_for_workers(workers)
        client.run(_warm)
        yield client


def run_on(client, todo: list[dict]) -> list[dict]:
    """``todo`` on a Dask client, one task per day and seed; rows in ``todo``'s order."""
    groups = batches(todo)
    futures = client.map(run_batch, [[todo[i] for i in g] for g in groups], pure=False)
    rows: list[dict | None] = [None] * len(todo)
    for g, out in zip(groups, client.gather(futures)):
        for i, row in zip(g, out):
            rows[i] = row
    return rows


def run_sweep(spec: SweepSpec, *, scheduler: str | None = None, workers: int = 2, serial: bool = False,
              client=None) -> list[dict]:
    """``client``: an existing Dask client (e.g. ``local_cluster``'s, warmed) instead of a new cluster."""
    todo = tasks(spec)
    if serial:
        return [run_task(t) for t in todo]
    if client is not None:
        return run_on(client, todo)
    if scheduler:
        import logging
        from dask.distributed import Client
        logging.getLogger("distributed").setLevel(logging.WARNING)
        with Client(scheduler) as c:
            return run_on(c, todo)
    with local_cluster(workers) as c:
        return run_on(c, todo)


COLUMNS = ("day", "algo", "seed", "params", "qty", "filled", "fill_rate", "slippage_bps", "net_bps", "is_bps", "twap_bps",
           "vwap_bps", "schedule_gap", "participation", "fees", "children", "expected_cost", "realised_cost", "net_cost",
           "wall_s")


def write_results(rows: list[dict], out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.csv"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, COLUMNS)
        w.writeheader()
        w.writerows(rows)
    write_parquet(rows, out / "results.parquet")
    summary_plot(rows, out / "summary.png")
    return path


def _schema():
    import pyarrow as pa
    # a fixed schema: the column types do not depend on which rows the sweep happened to hold
    # (expected_cost is null for all but IS, and a sweep of baselines alone would infer "null")
    types = dict(day=pa.string(), algo=pa.string(), seed=pa.int64(), params=pa.string(), qty=pa.int64(),
                 filled=pa.int64(), children=pa.int64())
    return pa.schema([(c, types.get(c, pa.float64())) for c in COLUMNS])


def write_parquet(rows: list[dict], path: Path) -> Path:
    """The sweep's table as Parquet (pyarrow, a dependency), the same columns as the CSV."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    table = pa.Table.from_pylist([{c: r.get(c) for c in COLUMNS} for r in rows], schema=_schema())
    pq.write_table(table, path)
    return path


def summary(rows: list[dict]) -> list[tuple]:
    out = []
    for algo in dict.fromkeys(r["algo"] for r in rows):
        rs = [r for r in rows if r["algo"] == algo]
        nets = [r["net_bps"] for r in rs if r.get("net_bps") is not None]
        out.append((algo, len(rs), statistics.mean(r["fill_rate"] for r in rs),
                    statistics.mean(r["slippage_bps"] for r in rs), statistics.median(r["slippage_bps"] for r in rs),
                    statistics.mean(nets) if nets else float("nan"),
                    statistics.mean(r["is_bps"] for r in rs), statistics.median(abs(r["vwap_bps"]) for r in rs),
                    max(r["schedule_gap"] for r in rs)))
    return out


def summary_table(rows: list[dict]) -> str:
    head = (f"{'algorithm':<16}{'runs':>5}{'fill':>9}{'slip mean':>11}{'slip med':>10}{'net mean':>10}{'IS mean':>9}"
            f"{'|vsVWAP| med':>14}{'gap max':>9}")
    lines = [head, "-" * len(head)]
    for algo, n, fill, sm, smed, nm, ism, vw, gap in summary(rows):
        lines.append(f"{algo:<16}{n:>5}{fill:>9.2%}{sm:>11.2f}{smed:>10.2f}{nm:>10.2f}{ism:>9.2f}{vw:>14.2f}{gap:>9.2%}")
    return "\n".join(lines)


def summary_plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    algos = list(dict.fromkeys(r["algo"] for r in rows))
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.boxplot([[r["slippage_bps"] for r in rows if r["algo"] == a] for a in algos])
    ax.set_xticks(range(1, len(algos) + 1), algos, rotation=20)
    ax.set(ylabel="arrival slippage (bps)", title="sweep: arrival slippage by algorithm")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
