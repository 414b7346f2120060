"""The parent order, the child-order actions an algorithm emits and the events it receives.

Sans-IO records, the vocabulary between an algorithm, the runner that routes its children
and the execution context (backtest or live). Prices are integer ticks of the symbol's tick
size; ``price == 0`` on a child means "no limit" only for the naive baselines' market orders.
Times are nanoseconds on the context's clock: an algorithm never reads a clock itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import NamedTuple, Union

from wirespeed.enums import Side, TimeInForce
from wirespeed.prices import PriceError
from wirespeed.symbols import Symbol


class ExecutionRefused(ValueError):
    """A parent order or algorithm config that cannot be executed; the text says why."""

    def __init__(self, reason: str):
        super().__init__(f"Cannot execute order: {reason}")
        self.reason = reason


class Urgency(Enum):
    """Where a child's limit price sits in the book (see ``algorithms/placement.py``)."""
    PASSIVE = "passive"   # at our own touch (bid for a buy): earns the spread, may not fill
    MID = "mid"           # at the mid (rounded towards our side): shares the spread
    CROSS = "cross"       # at the far touch (ask for a buy), immediate-or-cancel: pays the spread

    def more(self) -> "Urgency":
        return {Urgency.PASSIVE: Urgency.MID, Urgency.MID: Urgency.CROSS, Urgency.CROSS: Urgency.CROSS}[self]


@dataclass(frozen=True, slots=True)
class ParentOrder:
    """What a desk hands the control plane: buy/sell ``qty`` of ``symbol`` in ``[start_ns, end_ns)``.

    ``limit`` is the parent's limit price in ticks (``None``: no limit); every child respects it.
    """
    parent_id: str
    symbol: str
    side: Side
    qty: int
    start_ns: int
    end_ns: int
    limit: int | None = None

    @property
    def sign(self) -> int:
        return 1 if self.side == Side.BUY else -1

    def allows(self, price: int) -> bool:
        """Is ``price`` within the parent's limit?"""
        if self.limit is None:
            return True
        return price <= self.limit if self.side == Side.BUY else price >= self.limit


def make_parent(parent_id: str, symbol: Symbol | None, side: Side, qty: int, start_ns: int, end_ns: int,
                limit: str | Decimal | None = None, *, symbol_name: str = "") -> ParentOrder:
    """Validate a parent order at submission; raises ``ExecutionRefused`` with the reason."""
    if symbol is None:
        raise ExecutionRefused(f"unknown symbol {symbol_name!r}")
    if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
        raise ExecutionRefused(f"quantity must be a positive integer, not {qty!r}")
    if end_ns <= start_ns:
        raise ExecutionRefused(f"end time {end_ns} is not after start time {start_ns}")
    ticks = None
    if limit is not None:
        try:
            ticks = symbol.tick.to_ticks(limit)
        except PriceError as exc:
            raise ExecutionRefused(f"limit price {limit}: {exc}") from None
        if ticks <= 0:
            raise ExecutionRefused(f"limit price must be positive, not {limit}")
    return ParentOrder(parent_id, symbol.name, side, qty, start_ns, end_ns, ticks)


# -- actions (algorithm -> runner) --------------------------------------------------------------
# The actions and events are named tuples, not frozen dataclasses: one of each is built for every
# child (its NewChild, its fills, its end), live on every decision's path, and a frozen
# dataclass's generated ``__init__`` (one ``object.__setattr__`` a field) cost 1.7 us for a
# NewChild against 0.4 us for the tuple. The same fields, defaults, keyword construction, repr and
# immutability; ``isinstance`` tells them apart as before.
class NewChild(NamedTuple):
    child_id: str
    parent_id: str
    algo: str
    side: Side
    qty: int
    price: int                    # ticks, always within the parent's limit
    tif: TimeInForce = TimeInForce.DAY
    urgency: Urgency = Urgency.PASSIVE
    venue: str | None = None      # None: the router chooses


class CancelChild(NamedTuple):
    child_id: str


class ReplaceChild(NamedTuple):
    """Re-price (and/or resize) a working child: ``qty`` is the new total order quantity."""
    child_id: str
    qty: int
    price: int
    urgency: Urgency = Urgency.PASSIVE


Action = Union[NewChild, CancelChild, ReplaceChild]


# -- events (runner -> algorithm) ---------------------------------------------------------------
class ChildFill(NamedTuple):
    child_id: str
    qty: int
    price: int
    venue: str
    ts_ns: int
    fee: float = 0.0              # ticks x shares (fee per share in ticks times qty); negative = rebate


class ChildDone(NamedTuple):
    """A child left the market with ``unfilled`` shares not executed (cancel, IOC rest, reject,
    venue loss). Those shares go back to the parent's remaining quantity."""
    child_id: str
    unfilled: int
    ts_ns: int
    reason: str = ""
    rejected: bool = False
