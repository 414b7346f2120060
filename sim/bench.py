"""``make bench-sim``: the matching engine and a synthetic trading day, timed.

1. The exchange-core benchmark mix on one symbol (GTC place, cancel, move, IOC, over ~1,000
   resting orders), run through ``sim.book.OrderBook`` and through a plain reference book
   (a sorted dict of deques, the textbook structure) on the same pre-generated commands in
   the same process; operations per second of each and the ratio. Both books must end in
   the same state (checked: the bench doubles as a differential test).
2. One synthetic 6.5 h trading day of one symbol on the simulated clock: book events, wall
   seconds, events per second.

Printed as ratios and figures; the goals (>= 500,000 ops/s; a day under 10 s) are read, never
asserted. Operations per second are per CPU second of this process (``process_time``): the
machine is shared, and a wall clock would count other processes' time slices as ours.
"""
from __future__ import annotations

import gc
import random
import time
from collections import deque

from sortedcontainers import SortedDict

from wirespeed.enums import OrdType, Side, TimeInForce

from .book import BookOrder, OrderBook

PLACE, CANCEL, MOVE, IOC = 0, 1, 2, 3
_BUY, _SELL = Side.BUY, Side.SELL


class ReferenceBook:
    """Sorted dict + deque, limit/IOC/cancel/move: the plain baseline the engine is measured against."""

    def __init__(self):
        self.bids = SortedDict()      # -price -> deque[[id, qty]]
        self.asks = SortedDict()      # price -> deque[[id, qty]]
        self.orders = {}              # id -> (entry, side, price)

    def place(self, oid, side, price, qty, ioc=False):
        """Returns the fills ``(taker id, maker id, price, qty)``, as any book must."""
        fills = []
        if side == _BUY:
            opp, own, key_of = self.asks, self.bids, -price
            while qty and opp:
                p, q = opp.peekitem(0)
                if p > price:
                    break
                qty = self._take(opp, p, q, qty, oid, p, fills)
        else:
            opp, own, key_of = self.bids, self.asks, price
            while qty and opp:
                k, q = opp.peekitem(0)
                if -k < price:
                    break
                qty = self._take(opp, k, q, qty, oid, -k, fills)
        if qty and not ioc:
            entry = [oid, qty]
            level = own.get(key_of)
            if level is None:
                level = own[key_of] = deque()
            level.append(entry)
            self.orders[oid] = (entry, side, price)
        return fills

    def _take(self, opp, key, q, qty, taker, price, fills):
        while qty and q:
            entry = q[0]
            n = min(qty, entry[1])
            qty -= n
            entry[1] -= n
            fills.append((taker, entry[0], price, n))
            if entry[1] == 0:
                q.popleft()
                del self.orders[entry[0]]
        if not q:
            del opp[key]
        return qty

    def cancel(self, oid):
        rec = self.orders.pop(oid, None)
        if rec is None:
            return False
        entry, side, price = rec
        book, key = (self.bids, -price) if side == _BUY else (self.asks, price)
        level = book[key]
        level.remove(entry)
        if not level:
            del book[key]
        return True

    def move(self, oid, price):
        rec = self.orders.get(oid)
        if rec is None:
            return
        entry, side, old = rec
        if price == old:
            return                    # same price, same quantity: keeps its place
        qty = entry[1]
        self.cancel(oid)
        self.place(oid, side, price, qty)

    def state(self):
        bids = [(-k, [tuple(e) for e in q]) for k, q in self.bids.items()]
        asks = [(k, [tuple(e) for e in q]) for k, q in self.asks.items()]
        return bids, asks


def commands(n: int = 200_000, resting: int = 1_000, seed: int = 1) -> list[tuple]:
    """The exchange-core style mix, generated against a reference book so that cancels and
    moves name live orders: ~45% GTC place, 25% move, 20% cancel, 10% IOC."""
    rng = random.Random(seed)
    ref = ReferenceBook()
    out = []
    mid = 10_000
    next_id = 1
    for _ in range(n):
        live = len(ref.orders)
        r = rng.random()
        side = _BUY if rng.random() < 0.5 else _SELL
        sign = -1 if side == _BUY else 1
        if live < resting * 0.9 or (r < 0.45 and live < resting * 1.1) or live == 0:
            # mostly passive, a few marketable (5%) so trades happen
            off = rng.randint(1, 40) if rng.random() > 0.05 else -rng.randint(0, 3)
            cmd = (PLACE, next_id, side, mid + sign * off, rng.randint(1, 100))
            next_id += 1
            ref.place(*cmd[1:])
        elif r < 0.70:
            oid = rng.choice(list(ref.orders)) if rng.random() < 0.9 else next_id + 7  # some unknown
            rec = ref.orders.get(oid)
            side = rec[1] if rec else side
            sign = -1 if side == _BUY else 1
            cmd = (MOVE, oid, side, mid + sign * rng.randint(1, 40), 0)
            ref.move(oid, cmd[3])
        elif r < 0.90:
            oid = rng.choice(list(ref.orders))
            cmd = (CANCEL, oid, side, 0, 0)
            ref.cancel(oid)
        else:
            cmd = (IOC, next_id, side, mid - sign * rng.randint(0, 5), rng.randint(1, 200))
            next_id += 1
            ref.place(cmd[1], side, cmd[3], cmd[4], True)
        out.append(cmd)
    return out


def run_engine(cmds, book: OrderBook | None = None) -> tuple[float, OrderBook]:
    book = book or OrderBook("BENCH")
    submit, cancel, move = book.submit, book.cancel, book.move
    day, ioc, limit = TimeInForce.DAY, TimeInForce.IOC, OrdType.LIMIT
    gc.disable()
    t0 = time.process_time()
    for kind, oid, side, price, qty in cmds:
        if kind == PLACE:
            submit(BookOrder(oid, side, price, qty, limit, day))
        elif kind == MOVE:
            move(oid, price)
        elif kind == CANCEL:
            cancel(oid)
        else:
            submit(BookOrder(oid, side, price, qty, limit, ioc))
    dt = time.process_time() - t0
    gc.enable()
    return dt, book


def run_reference(cmds) -> tuple[float, ReferenceBook]:
    ref = ReferenceBook()
    place, cancel, move = ref.place, ref.cancel, ref.move
    gc.disable()
    t0 = time.process_time()
    for kind, oid, side, price, qty in cmds:
        if kind == PLACE:
            place(oid, side, price, qty)
        elif kind == MOVE:
            move(oid, price)
        elif kind == CANCEL:
            cancel(oid)
        else:
            place(oid, side, price, qty, True)
    dt = time.process_time() - t0
    gc.enable()
    return dt, ref


def engine_state(book: OrderBook):
    bids = [(p, [(o.id, o.qty) for o in book.orders_at(_BUY, p)]) for p, _ in book.depth(_BUY, 10**9)]
    asks = [(p, [(o.id, o.qty) for o in book.orders_at(_SELL, p)]) for p, _ in book.depth(_SELL, 10**9)]
    return bids, asks


def bench_engine(n: int = 200_000, repeats: int = 3) -> dict:
    cmds = commands(n)
    best_e = best_r = float("inf")
    for _ in range(repeats):
        de, book = run_engine(cmds)
        dr, ref = run_reference(cmds)
        best_e, best_r = min(best_e, de), min(best_r, dr)
    if engine_state(book) != ref.state():
        raise AssertionError("engine and reference book disagree after the benchmark mix")
    return {"ops": n, "resting": len(book), "engine_ops_s": n / best_e, "reference_ops_s": n / best_r}


def main() -> int:
    r = bench_engine()
    print(f"matching engine, exchange-core mix (place/move/cancel/IOC), {r['ops']:,} commands, "
          f"~1,000 resting ({r['resting']} at the end), best of 3")
    print(f"  sim.book.OrderBook           {r['engine_ops_s']:>9,.0f} ops per CPU second   (goal >= 500,000)")
    print(f"  reference (SortedDict+deque) {r['reference_ops_s']:>9,.0f} ops per CPU second")
    print(f"  ratio engine / reference {r['engine_ops_s'] / r['reference_ops_s']:.2f}x")
    from .market.bench import bench_day
    d = bench_day()
    print(f"synthetic trading day (6.5 h, one symbol, simulated clock): {d['events']:,} book events, "
          f"{d['trades']:,} executions, {d['volume']:,} shares")
    print(f"  {d['seconds']:.2f} s wall, {d['cpu_seconds']:.2f} s CPU ({d['events'] / d['seconds']:,.0f} events/s; "
          f"goal < 10 s), {6.5 * 3600 / d['seconds']:,.0f}x real time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
