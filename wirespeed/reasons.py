"""One reject-reason enumeration for every layer.

The software risk path, the golden models and the hardware risk pipeline all
produce these codes; the gateway maps each one onto a FIX reject
(ExecutionReport 39=8 with OrdRejReason/Text). The numeric value is the code the
hardware emits and also the bit index in the hardware's failing-check bitmask
(bit ``code - 1``). When several checks fail, the primary reason is the one with
the lowest code, so order here is priority: order-record sanity first, then the
kill switch, then limits.
"""
from __future__ import annotations

from enum import IntEnum


class RejectReason(IntEnum):
    NONE = 0
    BAD_FIELD = 1          # an out-of-range side / ord type / time-in-force code
    ZERO_QTY = 2
    UNKNOWN_SYMBOL = 3
    BAD_PRICE = 4          # zero price on a limit order, or price off-tick / out of range
    KILL_SWITCH = 5
    RESTRICTED_SYMBOL = 6
    MAX_QTY = 7
    MAX_NOTIONAL = 8
    PRICE_COLLAR = 9
    STALE_REFERENCE = 10
    POSITION_LIMIT = 11
    REDUCE_ONLY = 12
    CREDIT_LIMIT = 13
    RATE_LIMIT = 14
    DUPLICATE_CLORDID = 15
    # Reasons raised outside the risk pipeline.
    VENUE_REJECT = 16
    UNSUPPORTED = 17       # an order characteristic the gateway does not support
    NO_VENUE = 18
    AUDIT_BACKLOG = 19     # the audit trail cannot reach its disk: no new order until it can

    @property
    def check_name(self) -> str:
        """The name a trader sees in Text (58): lower-case check name."""
        return self.name.lower()

    @property
    def bit(self) -> int:
        """This reason's bit in a failing-check mask (NONE has none)."""
        if self is RejectReason.NONE:
            raise ValueError("RejectReason.NONE has no mask bit")
        return 1 << (self.value - 1)

    @property
    def ord_rej_reason(self) -> int:
        """FIX OrdRejReason (103)."""
        return _ORD_REJ_REASON.get(self, 99)

    @property
    def text(self) -> str:
        return f"risk: {self.check_name}" if self in RISK_REASONS else self.check_name


#: Reasons a risk check can produce (everything the hardware can emit).
RISK_REASONS = frozenset(r for r in RejectReason if 0 < r.value <= RejectReason.DUPLICATE_CLORDID.value)

#: Width of the failing-check bitmask the hardware emits.
MASK_WIDTH = max(RISK_REASONS).value
#: Width of the reason code field.
CODE_WIDTH = max(RejectReason).value.bit_length()

# FIX 4.4 OrdRejReason: 1 unknown symbol, 2 exchange closed, 3 order exceeds limit,
# 6 duplicate order, 11 unsupported order characteristic, 13 incorrect quantity, 99 other.
_ORD_REJ_REASON = {
    RejectReason.UNKNOWN_SYMBOL: 1,
    RejectReason.KILL_SWITCH: 2,
    RejectReason.MAX_QTY: 3,
    RejectReason.MAX_NOTIONAL: 3,
    RejectReason.POSITION_LIMIT: 3,
    RejectReason.CREDIT_LIMIT: 3,
    RejectReason.PRICE_COLLAR: 3,
    RejectReason.RATE_LIMIT: 3,
    RejectReason.DUPLICATE_CLORDID: 6,
    RejectReason.BAD_FIELD: 11,
    RejectReason.UNSUPPORTED: 11,
    RejectReason.ZERO_QTY: 13,
}


def primary(mask: int) -> RejectReason:
    """The primary (highest-priority) reason in a failing-check mask."""
    if mask == 0:
        return RejectReason.NONE
    return RejectReason((mask & -mask).bit_length())


def reasons_in(mask: int) -> list[RejectReason]:
    """Every reason whose bit is set in ``mask``, in priority order."""
    return [r for r in sorted(RISK_REASONS) if mask & r.bit]
