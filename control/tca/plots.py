"""TCA plots as PNG files (matplotlib, Agg backend: no display needed)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .tape import ExecRecord, MarketRecord, ParentRecord, ScheduleRecord, Tape  # noqa: E402

NS = 1e9


def write_plots(tape: Tape, parent_id: str, out_dir: str | Path) -> list[Path]:
    """Schedule vs executions, price with fills by venue, cumulative quantity vs target, and
    participation over time; returns the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    p = next(r for r in tape.of(ParentRecord) if r.parent_id == parent_id)
    t0 = p.start_ns
    execs = [e for e in tape.of(ExecRecord) if e.parent_id == parent_id]
    sched = [s for s in tape.of(ScheduleRecord) if s.parent_id == parent_id]
    market = [m for m in tape.of(MarketRecord) if p.start_ns <= m.ts_ns < p.end_ns]
    files = []

    def save(fig, name):
        path = out / f"{parent_id}_{name}.png"
        fig.savefig(path, dpi=80)
        plt.close(fig)
        files.append(path)

    cum, ex_t, ex_c = 0, [], []
    for e in execs:
        cum += e.qty
        ex_t.append((e.ts_ns - t0) / NS)
        ex_c.append(cum)
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.step([(s.ts_ns - t0) / NS for s in sched], [s.target for s in sched], where="post", label="schedule")
    ax.step(ex_t, ex_c, where="post", label="executed")
    ax.set(xlabel="seconds from start", ylabel="cumulative shares", title=f"{p.algo}: schedule vs executions")
    ax.legend()
    save(fig, "schedule")

    fig, ax = plt.subplots(figsize=(8, 4))
    quotes = [m for m in market if m.qty == 0]
    ax.plot([(m.ts_ns - t0) / NS for m in quotes], [m.price for m in quotes], lw=0.6, color="grey", label="mid")
    for v in sorted({e.venue for e in execs}):
        ve = [e for e in execs if e.venue == v]
        ax.scatter([(e.ts_ns - t0) / NS for e in ve], [e.price for e in ve], s=6, label=f"fills {v}")
    ax.set(xlabel="seconds from start", ylabel="price (ticks)", title="price with fills by venue")
    ax.legend(fontsize=7)
    save(fig, "fills")

    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(ex_t, ex_c, label="executed")
    ax.axhline(p.qty, ls="--", color="k", label="target quantity")
    ax.set(xlabel="seconds from start", ylabel="shares", title="cumulative quantity vs target")
    ax.legend()
    save(fig, "cumulative")

    fig, ax = plt.subplots(figsize=(8, 4))
    trades = [m for m in market if m.qty > 0]
    span = max(1.0, (p.end_ns - p.start_ns) / NS)
    nb = 30
    width = span / nb
    mv, own = [0] * nb, [0] * nb
    for m in trades:
        mv[min(nb - 1, int((m.ts_ns - t0) / NS / width))] += m.qty
    for e in execs:
        own[min(nb - 1, int((e.ts_ns - t0) / NS / width))] += e.qty
    ax.bar([i * width for i in range(nb)], [o / v if v else 0 for o, v in zip(own, mv)], width=width * 0.9)
    ax.set(xlabel="seconds from start", ylabel="share of market volume", title="participation over time")
    save(fig, "participation")
    return files
