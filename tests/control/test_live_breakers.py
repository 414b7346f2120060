"""Breakers and the kill switch on the live path: a venue cap stops trading there and cancels the
working children; the desk kill switch stops every parent and trips the gateway's kill."""
import asyncio

import pytest

from wirespeed.clock import fix_timestamp
from wirespeed.control.live.strategy import strategy_fields
from wirespeed.control.risk import BreakerConfig, Breakers, VenueCaps
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway.fix import tags as T

from tests.gateway.conftest import Stack, run_async
from .test_live_parent import NS, _setup


class _Someone:
    def on_report(self, r):
        pass


async def _working(orders, n=1, tries=600):
    for _ in range(tries):
        if len(orders.working(client="CONTROL")) >= n:
            return orders.working(client="CONTROL")
        await asyncio.sleep(0.01)
    raise AssertionError("no working child order")


async def _passive_parent(stack, clock, c, cl):
    end = fix_timestamp(clock.time_ns() + 600 * NS)
    c.new_order(cl, "MSFT", "1", 3000, "411.00", extra=strategy_fields(
        "twap", {"EndTime": end, "Urgency": "passive", "DecisionSecs": "1", "MinChild": "20"}))
    await c.wait_report(cl)


@pytest.mark.parametrize("scope", ["venue", "desk"])
@run_async
async def test_a_trade_cap_stops_the_venue_and_cancels_its_working_children(scope):
    async with Stack() as stack:
        clock, desk, c, stop, task = await _setup(stack, speed=30.0)
        venue = stack.config.venue.name
        desk.breakers = b = Breakers(caps={venue: VenueCaps(max_trades=1)}) if scope == "venue" else \
            Breakers(desk_caps=VenueCaps(max_trades=1))
        b.on_trip = desk._on_trip
        for p in desk.parents.values():
            p.ctx.breakers = b
        await _passive_parent(stack, clock, c, "CAP1")
        orders = stack.gateway.orders
        child = (await _working(orders))[0]
        # someone sells through the maker's bid into our child: our first trade there
        stack.venue.core.new_order(_Someone(), None, "X", "MSFT", Side.SELL, OrdType.LIMIT, TimeInForce.IOC,
                                   500 + 10, child.order.price)
        for _ in range(300):
            if b.trips and not orders.working(client="CONTROL"):
                break
            await asyncio.sleep(0.01)
        assert [t.breaker for t in b.trips] == ["caps" if scope == "venue" else "desk_caps"]
        assert "1 trades today reached the cap 1" in b.trips[0].reason
        assert not orders.working(client="CONTROL")            # canceled at the venue
        fills = [m for m in c.reports["CAP1"] if m[T.ExecType] == "F"]
        assert fills and fills[0][30] == venue
        sent = orders.counts["accepted"]
        await asyncio.sleep(0.5)                              # 15 simulated seconds: the algorithm keeps trying
        assert orders.counts["accepted"] == sent              # nothing more reaches the stopped venue
        assert c.reports["CAP1"][-1][T.OrdStatus] in ("1", "3")   # the parent is not lost: partially filled
        stop.set()
        await task
        await c.stop()


@run_async
async def test_the_desk_kill_switch_stops_parents_and_trips_the_gateway_kill():
    async with Stack() as stack:
        clock, desk, c, stop, task = await _setup(stack, speed=30.0)
        await _passive_parent(stack, clock, c, "K1")
        orders = stack.gateway.orders
        await _working(orders)
        stats = desk.kill()
        # the desk cancels its children itself, so the gateway finds them already pending cancel
        assert stats["parents"] == 1 and "cancels" in stats and orders.killed
        reps = await c.wait_report("K1", 2, timeout=5, predicate=lambda m: m[T.ExecType] in ("0", "4"))
        assert reps[-1][T.ExecType] == "4" and reps[-1][T.OrdStatus] == "4"
        for _ in range(100):
            if not orders.working(client="CONTROL"):
                break
            await asyncio.sleep(0.01)
        assert not orders.working(client="CONTROL")
        c.new_order("N1", "MSFT", "1", 10, "409.00")          # the gateway's kill holds for every client
        rep = (await c.wait_report("N1"))[0]
        assert rep[T.ExecType] == "8" and "kill" in rep[T.Text]
        stop.set()
        await task
        await c.stop()


@run_async
async def test_the_volatility_breaker_slows_children_to_its_factor_and_loses_no_share():
    async with Stack() as stack:
        clock, desk, c, stop, task = await _setup(stack)
        desk.breakers = b = Breakers(BreakerConfig(vol_action="slow", vol_slow_factor=0.5, vol_recovery_s=600))
        b.on_trip = desk._on_trip
        now = clock.time_ns()
        b.on_mid(now, 400.0)
        b.on_mid(now + 1, 410.0)                        # 250 bps at once: tripped, slowing for 10 minutes
        c.new_order("SL1", "MSFT", "1", 600, "411.00", extra=strategy_fields(
            "twap", {"DurationSecs": "60", "Urgency": "cross", "DecisionSecs": "5"}))
        await c.wait_report("SL1")
        for _ in range(600):
            if c.reports["SL1"][-1][T.OrdStatus] in ("2", "3"):
                break
            await asyncio.sleep(0.01)
        p = desk.parents[("CLIENT1", "SL1")]
        sent = {s.order.cl_ord_id: s.qty for s in stack.gateway.orders.orders.values() if s.client_id == "CONTROL"}
        legs = p.runner.legs
        assert legs and all(sent[lid] == max(1, legs[lid].order.qty // 2) for lid in legs if lid in sent)
        assert any(legs[lid].order.qty > 1 for lid in sent)
        final = c.reports["SL1"][-1]
        assert final[T.OrdStatus] in ("2", "3") and int(final[T.CumQty]) > 0
        fills = [m for m in c.reports["SL1"] if m[T.ExecType] == "F"]
        assert sum(int(m[T.LastQty]) for m in fills) == int(final[T.CumQty])
        # what was cut went back to the algorithm as the leg ended, and was placed again
        from wirespeed.control.tca.tape import DoneRecord
        slowed = [r for r in p.runner.tape.of(DoneRecord) if r.reason == "slowed by the volatility breaker"]
        assert slowed and all(r.unfilled == legs[r.order_id].order.qty - sent[r.order_id] for r in slowed)
        assert final[T.OrdStatus] == "2" and final[T.CumQty] == "600", final
        stop.set()
        await task
        await c.stop()
