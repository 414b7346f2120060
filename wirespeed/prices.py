"""Fixed-point prices: integer ticks on the hot path, exact decimal strings at the edges.

A tick size is ``units * 10**-decimals`` (0.01 -> units=1, decimals=2; 0.05 ->
units=5, decimals=2). Conversions use integer arithmetic only, so a FIX price
string round-trips exactly and no binary float ever touches a price. Prices are
rendered with exactly ``decimals`` fractional digits, a form the hardware
encoder reproduces digit for digit.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from .ascii import digits


class PriceError(ValueError):
    """A price that is not representable: malformed, negative, or off the tick grid."""


@dataclass(frozen=True, slots=True)
class TickSize:
    units: int
    decimals: int

    def __post_init__(self) -> None:
        if not isinstance(self.units, int) or self.units <= 0:
            raise ValueError(f"tick units must be a positive integer, not {self.units!r}")
        if not isinstance(self.decimals, int) or not 0 <= self.decimals <= 9:
            raise ValueError(f"tick decimals must be an integer in 0..9, not {self.decimals!r}")

    @classmethod
    def parse(cls, text: str | Decimal) -> "TickSize":
        """``TickSize.parse("0.01")``; the tick must be a positive decimal."""
        try:
            d = Decimal(str(text))
        except InvalidOperation:
            raise ValueError(f"tick size must be a decimal number, not {text!r}") from None
        if not d.is_finite() or d <= 0:
            raise ValueError(f"tick size must be positive, not {text!r}")
        sign, digits, exp = d.normalize().as_tuple()
        units = int("".join(map(str, digits)))
        if exp >= 0:
            return cls(units * 10**exp, 0)
        return cls(units, -exp)

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.units).scaleb(-self.decimals)

    def __str__(self) -> str:
        return str(self.decimal)

    # -- conversions ---------------------------------------------------------
    def parse_ticks(self, text: str | bytes) -> int:
        """Exact FIX price string -> ticks. Raises PriceError if not on the grid."""
        if isinstance(text, bytes):
            text = text.decode("ascii", "replace")
        whole, dot, frac = text.partition(".")
        if not digits(whole) and not (whole == "" and frac):
            raise PriceError(f"malformed price {text!r}")
        if dot and not digits(frac):
            raise PriceError(f"malformed price {text!r}")
        if len(whole) > 18:   # refused, not converted: int() of thousands of digits raises
            raise PriceError(f"price {text[:24]}... is out of range (over 18 digits)")
        frac = frac.rstrip("0")
        if len(frac) > self.decimals:
            raise PriceError(f"price {text} is finer than the tick size {self}")
        scaled = int(whole or "0") * 10**self.decimals + int(frac.ljust(self.decimals, "0") or "0")
        ticks, rem = divmod(scaled, self.units)
        if rem:
            raise PriceError(f"price {text} is not a multiple of the tick size {self}")
        return ticks

    def to_ticks(self, price: Decimal | str | int) -> int:
        """Decimal (or string / int) -> ticks, exactly."""
        if isinstance(price, float):
            raise PriceError("prices are never floats; pass a Decimal or a string")
        d = Decimal(price) if not isinstance(price, Decimal) else price
        if d < 0:
            raise PriceError(f"negative price {price}")
        return self.parse_ticks(format(d, "f"))

    def format(self, ticks: int) -> str:
        """Ticks -> FIX price string with exactly ``decimals`` fractional digits."""
        scaled = ticks * self.units
        if self.decimals == 0:
            return str(scaled)
        whole, frac = divmod(scaled, 10**self.decimals)
        return f"{whole}.{frac:0{self.decimals}d}"

    def to_decimal(self, ticks: int) -> Decimal:
        return Decimal(ticks * self.units).scaleb(-self.decimals)
