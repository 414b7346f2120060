"""The order model: one Order record type shared by every layer, and the reports that flow back."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from .enums import ExecType, OrdStatus, OrdType, Side, TimeInForce
from .reasons import RejectReason


def clordid_key(cl_ord_id: str) -> int:
    """A stable 64-bit key of a ClOrdID, what the hardware duplicate check compares.

    blake2b rather than ``hash()``: the key must be the same in every process
    (a golden model run, a Verilator run, a restarted gateway).
    """
    return int.from_bytes(hashlib.blake2b(cl_ord_id.encode(), digest_size=8).digest(), "little")


@dataclass(frozen=True, slots=True)
class Order:
    """A new order as risk and the encoders see it: integers only.

    ``price`` is in ticks of the symbol's tick size (0 for market orders);
    ``symbol`` and ``session`` are table indexes; ``order_id`` is the
    gateway-assigned id that goes to the venue (FIX ClOrdID / OUCH UserRefNum).
    """

    order_id: int
    cl_ord_id: str
    session: int
    symbol: int
    side: Side
    ord_type: OrdType
    tif: TimeInForce
    qty: int
    price: int
    cl_ord_key: int = field(default=0)

    def __post_init__(self) -> None:
        if self.cl_ord_key == 0 and self.cl_ord_id:
            object.__setattr__(self, "cl_ord_key", clordid_key(self.cl_ord_id))

    @property
    def signed_qty(self) -> int:
        return self.qty * Side(self.side).sign


@dataclass(frozen=True, slots=True)
class Fill:
    order_id: int
    qty: int
    price: int              # ticks
    venue: str = ""
    exec_id: str = ""
    ts_ns: int = 0


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """What the gateway tells a client about one of its orders."""

    cl_ord_id: str
    order_id: int
    exec_id: str
    exec_type: ExecType
    ord_status: OrdStatus
    symbol: str
    side: Side
    qty: int
    price: int = 0          # ticks, the order's limit price
    last_qty: int = 0
    last_px: int = 0        # ticks
    cum_qty: int = 0
    leaves_qty: int = 0
    avg_px_num: int = 0     # sum(qty * px) in ticks; avg = avg_px_num / cum_qty
    reason: RejectReason = RejectReason.NONE
    text: str = ""
    ord_type: OrdType = OrdType.LIMIT
    tif: TimeInForce = TimeInForce.DAY
