"""Limit-price placement from the book by urgency, always inside the parent's limit.

A buy at PASSIVE joins the bid, at MID sits at the mid rounded down (towards its own side,
so it never pays more than half the spread), at CROSS takes the ask; a sell mirrors it.
With one side of the book empty a passive or mid order falls back to the side that exists
(one tick inside it), and a cross has nothing to take: ``None``. On a locked or crossed book a
passive or mid price stays one tick off the far touch (it never takes).
"""
from __future__ import annotations

from wirespeed.enums import Side

from ..model import Urgency

# Enum members read on every child's path as module constants: an enum member read off its class
# (``Side.BUY``) costs about ten global reads on Python 3.11; the same objects, so ``is`` and ``==`` hold.
_BUY = Side.BUY
_PASSIVE = Urgency.PASSIVE
_MID = Urgency.MID
_CROSS = Urgency.CROSS


def limit_price(side: Side, urgency: Urgency, bid: int | None, ask: int | None, limit: int | None) -> int | None:
    buy = side == _BUY
    price: int | None
    if bid is not None and ask is not None:
        if urgency is _PASSIVE:
            price = bid if buy else ask
        elif urgency is _MID:
            price = (bid + ask) // 2 if buy else -((-(bid + ask)) // 2)
        else:
            price = ask if buy else bid
        if urgency is not _CROSS and bid >= ask:
            # a locked or crossed view (live: our own just-filled order still shown at the touch
            # because the fill came back before the feed's update): a passive or mid price stays
            # one tick off the far touch rather than taking, as it would on the book as it is
            price = min(price, ask - 1) if buy else max(price, bid + 1)
    elif urgency is _CROSS:
        price = (ask if buy else bid)
    elif buy:
        price = bid if bid is not None else (ask - 1 if ask is not None and ask > 1 else None)
    else:
        price = ask if ask is not None else (bid + 1 if bid is not None else None)
    if price is None or price <= 0:
        return None
    if limit is not None:
        price = min(price, limit) if buy else max(price, limit)
    return price


def is_marketable(side: Side, price: int, bid: int | None, ask: int | None) -> bool:
    if side == _BUY:
        return ask is not None and price >= ask
    return bid is not None and price <= bid
