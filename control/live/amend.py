"""An OrderCancelReplaceRequest (G) on a running parent, read and validated.

Sans-IO, like ``strategy.parse_strategy``: the replace's fields and what the parent stands at
(its order, strategy request, filled and working shares, the desk's clock) in, an ``Amendment``
out, or ``ExecutionRefused`` whose reason names the tag or strategy parameter that is wrong (the
desk sends it back as OrderCancelReject Text).

A replace may change OrderQty (38), the limit (OrdType 40 / Price 44) and any strategy parameter
(957 group); parameters it leaves out keep their values, so a desk can send only what changes.
It may not change Symbol, Side or TargetStrategy. The new quantity must cover what is filled
plus what is working at the venues (the desk never takes back shares it cannot be sure of), and
what is left of it is re-planned over what is left of the horizon.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from wirespeed.gateway.fix import tags as T
from wirespeed.symbols import Symbol

from ..model import ExecutionRefused, ParentOrder, make_parent
from .strategy import TargetStrategy, StrategyRequest, parse_strategy


@dataclass(frozen=True, slots=True)
class Amendment:
    """order: the whole parent as amended (its total quantity, original start); remaining: what
    the re-planned algorithm works (the quantity not filled, from now to the end); request: the
    strategy parameters as they now stand."""
    order: ParentOrder
    remaining: ParentOrder
    request: StrategyRequest


def merge(old: StrategyRequest, new: StrategyRequest) -> StrategyRequest:
    """The parameters a replace gives over the ones it leaves out."""
    changes = {f.name: getattr(new, f.name) for f in dataclasses.fields(new)
               if f.name != "algo" and getattr(new, f.name) is not None}
    return dataclasses.replace(old, **changes)


def parse_amend(pairs: list[tuple[int, str]], fields: dict, order: ParentOrder, request: StrategyRequest,
                symbol: Symbol, filled: int, working: int, started: bool, now_ns: int) -> Amendment:
    """``pairs``: the replace's body in wire order (the 957 group); ``fields``: tag -> value."""
    if fields.get(T.Symbol, order.symbol) != order.symbol:
        raise ExecutionRefused(f"Symbol(55): a replace may not change the symbol ({order.symbol} -> "
                               f"{fields.get(T.Symbol)})")
    if fields.get(T.Side, order.side.fix) != order.side.fix:
        raise ExecutionRefused(f"Side(54): a replace may not change the side ({order.side.fix} -> {fields.get(T.Side)})")
    if not any(t == TargetStrategy for t, _ in pairs):
        pairs = [(TargetStrategy, request.algo)] + list(pairs)
    req = parse_strategy(pairs)
    if req.algo != request.algo:
        raise ExecutionRefused(f"TargetStrategy(847): a replace may not change the strategy "
                               f"({request.algo} -> {req.algo}): cancel and send a new parent")
    if started and req.start_ns is not None and req.start_ns != order.start_ns:
        raise ExecutionRefused("strategy parameter StartTime: the parent has started; it cannot move")
    merged = merge(request, req)
    if req.duration_s is not None:            # from now, on the desk's clock
        merged = dataclasses.replace(merged, end_ns=now_ns + int(req.duration_s * 1e9), duration_s=None)
    start = merged.start_ns if merged.start_ns is not None else order.start_ns
    end = merged.end_ns
    if end is None or end <= now_ns:
        raise ExecutionRefused("strategy parameter EndTime: already past")
    if end <= start:
        raise ExecutionRefused("strategy parameters StartTime/EndTime: EndTime is not after StartTime")
    text = fields.get(T.OrderQty, str(order.qty))
    if not text.isdigit() or int(text) <= 0:
        raise ExecutionRefused(f"OrderQty(38): not a positive integer: {text!r}")
    qty = int(text)
    if qty <= filled:
        raise ExecutionRefused(f"OrderQty(38): {qty} is not above CumQty {filled}")
    if qty < filled + working:
        raise ExecutionRefused(f"OrderQty(38): {qty} is below what is filled ({filled}) plus working at the "
                               f"venues ({working}): at least {filled + working}")
    ord_type = fields.get(T.OrdType, "2" if order.limit is not None else "1")
    if ord_type == "2":
        limit = fields.get(T.Price)
        if limit is None:
            if order.limit is None:
                raise ExecutionRefused("Price(44): required with OrdType(40) 2 (limit)")
            limit = symbol.tick.to_decimal(order.limit)
    elif ord_type == "1":
        limit = None
    else:
        raise ExecutionRefused(f"OrdType(40): {ord_type!r} is neither 1 (market) nor 2 (limit)")
    whole = make_parent(order.parent_id, symbol, order.side, qty, start, end, limit)
    rest_start = max(start, now_ns) if started else start
    remaining = dataclasses.replace(whole, qty=qty - filled, start_ns=rest_start)
    if remaining.end_ns <= remaining.start_ns:
        raise ExecutionRefused("strategy parameter EndTime: already past")
    return Amendment(whole, remaining, dataclasses.replace(merged, start_ns=start))
