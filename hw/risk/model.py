"""Golden model of the risk pipeline, and the gateway's software risk backend.

``RiskModel`` holds exactly the hardware's state: the per-symbol limit table,
positions and open quantities per symbol, gross credit (open + filled notional) and
each session's credit,
a GCRA throttle per session (each session with an emission interval and a tolerance
of its own: its rate limit), the duplicate-ClOrdID window, and the kill-switch and
reduce-only flags. ``order()`` decides one order and applies its effect; ``fill()``
applies a fill or cancel. Fed the same events in the same order, it produces the
decisions ``RiskPipeline`` (pipeline.py) produces, bit for bit.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from wirespeed.enums import Side
from wirespeed.layout import FILL, RISK_OUT, SYMBOL_LIMITS
from wirespeed.order import Order
from wirespeed.reasons import RejectReason as R
from wirespeed.reasons import primary

from . import checks

NOTIONAL_MAX = (1 << 64) - 1
DEADLINE_MAX = (1 << 48) - 1


@dataclass(frozen=True, slots=True)
class LimitEntry:
    """One row of the per-symbol limit table. Defaults leave a check open."""

    max_qty: int
    price_lo: int
    price_hi: int
    valid: bool = True
    restricted: bool = False
    max_notional: int = NOTIONAL_MAX
    long_limit: int = (1 << 32) - 1
    short_limit: int = (1 << 32) - 1
    ref_deadline: int = DEADLINE_MAX

    def pack(self) -> int:
        return SYMBOL_LIMITS.pack({"valid": int(self.valid), "restricted": int(self.restricted), "_pad0": 0, "_pad1": 0,
                                   "max_qty": self.max_qty, "price_lo": self.price_lo, "price_hi": self.price_hi,
                                   "max_notional": self.max_notional, "long_limit": self.long_limit,
                                   "short_limit": self.short_limit, "ref_deadline": self.ref_deadline})

    @classmethod
    def unpack(cls, word: int) -> "LimitEntry":
        """The entry a packed row (as the register bus writes it) holds."""
        f = SYMBOL_LIMITS.unpack(word)
        return cls(f["max_qty"], f["price_lo"], f["price_hi"], bool(f["valid"]), bool(f["restricted"]),
                   f["max_notional"], f["long_limit"], f["short_limit"], f["ref_deadline"])


@dataclass(frozen=True, slots=True)
class Fill:
    symbol: int
    side: int
    qty: int
    notional: int
    cancel: bool = False
    session: int = 0         # the session of the order it releases (its credit)

    def pack(self) -> int:
        return FILL.pack({"symbol": self.symbol, "side": self.side, "cancel": int(self.cancel), "qty": self.qty,
                          "notional": self.notional, "session": self.session})

    @classmethod
    def unpack(cls, word: int) -> "Fill":
        f = FILL.unpack(word)
        return cls(f["symbol"], f["side"], f["qty"], f["notional"], bool(f["cancel"]), f["session"])


class RiskModel:
    """``depth`` table rows (a power of two), ``sessions`` throttled sessions, a
    duplicate window of the last ``window`` accepted ClOrdIDs."""

    def __init__(self, depth: int = 256, sessions: int = 8, window: int = 8):
        for name, v in (("depth", depth), ("sessions", sessions), ("window", window)):
            if not isinstance(v, int) or v <= 0 or v & (v - 1):
                raise TypeError(f"{name} must be a positive power of two, not {v!r}")
        self.depth, self.sessions, self.window = depth, sessions, window
        self.table: dict[int, LimitEntry] = {}
        self.pos = [0] * depth
        self.open_buy = [0] * depth
        self.open_sell = [0] * depth
        self.open_notional = 0
        self.filled_notional = 0
        self.credit_limit = NOTIONAL_MAX
        # per session (account): a credit limit of its own on its open + filled notional
        self.session_credit_limit = [NOTIONAL_MAX] * sessions
        self.session_open = [0] * sessions
        self.session_filled = [0] * sessions
        self.kill = False
        self.reduce_only = False
        # per session: its GCRA's emission interval T (in units of ``now``) and tolerance tau;
        # the global RATE_INTERVAL / RATE_TOLERANCE registers write every session's
        self.session_rate_interval = [0] * sessions
        self.session_rate_tolerance = [0] * sessions
        self._rate = (0, 0)             # the last values written to every session (read back)
        self.tat = [0] * sessions
        self.recent: deque[int] = deque(maxlen=window)

    # -- configuration -------------------------------------------------------------
    @property
    def rate_interval(self) -> int:
        """The interval last written to every session (the global register)."""
        return self._rate[0]

    @rate_interval.setter
    def rate_interval(self, value: int) -> None:
        self._rate = (value, self._rate[1])
        self.session_rate_interval = [value] * self.sessions

    @property
    def rate_tolerance(self) -> int:
        """The tolerance last written to every session (the global register)."""
        return self._rate[1]

    @rate_tolerance.setter
    def rate_tolerance(self, value: int) -> None:
        self._rate = (self._rate[0], value)
        self.session_rate_tolerance = [value] * self.sessions

    def write(self, index: int, entry: LimitEntry) -> None:
        if not 0 <= index < self.depth:
            raise IndexError(f"symbol index {index} outside the limit table (depth {self.depth})")
        if not checks.notional_fits(entry.max_notional):
            raise ValueError(f"row {index}: max_notional {entry.max_notional} does not fit the limit table "
                             f"(at most {checks.NOTIONAL_LIMIT_MAX}, or {checks.NOTIONAL_OPEN}: open)")
        self.table[index] = entry

    @property
    def credit_used(self) -> int:
        return self.open_notional + self.filled_notional

    def session_used(self, session: int) -> int:
        """The session's open + filled notional (what its credit limit bounds)."""
        return self.session_open[session] + self.session_filled[session]

    # -- events ----------------------------------------------------------------------
    def check_fields(self, *, symbol: int, side: int, ord_type: int, tif: int, qty: int, price: int,
                     session: int = 0, cl_ord_key: int = 0, now: int = 0, **_) -> tuple[int, bool]:
        """(failing-check mask, rate-conforming) for one order against the current state; no effect."""
        mask = 0
        if checks.bad_field(side, ord_type, tif, session, self.sessions):
            mask |= R.BAD_FIELD.bit
        if checks.zero_qty(qty):
            mask |= R.ZERO_QTY.bit
        if checks.bad_price(price):
            mask |= R.BAD_PRICE.bit
        if self.kill:
            mask |= R.KILL_SWITCH.bit
        conforming = session < self.sessions and not checks.rate_limit(now, self.tat[session],
                                                                       self.session_rate_tolerance[session])
        if session < self.sessions and not conforming:
            mask |= R.RATE_LIMIT.bit
        if cl_ord_key in self.recent:
            mask |= R.DUPLICATE_CLORDID.bit
        notional = qty * price
        if checks.credit_limit(self.credit_used, notional, self.credit_limit):
            mask |= R.CREDIT_LIMIT.bit
        if session < self.sessions and checks.credit_limit(self.session_used(session), notional,
                                                           self.session_credit_limit[session]):
            mask |= R.CREDIT_LIMIT.bit
        entry = self.table.get(symbol) if symbol < self.depth else None
        if entry is None or not entry.valid:
            # Without a row there are no limits to compare against: the symbol check
            # alone fails, rather than limit checks against garbage.
            return mask | R.UNKNOWN_SYMBOL.bit, conforming
        if entry.restricted:
            mask |= R.RESTRICTED_SYMBOL.bit
        if checks.max_qty(qty, entry.max_qty):
            mask |= R.MAX_QTY.bit
        if checks.max_notional(notional, entry.max_notional):
            mask |= R.MAX_NOTIONAL.bit
        if checks.price_collar(price, entry.price_lo, entry.price_hi):
            mask |= R.PRICE_COLLAR.bit
        if checks.stale_reference(now, entry.ref_deadline):
            mask |= R.STALE_REFERENCE.bit
        pos, ob, os_ = self.pos[symbol], self.open_buy[symbol], self.open_sell[symbol]
        if side in (Side.BUY, Side.SELL, Side.SELL_SHORT):
            if checks.position_limit(side, qty, pos, ob, os_, entry.long_limit, entry.short_limit):
                mask |= R.POSITION_LIMIT.bit
            if self.reduce_only and checks.reduce_only(side, qty, pos, ob, os_):
                mask |= R.REDUCE_ONLY.bit
        return mask, conforming

    def order_fields(self, fields: dict, now: int = 0) -> int:
        """Decide one order record (field dict) at time ``now`` and apply its effect; the mask."""
        mask, conforming = self.check_fields(**fields, now=now)
        session = fields.get("session", 0)
        if conforming:
            self.tat[session] = checks.next_tat(now, self.tat[session], self.session_rate_interval[session])
        if mask == 0:
            sym, qty = fields["symbol"], fields["qty"]
            if fields["side"] == Side.BUY:
                self.open_buy[sym] += qty
            else:
                self.open_sell[sym] += qty
            self.open_notional += qty * fields["price"]
            self.session_open[session] += qty * fields["price"]
            self.recent.append(fields.get("cl_ord_key", 0))
        return mask

    def order(self, order: Order, now: int = 0) -> int:
        return self.order_fields(_fields(order), now)

    def check(self, order: Order, now: int = 0) -> int:
        """The mask an order would get now, without applying it."""
        return self.check_fields(**_fields(order), now=now)[0]

    def fill(self, f: Fill) -> None:
        if not 0 <= f.symbol < self.depth:
            return  # the hardware ignores fills for symbols outside its table
        buy = f.side == Side.BUY
        if f.session < self.sessions:
            self.session_open[f.session] -= f.notional
            if not f.cancel:
                self.session_filled[f.session] += f.notional
        if f.cancel:
            if buy:
                self.open_buy[f.symbol] -= f.qty
            else:
                self.open_sell[f.symbol] -= f.qty
            self.open_notional -= f.notional
            return
        if buy:
            self.pos[f.symbol] += f.qty
            self.open_buy[f.symbol] -= f.qty
        else:
            self.pos[f.symbol] -= f.qty
            self.open_sell[f.symbol] -= f.qty
        self.open_notional -= f.notional
        self.filled_notional += f.notional

    # -- what the hardware emits -----------------------------------------------------------
    def result(self, fields: dict, now: int = 0) -> int:
        """Decide and apply; the packed RISK_OUT record (decision + the order)."""
        mask = self.order_fields(fields, now)
        out = {"order_id": fields["order_id"], "accept": int(mask == 0), "reason": int(primary(mask)), "mask": mask}
        out.update({f"o_{k}": v for k, v in fields.items() if k != "order_id"})
        return RISK_OUT.pack(out)


def _fields(order: Order) -> dict:
    return {"order_id": order.order_id, "cl_ord_key": order.cl_ord_key, "session": order.session,
            "symbol": order.symbol, "side": int(order.side), "ord_type": int(order.ord_type), "tif": int(order.tif),
            "qty": order.qty, "price": order.price}
