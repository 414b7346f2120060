"""A hand-built market to drive an algorithm with: quotes and prints on a fixed grid, crossing
children filled at once at their price, passive ones filled by a share of each print."""
from __future__ import annotations

from dataclasses import dataclass, field

from wirespeed.enums import Side, TimeInForce
from wirespeed.control.marketdata import MarketState, Quote, TradePrint
from wirespeed.control.model import CancelChild, ChildDone, ChildFill, NewChild, ParentOrder, ReplaceChild

NS = 1_000_000_000
T0 = 34_200 * NS          # 09:30


def parent(qty=10_000, minutes=60, side=Side.BUY, limit=None, pid="P1"):
    return ParentOrder(pid, "XYZ", side, qty, T0, T0 + minutes * 60 * NS, limit)


@dataclass
class Driven:
    children: list = field(default_factory=list)
    actions: list = field(default_factory=list)
    fills: list = field(default_factory=list)
    market_volume: int = 0


def drive(algo, *, bid=10_000, ask=10_002, print_qty=200, step_s=5, passive_share=0.5,
          prices=None, fill_passive=True) -> Driven:
    """Run ``algo`` from its parent's start to end on a grid of ``step_s`` seconds."""
    p = algo.parent
    m = algo.market
    out = Driven()
    open_: dict[str, list] = {}                      # child_id -> [side, qty_left, price, tif]

    def apply(actions, now):
        for a in actions:
            out.actions.append((now, a))
            if isinstance(a, NewChild):
                out.children.append((now, a))
                open_[a.child_id] = [a.side, a.qty, a.price, a.tif]
                crossing = (a.price >= cur_ask) if a.side == Side.BUY else (a.price <= cur_bid)
                if crossing:
                    fill(a.child_id, open_[a.child_id][1], cur_ask if a.side == Side.BUY else cur_bid, now)
                elif a.tif == TimeInForce.IOC:
                    done(a.child_id, now)
            elif isinstance(a, CancelChild):
                if a.child_id in open_:
                    done(a.child_id, now)
            elif isinstance(a, ReplaceChild):
                o = open_.get(a.child_id)
                if o is not None:
                    o[2] = a.price
                    crossing = (a.price >= cur_ask) if o[0] == Side.BUY else (a.price <= cur_bid)
                    if crossing:
                        fill(a.child_id, o[1], a.price, now)

    def fill(cid, qty, price, now):
        o = open_[cid]
        qty = min(qty, o[1])
        if qty <= 0:
            return
        o[1] -= qty
        f = ChildFill(cid, qty, price, "V1", now)
        out.fills.append(f)
        m.update(TradePrint("V1", "XYZ", now, price, qty))
        apply(algo.on_fill(f), now)
        if cid in open_ and open_[cid][1] == 0:
            del open_[cid]
        elif cid in open_ and o[3] == TimeInForce.IOC:
            done(cid, now)

    def done(cid, now):
        o = open_.pop(cid)
        apply(algo.on_done(ChildDone(cid, o[1], now)), now)

    now = p.start_ns
    k = 0
    cur_bid, cur_ask = bid, ask
    m.update(Quote("V1", "XYZ", now - 1, ((cur_bid, 1000),), ((cur_ask, 1000),)))
    apply(algo.start(now), now)
    next_t = algo.next_timer_ns
    while now < p.end_ns + step_s * NS:
        now += step_s * NS
        k += 1
        if prices is not None:
            cur_bid, cur_ask = prices(k)
        q = Quote("V1", "XYZ", now, ((cur_bid, 1000),), ((cur_ask, 1000),))
        m.update(q)
        apply(algo.on_market(q), now)
        tp = TradePrint("V1", "XYZ", now, cur_bid, print_qty)
        m.update(tp)
        out.market_volume += print_qty
        apply(algo.on_market(tp), now)
        if fill_passive:
            for cid, o in list(open_.items()):
                resting_at_touch = (o[2] >= cur_bid) if o[0] == Side.BUY else (o[2] <= cur_ask)
                if resting_at_touch and o[3] != TimeInForce.IOC:
                    fill(cid, int(print_qty * passive_share), o[2], now)
        while algo.next_timer_ns is not None and algo.next_timer_ns <= now:
            t = algo.next_timer_ns
            apply(algo.on_timer(t), t)
    return out
