"""Order enumerations shared by software and hardware.

Integer values are what the hardware order record carries; ``fix`` gives the
FIX tag value. Zero is deliberately unused for Side and OrdType so that an
all-zero (uninitialised) record is detectably invalid in hardware.
"""
from __future__ import annotations

from enum import IntEnum


class _FixEnum(IntEnum):
    """An IntEnum whose members map one-to-one onto a FIX field value."""

    @property
    def fix(self) -> str:
        return self._FIX[self]  # type: ignore[attr-defined]

    @classmethod
    def from_fix(cls, value: str):
        try:
            return cls._FROM_FIX[value]  # type: ignore[attr-defined]
        except KeyError:
            raise ValueError(f"{value!r} is not a supported {cls.__name__}") from None


def _fix_map(cls, mapping: dict) -> None:
    cls._FIX = mapping
    cls._FROM_FIX = {v: k for k, v in mapping.items()}


class Side(_FixEnum):
    BUY = 1
    SELL = 2
    SELL_SHORT = 3

    @property
    def sign(self) -> int:
        """+1 for orders that add to the position, -1 for orders that reduce it."""
        return 1 if self is Side.BUY else -1


class OrdType(_FixEnum):
    MARKET = 1
    LIMIT = 2


class TimeInForce(_FixEnum):
    DAY = 0
    GTC = 1
    IOC = 3
    FOK = 4


class OrdStatus(_FixEnum):
    NEW = 0
    PARTIALLY_FILLED = 1
    FILLED = 2
    DONE_FOR_DAY = 3
    CANCELED = 4
    REPLACED = 5
    PENDING_CANCEL = 6
    REJECTED = 8
    PENDING_NEW = 10
    EXPIRED = 12
    PENDING_REPLACE = 14


class ExecType(_FixEnum):
    NEW = 0
    DONE_FOR_DAY = 3
    CANCELED = 4
    REPLACED = 5
    REJECTED = 8
    EXPIRED = 12
    TRADE = 15
    PENDING_CANCEL = 6
    PENDING_NEW = 10
    PENDING_REPLACE = 14
    TRADE_CANCEL = 17      # a bust: the venue withdrew an earlier fill
    ORDER_STATUS = 18      # the answer to an OrderStatusRequest


_fix_map(Side, {Side.BUY: "1", Side.SELL: "2", Side.SELL_SHORT: "5"})
_fix_map(OrdType, {OrdType.MARKET: "1", OrdType.LIMIT: "2"})
_fix_map(TimeInForce, {t: str(int(t)) for t in TimeInForce})
_fix_map(OrdStatus, {s: "ABCDEFGHIJKLMNOP"[int(s) - 10] if s >= 10 else str(int(s)) for s in OrdStatus})
_fix_map(ExecType, {ExecType.NEW: "0", ExecType.CANCELED: "4", ExecType.REPLACED: "5",
                    ExecType.REJECTED: "8", ExecType.EXPIRED: "C", ExecType.TRADE: "F",
                    ExecType.DONE_FOR_DAY: "3", ExecType.PENDING_CANCEL: "6", ExecType.PENDING_NEW: "A",
                    ExecType.PENDING_REPLACE: "E", ExecType.TRADE_CANCEL: "H", ExecType.ORDER_STATUS: "I"})
