"""AvgPx in integers (gateway/fix/orders.avg_px_text) against Decimal division and quantize."""
import random
from decimal import Decimal

import pytest

from wirespeed.gateway.fix.orders import avg_px_text
from wirespeed.prices import TickSize


def _decimal(tick: TickSize, num: int, qty: int) -> str:
    if not qty:
        return str(tick.to_decimal(0))
    return str((tick.to_decimal(num) / qty).quantize(tick.to_decimal(1) / 10**4))


@pytest.mark.parametrize("tick", ["0.01", "0.05", "0.0001", "1", "0.25", "20", "0.5", "100000"])
def test_avg_px_is_what_decimal_gives(tick):
    t = TickSize.parse(tick)
    rng = random.Random(tick)
    cases = [(0, 0), (19025 * 10, 10), (3, 2), (5, 2), (1, 3), (2**64 - 1, 2**32 - 1), (2**64, 7)]
    for _ in range(1000):
        qty = rng.choice([1, 2, 3, 8, rng.randint(1, 10**6), rng.randint(1, 2**32 - 1)])
        cases.append((rng.randint(0, 10**7) * rng.randint(1, qty) if rng.random() < 0.5 else rng.randint(0, 2**63),
                      qty))
    for num, qty in cases:
        assert avg_px_text(t, num, qty) == _decimal(t, num, qty), (num, qty)
    assert Decimal(avg_px_text(t, 19025 * 10, 10)) == t.to_decimal(19025)
