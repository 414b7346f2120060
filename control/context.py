"""The execution-context interface: what the control plane needs from the world below it.

Two implementations: the backtest (``sim/backtest``: the sim venues' matching engines in process,
with a latency model, in accelerated simulated time) and live (the gateway's order path and
venue sessions). The runner calls ``send`` / ``cancel`` / ``replace`` / ``set_timer``; the
context calls back into the runner (``ParentRunner.on_*``) with market data, acknowledgements,
executions, order ends, timers and venue loss. Swapping one context for the other changes no
algorithm, router or TCA code.
"""
from __future__ import annotations

from typing import NamedTuple, Protocol

from wirespeed.enums import Side, TimeInForce


class VenueOrder(NamedTuple):
    """One child order (or one leg of a split child) as sent to one venue. A tuple rather than
    a frozen dataclass: one is built for every leg of every child (and on every replace), and a
    tuple is built three times faster."""
    order_id: str
    venue: str
    symbol: str
    side: Side
    qty: int
    price: int          # ticks; 0 = market order (the naive baselines only)
    tif: TimeInForce
    child_id: str
    parent_id: str
    algo: str


class ExecutionContext(Protocol):
    def now_ns(self) -> int:
        """The context's clock (simulated in a backtest)."""
        ...

    def send(self, order: VenueOrder) -> None:
        ...

    def cancel(self, venue: str, order_id: str) -> None:
        ...

    def replace(self, venue: str, order_id: str, qty: int, price: int) -> None:
        """Change a working order's total quantity and price (loses time priority)."""
        ...

    def set_timer(self, ts_ns: int) -> None:
        """Call the runner's ``on_timer`` at ``ts_ns`` (the latest request replaces earlier ones)."""
        ...
