"""A venue's limits, as the control plane pushes them into the gateway.

Two places take them: the gateway's own per-venue tables (``VenueLink.credit_limit``: open
notional at the venue; ``VenueLink.throttle``: orders per second to it), and the risk pipeline's
per-symbol limit table, which is written through the risk backend's register interface
(``set_limits`` -> ``write_register``: the same words the hardware's register bus takes, so the
``verilator`` and ``amaranth`` backends are loaded exactly as the model is). The pipeline has one
row per symbol, not per (symbol, venue): a venue's per-symbol limit therefore tightens the row
for every venue (the row becomes the tightest of what is configured and what each venue allows),
and pushing never loosens a row.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from wirespeed.hw.risk.checks import NOTIONAL_LIMIT_MAX


def _count(where: str, v, positive: bool = False) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or v < (1 if positive else 0):
        kind = "a positive" if positive else "a non-negative"
        raise ValueError(f"{where}: must be {kind} integer, not {v!r}")


@dataclass(frozen=True, slots=True)
class SymbolLimits:
    """The venue's per-order limits for one symbol: max_qty shares, max_notional ticks x shares
    (0: no limit of the venue's)."""
    symbol: str
    max_qty: int = 0
    max_notional: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.symbol, str) or not self.symbol:
            raise ValueError(f"limits.symbols.symbol: must be a symbol name, not {self.symbol!r}")
        _count(f"limits.symbols.{self.symbol}.max_qty", self.max_qty)
        _count(f"limits.symbols.{self.symbol}.max_notional", self.max_notional)
        if self.max_notional > NOTIONAL_LIMIT_MAX:          # the risk table's 42-bit field (hw/risk/checks.py)
            raise ValueError(f"limits.symbols.{self.symbol}.max_notional: at most {NOTIONAL_LIMIT_MAX} (the risk "
                             f"table's 42-bit field), not {self.max_notional!r}")


@dataclass(frozen=True, slots=True)
class VenueLimits:
    """credit_limit: open notional at the venue (ticks x shares, 0: none); rate/burst: orders per
    second to the venue (0: none); symbols: the venue's per-symbol limits."""
    credit_limit: int = 0
    rate: float = 0.0
    burst: int = 1
    symbols: tuple[SymbolLimits, ...] = ()

    def __post_init__(self) -> None:
        _count("limits.credit_limit", self.credit_limit)
        if isinstance(self.rate, bool) or not isinstance(self.rate, (int, float)) or self.rate < 0:
            raise ValueError(f"limits.rate: must be a non-negative number of orders per second, not {self.rate!r}")
        _count("limits.burst", self.burst, positive=True)
        names = [s.symbol for s in self.symbols]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"limits.symbols: {', '.join(sorted(dup))} given twice")


def tightened(entry, lim: SymbolLimits):
    """The risk-table row ``entry`` (a ``LimitEntry``) under the venue's limits for its symbol."""
    changes = {}
    if lim.max_qty and lim.max_qty < entry.max_qty:
        changes["max_qty"] = lim.max_qty
    if lim.max_notional and lim.max_notional < entry.max_notional:
        changes["max_notional"] = lim.max_notional
    return dataclasses.replace(entry, **changes) if changes else entry
