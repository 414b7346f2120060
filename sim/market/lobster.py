"""Message files of a trading day: the LOBSTER message format, and wirespeed's CSV of it.

LOBSTER message file (``TICKER_DATE_START_END_message_LEVEL.csv``): no header, six columns

    Time       seconds after midnight, decimal (up to ns), e.g. 34200.017459617
    Type       1 new limit order, 2 partial cancellation, 3 deletion, 4 execution of a visible
               order, 5 execution of a hidden order, 6 cross trade (auction), 7 trading halt
    Order ID   the order's reference number
    Size       shares
    Price      dollar price times 10,000 (e.g. 5853300 = $585.33)
    Direction  1 buy limit order, -1 sell limit order (for an execution: the resting order's
               side, so -1 is a buyer-initiated trade)

wirespeed CSV: the same columns plus ``symbol`` second, one header line
``time,symbol,type,order_id,size,price,direction``, several symbols in one file.

``read_messages(path, symbol=None)`` reads either (a header tells them apart; a LOBSTER file
takes ``symbol`` or the ticker of its file name) and raises ``MessageFileError`` naming the
file, the line and the problem. ``LobsterWriter`` turns a venue's book events into rows.
"""
from __future__ import annotations

import os
from typing import Iterable, Iterator, NamedTuple

from wirespeed.enums import Side

from ..events import AddOrder, OrderCancel, OrderDelete, OrderExecuted, OrderReplace

ADD, CANCEL, DELETE, EXECUTE, EXECUTE_HIDDEN, CROSS, HALT = 1, 2, 3, 4, 5, 6, 7
CSV_HEADER = "time,symbol,type,order_id,size,price,direction"
NS = 1_000_000_000


class MessageFileError(ValueError):
    """A row that cannot be read: ``path:line: problem``."""


class Message(NamedTuple):
    ts_ns: int          # ns after midnight
    symbol: str
    type: int
    order_id: int
    size: int
    price: int          # LOBSTER units: dollars x 10,000
    direction: int      # 1 buy, -1 sell


def parse_time(text: str) -> int:
    """``34200.017459617`` -> ns after midnight, exactly (no float on the way)."""
    sec, _, frac = text.strip().partition(".")
    if not sec.isdigit() or (frac and not frac.isdigit()) or len(frac) > 9:
        raise ValueError(f"time {text!r} is not seconds after midnight (digits, up to 9 decimals)")
    ns = int(sec) * NS + (int(frac.ljust(9, "0")) if frac else 0)
    if ns >= 86_400 * NS:
        raise ValueError(f"time {text!r} is past midnight")
    return ns


def format_time(ns: int) -> str:
    return f"{ns // NS}.{ns % NS:09d}"


def _int(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} {text.strip()!r} is not an integer") from None


def _row(cols: list[str], symbol: str) -> Message:
    ts = parse_time(cols[0])
    kind = _int("type", cols[1])
    if not 1 <= kind <= 7:
        raise ValueError(f"type {kind} is not a LOBSTER event type (1-7)")
    oid, size, price, direction = (_int(n, c) for n, c in zip(("order id", "size", "price", "direction"), cols[2:]))
    if direction not in (1, -1):
        raise ValueError(f"direction {direction} must be 1 (buy) or -1 (sell)")
    if kind <= CROSS:
        if oid < 0:
            raise ValueError(f"order id {oid} is negative")
        if size <= 0 and kind != CROSS:
            raise ValueError(f"size {size} must be positive")
        if price <= 0:
            raise ValueError(f"price {price} must be positive (dollars x 10,000)")
    return Message(ts, symbol, kind, oid, size, price, direction)


def ticker_of(path: str) -> str:
    """LOBSTER names files ``TICKER_DATE_..._message_N.csv``."""
    return os.path.basename(path).split("_", 1)[0]


def read_messages(path: str, symbol: str | None = None) -> Iterator[Message]:
    """Rows of a LOBSTER message file or a wirespeed CSV, in file order; times must not go back."""
    last = -1
    with open(path, newline="") as f:
        first = True
        csv_mode = False
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            if first:
                first = False
                if line.replace(" ", "").lower() == CSV_HEADER:
                    csv_mode = True
                    continue
                if line[0].isalpha():
                    raise MessageFileError(f"{path}:{lineno}: header {line!r} is not {CSV_HEADER!r}")
            cols = line.split(",")
            try:
                if csv_mode:
                    if len(cols) != 7:
                        raise ValueError(f"{len(cols)} columns, a wirespeed CSV row has 7 ({CSV_HEADER})")
                    sym = cols.pop(1).strip()
                    if not sym:
                        raise ValueError("empty symbol")
                else:
                    if len(cols) != 6:
                        raise ValueError(f"{len(cols)} columns, a LOBSTER message row has 6 "
                                         "(time,type,order id,size,price,direction)")
                    sym = symbol or ticker_of(path)
                msg = _row(cols, sym)
            except ValueError as exc:
                raise MessageFileError(f"{path}:{lineno}: {exc}") from None
            if msg.ts_ns < last:
                raise MessageFileError(f"{path}:{lineno}: time {cols[0].strip()} is before the previous row's")
            last = msg.ts_ns
            yield msg


def write_messages(path: str, rows: Iterable[Message], *, csv: bool = False) -> int:
    """Write rows as a LOBSTER message file (or a wirespeed CSV); returns the count."""
    n = 0
    with open(path, "w") as f:
        if csv:
            f.write(CSV_HEADER + "\n")
        for m in rows:
            sym = f"{m.symbol}," if csv else ""
            f.write(f"{format_time(m.ts_ns)},{sym}{m.type},{m.order_id},{m.size},{m.price},{m.direction}\n")
            n += 1
    return n


class LobsterWriter:
    """An ``EventSink`` that turns book events into LOBSTER rows (``rows``). A replace is a
    deletion and a new order (LOBSTER has no replace); ``price_scale`` is LOBSTER units per
    tick (100 for a cent tick)."""

    def __init__(self, price_scale: int = 100, symbols: Iterable[str] | None = None):
        self.scale = price_scale
        self.symbols = set(symbols) if symbols is not None else None
        self.rows: list[Message] = []
        self._live: dict[int, list] = {}         # ref -> [direction, price, qty]

    def cross(self, ts_ns: int, symbol: str, qty: int, price_ticks: int) -> None:
        """An auction's cross trade (type 6; order id 0 as in LOBSTER files)."""
        if qty:
            self.rows.append(Message(ts_ns, symbol, CROSS, 0, qty, price_ticks * self.scale, -1))

    def __call__(self, ev) -> None:
        symbol = getattr(ev, "symbol", None)
        if symbol is None or (self.symbols is not None and symbol not in self.symbols):
            return
        t, rows, live, scale = type(ev), self.rows, self._live, self.scale
        if t is AddOrder:
            d = 1 if ev.side == Side.BUY else -1
            live[ev.order_id] = [d, ev.price * scale, ev.qty]
            rows.append(Message(ev.ts_ns, symbol, ADD, ev.order_id, ev.qty, ev.price * scale, d))
        elif t is OrderExecuted:
            d, p, q = rec = live[ev.order_id]
            rows.append(Message(ev.ts_ns, symbol, EXECUTE, ev.order_id, ev.qty, p, d))
            rec[2] -= ev.qty
            if rec[2] == 0:
                del live[ev.order_id]
        elif t is OrderCancel:
            d, p, q = rec = live[ev.order_id]
            rows.append(Message(ev.ts_ns, symbol, CANCEL, ev.order_id, ev.qty, p, d))
            rec[2] -= ev.qty
        elif t is OrderDelete:
            d, p, q = live.pop(ev.order_id)
            rows.append(Message(ev.ts_ns, symbol, DELETE, ev.order_id, q, p, d))
        elif t is OrderReplace:
            d, p, q = live.pop(ev.old_order_id)
            rows.append(Message(ev.ts_ns, symbol, DELETE, ev.old_order_id, q, p, d))
            live[ev.new_order_id] = [d, ev.price * scale, ev.qty]
            rows.append(Message(ev.ts_ns, symbol, ADD, ev.new_order_id, ev.qty, ev.price * scale, d))
