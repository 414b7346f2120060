"""The golden model of hw/time/counter.py, and the values the host writes to set it.

Time is nanoseconds since the Unix epoch (UTC) with ``FRAC_BITS`` fractional bits: each cycle
adds the clock period in those units (exact for an integer period; for one such as 6.4 ns the
fraction carries, and the rate is kept to within 2^-32 ns a cycle), plus the slew step while a slew lasts. The counter
also keeps the UTC text the FIX encoder writes (YYYYMMDD-HH:MM:SS.mmm) as BCD digits that tick
with it, so nothing divides in hardware: the host sets them together with the nanoseconds
(``set_fields``) and gives the next day's date ahead of midnight.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

FRAC_BITS = 32
NS_PER_MS = 1_000_000
TS_DIGITS = 17


def period_units(period_ns) -> int:
    """The clock period in 2^-FRAC_BITS ns (what is added each cycle); 0 < period < 1000 ns."""
    if isinstance(period_ns, bool) or not isinstance(period_ns, (int, float, Fraction)):
        raise TypeError(f"period_ns must be a number of nanoseconds, not {period_ns!r}")
    p = Fraction(period_ns)
    if not 0 < p < 1000:
        raise ValueError(f"period_ns must be in (0, 1000) ns, not {period_ns!r}")
    return round(p * (1 << FRAC_BITS))


def max_slew_units(period_ns, ppm: int) -> int:
    """The largest slew step: ``ppm`` parts per million of the period (always below the period,
    so time never stands still or runs back)."""
    if not isinstance(ppm, int) or not 1 <= ppm <= 500_000:
        raise ValueError(f"max_slew_ppm must be an integer in 1..500000, not {ppm!r}")
    return period_units(period_ns) * ppm // 1_000_000


def utc_text(ns: int) -> str:
    """The UTCTimestamp (milliseconds) the FIX encoder writes for ``ns`` since the epoch."""
    t = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=ns // 1000)
    return t.strftime("%Y%m%d-%H:%M:%S.") + f"{t.microsecond // 1000:03d}"


def bcd_digits(text: str) -> int:
    """Decimal digits as BCD, the first character in bits 0..3 (the encoder's ``utc`` order)."""
    digits = [c for c in text if c.isdigit()]
    return sum(int(c) << (4 * k) for k, c in enumerate(digits))


def set_fields(ns: int) -> dict[str, int]:
    """Port values that set the counter to ``ns``: ``set_ns``, ``set_utc`` (BCD of the
    millisecond), ``set_sub`` (ns into the millisecond) and ``next_date`` (the next day's
    YYYYMMDD, taken at midnight)."""
    if not isinstance(ns, int) or not 0 <= ns < 1 << 64:
        raise ValueError(f"set_ns must be a 64-bit count of nanoseconds, not {ns!r}")
    day = (dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=ns // 1000)).date()
    return {"set_ns": ns, "set_utc": bcd_digits(utc_text(ns)), "set_sub": ns % NS_PER_MS,
            "next_date": bcd_digits((day + dt.timedelta(days=1)).strftime("%Y%m%d"))}


@dataclass
class TimeModel:
    period_ns: object
    max_slew_ppm: int = 1000
    acc: int = 0                # ns << FRAC_BITS
    slew_step: int = 0
    slew_left: int = 0

    def __post_init__(self) -> None:
        self.inc = period_units(self.period_ns)
        self.max_slew = max_slew_units(self.period_ns, self.max_slew_ppm)

    @property
    def ns(self) -> int:
        return self.acc >> FRAC_BITS

    def set(self, ns: int) -> None:
        self.acc = ns << FRAC_BITS

    def slew(self, step: int, cycles: int) -> bool:
        """Add ``step`` (2^-FRAC_BITS ns, signed) to each of the next ``cycles`` cycles; a step
        beyond the bound is clamped to it. Returns whether it was clamped."""
        clamped = max(-self.max_slew, min(self.max_slew, step))
        self.slew_step, self.slew_left = clamped, cycles
        return clamped != step

    def tick(self) -> None:
        inc = self.inc + (self.slew_step if self.slew_left else 0)
        self.slew_left = max(0, self.slew_left - 1)
        self.acc = (self.acc + inc) % (1 << (64 + FRAC_BITS))
