"""A recorded day replayed into a venue's engine, on the clock, so that a user's own orders
meet the replayed book.

    rows = list(read_messages("AAPL_2012-06-21_34200000_57600000_message_10.csv"))
    replay = Replay(engine, rows, price_scale={"AAPL": 100})   # LOBSTER units per tick
    replay.start()                  # schedules each row at its time on engine.clock
    clock.run_until(...)            # the user's orders go to the same engine meanwhile

How rows become engine calls: a new order (1) is a resting DAY limit order under a fresh
engine id; a partial cancellation (2) a replace to less quantity (keeps its place); a
deletion (3) a cancel; an execution of a visible order (4) an IOC from the other side at
that order's price for the executed size: it meets whatever is first in the queue, so a
user's order ahead of the recorded one trades instead, as it would have. Once the record
says an order is done, what the engine still shows of it is cancelled, keeping the book
on the record. Hidden executions (5) and crosses (6) add to the day's volume only; halts
(7) are counted. Rows for orders the engine no longer holds are counted in ``skipped``.
"""
from __future__ import annotations

from typing import Iterable

from wirespeed.clock import DAY_NS
from wirespeed.enums import OrdType, Side, TimeInForce

from ..book import BookOrder
from ..engine import MatchingEngine
from .lobster import ADD, CANCEL, CROSS, DELETE, EXECUTE, EXECUTE_HIDDEN, HALT, Message
from .profile import VolumeProfile, from_trades

REPLAY = "replay"


class ReplayError(ValueError):
    pass


class Replay:
    def __init__(self, engine: MatchingEngine, rows: Iterable[Message], *, price_scale: dict[str, int] | int = 100,
                 source: str = "replay"):
        self.engine = engine
        self.clock = engine.clock
        self.rows = list(rows)
        self.source = source
        scale = price_scale
        self._scale = (lambda s: scale) if isinstance(scale, int) else scale.__getitem__
        self._ids: dict[tuple[str, int], int] = {}     # (symbol, recorded id) -> engine id
        self._left: dict[tuple[str, int], int] = {}    # recorded open quantity
        self._ticks: list[int] = []
        for i, m in enumerate(self.rows):
            if m.symbol not in engine.books:
                raise ReplayError(f"{source}: row {i + 1}: symbol {m.symbol!r} has no book at venue {engine.venue}")
            try:
                scale_i = self._scale(m.symbol)
            except KeyError:
                raise ReplayError(f"{source}: row {i + 1}: no price scale for symbol {m.symbol!r}") from None
            if m.type <= CROSS and m.price % scale_i:
                raise ReplayError(f"{source}: row {i + 1}: price {m.price} is not on the tick "
                                  f"({scale_i} LOBSTER units) of {m.symbol}")
        self.applied = self.skipped = self.halts = 0
        self.hidden_volume = self.cross_volume = 0
        self.trades: dict[str, list[tuple[int, int]]] = {}   # symbol -> (ns after midnight, qty)
        self._pos = 0
        self._day0 = 0

    def start(self) -> None:
        """Schedule the rows on the clock, on the clock's current day."""
        now = self.clock.time_ns()
        self._day0 = now - now % DAY_NS
        if self.rows:
            self.clock.call_at(self._day0 + self.rows[0].ts_ns, self._run)

    def _run(self) -> None:
        # All rows of one timestamp in one callback: one heap entry per distinct time.
        rows, pos = self.rows, self._pos
        ts = rows[pos].ts_ns
        n = len(rows)
        while pos < n and rows[pos].ts_ns == ts:
            self.apply(rows[pos])
            pos += 1
        self._pos = pos
        if pos < n:
            self.clock.call_at(self._day0 + rows[pos].ts_ns, self._run)

    def apply(self, m: Message) -> None:
        eng, kind = self.engine, m.type
        key = (m.symbol, m.order_id)
        book = eng.books[m.symbol]
        if kind == ADD:
            oid = eng.next_id()
            side = Side.BUY if m.direction == 1 else Side.SELL
            o = BookOrder(oid, side, m.price // self._scale(m.symbol), m.size, OrdType.LIMIT, TimeInForce.DAY,
                          participant=REPLAY)
            res = book.submit(o)
            self._record(m.symbol, m.ts_ns, res.fills)
            if res.rested:
                self._ids[key] = oid
                self._left[key] = m.size
            self.applied += 1
            return
        if kind == EXECUTE_HIDDEN:
            self.hidden_volume += m.size
            self.trades.setdefault(m.symbol, []).append((m.ts_ns, m.size))
            self.applied += 1
            return
        if kind == CROSS:
            self.cross_volume += m.size
            self.applied += 1
            return
        if kind == HALT:
            self.halts += 1
            return
        oid = self._ids.get(key)
        if oid is None:
            self.skipped += 1
            return
        left = self._left[key] - m.size
        if kind == CANCEL:
            o = book.order(oid)
            if o is None:
                self._forget(key)
                self.skipped += 1
                return
            if o.qty > m.size:
                book.replace(oid, o.price, o.qty - m.size)
            else:
                book.cancel(oid)
        elif kind == DELETE:
            book.cancel(oid)
            left = 0
        elif kind == EXECUTE:
            side = Side.SELL if m.direction == 1 else Side.BUY
            taker = BookOrder(eng.next_id(), side, m.price // self._scale(m.symbol), m.size, OrdType.LIMIT,
                              TimeInForce.IOC)
            self._record(m.symbol, m.ts_ns, book.submit(taker).fills)
        self.applied += 1
        if left <= 0:
            if oid in book:
                book.cancel(oid)        # the record says it is done: so is the engine's copy
            self._forget(key)
        else:
            self._left[key] = left

    def _forget(self, key) -> None:
        self._ids.pop(key, None)
        self._left.pop(key, None)

    def _record(self, symbol: str, ts_ns: int, fills) -> None:
        if fills:
            lst = self.trades.setdefault(symbol, [])
            for t in fills:
                lst.append((ts_ns, t.qty))

    @property
    def done(self) -> bool:
        return self._pos >= len(self.rows)

    def profile(self, symbol: str, *, open_s: int = 34_200, close_s: int = 57_600, bin_s: int = 1800) -> VolumeProfile:
        """The replayed day's volume profile (the cross volume of ``symbol`` as its auction)."""
        cross = sum(m.size for m in self.rows if m.type == CROSS and m.symbol == symbol)
        return from_trades(symbol, self.trades.get(symbol, ()), open_s=open_s, close_s=close_s, bin_s=bin_s,
                           auction_qty=cross)
