"""The net cost's split into the spread paid at the fills and the order's footprint on the mid."""
from types import SimpleNamespace as NS

import pytest

from wirespeed.control.tca.tape import ExecRecord, MarketRecord, Tape
from wirespeed.sim.backtest.counterfactual import cost_split, net_slippage_bps


def test_cost_split_into_spread_paid_and_footprint_adds_up_to_the_net_slippage():
    tape = Tape()
    # our tape's mid: 1000 from t=0, 1003 from t=15 (we pushed it); the day without us: 1000, then 1001
    tape.add(MarketRecord(0, "", 1000.0, 0))
    tape.add(MarketRecord(15, "", 1003.0, 0))
    # a buy of 300: 100 crossing at 1001 at t=10 (one tick over the mid), 200 resting at 1002 at t=20
    # (a tick under the mid then)
    for ts, q, px in ((10, 100, 1001), (20, 200, 1002)):
        tape.add(ExecRecord(ts, "o", "c", "p", "V", q, px, 0.0))
    path = lambda t: 1000.0 if t < 15 else 1001.0  # noqa: E731
    slip = (100 * 1 + 200 * 2) / 300 / 1000 * 1e4
    res = NS(tca=NS(sign=1, filled=300, arrival_mid=1000.0, slippage_bps=slip, fees=0.0),
             algo=NS(parent=NS(start_ns=0)), tape=tape)
    spread, foot = cost_split(res, path)
    k = 1e4 / (1000.0 * 300)
    assert spread == pytest.approx((100 * 1 + 200 * -1) * k)            # paid a tick, earned a tick on twice as many
    assert foot == pytest.approx((100 * 0 + 200 * (3 - 1)) * k)          # the mid we moved, net of the day's own move
    assert spread + foot == pytest.approx(net_slippage_bps(res, path))
