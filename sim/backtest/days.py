"""Days by name: what ``--day`` and a sweep's ``days`` say.

* ``stylised``: ``StylisedDay`` (sim/backtest/stylised.py), small and fast;
* ``synthetic``: sim/market's calibrated synthetic day (participants trading a liquid symbol with
  the U-shaped volume profile) when sim/market is installed, else refused with the reason;
* ``csv:PATH`` / ``lobster:PATH``: a day replayed by sim/market from a file.

Every call builds a fresh day from ``seed`` (a day's flow is installed into one context).
"""
from __future__ import annotations

import importlib

from .stylised import StylisedDay

KINDS = ("stylised", "synthetic", "csv:PATH", "lobster:PATH")


def make_day(kind: str, seed: int):
    if kind == "stylised":
        return StylisedDay(seed=seed)
    if kind == "synthetic" or kind.startswith(("csv:", "lobster:")):
        try:
            adapter = importlib.import_module("wirespeed.sim.backtest.marketdays")
        except ImportError as exc:
            raise ValueError(f"day {kind!r} needs sim/market ({exc}); use --day stylised") from None
        return adapter.make(kind, seed)
    raise ValueError(f"unknown day {kind!r} (known: {', '.join(KINDS)})")
