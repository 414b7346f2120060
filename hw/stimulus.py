"""Constrained-random stimulus for hardware verification and benchmarks.

Values cluster on the boundaries that matter (limit-1, limit, limit+1, zero,
the maximum a field holds) and include out-of-range codes and unknown symbols,
so every reject reason is exercised. Seeded: a failing run is reproducible.
"""
from __future__ import annotations

import random

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.layout import ORDER

from .risk.checks import collar_bounds
from .risk.model import LimitEntry, RiskModel


def random_table(rng: random.Random, depth: int, fill: float = 0.75) -> dict[int, LimitEntry]:
    table = {}
    for index in range(depth):
        if rng.random() < fill:
            ref = rng.choice([rng.randint(1, 5_000_000), rng.randint(1, 200), (1 << 32) - 10])
            lo, hi = collar_bounds(ref, rng.choice([0, 1, 50, 10_000, ref]))
            max_qty = rng.choice([1, 100, rng.randint(1, 1_000_000), (1 << 32) - 1])
            table[index] = LimitEntry(max_qty, lo, hi, valid=rng.random() < 0.95)
    return table


def _near(rng: random.Random, value: int, width: int) -> int:
    top = (1 << width) - 1
    return min(max(value + rng.choice([-1, 0, 1, rng.randint(-1000, 1000)]), 0), top)


def random_order_fields(rng: random.Random, model: RiskModel, order_id: int) -> dict[str, int]:
    """One order record (as a field dict) aimed at the model's current limit table."""
    w = ORDER.fields
    symbol = rng.choice([rng.randrange(model.depth)] * 8 + [model.depth, (1 << w["symbol"]) - 1, 0])
    entry = model.table.get(symbol)
    side = int(rng.choice(list(Side))) if rng.random() > 0.03 else 0
    ord_type = int(rng.choice(list(OrdType))) if rng.random() > 0.03 else 3
    tif = int(rng.choice(list(TimeInForce))) if rng.random() > 0.03 else rng.choice([2, 5, 6, 7])
    if entry is not None and rng.random() < 0.8:
        qty = _near(rng, entry.max_qty, w["qty"])
        price = _near(rng, rng.choice([entry.price_lo, entry.price_hi]), w["price"])
    else:
        qty = rng.choice([0, 1, rng.randint(1, 1 << 20), (1 << w["qty"]) - 1])
        price = rng.choice([0, 1, rng.randint(1, 1 << 24), (1 << w["price"]) - 1])
    if rng.random() < 0.03:
        qty = 0
    if rng.random() < 0.03:
        price = 0
    return {"order_id": order_id, "cl_ord_key": rng.getrandbits(w["cl_ord_key"]),
            "session": rng.getrandbits(w["session"]), "symbol": symbol, "side": side,
            "ord_type": ord_type, "tif": tif, "qty": qty, "price": price}
