"""Days by name: what ``--day`` and a sweep's ``days`` say.

* ``stylised``: ``StylisedDay`` (sim/backtest/stylised.py), small and fast;
* ``synthetic``: sim/market's calibrated synthetic day (participants trading a liquid symbol with
  the U-shaped volume profile) on three venues (``marketdays.SyntheticDay``);
* ``lobster:PATH`` / ``csv:PATH``: a day replayed from a LOBSTER message file or a wirespeed CSV
  on one venue (``marketdays.ReplayDay``; ``lobster:sample`` is the day shipped in sim/data).

Every call builds a fresh day from ``seed`` (a day's flow is installed into one context).
"""
from __future__ import annotations

import importlib

from .stylised import StylisedDay

KINDS = ("synthetic", "stylised", "lobster:PATH", "csv:PATH")


def make_day(kind: str, seed: int):
    if kind == "stylised":
        return StylisedDay(seed=seed)
    if kind == "synthetic":
        return importlib.import_module("wirespeed.sim.backtest.marketdays").SyntheticDay(seed)
    if kind.startswith(("lobster:", "csv:")):
        path = kind.partition(":")[2]
        if path == "sample":
            path = importlib.import_module("wirespeed.sim.market.sample").sample_path()
        return importlib.import_module("wirespeed.sim.backtest.marketdays").ReplayDay(path, seed)
    raise ValueError(f"unknown day {kind!r} (known: {', '.join(KINDS)})")
